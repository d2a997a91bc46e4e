"""What the graph knows, read from a workspace's tables: the report's content, before any HTML."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.summary import BuildSummary
from pipeline.workspace import Workspace

TOP_ENTITIES = 20
EXAMPLE_FACTS = 15
FILTER_EXAMPLES = 5
GOLD_NAME = "alignment_gold.tsv"


# --- what the graph knows -------------------------------------------------------------------------


@dataclass
class Fact:
    subject: str
    predicate: str
    object: str
    sentence: str | None
    source: str | None
    confidence: float | None
    filter_score: float | None
    documents: int = 1


@dataclass
class Knowledge:
    """The report's content, computed once from the workspace tables."""

    documents: int = 0
    languages: Counter = field(default_factory=Counter)
    entities: int = 0
    facts_distinct: int = 0
    top_entities: list[dict] = field(default_factory=list)  # label_en, label_bn, other labels, type, degree, mentions
    relations: list[dict] = field(default_factory=list)  # predicate, facts, sentences, example (a Fact)
    examples: list[Fact] = field(default_factory=list)
    kept: int = 0
    dropped: int = 0
    threshold: float | None = None
    kept_examples: list[Fact] = field(default_factory=list)  # just above the threshold
    dropped_examples: list[Fact] = field(default_factory=list)  # the dropped ones scored highest
    quality: list[tuple[str, str]] = field(default_factory=list)  # (what, estimate)
    quarantine: list[dict] = field(default_factory=list)


def knowledge(ws: Workspace, summary: BuildSummary) -> Knowledge:
    k = Knowledge()
    documents = ws.read("documents").to_pylist() if ws.has("documents") else []
    k.documents, k.languages = len(documents), Counter(d["lang"] for d in documents)
    k.quarantine = ws.read("quarantine").to_pylist() if ws.has("quarantine") else []
    entities = {e["entity_id"]: e for e in ws.read("entities").to_pylist()} if ws.has("entities") else {}
    k.entities = len(entities)
    edges = ws.read("scored_edges").to_pylist() if ws.has("scored_edges") else []
    texts = {d["doc_id"]: d["text"] for d in documents}
    sources = {d["doc_id"]: d["source"] for d in documents}
    name = lambda eid: display_name(entities.get(eid)) or eid  # noqa: E731

    def fact(edge: dict, documents_: int = 1) -> Fact:
        text, start, end = texts.get(edge["doc_id"]), edge["start"], edge["end"]
        sentence = text[start:end].strip() if text is not None and start is not None and end is not None else None
        return Fact(name(edge["subject_id"]), edge["predicate"], name(edge["object_id"]), sentence or None,
                    sources.get(edge["doc_id"]), edge["confidence"], edge["filter_score"], documents_)

    kept = [e for e in edges if e["kept"]]
    k.kept, k.dropped = len(kept), len(edges) - len(kept)
    k.threshold = summary.filter.threshold
    by_fact: dict[tuple, list[dict]] = defaultdict(list)  # a fact stated in n documents is one fact
    for e in kept:
        by_fact[e["subject_id"], e["predicate"], e["object_id"]].append(e)
    k.facts_distinct = len(by_fact)
    degree: Counter = Counter()
    for s, _, o in by_fact:
        degree[s] += 1
        degree[o] += 1
    for eid, d in degree.most_common(TOP_ENTITIES):
        e = entities.get(eid, {})
        labels = labels_by_lang(e)
        k.top_entities.append({"id": eid, "en": labels.pop("en", None), "bn": labels.pop("bn", None),
                               "other": labels, "type": e.get("type"), "degree": d, "mentions": e.get("frequency")})
    best = {key: max(rows, key=lambda r: (r["confidence"] or 0, r["filter_score"] or 0)) for key, rows in by_fact.items()}
    k.relations = _relations(by_fact, best, fact)
    k.examples = _examples(by_fact, best, fact)
    score = lambda e: e["filter_score"] if e["filter_score"] is not None else 0.0  # noqa: E731
    k.kept_examples = [fact(e) for e in sorted(kept, key=score)[:FILTER_EXAMPLES]]
    k.dropped_examples = [fact(e) for e in sorted((e for e in edges if not e["kept"]), key=score, reverse=True)
                          [:FILTER_EXAMPLES]]
    k.quality = _quality(entities, documents)
    return k


