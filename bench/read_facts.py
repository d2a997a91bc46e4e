"""Kept facts of a built workspace, for reading by hand: a seeded random sample with the sentence of each.

    .venv/bin/python bench/read_facts.py WORKSPACE [--n 30] [--seed 7] [--lang bn] [--dropped]

Prints one JSON line of counts (kept facts, share typed, i.e. not ``related_to``,
distinct predicates per 1,000 facts), then one numbered line per sampled fact:
subject | predicate | object | confidence | filter score, and its evidence sentence.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--lang", help="only facts from documents of this language")
    parser.add_argument("--dropped", action="store_true", help="sample facts the filter dropped instead")
    args = parser.parse_args()

    from pipeline.workspace import Workspace

    ws = Workspace(args.workspace)
    docs = {d["doc_id"]: d for d in ws.read("documents").to_pylist()}
    names = {e["entity_id"]: e["label"] for e in ws.read("entities").to_pylist()}
    edges = [e for e in ws.read("scored_edges").to_pylist() if e["kept"] != args.dropped
             and (args.lang is None or docs[e["doc_id"]]["lang"] == args.lang)]
    facts = {(e["subject_id"], e["predicate"], e["object_id"]): e for e in edges}
    typed = sum(p != "related_to" for _, p, _ in facts)
    predicates = {p for _, p, _ in facts}
    print(json.dumps({"workspace": str(args.workspace), "lang": args.lang, "kept": not args.dropped,
                      "evidence_rows": len(edges), "facts": len(facts), "typed_share": round(typed / max(len(facts), 1), 3),
                      "distinct_predicates": len(predicates),
                      "predicates_per_1000_facts": round(1000 * len(predicates) / max(len(facts), 1), 1)},
                     ensure_ascii=False))
    sample = random.Random(args.seed).sample(sorted(facts), min(args.n, len(facts)))
    for n, key in enumerate(sample, start=1):
        e = facts[key]
        sentence = " ".join(docs[e["doc_id"]]["text"][e["start"]:e["end"]].split())
        print(f"{n}. {names.get(e['subject_id'], e['subject_id'])} | {e['predicate']} | "
              f"{names.get(e['object_id'], e['object_id'])} | conf {e['confidence']:.2f} | score "
              f"{e['filter_score']:.2f}\n   \"{sentence}\"")


if __name__ == "__main__":
    main()
