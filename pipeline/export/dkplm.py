"""DKPLM inputs: knowledge-aware long-tail entities, their pseudo-token triples, a marked corpus.

DKPLM (Zhang et al., AAAI 2022, "DKPLM: Decomposable Knowledge-enhanced
Pre-trained Language Model") injects knowledge only for *knowledge-aware
long-tail entities*: entities that are rare in the corpus, matter to the
meaning of their sentences, and are well connected in the KG. It replaces
them with a "pseudo token" built from their relation triples. Its score is

.. math::

    \\mathrm{KLT}(e) = \\mathbb{1}[\\mathrm{Freq}(e) < R_{freq}] \\cdot \\mathrm{SI}(e) \\cdot \\mathrm{KC}(e)

and the entities whose KLT is above the mean KLT of all entities are kept,
if they are named entities: values (type DATE or QUANTITY, or a label that
starts with a digit or has no letter: "2900.0 metres", "১৯৭১") have no
pseudo token to learn, and entities whose labels differ only in case,
spacing or punctuation ("Visva-Bharati", "Visva Bharati") are one
long-tail entry, the best scored, listing the others in ``merged_ids``.
Here:

* ``Freq(e)``: mentions of ``e`` in the corpus (``entities.frequency``);
  ``R_freq`` is ``ExportConfig.long_tail_max_frequency``, by default the
  mean frequency (DKPLM leaves it as a hyper-parameter);
* ``SI(e)``, semantic importance: the mean over ``e``'s mentions of
  ``1 - cos(h(s), h(s without e))``, where ``s`` is the sentence around the
  mention and ``h`` the mean FastText vector of its tokens, minus the mean
  vector of the vocabulary. DKPLM uses the
  PLM's sentence vector; the corpus FastText model (``models/fasttext.model``,
  trained by featurize) is the encoder every workspace has, and it reads
  Bangla. Without it (or without mentions) ``SI(e) = 1`` and the data card
  says so;
* ``KC(e)``, knowledge connectivity: the KG degree of ``e``, i.e. distinct
  kept facts it takes part in, as head or tail (DKPLM counts neighbours
  within a few hops; one hop is what the issue asks for and is cheap).

Files (ids are the line numbers of ``entity2id.txt``/``relation2id.txt``,
so they index ``entity_emb.txt``/``rel_emb.txt``):

* ``dkplm_long_tail.tsv``: ``entity_id, id, label, frequency,
  semantic_importance, degree, klt, label_en, merged_ids``, best first;
* ``dkplm_triples.tsv``: ``entity, role, head, relation, tail`` (ids) for
  each long-tail entity's kept facts, up to ``max_triples_per_entity``, by
  filter score: the triples its pseudo token is made of (head role: the
  tail and relation; tail role: the head and relation);
* ``dkplm_corpus.jsonl``: one document a line, ``{"doc_id", "lang",
  "text", "entities"}``; ``text`` has every linked mention wrapped as
  ``[ENT] surface [ENT]``, and ``entities`` lists, in the same order,
  ``{"id", "entity_id", "long_tail"}``. A literal ``[ENT]`` in the source
  text is written ``[ ENT ]`` so that markers stay unambiguous.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

log = logging.getLogger(__name__)

MARK = "[ENT]"
_ESCAPED_MARK = "[ ENT ]"
_TOKEN = re.compile(r"\w+")  # the tokens FastText was trained on (pipeline.featurize.encoders.tokenize)
_SENTENCE_END = re.compile(r"[.!?।\n]")
_MENTIONS_PER_ENTITY = 20  # SI is a mean: a few mentions estimate it well enough


@dataclass
class LongTail:
    """Scores of every entity (aligned with the entity id map) and the chosen ones."""

    frequency: np.ndarray
    semantic_importance: np.ndarray
    degree: np.ndarray
    klt: np.ndarray
    chosen: list[int]  # entity ids (row numbers), best first
    frequency_threshold: float
    semantic_importance_source: str
    merged: dict[int, list[int]] = field(default_factory=dict)  # chosen row -> rows of the same name it stands for
    values_skipped: int = 0  # value-like entities that scored above the mean


_VALUE_TYPES = {"DATE", "QUANTITY"}


def is_value(label: str | None, entity_type: str | None) -> bool:
    """A date, number or measure rather than a named entity (no pseudo token to learn for it)."""
    text = (label or "").strip()
    return (entity_type or "").upper() in _VALUE_TYPES or not text or text[0].isdigit() \
        or not any(ch.isalpha() for ch in text)


def name_key(label: str | None) -> str:
    """Labels equal up to case, spacing and punctuation share a key."""
    text = unicodedata.normalize("NFKC", label or "").casefold()
    return "".join(ch for ch in text if ch.isalnum() or unicodedata.category(ch).startswith("M"))


def _sentence_window(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around [start, end): from the last sentence end before to the next one after."""
    left = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    right = _SENTENCE_END.search(text, end)
    return left, right.end() if right else len(text)


