"""The task runner is a config choice: Dask processes extract exactly what threads do."""

from __future__ import annotations

import pytest

from flows.build_kg import run_build
from pipeline.config import PipelineConfig
from pipeline.errors import ConfigError
from pipeline.workspace import Workspace
from tests.conftest import EXAMPLE_CORPUS

pytestmark = pytest.mark.slow

SMALL = {"extract": {"batch_size": 1}, "embed": {"epochs": 2, "dim": 4}, "filter": {"method": "none"}}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    for name in ("english.jsonl", "bangla.jsonl"):
        lines = (EXAMPLE_CORPUS / name).read_text(encoding="utf-8").splitlines(keepends=True)[:2]
        (folder / name).write_text("".join(lines), encoding="utf-8")
    return folder


def _extracted(corpus, workspace, runner: dict) -> tuple[list, list, dict]:
    config = PipelineConfig.model_validate({**SMALL, "orchestration": runner})
    summary = run_build([str(corpus)], workspace=str(workspace), config=config)
    ws = Workspace(workspace)
    return ws.read("mentions").to_pylist(), ws.read("relations").to_pylist(), summary.routes


def test_dask_local_cluster_extracts_what_threads_extract(corpus, tmp_path, prefect_harness) -> None:
    threads = _extracted(corpus, tmp_path / "threads", {"task_runner": "threads"})
    dask = _extracted(corpus, tmp_path / "dask", {"task_runner": "dask", "max_workers": 2})
    assert threads[2] == {"en:learned": 2, "bn:learned": 2}
    assert threads[0] and threads[1]
    assert dask == threads


def test_unknown_task_runner_is_a_config_error(tmp_path) -> None:
    path = tmp_path / "kg.toml"  # issue 17: rejected when the config is read, before anything runs
    path.write_text('[orchestration]\ntask_runner = "ray-on-mars"\n')
    with pytest.raises(ConfigError, match="ray-on-mars"):
        PipelineConfig.from_file(path)
