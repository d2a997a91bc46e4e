"""Read the DKPLM exports the way EasyNLP's DKPLM code does, and check that the ids agree.

EasyNLP loads ``entity_emb.txt`` / ``rel_emb.txt`` as one comma-separated
vector per line, the line number being the id, and takes entity ids for
the ``[ENT] ... [ENT]`` spans of its corpus. This script only uses the
standard library and numpy, like a consumer would::

    python tests/export/easynlp_reader.py WORKSPACE/exports

It prints one JSON line of counts and exits 1, listing the problems, when
an id points past the embedding files or disagrees with entity2id.txt.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np

MARK = "[ENT]"


def read_vectors(path: Path) -> np.ndarray:
    rows = [[float(x) for x in line.split(",")] for line in path.read_text(encoding="utf-8").splitlines()]
    if len({len(r) for r in rows}) > 1:
        raise ValueError(f"{path}: lines have different lengths")
    return np.array(rows, dtype=np.float32)


def read_id_map(path: Path) -> list[str]:
    """OpenKE id map: a count line, then name<TAB>id lines (TSV-quoted names)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    names = [""] * int(rows[0][0])
    for name, index in rows[1:]:
        names[int(index)] = name
    return names


def marked_spans(text: str) -> list[str]:
    """Surfaces between pairs of [ENT] markers, in order."""
    pieces = text.split(MARK)
    if len(pieces) % 2 == 0:
        raise ValueError("odd number of [ENT] markers")
    return [pieces[i].strip() for i in range(1, len(pieces), 2)]


def check(exports: Path) -> tuple[dict, list[str]]:
    entity_emb, rel_emb = read_vectors(exports / "entity_emb.txt"), read_vectors(exports / "rel_emb.txt")
    entities, relations = read_id_map(exports / "entity2id.txt"), read_id_map(exports / "relation2id.txt")
    problems = []
    if len(entity_emb) != len(entities):
        problems.append(f"entity_emb.txt has {len(entity_emb)} lines, entity2id.txt {len(entities)} ids")
    if len(rel_emb) != len(relations):
        problems.append(f"rel_emb.txt has {len(rel_emb)} lines, relation2id.txt {len(relations)} ids")
    spans = 0
    with (exports / "dkplm_corpus.jsonl").open(encoding="utf-8") as handle:
        for n, line in enumerate(handle, 1):
            record = json.loads(line)
            surfaces = marked_spans(record["text"])
            if len(surfaces) != len(record["entities"]):
                problems.append(f"corpus line {n}: {len(surfaces)} marked spans, {len(record['entities'])} ids")
            for item in record["entities"]:
                if not 0 <= item["id"] < len(entity_emb):
                    problems.append(f"corpus line {n}: id {item['id']} has no row in entity_emb.txt")
                elif entities[item["id"]] != item["entity_id"]:
                    problems.append(f"corpus line {n}: id {item['id']} is {entities[item['id']]!r} in entity2id.txt")
            spans += len(surfaces)
    with (exports / "dkplm_long_tail.tsv").open(encoding="utf-8", newline="") as handle:
        long_tail = list(csv.DictReader(handle, delimiter="\t"))
    for row in long_tail:
        if entities[int(row["id"])] != row["entity_id"]:
            problems.append(f"long-tail entity {row['entity_id']} has id {row['id']} in entity2id.txt")
    with (exports / "dkplm_triples.tsv").open(encoding="utf-8", newline="") as handle:
        triples = list(csv.DictReader(handle, delimiter="\t"))
    chosen = {int(r["id"]) for r in long_tail}
    for t in triples:
        h, r, tail, e = int(t["head"]), int(t["relation"]), int(t["tail"]), int(t["entity"])
        if not (h < len(entity_emb) and tail < len(entity_emb) and r < len(rel_emb)):
            problems.append(f"pseudo-token triple {h} {r} {tail} points past the embedding files")
        if e not in chosen or e != (h if t["role"] == "head" else tail):
            problems.append(f"pseudo-token triple {h} {r} {tail} does not belong to entity {e}")
    counts = {"entities": len(entity_emb), "relations": len(rel_emb), "marked_spans": spans,
              "long_tail": len(long_tail), "pseudo_token_triples": len(triples)}
    return counts, problems


def main(argv: list[str] | None = None) -> int:
    exports = Path((argv or sys.argv[1:])[0])
    counts, problems = check(exports)
    print(json.dumps({**counts, "problems": problems}, ensure_ascii=False))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
