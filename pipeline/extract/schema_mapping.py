"""Map open predicates onto a target schema of relation names.

Each schema name is split into words ("birthPlace" -> "birth place",
"leader_name" -> "leader name") and embedded once with the sentence encoder.
An open predicate is embedded *in context*: with the word for its object's
type ("born in" + a date -> "born in date"), so the same verb can land on
``birthPlace`` or ``birthDate``. It maps
to the most similar name when the cosine similarity reaches ``threshold``
(0.4: triple matches on WebNLG dev are flat from 0.3 to 0.45 and fall above
0.5), else it stays open.

Argument order follows the schema name where that reads the other way:

* "capital of" onto ``capital``: (Dhaka, capital of, Bangladesh) ->
  (Bangladesh, capital, Dhaka);
* an active verb onto its agent noun: (Y, operate, X) onto ``operator`` ->
  (X, operator, Y), because the operator *of X* is Y.

Speed: each distinct context is embedded once per mapper, the schema's
relation words once per process, and a predicate that spells a schema name
("capital") skips the encoder. The encoder runs on one thread with int8
Linear layers (``extract.schema_int8``); ``kg extract`` runs it in the
background while spaCy parses the next chunk.
"""

from __future__ import annotations

import re
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from pipeline.errors import ConfigError

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
#: Words for argument types in the embedded context.
TYPE_WORDS = {"PERSON": "person", "PLACE": "place", "COUNTRY": "country", "ORGANIZATION": "organisation", "DATE": "date",
              "QUANTITY": "number", "WORK": "work", "EVENT": "event", "LAW": "law"}
#: Words ending like agent nouns that are not agents.
NOT_AGENTS = {"number", "member", "order", "other", "water", "center", "centre", "chancellor", "after", "under",
              "over", "corner", "border", "letter", "power", "tower", "river", "minister", "partner", "sister",
              "brother", "mother", "father", "daughter", "semester", "character", "floor", "color", "colour", "error"}
DEFAULT_THRESHOLD = 0.4
STEM_BONUS = 0.2


def relation_words(name: str) -> str:
    """'birthPlace' / 'birth_place' / 'elevationAboveTheSeaLevel_(in_metres)' -> lower-case words."""
    spaced = _CAMEL.sub(" ", name)
    return " ".join(re.findall(r"[^\W_]+", spaced)).lower()


def read_schema(path: str | Path) -> list[str]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, UnicodeDecodeError, IsADirectoryError) as err:
        raise ConfigError(f"Cannot read schema {path}: {err}. Give one relation name per line.") from None
    names = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    if not names:
        raise ConfigError(f"Schema {path} lists no relation names.")
    return names


def _stems(words: str) -> set[str]:
    """Crude five-letter stems of content words: "published" and "publisher" share "publi"."""
    return {w[:5] for w in words.split() if len(w) >= 4}


def context(predicate: str, subject_label: str = "THING", object_label: str = "THING") -> str:
    """The text embedded for an open predicate: the predicate and its object's type ("born in date").

    The subject's type is left out: on WebNLG dev it lowered triple F1 (the
    subject is the owner and rarely tells the relation apart)."""
    return " ".join(w for w in (predicate, TYPE_WORDS.get(object_label, "")) if w)


def refined_type(label: str, text: str) -> str:
    """A place that is a country is typed so ("located in country" -> country, not location)."""
    from pipeline.extract.english.places import is_country

    return "COUNTRY" if label in ("PLACE", "THING", "ORGANIZATION") and is_country(text) else label


def _is_agent_of(verb: str, word: str) -> bool:
    """'operate' -> 'operator' / 'operating (organisation)', 'lead' -> 'leader', 'own' -> 'owner'."""
    if word in NOT_AGENTS or not word.endswith(("er", "or", "ing")) or len(verb) < 3:
        return False
    stem = verb.removesuffix("e")
    return word.startswith(stem) and len(word) - len(stem) <= 3


def reads_reversed(predicate: str, relation: str) -> bool:
    """True when (s, predicate, o) means (o, relation, s)."""
    words = predicate.split()
    rel = relation_words(relation).split()
    if len(words) >= 2 and words[-1] == "of" and words[-2] in rel:
        return "of" not in rel  # "capital of" onto "capital"; "part of" onto "isPartOf" reads the same way
    if "by" in words or not words or words[0] in rel:
        return False  # "founded by" and relational nouns ("leader") already read the schema's way
    return any(_is_agent_of(words[0], w) for w in rel)


