"""Issue 19: build-kg on a Dask cluster it did not start, with its extraction spread over worker processes.

The cluster is a ``distributed.LocalCluster`` of two worker processes that the flow reaches by
address (``[orchestration] dask_address``), as it would reach a remote scheduler. The workspace is
a folder both workers and the driver see. ``bench/build_scale.py --task-runner dask --workers N``
measures the speed-up.
"""

from __future__ import annotations

import pytest

from flows.build_kg import run_build
from pipeline.config import PipelineConfig
from pipeline.workspace import Workspace
from tests.conftest import EXAMPLE_CORPUS

pytestmark = pytest.mark.slow

SMALL = {"extract": {"batch_size": 1}, "embed": {"epochs": 2, "dim": 4}, "filter": {"method": "none"}}


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        yield cluster, client


def test_build_runs_on_an_existing_cluster_across_worker_processes(cluster, tmp_path, prefect_harness) -> None:
    local_cluster, client = cluster
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("english.jsonl", "bangla.jsonl"):
        lines = (EXAMPLE_CORPUS / name).read_text(encoding="utf-8").splitlines(keepends=True)[:2]
        (corpus / name).write_text("".join(lines), encoding="utf-8")
    config = PipelineConfig.model_validate(
        {**SMALL, "orchestration": {"task_runner": "dask", "dask_address": local_cluster.scheduler_address}})
    from distributed import get_task_stream

    with get_task_stream(client) as stream:  # the scheduler's record: which worker ran each task
        summary = run_build([str(corpus)], workspace=str(tmp_path / "ws"), config=config)
    extract_workers = {t["worker"] for t in stream.data if str(t["key"]).startswith("extract_task")}
    assert len(extract_workers) == 2, stream.data
    assert summary.extracted == 4 and sum(summary.routes.values()) == 4
    ws = Workspace(tmp_path / "ws")
    assert ws.read("mentions").num_rows and ws.read("relations").num_rows
    assert (tmp_path / "ws" / "run.json").exists()
