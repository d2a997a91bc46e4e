"""A dead SPARQL endpoint fails the build clearly, before any work."""

from __future__ import annotations

import socket

import pytest

from flows.build_kg import run_build
from pipeline.config import PipelineConfig
from pipeline.errors import EndpointError
from tests.conftest import EXAMPLE_CORPUS

pytestmark = pytest.mark.slow


def _dead_port() -> int:
    with socket.socket() as sock:  # bound, then closed: nothing listens there
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_dead_store_endpoint_names_the_endpoint_before_any_stage_runs(tmp_path, prefect_harness) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "english.jsonl").write_text(
        "".join((EXAMPLE_CORPUS / "english.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)[:1]),
        encoding="utf-8",
    )
    endpoint = f"http://127.0.0.1:{_dead_port()}/query"
    config = PipelineConfig.model_validate({
        "filter": {"method": "none"}, "embed": {"epochs": 1, "dim": 4},
        "store": {"backend": "remote", "query_endpoint": endpoint},
    })
    workspace = tmp_path / "ws"
    with pytest.raises(EndpointError, match=endpoint.removesuffix("/query")):
        run_build([str(corpus)], workspace=str(workspace), config=config)
    # Issue 17: checked up front, not after the whole pipeline ran and three retries.
    assert not (workspace / "tables").exists(), "no stage ran"
