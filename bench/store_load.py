"""Load throughput of ``kg_store.run_store`` against raw ``pyoxigraph.Store.bulk_load``.

Both load the same generated graph (``bench/store_synthetic.py``, about 1M
quads) into a fresh on-disk store:

* raw: ``Store(dir).bulk_load(path=graph.nq)``, the N-Quads file written
  beforehand from the same tables (not timed), then ``flush``;
* ours: ``store_workspace(workspace)`` from the Parquet tables: reading them,
  turning them into N-Quads, replacing graphs, loading, counting, closing.

The two alternate ``--repeats`` times and each side's fastest run counts
(the least disturbed by other load on the machine). Prints one JSON line::

    {"quads": ..., "raw_s": ..., "ours_s": ..., "raw_qps": ..., "ours_qps": ..., "ratio": raw_s / ours_s,
     "runs": [[raw_s, ours_s], ...]}

``ratio`` is our throughput over raw bulk_load's; 1.0 means no overhead.

Usage: ``python bench/store_load.py [--quads 1000000] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyoxigraph as ox  # noqa: E402

from bench.store_synthetic import synthetic_tables  # noqa: E402
from kg_store.api import store_workspace  # noqa: E402
from kg_store.quads import tables_to_nquads  # noqa: E402
from pipeline.schema import DOCUMENTS, ENTITIES, SCORED_EDGES  # noqa: E402
from pipeline.workspace import Workspace  # noqa: E402


def raw_load(nquads: Path, store_dir: Path) -> tuple[float, int]:
    start = time.perf_counter()
    store = ox.Store(str(store_dir))
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    store.flush()
    seconds = time.perf_counter() - start
    count = len(store)
    del store
    return seconds, count


def our_load(workspace: Workspace) -> tuple[float, int]:
    start = time.perf_counter()
    counts = store_workspace(workspace)
    return time.perf_counter() - start, counts.quads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quads", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kg-store-load-") as tmp:
        root = Path(tmp)
        tables = synthetic_tables(args.quads)
        workspace = Workspace(root / "ws")
        for name, table, schema in zip(("entities", "scored_edges", "documents"), tables,
                                       (ENTITIES, SCORED_EDGES, DOCUMENTS)):
            workspace.write(name, table, schema)
        nquads = root / "graph.nq"
        with nquads.open("wb") as handle:
            for chunk in tables_to_nquads(*tables):
                handle.write(chunk)
        runs = []
        for i in range(args.repeats):
            raw_s, raw_n = raw_load(nquads, root / f"raw{i}")
            shutil.rmtree(workspace.store_dir, ignore_errors=True)
            ours_s, ours_n = our_load(workspace)
            if raw_n != ours_n:
                raise SystemExit(f"raw bulk_load stored {raw_n} quads, run_store {ours_n}: not the same data")
            shutil.rmtree(root / f"raw{i}")
            runs.append([round(raw_s, 3), round(ours_s, 3)])
        raw_best, ours_best = min(r for r, _ in runs), min(o for _, o in runs)
        print(json.dumps({
            "quads": ours_n,
            "raw_s": raw_best,
            "ours_s": ours_best,
            "raw_qps": round(ours_n / raw_best),
            "ours_qps": round(ours_n / ours_best),
            "ratio": round(raw_best / ours_best, 3),
            "runs": runs,
        }))


if __name__ == "__main__":
    main()
