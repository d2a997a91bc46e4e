"""Gold NER data: reading JSONL spans, the fixed seeded split, and P/R/F1."""

from __future__ import annotations

import json
import random
from pathlib import Path

from pipeline.errors import SourceError


def read_gold(path: str | Path) -> list[dict]:
    """Gold rows ``{"text", "entities": [(start, end, label)]}`` from a JSONL file; a bad line is an error naming it."""
    rows = []
    if not Path(path).is_file():
        raise SourceError(str(path), "no such gold file (a JSONL of {\"text\", \"entities\"}); give --data")
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                spans = [(int(s), int(e), str(label)) for s, e, label in row.get("entities", [])]
                rows.append({"text": str(row["text"]), "entities": spans})
            except (ValueError, KeyError, TypeError) as err:
                raise SourceError(f"{path}:{number}", f"expected {{\"text\", \"entities\": [[start, end, label]]}}: {err}") from None
    if not rows:
        raise SourceError(str(path), "no gold sentences")
    return rows


def split(rows: list[dict], seed: int) -> tuple[list[dict], list[dict], list[dict]]:
    """A fixed shuffled 80/10/10 train/dev/test split."""
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    n_dev = n_test = max(1, len(rows) // 10)
    test = [rows[i] for i in order[:n_test]]
    dev = [rows[i] for i in order[n_test : n_test + n_dev]]
    train = [rows[i] for i in order[n_test + n_dev :]]
    return train, dev, test


def prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"p": round(p, 4), "r": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0, "support": tp + fn}


def score_spans(gold: list[set], pred: list[set]) -> dict:
    """Exact-span P/R/F1 (label must match) over sentences, overall and per label."""
    per: dict[str, list[int]] = {}
    for g, p in zip(gold, pred, strict=True):
        for spans, bucket in ((g & p, 0), (p - g, 1), (g - p, 2)):
            for span in spans:
                per.setdefault(span[2], [0, 0, 0])[bucket] += 1
    tp, fp, fn = (sum(v[k] for v in per.values()) for k in range(3))
    return {**prf(tp, fp, fn), "per_label": {k: prf(*v) for k, v in sorted(per.items())}}
