"""Extraction and linking time of one long document against its length (issue 19: it was quadratic).

A document is public text joined to the wanted length: WebNLG train sentences (English) or bnwiki
paragraphs repeated (Bangla). The pipeline is warmed up first. Prints one JSON line with seconds per
length (wall and CPU) and the ratio of the longest to the shortest, next to the ratio of their lengths.

    nice -n 10 .venv/bin/python bench/long_document.py [--lang en|bn] [--chars 100000,400000]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
SOURCES = {"en": DATA / "train" / "webnlg_train.jsonl", "bn": DATA / "bnwiki_paragraphs.jsonl"}


def long_text(lang: str, chars: int) -> str:
    """Public text joined to ``chars`` characters (sentences repeat once the file is used up)."""
    lines = [json.loads(line)["text"] for line in SOURCES[lang].open(encoding="utf-8") if line.strip()]
    parts, size = [], 0
    for text in itertools.cycle(lines):
        if size >= chars:
            break
        parts.append(text)
        size += len(text) + 1
    return " ".join(parts)[:chars]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=sorted(SOURCES), default="en")
    parser.add_argument("--chars", default="100000,400000", help="comma-separated document lengths")
    args = parser.parse_args()
    from pipeline.extract.api import run_extract
    from pipeline.extract.config import ExtractConfig
    from pipeline.link.api import run_link
    from pipeline.schema import DOCUMENTS, from_rows

    config = ExtractConfig(batch_size=1)

    def documents(text: str):
        return from_rows([{"doc_id": "d", "source": "d", "lang": args.lang, "text": text}], DOCUMENTS)

    run_extract(documents(long_text(args.lang, 2000)), config=config)  # loads the models
    sizes, result = [int(n) for n in args.chars.split(",")], {"lang": args.lang, "runs": []}
    for chars in sizes:
        started, cpu = time.perf_counter(), time.process_time()
        extracted = run_extract(documents(long_text(args.lang, chars)), config=config)
        middle = time.perf_counter()
        run_link(extracted.mentions, extracted.relations)
        done = time.perf_counter()
        result["runs"].append({"chars": chars, "extract_s": round(middle - started, 2), "link_s": round(done - middle, 2),
                               "cpu_s": round(time.process_time() - cpu, 2), "mentions": extracted.mentions.num_rows})
    first, last = result["runs"][0], result["runs"][-1]
    result["time_ratio"] = round((last["extract_s"] + last["link_s"]) / (first["extract_s"] + first["link_s"]), 2)
    # CPU seconds do not count the time a shared machine's other jobs hold the cores.
    result["cpu_ratio"] = round(last["cpu_s"] / first["cpu_s"], 2)
    result["length_ratio"] = round(last["chars"] / first["chars"], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
