"""Throughput of `kg extract` (learned extractor) against the raw encoder on the same texts, in one run.

    .venv/bin/python bench/extract_speed.py [--input F.jsonl] [--limit N] [--schema R.txt | --no-schema] [--repeats 2]

"Raw encoder" is multilingual-e5-small as the project loads it (all 12
blocks, tokenization included, batches of 32 texts sorted by length, the
precision `auto` picks: bfloat16 on AVX-512 BF16 CPUs). `kg extract` runs the
whole extract_jsonl path: spaCy sentences and types, the relation model
(10 blocks + heads), canonical names, the JSONL output. The two alternate
`--repeats` times and the best time of each counts, so a busy shared machine
skews both alike. Prints one JSON line: words/s of each and their ratio.
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


def raw_encoder_seconds(texts: list[str], batch_size: int = 32) -> float:
    import torch

    from pipeline.encoders import load_encoder
    from pipeline.ner.tagger import resolve_precision

    encoder = load_encoder("e5-small")
    bf16 = resolve_precision("auto", encoder.device) == "bf16"
    order = sorted(texts, key=len)
    started = time.perf_counter()
    with torch.inference_mode(), torch.autocast(encoder.device.type, dtype=torch.bfloat16, enabled=bf16):
        for at in range(0, len(order), batch_size):
            batch = encoder.batch(order[at:at + batch_size])
            encoder.model(batch.ids, batch.mask)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=ROOT.parent / "shared" / "data" / "webnlg_dev.jsonl")
    parser.add_argument("--limit", type=int, default=0, help="first N lines only (0: all)")
    parser.add_argument("--schema", default=str(ROOT.parent / "shared" / "data" / "webnlg_dev_relations.txt"))
    parser.add_argument("--no-schema", action="store_true", help="score against the model's general schema")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    from pipeline.encoders import set_threads
    from pipeline.extract.config import ExtractConfig
    from pipeline.extract.jsonl import extract_jsonl

    threads = set_threads()
    lines = args.input.read_text(encoding="utf-8").splitlines()
    lines = lines[: args.limit] if args.limit else lines
    texts = [json.loads(line)["text"] for line in lines if line.strip()]
    words = sum(len(t.split()) for t in texts)
    schema = None if args.no_schema else args.schema
    config = ExtractConfig()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.jsonl"
        source.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)), encoding="utf-8")

        def run_extract() -> float:
            started = time.perf_counter()
            extract_jsonl(source, Path(tmp) / "out.jsonl", lang="en", schema_path=schema, config=config)
            return time.perf_counter() - started

        run_extract()  # load spaCy, the encoder and the relation model before timing
        raw_encoder_seconds(texts[:64])
        raw, extract = [], []
        for _ in range(args.repeats):
            raw.append(raw_encoder_seconds(texts))
            extract.append(run_extract())
    raw_wps, extract_wps = words / min(raw), words / min(extract)
    print(json.dumps({"texts": len(texts), "words": words, "threads": threads, "schema": schema,
                      "raw_encoder_words_per_s": round(raw_wps), "kg_extract_words_per_s": round(extract_wps),
                      "ratio": round(extract_wps / raw_wps, 3)}))


if __name__ == "__main__":
    main()
