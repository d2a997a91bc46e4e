"""Our Bangla graph of the BanglaAutoKG Wiki-text case study next to the 18 triples that paper reports.

    .venv/bin/python bench/bangla_case_study.py [--data ../shared/data/bangla_case_studies]

Runs ingest, extract and link (the candidate graph, before the edge filter) on
Wiki-text.md. A paper triple counts as found when our graph links the same two
entities (either direction); "with_pattern" when that edge is a typed relation,
not co-occurrence. Entity names match when equal after case endings are cut, or
when one contains the other and neither has an exact counterpart. The paper's graph is its output, not gold. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pyarrow as pa

from pipeline.extract.api import run_extract
from pipeline.ingest.api import run_ingest
from pipeline.lexicon import strip_bangla_suffix
from pipeline.link.api import run_link

ROOT = Path(__file__).resolve().parent.parent


def _norm(text: str) -> str:
    return " ".join(strip_bangla_suffix(w)[0] for w in text.replace("-", "–").split())


def matcher(our_labels: set[str]):
    """paper name -> our label test: exact after case endings; containment only for names we lack exactly
    ("মোহামেডান" ~ "কলকাতা মোহামেডান"), so "বাংলাদেশ" never stands in for "বাংলাদেশ ফুটবল ফেডারেশন"."""
    ours = {_norm(label) for label in our_labels}

    def same(paper_name: str, label: str) -> bool:
        a, b = _norm(paper_name), _norm(label)
        if a == b:
            return True
        return a not in ours and b not in {_norm(x) for x in PAPER_NAMES} and (a in b or b in a)

    return same


PAPER_NAMES: set[str] = set()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "bangla_case_studies")
    args = parser.parse_args()
    paper = json.loads((args.data / "wiki_kg_from_paper_figure.json").read_text(encoding="utf-8"))["triples"]
    documents = pa.concat_tables(list(run_ingest([str(args.data / "Wiki-text.md")])))
    extracted = run_extract(documents)
    linked = run_link(extracted.mentions, extracted.relations)
    label = {e["entity_id"]: e["label"] for e in linked.entities.to_pylist()}
    PAPER_NAMES.update(name for s, _, o in paper for name in (s, o))
    _same = matcher(set(label.values()))
    ours = [(label[e["subject_id"]], e["predicate"], label[e["object_id"]], e["confidence"])
            for e in linked.edges.to_pylist()]
    found, typed = [], []
    for s, p, o in paper:
        links = [t for t in ours if (_same(s, t[0]) and _same(o, t[2])) or (_same(s, t[2]) and _same(o, t[0]))]
        if links:
            found.append([s, p, o])
            if any(t[1] != "related_to" for t in links):
                typed.append([s, p, o, [t[1] for t in links if t[1] != "related_to"]])
    ours_typed = sorted({(s, p, o, c) for s, p, o, c in ours if p != "related_to"}, key=lambda t: -t[3])
    beyond = [t for t in ours_typed
              if not any((_same(s, t[0]) and _same(o, t[2])) or (_same(s, t[2]) and _same(o, t[0])) for s, _, o in paper)]
    print(json.dumps({"bench": "bangla_case_study", "paper_triples": len(paper), "found": len(found),
                      "found_with_typed_relation": len(typed), "typed": typed,
                      "missed": [t for t in paper if t not in found],
                      "our_entities": len(label), "our_edges": len(ours), "our_typed_edges": ours_typed,
                      "typed_edges_not_in_paper": beyond}, ensure_ascii=False))


if __name__ == "__main__":
    main()
