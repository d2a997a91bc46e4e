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
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.errors import ConfigError

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
#: Words for argument types in the embedded context.
TYPE_WORDS = {"PERSON": "person", "PLACE": "place", "ORGANIZATION": "organisation", "DATE": "date",
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


@dataclass(frozen=True)
class Mapping:
    relation: str | None  # None: stays open
    score: float
    reversed: bool = False


class SchemaMapper:
    """Nearest schema relation by sentence-embedding similarity of the predicate in context."""

    def __init__(self, names: list[str], *, threshold: float = DEFAULT_THRESHOLD, model_name: str = "packaged") -> None:
        from pipeline.featurize.encoders import encode_sentences

        self.names = names
        self.threshold = threshold
        self.model_name = model_name
        self._encode = encode_sentences
        self.matrix = encode_sentences([relation_words(n) for n in names], model_name=model_name)
        self.stems = [_stems(relation_words(n)) for n in names]
        self._cache: dict[tuple[str, str], Mapping] = {}

    def map_many(self, items: list[tuple[str, str, str]]) -> list[Mapping]:
        """Mappings for (predicate, subject type, object type) items, embedded in one batch."""
        keys = [(p, context(p, s, o)) for p, s, o in items]
        todo = sorted({k for k in keys if k not in self._cache})
        if todo:
            vectors = self._encode([text for _, text in todo], model_name=self.model_name)
            scores = vectors @ self.matrix.T
            for k, (predicate, _) in enumerate(todo):
                # A shared word stem ("published by" ~ "publisher") breaks near-ties the encoder gets wrong.
                stems = _stems(predicate)
                scores[k] += np.array([STEM_BONUS if stems & rel else 0.0 for rel in self.stems], dtype=scores.dtype)
            for (predicate, text), row in zip(todo, scores):
                best = int(np.argmax(row))
                score = float(row[best])
                if score >= self.threshold:
                    name = self.names[best]
                    self._cache[(predicate, text)] = Mapping(name, score, reads_reversed(predicate, name))
                else:
                    self._cache[(predicate, text)] = Mapping(None, score)
        return [self._cache[k] for k in keys]

    def map(self, predicate: str, subject_label: str = "THING", object_label: str = "THING") -> str | None:
        """The schema name for one predicate, or None when nothing is close enough."""
        return self.map_many([(predicate, subject_label, object_label)])[0].relation