def _mean_vector(model, text: str, center: np.ndarray) -> np.ndarray | None:
    tokens = _TOKEN.findall(text.casefold())
    return np.mean([model.wv[t] for t in tokens], axis=0) - center if tokens else None


def semantic_importance(model, mentions: list[dict], texts: dict[str, str], index: dict[str, int],
                        n_entities: int) -> np.ndarray:
    """``SI(e)``: mean of ``1 - cos(h(s), h(s without the mention))`` over ``e``'s mentions."""
    # Word vectors of a small corpus share one big common direction, which
    # makes every cosine close to 1; removing the mean vector undoes that.
    center = model.wv.vectors.mean(axis=0) if len(model.wv) else 0.0
    scores: dict[int, list[float]] = defaultdict(list)
    for m in mentions:
        row, text = index.get(m["entity_id"]), texts.get(m["doc_id"])
        if row is None or text is None or len(scores[row]) >= _MENTIONS_PER_ENTITY:
            continue
        left, right = _sentence_window(text, m["start"], m["end"])
        full = _mean_vector(model, text[left:right], center)
        rest = _mean_vector(model, text[left:m["start"]] + " " + text[m["end"]:right], center)
        if full is None:
            continue
        if rest is None:  # the sentence is the entity alone
            scores[row].append(1.0)
            continue
        norm = float(np.linalg.norm(full) * np.linalg.norm(rest))
        scores[row].append(1.0 - float(full @ rest) / norm if norm else 1.0)
    out = np.ones(n_entities, dtype=np.float64)  # no mention to judge by: neutral
    for row, values in scores.items():
        out[row] = float(np.clip(np.mean(values), 0.0, 2.0))
    return out


def long_tail_entities(entities: pa.Table, facts: list[tuple[str, str, str]], index: dict[str, int],
                       si: np.ndarray, si_source: str, max_frequency: float | None) -> LongTail:
    """Score every entity with KLT and choose those above the mean."""
    frequency = np.array([f or 0 for f in entities.column("frequency").to_pylist()], dtype=np.float64)
    degree = np.zeros(len(frequency), dtype=np.float64)
    for s, _, o in facts:
        degree[index[s]] += 1
        degree[index[o]] += 1
    threshold = float(frequency.mean()) if max_frequency is None and len(frequency) else float(max_frequency or 0)
    klt = (frequency < threshold) * si * degree
    mean = float(klt.mean()) if len(klt) else 0.0
    above = sorted((int(i) for i in np.flatnonzero(klt > mean)), key=lambda i: (-klt[i], i))
    names = entities.column("label").to_pylist() if "label" in entities.column_names else [None] * len(frequency)
    types = entities.column("type").to_pylist() if "type" in entities.column_names else [None] * len(frequency)
    chosen, merged, by_key, values = [], {}, {}, 0
    for i in above:
        if names[i] is not None and is_value(names[i], types[i]):
            values += 1
            continue
        key = name_key(names[i]) if names[i] is not None else str(i)
        if key in by_key:  # a better-scored entity of the same name is already chosen
            merged[by_key[key]].append(i)
            continue
        by_key[key] = i
        merged[i] = []
        chosen.append(i)
    return LongTail(frequency, si, degree, klt, chosen, threshold, si_source,
                    {i: rows for i, rows in merged.items() if rows}, values)


