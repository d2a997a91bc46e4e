"""Exact-span Bangla NER scores: the tagger alone, and `kg extract --lang bn` end to end.

    .venv/bin/python bench/bangla_ner.py                     # dev and test parts of each bundled dataset
    .venv/bin/python bench/bangla_ner.py --data other.jsonl  # every line of another gold file
    .venv/bin/python bench/bangla_ner.py --model DIR         # another tagger folder

Gold lines are ``{"text", "entities": [[start, end, label], ...]}``; labels are
mapped onto the product's types (PER/PERSON, ORG, LOC/GPE, TIM/DATE; others
are left out), and a prediction counts only with the exact span and type.
``kg extract`` adds the gazetteer and Bangla mention rules on top of the
tagger and prints offsets into the input; its entities are scored the same way.
Prints one JSON line per (dataset, part).
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

#: kg extract's entity types -> the tagger's labels.
EXTRACT_TYPES = {"PERSON": "PERSON", "ORGANIZATION": "ORG", "PLACE": "GPE", "DATE": "DATE"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, action="append", help="gold JSONL scored whole (repeatable)")
    parser.add_argument("--model", type=Path, help="tagger folder (default: the bundled one)")
    parser.add_argument("--no-extract", action="store_true", help="score the tagger only")
    args = parser.parse_args()

    from pipeline.ner.gold import read_gold, score_spans, split
    from pipeline.ner.tagger import load_tagger
    from pipeline.ner.train import BUNDLED, map_labels

    tagger = load_tagger(args.model)
    sets = ([(p.stem, "all", map_labels(read_gold(p))) for p in args.data] if args.data else
            [(p.stem, part, rows) for p in BUNDLED["bn"]
             for part, rows in zip(("dev", "test"), split(map_labels(read_gold(p)), 42)[1:], strict=True)])
    for name, part, rows in sets:
        texts = [r["text"] for r in rows]
        started = time.perf_counter()
        pred = tagger.predict(texts)
        seconds = time.perf_counter() - started
        gold = [set(r["entities"]) for r in rows]
        line = {"data": name, "part": part, "sentences": len(rows), "tagger": score_spans(gold, [set(p) for p in pred]),
                "tagger_sentences_per_s": round(len(rows) / seconds, 1)}
        if not args.no_extract:
            line["kg_extract"] = score_spans(gold, _extract(texts, args.model))
        print(json.dumps(line))


def _extract(texts: list[str], model: Path | None) -> list[set]:
    from pipeline.extract.config import ExtractConfig
    from pipeline.extract.jsonl import extract_jsonl

    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        src.write_text("".join(json.dumps({"id": str(i), "text": t}, ensure_ascii=False) + "\n"
                               for i, t in enumerate(texts)), encoding="utf-8")
        extract_jsonl(src, out, lang="bn", config=ExtractConfig(bangla_ner_path=str(model) if model else None))
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return [{(s, e, EXTRACT_TYPES[t]) for s, e, t, _ in r["entities"] if t in EXTRACT_TYPES} for r in rows]


if __name__ == "__main__":
    main()
