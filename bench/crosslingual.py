"""Cross-lingual linking on the example corpus, scored against examples/alignment_gold.tsv.

    .venv/bin/python bench/crosslingual.py [--corpus examples/corpus] [--gold examples/alignment_gold.tsv]

Runs ingest, extract and link twice: with the bundled lexicon, and with a
lexicon that keeps only its relation words (no names), so that every merge
must come from transliteration. Prints one JSON line per setting: gold pairs
merged, transliteration merges, and the wrong merges among the first 50 by
confidence (a merge is wrong when the gold gives the Bangla name another
English name; merges of names outside the gold list are listed for reading).
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from pathlib import Path

import pyarrow as pa

from pipeline.extract.api import run_extract
from pipeline.extract.config import ExtractConfig
from pipeline.ingest.api import run_ingest
from pipeline.lexicon import Lexicon
from pipeline.link.api import run_link
from pipeline.link.ids import normalise_key

ROOT = Path(__file__).resolve().parent.parent


def score(result, gold: list[dict]) -> dict:
    on: dict[tuple[str, str], set[str]] = {}
    for entity in result.entities.to_pylist():
        for label in entity["labels"]:
            on.setdefault((label["lang"], label["text"]), set()).add(entity["entity_id"])
    hits = sum(bool(on.get(("bn", g["bangla"]), set()) & on.get(("en", g["english"]), set())) for g in gold)
    english_of = {normalise_key(g["bangla"]): normalise_key(g["english"]) for g in gold}
    sound = [m for m in result.merges if m["method"] == "transliteration"]
    top = sound[:50]
    # Wrong: the gold gives this Bangla name another English name. Other Bangla forms of a gold
    # English name ("গঙ্গা" for "Ganges") are not gold pairs; they are listed for reading.
    wrong = [m for m in top if english_of.get(m["bangla"], m["english"]) != m["english"]]
    outside = [m for m in top if m["bangla"] not in english_of]
    return {"gold_pairs": len(gold), "merged": hits, "merged_rate": round(hits / len(gold), 4),
            "transliteration_merges": len(sound), "wrong_in_top50": len(wrong),
            "wrong": [(m["bangla"], m["english"], m["confidence"]) for m in wrong],
            "outside_gold_in_top50": [(m["bangla"], m["english"], m["confidence"]) for m in outside],
            "lowest_top50_confidence": top[-1]["confidence"] if top else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "examples" / "corpus")
    parser.add_argument("--gold", type=Path, default=ROOT / "examples" / "alignment_gold.tsv")
    args = parser.parse_args()
    with args.gold.open(encoding="utf-8") as handle:
        gold = list(csv.DictReader(handle, delimiter="\t"))
    started = time.perf_counter()
    documents = pa.concat_tables(list(run_ingest([str(args.corpus)])))
    with tempfile.TemporaryDirectory() as tmp:
        relations_only = Path(tmp) / "relations_only.tsv"
        lexicon = Lexicon.load()
        relations_only.write_text("".join(f"{bn}\t{en}\tRELATION\n" for bn, en in lexicon.relation_words.items()),
                                  encoding="utf-8")
        for setting, path in (("bundled_lexicon", None), ("no_names_in_lexicon", str(relations_only))):
            extracted = run_extract(documents, config=ExtractConfig(lexicon_path=path))
            result = run_link(extracted.mentions, extracted.relations, lexicon_path=path)
            print(json.dumps({"bench": "crosslingual", "setting": setting, "routes": extracted.routes,
                              **score(result, gold), "seconds": round(time.perf_counter() - started, 1)},
                             ensure_ascii=False))


if __name__ == "__main__":
    main()