def pseudo_token_triples(chosen: list[int], scored_edges: pa.Table, entity_index: dict[str, int],
                         relation_index: dict[str, int], per_entity: int) -> list[tuple[int, str, int, int, int]]:
    """``(entity, role, head, relation, tail)`` rows: each chosen entity's best kept facts."""
    best: dict[tuple[int, int, int], float] = {}
    for r in scored_edges.select(["subject_id", "predicate", "object_id", "kept", "filter_score"]).to_pylist():
        if r["kept"]:
            key = (entity_index[r["subject_id"]], relation_index[r["predicate"]], entity_index[r["object_id"]])
            best[key] = max(best.get(key, float("-inf")), r["filter_score"] if r["filter_score"] is not None else 0.0)
    by_entity: dict[int, list[tuple[float, str, tuple[int, int, int]]]] = defaultdict(list)
    for (h, r, t), score in best.items():
        by_entity[h].append((score, "head", (h, r, t)))
        if t != h:
            by_entity[t].append((score, "tail", (h, r, t)))
    rows = []
    for e in chosen:
        for _, role, (h, r, t) in sorted(by_entity[e], key=lambda x: (-x[0], x[2]))[:per_entity]:
            rows.append((e, role, h, r, t))
    return rows


def _escape(text: str) -> str:
    return text.replace(MARK, _ESCAPED_MARK)


def write_marked_corpus(path: Path, documents: pa.Table, mentions: list[dict], entity_index: dict[str, int],
                        long_tail: set[int]) -> int:
    """Write ``dkplm_corpus.jsonl``; returns the number of marked mentions."""
    by_doc: dict[str, list[dict]] = defaultdict(list)
    for m in mentions:
        if m["entity_id"] in entity_index:
            by_doc[m["doc_id"]].append(m)
    marked = 0
    with path.open("w", encoding="utf-8") as handle:
        for batch in documents.select(["doc_id", "lang", "text"]).to_batches(max_chunksize=1000):
            for doc in batch.to_pylist():
                text, parts, ids, cursor = doc["text"] or "", [], [], 0
                for m in sorted(by_doc.get(doc["doc_id"], ()), key=lambda m: (m["start"], -m["end"])):
                    start, end = m["start"], m["end"]
                    if start < cursor or not 0 <= start < end <= len(text):
                        continue  # overlapping or out of range: left unmarked
                    e = entity_index[m["entity_id"]]
                    parts += [_escape(text[cursor:start]), f"{MARK} {_escape(text[start:end])} {MARK}"]
                    ids.append({"id": e, "entity_id": m["entity_id"], "long_tail": e in long_tail})
                    cursor = end
                parts.append(_escape(text[cursor:]))
                marked += len(ids)
                record = {"doc_id": doc["doc_id"], "lang": doc["lang"], "text": "".join(parts), "entities": ids}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return marked


def linked_mentions(mentions: pa.Table, links: pa.Table) -> list[dict]:
    """Mentions with the entity each resolved to (``doc_id, start, end, entity_id``)."""
    entity_of = dict(zip(links.column("mention_id").to_pylist(), links.column("entity_id").to_pylist()))
    rows = mentions.select(["mention_id", "doc_id", "start", "end"]).to_pylist()
    return [{**r, "entity_id": entity_of[r["mention_id"]]} for r in rows if r["mention_id"] in entity_of]


def load_fasttext(path: Path):
    """The corpus FastText model featurize saved (``Workspace.artefact("fasttext")``), or None."""
    if not path.exists():
        return None
    from gensim.models import FastText

    return FastText.load(str(path))
