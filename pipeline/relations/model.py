"""A relation model on the multilingual encoder: mentions, pairs, and relations scored by their names.

The first ``frozen`` blocks of multilingual-e5-small stay as pretrained; the
next ``tuned`` blocks are fine-tuned copies shared by three readers:

* a mention tagger: B/I/O per word (first sub-word token), untyped;
* a pair encoder: for subject and object spans, their mean token states, their
  product, the mean of the tokens between them, the window's mean, and the
  pair's order and distance, through a small MLP;
* relation vectors: each relation's *name* ("cityServed" -> "city served")
  read by the same blocks and projected into the pair space (a bi-encoder),
  so a schema of names never seen in training is scored the same way.

A pair's scores are cosine similarities (times a learned scale) to the
relation vectors and to a learned "no relation" vector; a softmax over them
gives each relation's probability. A pair is related when the probability
left to the relation names together (one minus "no relation") reaches the
calibrated threshold; it takes the likeliest name, and that probability is
the fact's confidence.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from pipeline.encoders import Encoder, load_encoder
from pipeline.encoders.transformer import Block, load_block
from pipeline.extract.schema_mapping import relation_words
from pipeline.ner.tagger import decode, first_tokens, resolve_precision
from pipeline.ner.tagger import words as tagger_words

log = logging.getLogger(__name__)

WEIGHTS = "relations.safetensors"
CONFIG = "relations.json"
MENTION_TAGS = ("O", "B-ENT", "I-ENT")
#: Inference pads each text to a multiple of this many tokens (see :meth:`RelationModel._batches`).
PAD_MULTIPLE = 8
#: Word-distance buckets of a pair: 0, 1, 2, 3-4, 5-7, 8-15, 16-31, 32+.
DISTANCE_EDGES = (1, 2, 3, 5, 8, 16, 32)


@dataclass(frozen=True)
class RelationConfig:
    encoder: str = "e5-small"
    # Blocks 0-7 as pretrained, 8-9 tuned, 10-11 dropped: token tasks read the middle of the network best,
    # and ten blocks cost less than twelve.
    frozen: int = 8
    tuned: int = 2
    pair_dim: int = 256
    max_tokens: int = 256
    #: Lowest P(related) a kept relation may have (chosen on dev by `kg train relations`).
    threshold: float = 0.5
    #: Platt scaling (a, b) of P(related) into the fact's confidence: sigmoid(a * logit(p) + b), fitted on dev.
    calibration: tuple[float, float] = (1.0, 0.0)


def words(text: str) -> list[tuple[int, int]]:
    """The NER tagger's words, with a sentence's full stop split off its last word ("Bundsgaard." -> "Bundsgaard", ".").

    Abbreviations with inner dots ("U.S.", "ড.") and numbers ("2702.0") keep theirs.
    """
    out = []
    for s, e in tagger_words(text):
        if e - s > 1 and text[e - 1] == "." and "." not in text[s:e - 1]:
            out += [(s, e - 1), (e - 1, e)]
        else:
            out.append((s, e))
    return out


#: Words a name may hold inside but not end on ("Institute of | Mechanics" is one name cut in two).
CONNECTORS = frozenset({"of", "de", "du", "des", "del", "la", "le", "van", "von", "der", "for", "the", "and", "&"})


def repair_mentions(text: str, spans: list[tuple[int, int]], found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Tagged mentions without leading or trailing punctuation words, and a mention that ends on a
    connector joined to the mention right after it ("Institute of" + "Mechanics"), else cut before it."""
    def word_at(start: int, end: int) -> list[tuple[int, int]]:
        return [w for w in spans if start <= w[0] and w[1] <= end]

    out: list[tuple[int, int]] = []
    for start, end in found:
        inside = [w for w in word_at(start, end) if any(ch.isalnum() for ch in text[w[0]:w[1]])]
        if not inside:
            continue
        start, end = inside[0][0], inside[-1][1]
        if out and text[out[-1][0]:out[-1][1]].rsplit(None, 1)[-1].casefold() in CONNECTORS and \
                not any(out[-1][1] <= w[0] < start for w in spans):
            out[-1] = (out[-1][0], end)  # the connector's name goes on in the next mention
            continue
        out.append((start, end))
    repaired = []
    for start, end in out:
        inside = word_at(start, end)
        while len(inside) > 1 and text[inside[-1][0]:inside[-1][1]].casefold() in CONNECTORS:
            inside = inside[:-1]
        repaired.append((inside[0][0], inside[-1][1]))
    return repaired