def _relations(by_fact: dict[tuple, list[dict]], best: dict[tuple, dict], fact) -> list[dict]:
    """Every relation, busiest first, with its best-supported fact as the example."""
    per_relation: dict[str, list[tuple]] = defaultdict(list)
    for key in by_fact:
        per_relation[key[1]].append(key)
    relations = []
    for predicate, keys in sorted(per_relation.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        example = max(keys, key=lambda key: (len(by_fact[key]), best[key]["confidence"] or 0))
        relations.append({"predicate": predicate, "facts": len(keys), "sentences": sum(len(by_fact[x]) for x in keys),
                          "example": fact(best[example], len(by_fact[example]))})
    return relations


def _examples(by_fact: dict[tuple, list[dict]], best: dict[tuple, dict], fact) -> list[Fact]:
    """Facts with their sentences: the best-supported fact of each relation first, so that one busy relation
    does not fill the list."""
    documents_of = {key: len({r["doc_id"] for r in rows}) for key, rows in by_fact.items()}
    ranked = sorted(by_fact, key=lambda key: (-documents_of[key], -(best[key]["confidence"] or 0)))
    first_of_relation: dict[str, tuple] = {}
    for key in ranked:
        first_of_relation.setdefault(key[1], key)
    examples, chosen = [], set()
    for key in [*first_of_relation.values(), *ranked]:
        if len(examples) >= EXAMPLE_FACTS:
            break
        example = fact(best[key], documents_of[key])
        if key not in chosen and example.sentence:
            examples.append(example)
            chosen.add(key)
    return examples


def display_name(entity: dict | None) -> str | None:
    """English label if there is one, else the entity's own."""
    if not entity:
        return None
    return entity.get("label_en") or labels_by_lang(entity).get("en") or entity.get("label")


def labels_by_lang(entity: dict) -> dict[str, str]:
    labels: dict[str, str] = {}
    if entity.get("label"):
        labels[entity.get("lang") or "und"] = entity["label"]
    if entity.get("label_en"):
        labels.setdefault("en", entity["label_en"])
    for label in entity.get("labels") or []:
        labels.setdefault(label["lang"], label["text"])
    return labels


def _quality(entities: dict[str, dict], documents: list[dict]) -> list[tuple[str, str]]:
    out = []
    gold = _find_gold(documents)
    if gold is not None:
        out.append(_alignment(gold, entities))
    return out


def _find_gold(documents: list[dict]) -> Path | None:
    """``alignment_gold.tsv`` in a source's folder or the one above it (``examples/corpus`` → ``examples``)."""
    folders = {Path(d["source"].rsplit(":", 1)[0]).parent for d in documents if d.get("source")}
    for folder in sorted(folders):
        for candidate in (folder / GOLD_NAME, folder.parent / GOLD_NAME):
            if candidate.is_file():
                return candidate
    return None


def _alignment(gold: Path, entities: dict[str, dict]) -> tuple[str, str]:
    """How many gold (Bangla, English) name pairs ended up as one entity."""
    owners: dict[str, set[str]] = defaultdict(set)
    for eid, e in entities.items():
        for text in [*labels_by_lang(e).values(), *(e.get("aliases") or [])]:
            owners[text.strip().casefold()].add(eid)
    with gold.open(encoding="utf-8") as handle:
        pairs = [(r[0], r[1]) for r in csv.reader(handle, delimiter="\t") if len(r) >= 2][1:]
    present = [(bn, en) for bn, en in pairs if owners.get(bn.casefold()) and owners.get(en.casefold())]
    merged = [p for p in present if owners[p[0].casefold()] & owners[p[1].casefold()]]
    share = f" ({len(merged) / len(present):.0%})" if present else ""
    return (f"Cross-lingual linking against {gold}",
            f"{len(merged)} of {len(present)} gold pairs whose two names are both in the graph are one entity{share}; "
            f"{len(pairs)} pairs in the gold")


