"""Do two `kg build` workspaces hold the same graph? Compares tables, store quads and export files.

Tables are compared as multisets of rows (row order is not part of the
contract); the embedded stores as sets of quads; export files byte for
byte (``datacard.json`` and ``README.md`` name software versions and are
compared without their ``software`` section). Prints one line per
difference, then one JSON line; exits 1 when tables or quads differ.

Usage: python bench/compare_workspaces.py WORKSPACE_A WORKSPACE_B
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import pyarrow.parquet as pq

# Work files of a run, not its results: the pending queue differs between a first and a later build.
_SKIP_TABLES = {"pending_documents"}


def _rows(path: Path) -> list[str]:
    """Every row as canonical JSON, sorted, so that two tables with the same rows compare equal."""
    return sorted(json.dumps(row, sort_keys=True, default=str) for row in pq.read_table(path).to_pylist())


def compare_tables(a: Path, b: Path) -> dict[str, str]:
    """``{table: "same" | why it differs}`` over the tables of either workspace."""
    names = {p.stem for p in (a / "tables").glob("*.parquet")} | {p.stem for p in (b / "tables").glob("*.parquet")}
    verdicts = {}
    for name in sorted(names - _SKIP_TABLES):
        pa_, pb = a / "tables" / f"{name}.parquet", b / "tables" / f"{name}.parquet"
        if not (pa_.exists() and pb.exists()):
            verdicts[name] = f"only in {a if pa_.exists() else b}"
            continue
        if pq.read_schema(pa_) != pq.read_schema(pb):
            verdicts[name] = "schemas differ"
            continue
        ra, rb = _rows(pa_), _rows(pb)
        if ra == rb:
            verdicts[name] = "same"
        else:
            only_a, only_b = len(set(ra) - set(rb)), len(set(rb) - set(ra))
            verdicts[name] = f"{len(ra)} vs {len(rb)} rows; {only_a} only in A, {only_b} only in B"
    return verdicts


def _quads(workspace: Path) -> set[str]:
    import pyoxigraph as ox

    store_dir = workspace / "store"
    if not (store_dir / "CURRENT").exists():
        return set()
    store = ox.Store.read_only(str(store_dir))
    return {str(q) for q in store.quads_for_pattern(None, None, None, None)}


def compare_quads(a: Path, b: Path) -> str:
    qa, qb = _quads(a), _quads(b)
    if qa == qb:
        return f"same ({len(qa)} quads)"
    return f"{len(qa)} vs {len(qb)} quads; {len(qa - qb)} only in A, {len(qb - qa)} only in B"


def _digest(path: Path) -> str:
    if path.name == "datacard.json":  # software versions and paths say where it ran, not what it holds
        card = json.loads(path.read_text(encoding="utf-8"))
        card.pop("software", None)
        return hashlib.sha256(json.dumps(card, sort_keys=True).encode()).hexdigest()
    if path.name == "README.md":
        return "skipped"
    return hashlib.sha256(path.read_bytes()).hexdigest()


def compare_exports(a: Path, b: Path) -> dict[str, str]:
    names = {p.name for p in (a / "exports").glob("*")} | {p.name for p in (b / "exports").glob("*")}
    verdicts = {}
    for name in sorted(names):
        fa, fb = a / "exports" / name, b / "exports" / name
        if not (fa.exists() and fb.exists()):
            verdicts[name] = f"only in {a if fa.exists() else b}"
        else:
            verdicts[name] = "same" if _digest(fa) == _digest(fb) else "differs"
    return verdicts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    args = parser.parse_args(argv)
    tables, quads, exports = compare_tables(args.a, args.b), compare_quads(args.a, args.b), compare_exports(args.a, args.b)
    for kind, verdicts in (("table", tables), ("export", exports)):
        for name, verdict in verdicts.items():
            if verdict != "same":
                print(f"{kind} {name}: {verdict}")
    print(f"store: {quads}")
    same = all(v == "same" for v in tables.values()) and quads.startswith("same")
    print(json.dumps({"identical": same, "tables_same": sum(v == "same" for v in tables.values()),
                      "tables": len(tables), "quads": quads,
                      "exports_same": sum(v == "same" for v in exports.values()), "exports": len(exports)}))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
