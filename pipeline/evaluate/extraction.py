"""``kg eval extract`` and ``kg eval ner``: precision, recall and F1.

Extraction: predicted and gold triples of each text are matched one to one
(greedily). A *pair* matches when subject and object both fuzzy-match
(containment or token Jaccard >= 0.5); a *triple* also needs the relation
names to share a content word. NER: exact (start, end, coarse type) spans.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.errors import SourceError
from pipeline.evaluate.matching import entity_match, relation_match
from pipeline.schema import coarse_type


def _prf(tp: int, n_pred: int, n_gold: int) -> dict:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": tp, "pred": n_pred, "gold": n_gold}


def _load(path: str | Path, key: str) -> dict[str, dict]:
    rows = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise SourceError(f"{path}:{number}", f"malformed JSON ({err.msg})") from None
        rows[str(row.get(key, number))] = row
    return rows


def _greedy(pred: list, gold: list, same) -> int:
    used, tp = set(), 0
    for p in pred:
        for j, g in enumerate(gold):
            if j not in used and same(p, g):
                used.add(j)
                tp += 1
                break
    return tp


def score_triples(pred: list[list[str]], gold: list[list[str]]) -> tuple[int, int]:
    """(pair matches, triple matches) for one text."""
    pairs = _greedy(pred, gold, lambda p, g: entity_match(p[0], g[0]) and entity_match(p[2], g[2]))
    triples = _greedy(pred, gold, lambda p, g: entity_match(p[0], g[0]) and entity_match(p[2], g[2])
                      and relation_match(p[1], g[1]))
    return pairs, triples


def evaluate_extraction(gold_path: str | Path, pred_path: str | Path) -> dict:
    """Micro-averaged pair and triple scores over texts present in the gold file."""
    gold, pred = _load(gold_path, "id"), _load(pred_path, "id")
    pair_tp = triple_tp = n_pred = n_gold = 0
    for key, g in gold.items():
        gold_triples = g.get("triples", [])
        pred_triples = [t for t in pred.get(key, {}).get("triples", []) if len(t) == 3]
        pairs, triples = score_triples(pred_triples, gold_triples)
        pair_tp, triple_tp = pair_tp + pairs, triple_tp + triples
        n_pred, n_gold = n_pred + len(pred_triples), n_gold + len(gold_triples)
    return {"texts": len(gold), "pair": _prf(pair_tp, n_pred, n_gold), "triple": _prf(triple_tp, n_pred, n_gold)}


def evaluate_ner(gold_path: str | Path, pred_path: str | Path) -> dict:
    """Exact-span NER scores; gold and prediction lines are matched by ``id`` (else line number)."""
    gold, pred = _load(gold_path, "id"), _load(pred_path, "id")
    tp = n_pred = n_gold = 0
    for key, g in gold.items():
        # Labels compare as coarse types, so GPE and LOC both count as PLACE.
        gold_spans = {(e[0], e[1], coarse_type(e[2])) for e in g.get("entities", [])}
        pred_spans = {(e[0], e[1], coarse_type(e[2])) for e in pred.get(key, {}).get("entities", [])}
        tp += len(gold_spans & pred_spans)
        n_pred, n_gold = n_pred + len(pred_spans), n_gold + len(gold_spans)
    return {"texts": len(gold), **_prf(tp, n_pred, n_gold)}
