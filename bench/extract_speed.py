"""Throughput of `kg extract` (the extract_jsonl path) against raw spaCy `nlp.pipe`, in one run.

    .venv/bin/python bench/extract_speed.py [--input F.jsonl] [--limit N] [--schema R.txt] [--repeats 2]

Both sides parse the same texts with the same spaCy pipeline (loaded once,
warmed up first); raw `nlp.pipe` and `extract_jsonl` alternate `--repeats`
times and the best time of each counts, so a busy shared machine skews both
alike. Prints one JSON line: words/s of each and their ratio.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=ROOT.parent / "shared" / "data" / "webnlg_dev.jsonl")
    parser.add_argument("--limit", type=int, default=0, help="first N lines only (0: all)")
    parser.add_argument("--schema", help="also map predicates onto this schema")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    from pipeline.extract.api import make_extractor
    from pipeline.extract.config import ExtractConfig
    from pipeline.extract.jsonl import extract_jsonl

    config = ExtractConfig()
    lines = args.input.read_text(encoding="utf-8").splitlines()
    lines = lines[: args.limit] if args.limit else lines
    texts = [json.loads(line)["text"] for line in lines if line.strip()]
    words = sum(len(t.split()) for t in texts)
    nlp = make_extractor("spacy", "en", config).nlp  # the very pipeline kg extract uses (cached)
    list(nlp.pipe(texts[:50]))  # warm up

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.jsonl"
        source.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)), encoding="utf-8")
        if args.schema:  # load the sentence encoder before timing
            extract_jsonl(source, Path(tmp) / "warm.jsonl", lang="en", schema_path=args.schema, config=config)
        raw, full = [], []
        for _ in range(args.repeats):
            started = time.perf_counter()
            for _doc in nlp.pipe(texts, batch_size=config.batch_size):
                pass
            raw.append(time.perf_counter() - started)
            started = time.perf_counter()
            extract_jsonl(source, Path(tmp) / "out.jsonl", lang="en", schema_path=args.schema, config=config)
            full.append(time.perf_counter() - started)
    raw_wps, full_wps = words / min(raw), words / min(full)
    print(json.dumps({"texts": len(texts), "words": words, "pipeline": nlp.meta.get("name"),
                      "schema": args.schema, "raw_nlp_pipe_words_per_s": round(raw_wps),
                      "kg_extract_words_per_s": round(full_wps), "ratio": round(full_wps / raw_wps, 3)}))


if __name__ == "__main__":
    main()
