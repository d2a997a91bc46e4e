"""A load killed with SIGKILL half way, then re-run, ends with the store a clean run gives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from bench.store_synthetic import synthetic_tables
from kg_store.api import open_store, store_workspace
from pipeline.schema import DOCUMENTS, ENTITIES, SCORED_EDGES
from pipeline.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]

# The child runs the real run_store; it only watches the N-Quads stream go by
# and says when half of it has been handed to the store, then keeps loading.
CHILD = """
import sys, time
import kg_store.api, kg_store.quads
from pipeline.workspace import Workspace
kg_store.quads.BATCH_ROWS = 500  # many small chunks, so "half way" is well defined
make = kg_store.api.tables_to_nquads
def watched(*args, **kwargs):
    chunks = list(make(*args, **kwargs))
    for i, chunk in enumerate(chunks):
        if i == len(chunks) // 2:
            print("half", flush=True)
            time.sleep(0.5)  # the parent kills us while bulk_load is mid-stream
        yield chunk
kg_store.api.tables_to_nquads = watched
kg_store.api.store_workspace(Workspace(sys.argv[1]))
print("finished", flush=True)
"""


def _workspace(path: Path, seed: int, quads: int) -> Workspace:
    ws = Workspace(path)
    for name, table, schema in zip(("entities", "scored_edges", "documents"), synthetic_tables(quads, seed),
                                   (ENTITIES, SCORED_EDGES, DOCUMENTS)):
        ws.write(name, table, schema)
    return ws


def _count(ws: Workspace) -> int:
    with open_store(ws, read_only=True) as store:
        return store.count_quads()


def test_kill_9_mid_load_then_rerun_equals_a_clean_run(tmp_path) -> None:
    clean = _workspace(tmp_path / "clean", seed=0, quads=45_000)
    expected = store_workspace(clean).quads

    crashed = _workspace(tmp_path / "crashed", seed=1, quads=20_000)  # an older build with other documents
    store_workspace(crashed)
    _workspace(tmp_path / "crashed", seed=0, quads=45_000)  # the new tables, as in `clean`
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(crashed.root)], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "half", child.stderr.read()
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    assert _count(crashed) != expected  # the kill left a partial store behind

    again = store_workspace(crashed)  # the lock died with the process: the store opens
    assert again.quads == expected == _count(crashed)
    assert store_workspace(crashed).quads_added == 0