@lru_cache(maxsize=4)
def _encoder(model_name: str, int8: bool):
    """The sentence encoder, with int8 Linear layers when ``int8`` (on CPU): about 3x faster for short
    predicate texts (987 WebNLG dev contexts: 0.7 s vs 2.0 s on one thread). The activations are quantised
    per batch, so a near-tie can map differently when other predicates share the batch; float keeps
    every predicate's mapping independent of the rest. Falls back to float where int8 is unavailable."""
    import torch

    from pipeline.featurize.encoders import load_sentence_model

    model = load_sentence_model(model_name)
    if not int8 or model.device.type != "cpu":
        return model
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch announces the move of this API to torchao
            return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    except (AttributeError, RuntimeError):  # a torch build without the quantized engine
        return model


@contextmanager
def _one_thread():
    """Predicate texts are a few tokens long: a second torch thread gains little, and on a busy machine
    the threads' spin-waiting made encoding several times slower (11 s vs 2 s for 987 texts)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def encode_texts(texts: list[str], model_name: str = "packaged", int8: bool = True) -> np.ndarray:
    """L2-normalised vectors of short texts (predicates in context, relation words)."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    with _one_thread():
        vectors = _encoder(model_name, int8).encode(texts, batch_size=64, normalize_embeddings=True,
                                                   show_progress_bar=False)
    return np.asarray(vectors, dtype=np.float32)


@lru_cache(maxsize=4)
def _relation_matrix(names: tuple[str, ...], model_name: str, int8: bool) -> np.ndarray:
    """Schema relation words embedded once per process, however many mappers use them."""
    return encode_texts([relation_words(n) for n in names], model_name, int8)


@dataclass(frozen=True)
class Mapping:
    relation: str | None  # None: stays open
    score: float
    reversed: bool = False


class SchemaMapper:
    """Nearest schema relation by sentence-embedding similarity of the predicate in context."""

    def __init__(self, names: list[str], *, threshold: float = DEFAULT_THRESHOLD, model_name: str = "packaged",
                 int8: bool = True) -> None:
        self.names = names
        self.threshold = threshold
        self.model_name = model_name
        self.int8 = int8
        self.matrix = _relation_matrix(tuple(names), model_name, int8)
        self._by_stem: dict[str, np.ndarray] = {}  # stem -> which names share it
        for k, name in enumerate(names):
            for stem in _stems(relation_words(name)):
                self._by_stem.setdefault(stem, np.zeros(len(names), dtype=np.float32))[k] = STEM_BONUS
        self._cache: dict[tuple[str, str], Mapping] = {}
        self._exact: dict[str, str] = {}  # relation words -> name: "capital", "full name", "runway length"
        for name in names:
            self._exact.setdefault(relation_words(name), name)

    def map_many(self, items: list[tuple[str, str, str]]) -> list[Mapping]:
        """Mappings for (predicate, subject type, object type) items, embedded in one batch."""
        keys = [(p, context(p, s, o)) for p, s, o in items]
        todo = []
        for predicate, text in sorted({k for k in keys if k not in self._cache}):
            name = self._exact.get(predicate)
            if name is None:
                todo.append((predicate, text))
            else:  # a predicate that spells a schema name needs no encoder
                self._cache[(predicate, text)] = Mapping(name, 1.0, reads_reversed(predicate, name))
        if todo:
            scores = encode_texts([text for _, text in todo], self.model_name, self.int8) @ self.matrix.T
            # A shared word stem ("published by" ~ "publisher") breaks near-ties the encoder gets wrong.
            none = np.zeros(len(self.names), dtype=np.float32)
            for k, (predicate, _) in enumerate(todo):
                bonuses = [self._by_stem[stem] for stem in _stems(predicate) if stem in self._by_stem]
                if bonuses:
                    scores[k] += np.maximum.reduce(bonuses + [none])
            best = scores.argmax(axis=1)
            for (predicate, text), b, score in zip(todo, best.tolist(), scores[np.arange(len(todo)), best].tolist()):
                if score >= self.threshold:
                    name = self.names[b]
                    self._cache[(predicate, text)] = Mapping(name, score, reads_reversed(predicate, name))
                else:
                    self._cache[(predicate, text)] = Mapping(None, score)
        return [self._cache[k] for k in keys]

    def map(self, predicate: str, subject_label: str = "THING", object_label: str = "THING") -> str | None:
        """The schema name for one predicate, or None when nothing is close enough."""
        return self.map_many([(predicate, subject_label, object_label)])[0].relation