def distance_bucket(words_between: int) -> int:
    return sum(words_between >= edge for edge in DISTANCE_EDGES)


def relation_text(name: str) -> str:
    """What the encoder reads for a relation name: its words, e.g. "elevation above the sea level in metres"."""
    return relation_words(name) or name


class RelationHead(nn.Module):
    """The trained part: ``tuned`` blocks, the mention tagger, the pair encoder and the relation projection."""

    def __init__(self, encoder: Encoder, cfg: RelationConfig, dropout: float = 0.1, pretrained: bool = True) -> None:
        super().__init__()
        h, d = encoder.dim, cfg.pair_dim
        self.blocks = nn.ModuleList(load_block(encoder.source, cfg.frozen + n) if pretrained else Block(encoder.source.config)
                                    for n in range(cfg.tuned))
        self.dropout = nn.Dropout(dropout)
        self.mention = nn.Linear(h, len(MENTION_TAGS))
        self.geometry = nn.Embedding(2 * (len(DISTANCE_EDGES) + 1), 32)
        self.pair = nn.Sequential(nn.Linear(5 * h + 32, 512), nn.GELU(), nn.Dropout(dropout), nn.Linear(512, d))
        self.relation = nn.Sequential(nn.Linear(h, 512), nn.GELU(), nn.Linear(512, d))
        self.none = nn.Parameter(torch.randn(d) * 0.02)
        self.log_scale = nn.Parameter(torch.tensor(3.0))  # e^3 = 20: cosines spread over a useful softmax range

    def contextual(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        attend = mask[:, None, None, :].bool()
        for block in self.blocks:
            states = block(states, attend)
        return states

    def relation_vectors(self, name_states: torch.Tensor, name_mask: torch.Tensor) -> torch.Tensor:
        """(relations, d) unit vectors from the frozen states of the relation names."""
        states = self.contextual(name_states, name_mask)
        m = name_mask[..., None].to(states.dtype)
        pooled = (states * m).sum(1) / m.sum(1).clamp(min=1)
        return F.normalize(self.relation(pooled).float(), dim=-1)

    def pair_logits(self, states: torch.Tensor, pairs: torch.Tensor, relations: torch.Tensor) -> torch.Tensor:
        """Logits (pairs, 1 + relations), column 0 = no relation.

        ``states``: (batch, tokens, h) contextual states; ``pairs``: (n, 8) long rows of
        (row, subject token start, end, object token start, end, window start, end, geometry).
        """
        prefix = torch.zeros(states.shape[0], states.shape[1] + 1, states.shape[2], dtype=torch.float32,
                             device=states.device)
        prefix[:, 1:] = states.float().cumsum(1)
        row = pairs[:, 0]

        def mean(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            total = prefix[row, b] - prefix[row, a]
            return total / (b - a).clamp(min=1)[:, None].to(total.dtype)

        s, o = mean(pairs[:, 1], pairs[:, 2]), mean(pairs[:, 3], pairs[:, 4])
        lo, hi = torch.minimum(pairs[:, 2], pairs[:, 4]), torch.maximum(pairs[:, 1], pairs[:, 3])
        between = mean(torch.minimum(lo, hi), hi)
        window = mean(pairs[:, 5], pairs[:, 6])
        x = torch.cat([s, o, s * o, between, window, self.geometry(pairs[:, 7]).float()], dim=-1)
        z = F.normalize(self.pair(self.dropout(x)).float(), dim=-1)
        targets = torch.cat([F.normalize(self.none.float(), dim=0)[None], relations], dim=0)
        return self.log_scale.exp() * z @ targets.T


@dataclass
class Found:
    """What the model found in one text: mention spans and scored relations between them."""

    mentions: list[tuple[int, int]]
    relations: list[tuple[int, int, str, float]]  # (subject index, object index, name, P(related))


def token_span(offsets: list[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    """``[first, last + 1)`` content-token indices overlapping the characters ``[start, end)``."""
    inside = [i for i, (a, b) in enumerate(offsets) if a < end and start < b]
    return (inside[0], inside[-1] + 1) if inside else None


def pair_rows(row: int, spans: list[tuple[int, int] | None], char_spans: list[tuple[int, int]], text: str,
              window: tuple[int, int], allowed=None) -> tuple[list[list[int]], list[tuple[int, int]]]:
    """Pair rows (see :meth:`RelationHead.pair_logits`) for ordered mention pairs, +1 for ``<s>``."""
    rows, index = [], []
    starts = [s for s, _ in words(text)]
    for i, a in enumerate(spans):
        for j, b in enumerate(spans):
            if i == j or a is None or b is None or (allowed is not None and not allowed(char_spans[i], char_spans[j])):
                continue
            first, second = sorted((char_spans[i], char_spans[j]))
            between = sum(first[1] <= s < second[0] for s in starts)
            geometry = 2 * distance_bucket(between) + int(char_spans[i][0] > char_spans[j][0])
            rows.append([row, a[0] + 1, a[1] + 1, b[0] + 1, b[1] + 1, window[0], window[1], geometry])
            index.append((i, j))
    return rows, index


class RelationModel:
    """Frozen encoder blocks + a trained :class:`RelationHead`."""

    def __init__(self, cfg: RelationConfig, *, device: str = "auto", precision: str = "fp32",
                 pretrained: bool = True, general_schema: tuple[str, ...] = ()) -> None:
        self.cfg = cfg
        #: The relation names it was trained on: the schema when the user gives none.
        self.general_schema = tuple(general_schema)
        self.encoder = load_encoder(cfg.encoder, device, cfg.frozen)
        self.head = RelationHead(self.encoder, cfg, pretrained=pretrained).to(self.encoder.device)
        self.precision = resolve_precision(precision, self.encoder.device)
        self._relation_cache: dict[tuple[str, ...], torch.Tensor] = {}

    def autocast(self):
        return torch.autocast(self.encoder.device.type, dtype=torch.bfloat16, enabled=self.precision == "bf16")

    def frozen_states(self, texts: list[str]):
        batch = self.encoder.batch(texts, max_tokens=self.cfg.max_tokens)
        with torch.inference_mode(), self.autocast():
            states = self.encoder.model(batch.ids, batch.mask)
        return states, batch

    def name_batch(self, schema: tuple[str, ...]):
        return self.frozen_states([relation_text(name) for name in schema])

    @torch.inference_mode()
    def relation_vectors(self, schema: tuple[str, ...]) -> torch.Tensor:
        if schema not in self._relation_cache:
            states, batch = self.name_batch(schema)
            with self.autocast():
                self._relation_cache[schema] = self.head.relation_vectors(states, batch.mask)
        return self._relation_cache[schema]

    @torch.inference_mode()
    def predict(self, texts: list[str], schema: tuple[str, ...], mentions: list[list[tuple[int, int]]] | None = None,
                allowed: list | None = None, batch_size: int = 32) -> list[Found]:
        """Mentions (found, or the ones given per text) and relations of each text, best relation per ordered pair.

        ``allowed[k](a, b)`` may restrict which mention pairs (character spans) of text ``k`` are scored
        (e.g. to nearby sentences).
        """
        self.head.eval()
        relations = self.relation_vectors(tuple(schema))
        out: list[Found] = [Found([], []) for _ in texts]
        for chunk, batch in self._batches(texts, batch_size):
            with self.autocast():
                states = self.encoder.model(batch.ids, batch.mask)
                states = self.head.contextual(states, batch.mask)
                tags = self.head.mention(states).argmax(-1).cpu() if mentions is None else None
            rows, owners = [], []
            for r, k in enumerate(chunk):
                offsets = batch.encodings[r].offsets
                found = mentions[k] if mentions is not None else self._mentions(texts[k], offsets, tags[r])
                out[k].mentions = list(found)
                spans = [token_span(offsets, s, e) for s, e in found]
                pr, index = pair_rows(r, spans, found, texts[k], (0, len(offsets) + 2),
                                      allowed[k] if allowed is not None else None)
                rows += pr
                owners += [(k, i, j) for i, j in index]
            if not rows:
                continue
            with self.autocast():
                logits = self.head.pair_logits(states, torch.tensor(rows, device=states.device), relations)
            probs = logits.float().softmax(-1).cpu()
            best = probs[:, 1:].argmax(-1).tolist()
            # A pair is related when "no relation" leaves enough probability to the names together: near-synonyms
            # of a schema (birthPlace, Live_In) split a pair's mass, and neither alone should lose it to "none".
            for (k, i, j), n, none in zip(owners, best, probs[:, 0].tolist()):
                if 1.0 - none >= max(self.cfg.threshold, 1e-6):
                    out[k].relations.append((i, j, schema[n], self.confidence(1.0 - none)))
        return out

    def confidence(self, related: float) -> float:
        """The fact's confidence: P(related) through the dev-fitted Platt scaling."""
        a, b = self.cfg.calibration
        p = min(max(related, 1e-6), 1 - 1e-6)
        return 1.0 / (1.0 + math.exp(-(a * math.log(p / (1 - p)) + b)))

    def _batches(self, texts: list[str], batch_size: int):
        """``(text indices, padded batch)`` with every text padded to its own bucket width (a multiple of
        :data:`PAD_MULTIPLE` tokens) and batched only with texts of that width.

        A text's numbers then never depend on the texts beside it (bfloat16 rounds differently when the
        padding changes), so extracting a document alone or in a full rebuild gives the same facts."""
        encodings = self.encoder.encode(texts, max_tokens=self.cfg.max_tokens)
        buckets: dict[int, list[int]] = {}
        for i, e in enumerate(encodings):
            buckets.setdefault(-(-(len(e.ids) + 2) // PAD_MULTIPLE) * PAD_MULTIPLE, []).append(i)
        for width, members in sorted(buckets.items()):
            for at in range(0, len(members), batch_size):
                chunk = members[at:at + batch_size]
                yield chunk, self.encoder.pad([encodings[i] for i in chunk], width=width)

    def _mentions(self, text: str, offsets, tags) -> list[tuple[int, int]]:
        spans = [w for w in words(text) if not offsets or w[0] < offsets[-1][1]]
        if not spans:
            return []
        index = first_tokens(offsets, spans)
        return repair_mentions(text, spans, [(s, e) for s, e, _ in decode(spans, [MENTION_TAGS[int(tags[i + 1])]
                                                                              for i in index])])

    def save(self, path: str | Path, meta: dict | None = None) -> None:
        from safetensors.torch import save_file

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        save_file({k: v.detach().half().contiguous() for k, v in self.head.state_dict().items()}, path / WEIGHTS)
        info = {"config": asdict(self.cfg), "schema": list(self.general_schema), **(meta or {})}
        (path / CONFIG).write_text(json.dumps(info, ensure_ascii=False,
                                              indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path, *, device: str = "auto", precision: str = "auto") -> RelationModel:
        from safetensors.torch import load_file

        path = Path(path)
        info = json.loads((path / CONFIG).read_text(encoding="utf-8"))
        cfg = {**info["config"], "calibration": tuple(info["config"].get("calibration", (1.0, 0.0)))}
        model = cls(RelationConfig(**cfg), device=device, precision=precision, pretrained=False,
                    general_schema=tuple(info.get("schema", ())))
        model.head.load_state_dict({k: v.float() for k, v in load_file(path / WEIGHTS).items()})
        model.head.eval()
        return model


def bundled_relation_model_path() -> Path:
    from importlib import resources

    return Path(str(resources.files("pipeline") / "resources" / "relations"))


@lru_cache(maxsize=2)
def load_relation_model(path: str | Path | None = None, *, device: str = "auto", precision: str = "auto") -> RelationModel:
    """A saved relation model (default: the bundled one), loaded once per process."""
    from pipeline.errors import ModelNotFoundError

    path = Path(path) if path else bundled_relation_model_path()
    if not (path / CONFIG).is_file():
        raise ModelNotFoundError(f"[E104] no relation model at {path}: train one with "
                                 f"`kg train relations --output {path}`")
    model = RelationModel.load(path, device=device, precision=precision)
    log.info("relation model %s on %s (%s, %d general relations)", path, model.encoder.device, model.precision,
             len(model.general_schema))
    return model
