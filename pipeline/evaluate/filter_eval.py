"""``kg eval filter``: does the semantic filter rank true edges above noise?

The candidate graph is built from the gold texts exactly as ``kg build``
builds it (extract, link, featurize, filter). Each candidate (text, subject,
object) pair is a positive when a gold triple of that text fuzzy-matches
its two entities (in either order). We report the average precision of
ranking the candidates by extractor confidence and by filter score, and the
precision/recall of the kept set against keeping everything.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from pipeline.config import PipelineConfig
from pipeline.evaluate.matching import entity_match
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


def evaluate_filter(gold_path: str | Path, *, config: PipelineConfig = PipelineConfig(), limit: int | None = None) -> dict:
    from pipeline.extract.api import run_extract
    from pipeline.featurize.api import run_featurize
    from pipeline.filter.api import run_filter
    from pipeline.ingest.api import document_id
    from pipeline.ingest.langid import detect_language
    from pipeline.link.api import run_link

    rows, gold = [], {}
    for line in Path(gold_path).read_text(encoding="utf-8").splitlines()[: limit or None]:
        if line.strip():
            item = json.loads(line)
            doc_id = document_id(item["text"]) + f"-{len(rows)}"
            rows.append({"doc_id": doc_id, "source": str(item.get("id", len(rows))), "lang": detect_language(item["text"]),
                         "text": item["text"]})
            gold[doc_id] = item.get("triples", [])
    documents = from_rows(rows, DOCUMENTS)
    extracted = run_extract(documents, config=config.extract)
    linked = run_link(extracted.mentions, extracted.relations, config=config.link)
    features = run_featurize(linked.entities, documents, config=config.featurize).features
    result = run_filter(linked.edges, features, config=config.filter)
    labels_of = {e["entity_id"]: [e["label"], *(e["aliases"] or [])] for e in linked.entities.to_pylist()}

    pairs: dict[tuple[str, str, str], dict] = {}
    for r in result.scored_edges.to_pylist():
        key = (r["doc_id"], *sorted((r["subject_id"], r["object_id"])))
        best = pairs.setdefault(key, {"confidence": 0.0, "score": 0.0, "kept": False})
        best["confidence"] = max(best["confidence"], r["confidence"])
        best["score"] = max(best["score"], r["filter_score"])
        best["kept"] = best["kept"] or r["kept"]

    def is_gold(doc_id: str, a: str, b: str) -> bool:
        for s, _, o in gold[doc_id]:
            for x, y in ((a, b), (b, a)):
                if any(entity_match(n, s) for n in labels_of[x]) and any(entity_match(n, o) for n in labels_of[y]):
                    return True
        return False

    keys = list(pairs)
    labels = np.array([is_gold(*k) for k in keys], dtype=bool)
    confidence = np.array([pairs[k]["confidence"] for k in keys])
    score = np.array([pairs[k]["score"] for k in keys])
    kept = np.array([pairs[k]["kept"] for k in keys], dtype=bool)
    gold_pairs = sum(len(v) for v in gold.values())
    out = {
        "texts": len(rows), "candidates": len(keys), "positives": int(labels.sum()), "gold_pairs": gold_pairs,
        "method": result.method, "threshold": result.threshold,
        "precision_all": round(float(labels.mean()) if len(keys) else 0.0, 4),
        "precision_kept": round(float(labels[kept].mean()) if kept.any() else 0.0, 4),
        "recall_all": round(float(labels.sum()) / gold_pairs, 4) if gold_pairs else 0.0,
        "recall_kept": round(float(labels[kept].sum()) / gold_pairs, 4) if gold_pairs else 0.0,
        "ap_confidence": round(average_precision(confidence, labels), 4),
        "ap_filter": round(average_precision(score, labels), 4),
    }
    log.info("filter evaluation: %s", out)
    return out
