"""``kg eval filter``: does the semantic filter rank true edges above noise?

The candidate graph is built from the gold texts exactly as ``kg build``
builds it (extract, link, featurize). Each candidate (text, subject, object)
pair is a positive when a gold triple of that text fuzzy-matches its two
entities (in either order). We report the average precision of ranking the
candidates by extractor confidence and by filter score, and the
precision/recall of the kept set against keeping everything.

The steps are separate so benches can build the (slow) candidate graph once
and score it with many filter settings: :func:`build_candidates`, then
:func:`measure` per :class:`~pipeline.filter.config.FilterConfig`;
:func:`ablation` measures the rows of :data:`ABLATION_ROWS` (``kg eval filter
--ablation``). The reliability curve (:func:`reliability_curve`) shows whether
a kept fact's score is the chance that it is right.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from pipeline.config import PipelineConfig
from pipeline.evaluate.matching import entity_match
from pipeline.filter.config import FilterConfig
from pipeline.schema import DOCUMENTS, from_rows

log = logging.getLogger(__name__)


def average_precision(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the precision-recall step curve (as scikit-learn computes it); ties keep input order."""
    if labels.sum() == 0:
        return 0.0
    order = np.argsort(-scores, kind="stable")
    hits = labels[order].astype(np.float64)
    precision_at_k = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision_at_k * hits).sum() / hits.sum())


def precision_recall_curve(scores: np.ndarray, labels: np.ndarray, total_positives: int | None = None):
    """(recall, precision) after each candidate, best score first; recall over ``total_positives`` (default: all labelled positives)."""
    order = np.argsort(-np.asarray(scores), kind="stable")
    hits = np.cumsum(np.asarray(labels)[order].astype(np.float64))
    total = total_positives or max(float(hits[-1]) if len(hits) else 0.0, 1.0)
    return hits / total, hits / np.arange(1, len(hits) + 1)


def reliability_curve(scores: np.ndarray, labels: np.ndarray, bins: int = 10) -> dict:
    """Mean score, share of gold and count per equal-width score bin (empty bins left out), and the
    expected calibration error ``sum_b n_b / n * |gold_b - score_b|``."""
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels, dtype=np.float64)
    which = np.minimum((scores * bins).astype(int), bins - 1)
    count = np.bincount(which, minlength=bins)
    full = count > 0
    mean = np.bincount(which, scores, minlength=bins)[full] / count[full]
    gold = np.bincount(which, labels, minlength=bins)[full] / count[full]
    ece = float((count[full] * np.abs(gold - mean)).sum() / max(len(scores), 1))
    return {"score": mean.tolist(), "gold": gold.tolist(), "count": count[full].tolist(), "ece": round(ece, 4)}


#: Rows of the filter ablation: name -> FilterConfig overrides of the configured filter.
ABLATION_ROWS: dict[str, dict] = {
    "full": {},
    "prior alone (no network)": {"confidence_weight": 1.0},
    "network alone (no prior)": {"confidence_weight": 0.0},
    "no GNN (feature MLP + decoder + prior)": {"components": ()},
    **{f"-{c}": {"drop": c} for c in ("denoise", "topological", "local", "semantic", "evidence", "relational")},
    "pair-level (the earlier filter: pairs, cosine)": {"unit": "pair", "decoder": "cosine"},
    "pair-level prior alone": {"unit": "pair", "confidence_weight": 1.0},
    "fact-level, relation-blind decoder (cosine)": {"decoder": "cosine"},
    "cross-fitted (folds 3)": {"folds": 3},
    "negatives: uniform (link reconstruction) only": {"negatives": ("uniform",)},
    "negatives: + type-consistent (typed)": {"negatives": ("typed", "relation", "document")},
    "plain GCN encoder + prior": {"encoder": "gcn"},
    "confidence only": {"method": "confidence"},
}


def ablation_config(base: FilterConfig, overrides: dict) -> FilterConfig:
    """``base`` with one ablation row's overrides (``drop``: that component removed)."""
    overrides = dict(overrides)
    if "drop" in overrides:
        gone = overrides.pop("drop")
        overrides["components"] = tuple(c for c in base.components if c != gone)
    return base.model_copy(update=overrides) if overrides else base


