"""Exact-span NER scores of the shipped Bangla model.

    .venv/bin/python bench/bangla_ner.py                    # the held-out test part of the bundled CC0 data
    .venv/bin/python bench/bangla_ner.py --data other.jsonl # every line of another gold file

Gold lines are ``{"text", "entities": [[start, end, label], ...]}``. Prints one
JSON line: P/R/F1 overall and per label, sentences, and sentences per second.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from pipeline.extract.bangla import load_bangla_pipeline
from pipeline.ner.train import BUNDLED_DATA, read_gold, score, split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="gold JSONL scored whole (default: held-out split of bundled data)")
    parser.add_argument("--model", help="model folder (default: the bundled pipeline/resources/bn_ner)")
    args = parser.parse_args()
    nlp = load_bangla_pipeline(args.model)
    seed = nlp.meta.get("performance", {}).get("seed", 42)
    rows = read_gold(args.data) if args.data else split(read_gold(BUNDLED_DATA["bn"]), seed)[2]
    started = time.perf_counter()
    result = score(nlp, rows)
    seconds = time.perf_counter() - started
    print(json.dumps({"bench": "bangla_ner", "data": str(args.data or "bundled held-out test split"), "seed": seed,
                      "sentences": len(rows), **result, "sentences_per_s": round(len(rows) / seconds, 1)},
                     ensure_ascii=False))


if __name__ == "__main__":
    main()
