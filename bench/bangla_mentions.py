"""Would a user accept the Bangla entities? Numbers/dates, case endings, direction words, English labels.

    .venv/bin/python bench/bangla_mentions.py [--data ../shared/data/bnwiki_paragraphs.jsonl] [--with-examples]

Runs ingest, extract and link (no filter, no embeddings) and counts, over the
Bangla entities (lang bn):

* ``values``: entities typed DATE or QUANTITY, or whose label is digits;
* ``case_endings``: labels whose last word is another attested word of the
  corpus plus a case ending ("আমেরিকার" when "আমেরিকা" occurs on its own);
* ``direction_places``: labels made of direction words only ("দক্ষিণ-পূর্ব");
* ``english_label``: entities with an English label (label_en).

Prints one JSON line, with examples of each and the transliteration merges.
"""

from __future__ import annotations

import argparse
import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pyarrow as pa

from pipeline.extract.api import run_extract
from pipeline.ingest.api import run_ingest
from pipeline.lexicon import BANGLA_SUFFIXES
from pipeline.link.api import run_link

ROOT = Path(__file__).resolve().parent.parent
DIRECTIONS = {"উত্তর", "দক্ষিণ", "পূর্ব", "পশ্চিম", "উত্তর-পূর্ব", "উত্তর-পশ্চিম", "দক্ষিণ-পূর্ব", "দক্ষিণ-পশ্চিম"}
_DIGITS = re.compile(r"^[\d০-৯.,:/–-]+$")


def _words(texts) -> Counter:
    return Counter(w.strip("।,;:()'\"‘’“”") for t in texts for w in unicodedata.normalize("NFC", t).split())


def _inflected(label: str, words: Counter) -> bool:
    last = label.split()[-1] if label.split() else ""
    return any(last.endswith(s) and len(last) - len(s) >= 2 and words[last[: -len(s)]] > 0 for s in BANGLA_SUFFIXES)


def _direction_only(label: str) -> bool:
    parts = [p for w in label.split() for p in w.split("-")]
    return bool(parts) and all(any(p == d or (p.startswith(d) and len(p) - len(d) <= 2) for d in DIRECTIONS
                                   if "-" not in d) for p in parts)


def measure(inputs: list[Path]) -> dict:
    documents = pa.concat_tables(list(run_ingest(inputs)))
    words = _words(documents.column("text").to_pylist())
    extracted = run_extract(documents)
    linked = run_link(extracted.mentions, extracted.relations)
    bn = [e for e in linked.entities.to_pylist() if e["lang"] == "bn"]
    values = [e["label"] for e in bn if e["type"] in ("DATE", "QUANTITY") or _DIGITS.match(e["label"])]
    inflected = [e["label"] for e in bn if _inflected(e["label"], words) and e["label"] not in values]
    directions = [e["label"] for e in bn if _direction_only(e["label"])]
    english = [(e["label"], e["label_en"]) for e in bn if e["label_en"]]
    return {
        "documents": documents.num_rows, "bn_entities": len(bn),
        "values": len(values), "value_share": round(len(values) / max(1, len(bn)), 3),
        "case_endings": len(inflected), "direction_places": len(directions), "english_label": len(english),
        "examples": {"values": values[:8], "case_endings": inflected[:12], "directions": directions[:8],
                     "english": english[:12]},
        "transliteration_merges": [(m["bangla"], m["english"], m["confidence"]) for m in linked.merges
                                   if m["method"] == "transliteration"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "bnwiki_paragraphs.jsonl")
    parser.add_argument("--with-examples", action="store_true", help="add examples/corpus (English names to merge with)")
    args = parser.parse_args()
    inputs = [args.data] + ([ROOT / "examples" / "corpus"] if args.with_examples else [])
    print(json.dumps(measure(inputs), ensure_ascii=False))


if __name__ == "__main__":
    main()
