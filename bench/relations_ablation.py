"""Which parts of English extraction earn their place: the relation model, its tagger, the rules.

    .venv/bin/python bench/relations_ablation.py [--data DIR] [--only NAME ...]

Runs `kg extract` (the extract_jsonl path) on WebNLG dev and CoNLL04 dev,
each with its own schema, in these configurations, and scores each with
`kg eval extract`:

* ``learned``: the default (relation model; its tagger finds the mentions);
* ``learned+rules``: also the rules' relations for pairs the model left out (``open_predicates``; with a
  schema, mapped onto it or dropped);
* ``learned, spaCy mentions``: the model relates the rule extractor's mentions instead of its own;
* ``learned, window 0`` / ``window 2``: pairs within one sentence only / up to two sentences apart;
* ``rules``: the dependency-path rules alone with schema mapping (the previous extractor).

Prints one JSON line per configuration and dev set.
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

CONLL04_SCHEMA = ["Work_For", "Kill", "OrgBased_In", "Live_In", "Located_In"]


def configurations() -> dict:
    from pipeline.extract.config import RULE_EXTRACTORS, ExtractConfig

    return {
        "learned": ExtractConfig(),
        "learned+rules": ExtractConfig(open_predicates=True),
        "learned, spaCy mentions": ExtractConfig(learned_mentions={"*": "base"}),
        "learned, window 0": ExtractConfig(sentence_window=0),
        "learned, window 2": ExtractConfig(sentence_window=2),
        "rules": ExtractConfig(extractors=RULE_EXTRACTORS),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--only", nargs="*", help="configuration names to run (default: all)")
    args = parser.parse_args()

    from pipeline.evaluate.extraction import evaluate_extraction
    from pipeline.extract.jsonl import extract_jsonl

    with tempfile.TemporaryDirectory() as tmp:
        conll_schema = Path(tmp) / "conll04.txt"
        conll_schema.write_text("\n".join(CONLL04_SCHEMA) + "\n", encoding="utf-8")
        sets = {"webnlg_dev": (args.data / "webnlg_dev.jsonl", args.data / "webnlg_dev_relations.txt"),
                "conll04_dev": (args.data / "train" / "conll04_dev.jsonl", conll_schema)}
        for name, config in configurations().items():
            if args.only and name not in args.only:
                continue
            for set_name, (gold, schema) in sets.items():
                pred = Path(tmp) / "pred.jsonl"
                started = time.perf_counter()
                extract_jsonl(gold, pred, lang="en", schema_path=str(schema), config=config)
                seconds = time.perf_counter() - started
                scores = evaluate_extraction(gold, pred)
                print(json.dumps({"config": name, "dev": set_name, "pair_f1": scores["pair"]["f1"],
                                  "triple_f1": scores["triple"]["f1"], "triple_precision": scores["triple"]["precision"],
                                  "triple_recall": scores["triple"]["recall"], "predicted": scores["pair"]["pred"],
                                  "seconds": round(seconds, 1)}), flush=True)


if __name__ == "__main__":
    main()
