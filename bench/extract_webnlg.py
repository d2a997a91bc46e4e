"""Extraction quality on WebNLG dev: `kg extract` then `kg eval extract`, overall and per size bucket.

    .venv/bin/python bench/extract_webnlg.py [--data DIR] [--no-schema] [--keep PRED.jsonl]

Prints one JSON line: overall pair/triple P/R/F1, the same per number of gold
triples per text ("size" 1-7), the seconds taken and the command lines used.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KG = str(Path(sys.executable).parent / "kg")


def run_json(cmd: list[str]) -> dict:
    result = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--no-schema", action="store_true", help="keep open predicates")
    parser.add_argument("--keep", type=Path, help="write predictions here instead of a temporary file")
    args = parser.parse_args()
    gold = args.data / "webnlg_dev.jsonl"
    schema = args.data / "webnlg_dev_relations.txt"
    with tempfile.TemporaryDirectory() as tmp:
        pred = args.keep or Path(tmp) / "pred.jsonl"
        extract = [KG, "extract", "--input", str(gold), "--output", str(pred), "--lang", "en"]
        if not args.no_schema:
            extract += ["--schema", str(schema)]
        started = time.perf_counter()
        subprocess.run(extract, check=True, capture_output=True, cwd=ROOT)
        seconds = time.perf_counter() - started
        overall = run_json([KG, "eval", "extract", "--gold", str(gold), "--pred", str(pred)])
        buckets = {}
        rows = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
        for size in sorted({r["size"] for r in rows}):
            part = Path(tmp) / f"gold_{size}.jsonl"
            part.write_text("".join(json.dumps(r) + "\n" for r in rows if r["size"] == size), encoding="utf-8")
            scores = run_json([KG, "eval", "extract", "--gold", str(part), "--pred", str(pred)])
            buckets[str(size)] = {"texts": scores["texts"], "pair_f1": scores["pair"]["f1"],
                                  "triple_f1": scores["triple"]["f1"]}
    print(json.dumps({"data": str(gold), "schema": None if args.no_schema else str(schema),
                      "pair": overall["pair"], "triple": overall["triple"], "by_size": buckets,
                      "extract_seconds": round(seconds, 1), "commands": [" ".join(extract)]}))


if __name__ == "__main__":
    main()
