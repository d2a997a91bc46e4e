"""Ablation of the semantic filter on a gold file: one JSON line per row.

    .venv/bin/python bench/filter_ablation.py [--gold /work/shared/data/webnlg_dev.jsonl] [--limit N]
        [--cache /tmp/candidates.pkl] [--rows NAME ...] [--features]

The candidate graph is built once (extract, link, featurize, as ``kg eval
filter`` does); then each row of ``ABLATION_ROWS`` (the rows of ``kg eval
filter --ablation``) filters it and reports AP, the kept set's precision and
recall at the default cut, and the ECE of the reliability curve. With
``--features`` the node features are recomputed for the feature rows (the
multilingual encoder alone, encoder + FastText, the earlier MiniLM + FastText)
and the full filter runs on each. ``--cache`` pickles the candidate graph (or
reads it back), so variants can be compared on one graph while the extractor
changes.
"""

from __future__ import annotations

import argparse
import json
import logging
import pickle
import time
from dataclasses import replace
from pathlib import Path

from pipeline.evaluate.filter_eval import ablation, build_candidates
from pipeline.featurize.config import FeaturizeConfig
from pipeline.filter.config import FilterConfig

FEATURE_ROWS = {
    "features: encoder + fasttext + types (default)": ("encoder", "fasttext", "types"),
    "features: encoder + types": ("encoder", "types"),
    "features: MiniLM gloss + fasttext + types (earlier)": ("sentence", "fasttext", "types"),
}


def feature_rows(candidates, base: FilterConfig):
    from pipeline.featurize.api import run_featurize

    for name, parts in FEATURE_ROWS.items():
        features = run_featurize(candidates.entities, candidates.documents, config=FeaturizeConfig(parts=parts),
                                 mentions=candidates.mentions, mention_links=candidates.mention_links).features
        for row in ablation(replace(candidates, features=features), base, {name: {}}):
            yield row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", default="/work/shared/data/webnlg_dev.jsonl")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--rows", nargs="*", help="only these ablation rows (default: all)")
    parser.add_argument("--features", action="store_true", help="also the feature rows (recomputes features)")
    parser.add_argument("--cache", type=Path, help="pickle of the candidate graph: read it if present, else write it")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    start = time.perf_counter()
    if args.cache and args.cache.exists():
        candidates = pickle.loads(args.cache.read_bytes())
    else:
        candidates = build_candidates(args.gold, limit=args.limit)
        if args.cache:
            args.cache.write_bytes(pickle.dumps(candidates))
    print(json.dumps({"row": "candidate graph", "seconds": round(time.perf_counter() - start, 1),
                      "edge_rows": candidates.edges.num_rows, "nodes": candidates.features.num_rows}), flush=True)
    from pipeline.evaluate.filter_eval import ABLATION_ROWS

    rows = {k: v for k, v in ABLATION_ROWS.items() if not args.rows or k in args.rows}
    for row in ablation(candidates, FilterConfig(), rows):
        print(json.dumps(row), flush=True)
    if args.features:
        for row in feature_rows(candidates, FilterConfig()):
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