def ablation(candidates: "Candidates", base: FilterConfig, rows: dict[str, dict] | None = None):
    """Yield one result per ablation row: its name, AP, kept precision and recall, and the ECE."""
    keys = ("ap_filter", "ap_confidence", "precision_all", "precision_kept", "recall_all", "recall_kept", "kept",
            "candidates", "positives", "ece", "ap_fact_filter", "ap_fact_confidence", "facts", "fact_positives",
            "filter_seconds")
    for name, overrides in (rows or ABLATION_ROWS).items():
        config = FilterConfig.model_validate(ablation_config(base, overrides).model_dump())
        result = measure(candidates, config)
        yield {"row": name, **{k: result[k] for k in keys}}


@dataclass
class Candidates:
    """The candidate graph of a gold file, and what is needed to label its edges.

    Attributes:
        edges: candidate edges (schema ``EDGES``).
        features: node features (schema ``NODE_FEATURES``).
        names: entity id -> its label and aliases (for fuzzy matching).
        gold: doc id -> gold triples of that text.
        texts: number of gold texts read.
        entities: the linked entities (schema ``ENTITIES``), so features can be recomputed.
        documents: the texts (schema ``DOCUMENTS``), to show a fact with its sentence.
        mentions, mention_links: the entity mentions and their entities (context features).
    """

    edges: pa.Table
    features: pa.Table
    names: dict[str, list[str]]
    gold: dict[str, list]
    texts: int
    entities: pa.Table | None = None
    documents: pa.Table | None = None
    mentions: pa.Table | None = None
    mention_links: pa.Table | None = None

    @property
    def gold_pairs(self) -> int:
        return sum(len(v) for v in self.gold.values())

    def is_gold(self, doc_id: str, a: str, b: str, predicate: str | None = None) -> bool:
        """Whether a gold triple of ``doc_id`` joins entities ``a`` and ``b`` (either order); with
        ``predicate``, only a gold triple of that relation (case and punctuation ignored) counts."""
        for s, p, o in self.gold.get(doc_id, []):
            if predicate is not None and _relation_key(p) != _relation_key(predicate):
                continue
            for x, y in ((a, b), (b, a)):
                if any(entity_match(n, s) for n in self.names[x]) and any(entity_match(n, o) for n in self.names[y]):
                    return True
        return False


