"""Throughput of `kg extract` (the extract_jsonl path) against raw spaCy `nlp.pipe`, in one run.

    .venv/bin/python bench/extract_speed.py [--input F.jsonl] [--limit N] [--schema R.txt | --no-schema] [--repeats 3]

Both sides parse the same texts with the same spaCy pipeline (loaded once,
warmed up first). Raw `nlp.pipe`, `extract_jsonl` without a schema and
`extract_jsonl` with the schema (WebNLG dev relations by default) alternate
`--repeats` times and the best time of each counts, so a busy shared machine
skews all alike. Each schema run builds a fresh mapper, so every predicate is
embedded again (only the encoder and the schema names stay loaded). Prints
one JSON line: words/s of each and the ratios; "ratio" is the schema run's.
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
    parser.add_argument("--schema", default=str(ROOT.parent / "shared" / "data" / "webnlg_dev_relations.txt"),
                        help="map predicates onto this schema in the timed kg extract runs")
    parser.add_argument("--no-schema", action="store_true", help="time kg extract without a schema only")
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

    schema = None if args.no_schema else args.schema
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.jsonl"
        source.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)), encoding="utf-8")

        def run_extract(schema_path):
            started = time.perf_counter()
            extract_jsonl(source, Path(tmp) / "out.jsonl", lang="en", schema_path=schema_path, config=config)
            return time.perf_counter() - started

        if schema:  # load the sentence encoder before timing
            run_extract(schema)
        raw, plain, mapped = [], [], []
        for _ in range(args.repeats):
            started = time.perf_counter()
            for _doc in nlp.pipe(texts, batch_size=config.batch_size):
                pass
            raw.append(time.perf_counter() - started)
            plain.append(run_extract(None))
            if schema:
                mapped.append(run_extract(schema))
    raw_wps, plain_wps = words / min(raw), words / min(plain)
    result = {"texts": len(texts), "words": words, "pipeline": nlp.meta.get("name"), "schema": schema,
              "raw_nlp_pipe_words_per_s": round(raw_wps), "kg_extract_no_schema_words_per_s": round(plain_wps),
              "ratio_no_schema": round(plain_wps / raw_wps, 3)}
    if schema:
        mapped_wps = words / min(mapped)
        result |= {"kg_extract_schema_words_per_s": round(mapped_wps), "ratio": round(mapped_wps / raw_wps, 3)}
    else:
        result["ratio"] = result["ratio_no_schema"]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
