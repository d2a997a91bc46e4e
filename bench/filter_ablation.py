"""Ablation of the semantic filter on a gold file: one JSON line per row.

    .venv/bin/python bench/filter_ablation.py [--gold /work/shared/data/webnlg_dev.jsonl] [--limit N]
        [--cache /tmp/candidates.pkl]

The candidate graph is built once (extract, link, featurize, as ``kg eval
filter`` does); then each row filters it with one setting and reports AP,
and precision/recall of the kept set at the default threshold (the
expected-F1 cut). Rows: the full filter, each encoder component removed,
the extractor prior removed (GNN alone), the other priors, the prior alone,
the learned MLP edge scorer instead of the cosine, a plain GCN link
predictor (with and without the prior), the old fixed 10 % drop, and the
extractor confidence alone. ``precision_all``/``recall_all`` are the
keep-everything reference. ``--cache`` pickles the candidate graph (or reads
it back), so variants can be compared on one graph while the extractor
changes.
"""

from __future__ import annotations

import argparse
import json
import logging
import pickle
import time
from pathlib import Path

from pipeline.evaluate.filter_eval import build_candidates, measure
from pipeline.filter.config import GAE_COMPONENTS, FilterConfig

ROWS: dict[str, dict] = {
    "full": {},
    **{f"-{c}": {"components": tuple(x for x in GAE_COMPONENTS if x != c)} for c in GAE_COMPONENTS},
    "-all components (feature MLP)": {"components": ()},
    "-prior (GNN alone)": {"confidence_weight": 0.0},
    "prior noisy-OR instead of shared": {"prior": "noisy_or"},
    "prior max instead of shared": {"prior": "max"},
    "prior alone (shared, no GNN)": {"confidence_weight": 1.0},
    "mlp edge scorer": {"decoder": "mlp"},
    "gcn baseline + prior": {"encoder": "gcn"},
    "gcn baseline alone": {"encoder": "gcn", "confidence_weight": 0.0},
    "full, fixed 10 % drop": {"threshold": "percentile", "drop_percentile": 10.0},
    "confidence only (method none)": {"method": "none"},
}
KEYS = ("ap_filter", "ap_confidence", "precision_kept", "recall_kept", "precision_all", "recall_all", "kept",
        "candidates", "positives", "filter_seconds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", default="/work/shared/data/webnlg_dev.jsonl")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--rows", nargs="*", help="only these rows (default: all)")
    parser.add_argument("--cache", type=Path, help="pickle of the candidate graph: read it if present, else write it")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    start = time.perf_counter()
    if args.cache and args.cache.exists():
        candidates = pickle.loads(args.cache.read_bytes())
    else:
        candidates = build_candidates(args.gold, limit=args.limit)
        if args.cache:
            args.cache.write_bytes(pickle.dumps(candidates))
    print(json.dumps({"row": "candidate graph", "seconds": round(time.perf_counter() - start, 1),
                      "edge_rows": candidates.edges.num_rows, "nodes": candidates.features.num_rows}), flush=True)
    for name, overrides in ROWS.items():
        if args.rows and name not in args.rows:
            continue
        result = measure(candidates, FilterConfig(**overrides))
        print(json.dumps({"row": name, **{k: result[k] for k in KEYS}}), flush=True)


if __name__ == "__main__":
    main()