def _relation_key(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def build_candidates(gold_path: str | Path, *, config: PipelineConfig | None = None,
                     limit: int | None = None) -> Candidates:
    """Extract, link and featurize the gold texts as ``kg build`` does (default settings without ``config``)."""
    config = config or PipelineConfig()
    from pipeline.extract.api import run_extract
    from pipeline.featurize.api import run_featurize
    from pipeline.ingest.api import document_id, language_router
    from pipeline.link.api import run_link

    rows, gold = [], {}
    route = language_router(config.ingest)
    for number, line in enumerate(Path(gold_path).read_text(encoding="utf-8").splitlines()[: limit or None], 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            text, triples = item["text"], item.get("triples", [])
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            log.error("%s line %d skipped: not a {\"text\", \"triples\"} JSON object (%s)", gold_path, number, err)
            continue
        doc_id = document_id(text) + f"-{len(rows)}"
        rows.append({"doc_id": doc_id, "source": str(item.get("id", len(rows))), "lang": route(text),
                     "text": text})
        gold[doc_id] = triples
    documents = from_rows(rows, DOCUMENTS)
    extracted = run_extract(documents, config=config.extract)
    linked = run_link(extracted.mentions, extracted.relations, config=config.link)
    features = run_featurize(linked.entities, documents, config=config.featurize, mentions=extracted.mentions,
                             mention_links=linked.mention_links).features
    names = {e["entity_id"]: [e["label"], *(e["aliases"] or [])] for e in linked.entities.to_pylist()}
    return Candidates(linked.edges, features, names, gold, len(rows), linked.entities, documents, extracted.mentions,
                      linked.mention_links)


def measure(candidates: Candidates, config: FilterConfig, *, curves: bool = False) -> dict:
    """Filter the candidates with ``config``; AP, precision and recall against the gold pairs.

    Candidates are (text, unordered entity pair); a pair's confidence, score
    and kept flag are the best over its evidence rows. Recall is over all gold
    pairs, so it also shows what the extractor missed. With ``curves`` the
    result also holds both precision-recall curves (lists, for plots).
    """
    from pipeline.filter.api import run_filter

    result = run_filter(candidates.edges, candidates.features, config=config)
    pairs: dict[tuple[str, str, str], dict] = {}
    facts: dict[tuple[str, str, str, str], tuple[float, float]] = {}
    rows = result.scored_edges.select(["doc_id", "subject_id", "predicate", "object_id", "confidence", "filter_score",
                                       "kept"]).to_pylist()
    for r in rows:
        fact = (r["doc_id"], r["subject_id"], r["object_id"], r["predicate"])
        seen = facts.get(fact, (0.0, 0.0))
        facts[fact] = (max(seen[0], r["confidence"]), max(seen[1], r["filter_score"]))
    for r in rows:
        key = (r["doc_id"], *sorted((r["subject_id"], r["object_id"])))
        best = pairs.setdefault(key, {"confidence": 0.0, "score": 0.0, "kept": False})
        best["confidence"] = max(best["confidence"], r["confidence"])
        best["score"] = max(best["score"], r["filter_score"])
        best["kept"] = best["kept"] or r["kept"]

    keys = list(pairs)
    labels = np.array([candidates.is_gold(*k) for k in keys], dtype=bool)
    confidence = np.array([pairs[k]["confidence"] for k in keys])
    score = np.array([pairs[k]["score"] for k in keys])
    kept = np.array([pairs[k]["kept"] for k in keys], dtype=bool)
    gold_pairs = candidates.gold_pairs
    out = {
        "texts": candidates.texts, "candidates": len(keys), "positives": int(labels.sum()), "gold_pairs": gold_pairs,
        "method": result.method, "threshold": result.threshold, "kept": int(kept.sum()),
        "precision_all": round(float(labels.mean()) if len(keys) else 0.0, 4),
        "precision_kept": round(float(labels[kept].mean()) if kept.any() else 0.0, 4),
        "recall_all": round(float(labels.sum()) / gold_pairs, 4) if gold_pairs else 0.0,
        "recall_kept": round(float(labels[kept].sum()) / gold_pairs, 4) if gold_pairs else 0.0,
        "ap_confidence": round(average_precision(confidence, labels), 4),
        "ap_filter": round(average_precision(score, labels), 4),
        "ece": reliability_curve(score, labels)["ece"],
        "filter_seconds": result.stats.get("seconds"),
    }
    # Fact level: a (text, s, p, o) is right when a gold triple of that text has its entities and its relation.
    fact_keys = list(facts)
    fact_labels = np.array([candidates.is_gold(d, a, b, p) for d, a, b, p in fact_keys], dtype=bool)
    out.update(
        facts=len(fact_keys), fact_positives=int(fact_labels.sum()),
        ap_fact_confidence=round(average_precision(np.array([facts[k][0] for k in fact_keys]), fact_labels), 4),
        ap_fact_filter=round(average_precision(np.array([facts[k][1] for k in fact_keys]), fact_labels), 4),
    )
    if curves:
        out["curves"] = {
            name: [list(map(float, c)) for c in precision_recall_curve(values, labels, gold_pairs)]
            for name, values in (("confidence", confidence), ("filter", score))
        }
        out["reliability"] = reliability_curve(score, labels)
    return out


def evaluate_filter(gold_path: str | Path, *, config: PipelineConfig | None = None, limit: int | None = None,
                    curves: bool = False) -> dict:
    """Build the candidate graph of ``gold_path`` and :func:`measure` the configured filter on it."""
    config = config or PipelineConfig()
    out = measure(build_candidates(gold_path, config=config, limit=limit), config.filter, curves=curves)
    log.info("filter evaluation: %s", {k: v for k, v in out.items() if k not in ("curves", "reliability")})
    return out


def filter_plots_png(evaluation: dict) -> bytes:
    """PNG of ``kg eval filter --plot``: the precision-recall curves and the filter's reliability curve."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pipeline.report import precision_recall_plot

    fig, (pr, rel) = plt.subplots(1, 2, figsize=(11, 4.5))
    precision_recall_plot(evaluation)(pr)
    curve = evaluation["reliability"]
    rel.plot([0, 1], [0, 1], color="#999999", linestyle="--", label="perfectly calibrated")
    rel.plot(curve["score"], curve["gold"], marker="o", color="#C44E52", label=f"filter (ECE {curve['ece']})")
    for x, y, n in zip(curve["score"], curve["gold"], curve["count"]):
        rel.annotate(str(n), (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7)
    rel.set_title("Reliability of the filter score")
    rel.set_xlabel("mean filter score in the bin (0-1)")
    rel.set_ylabel("share of candidates that are gold")
    rel.set_xlim(0, 1)
    rel.set_ylim(0, 1.02)
    rel.legend(loc="upper left")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return buffer.getvalue()
