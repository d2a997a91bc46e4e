"""Issue 17: documents leave the graph only on purpose (real Oxigraph store, real tables)."""

from __future__ import annotations

import pyarrow as pa
import pytest
from prefect.states import Failed

from bench.store_synthetic import synthetic_workspace
from flows.tasks import (
    embed_task,
    export_task,
    featurize_task,
    ingest_task,
    store_task,
)
from pipeline.config import PipelineConfig
from pipeline.errors import EndpointError, RemovalRefusedError
from pipeline.incremental import check_removals, keep_unread
from pipeline.schema import DOCUMENTS, from_rows
from pipeline.workspace import Workspace


@pytest.fixture
def stored(tmp_path) -> Workspace:
    """A workspace whose store holds the synthetic documents of its tables."""
    return synthetic_workspace(tmp_path / "ws", 2_000)[0]


def _keep(ws: Workspace, share: float) -> int:
    """Rewrite the documents table with its first ``share`` of rows, as a new ingest would; returns the removed."""
    documents = ws.read("documents")
    kept = round(documents.num_rows * share)
    ws.write("documents", documents.slice(0, kept), DOCUMENTS)
    return documents.num_rows - kept


def test_issue17_removing_more_than_the_share_is_refused_unless_allowed(stored) -> None:
    total = stored.read("documents").num_rows
    removed = _keep(stored, 0.5)
    with pytest.raises(RemovalRefusedError, match=f"remove {removed} of the graph's {total} documents"):
        check_removals(stored, PipelineConfig())
    assert check_removals(stored, PipelineConfig(), allow=True) == removed
    lenient = PipelineConfig.model_validate({"build": {"max_removal_share": 0.6}})
    assert check_removals(stored, lenient) == removed


def test_issue17_removals_within_the_share_pass(stored) -> None:
    removed = _keep(stored, 0.85)
    assert 0 < removed and check_removals(stored, PipelineConfig()) == removed


def test_issue17_an_unread_source_keeps_its_previous_documents() -> None:
    previous = from_rows([
        {"doc_id": "a1", "source": "/c/a.jsonl:1", "lang": "en", "text": "A."},
        {"doc_id": "a2", "source": "/c/a.jsonl:2", "lang": "en", "text": "B."},
        {"doc_id": "b", "source": "/c/b.txt", "lang": "en", "text": "C."},
        {"doc_id": "c", "source": "/c/c.txt", "lang": "en", "text": "D."},
        {"doc_id": "d", "source": "/c/d.jsonl:3", "lang": "en", "text": "E."},
    ], DOCUMENTS)
    now = from_rows([{"doc_id": "c2", "source": "/c/c.txt", "lang": "en", "text": "D, edited."}], DOCUMENTS)
    # a.jsonl did not read at all, b.txt neither, d.jsonl only its line 3; c.txt was read: its old text goes.
    kept = keep_unread(previous, now, ["/c/a.jsonl", "/c/b.txt", "/c/d.jsonl:3"])
    assert sorted(kept.column("doc_id").to_pylist()) == ["a1", "a2", "b", "c2", "d"]
    assert keep_unread(previous, now, []) == now
    assert keep_unread(None, now, ["/c/a.jsonl"]) == now


def test_issue17_only_a_remote_endpoint_failure_is_retried() -> None:
    """Ingest, featurize, embed and export fail the same way every time: no retries (the old ingest
    retried a bad file three times). The store retries when, and only when, an endpoint did not answer."""
    assert [t.retries for t in (ingest_task, featurize_task, embed_task, export_task)] == [0, 0, 0, 0]
    assert store_task.retries == 3
    condition = store_task.retry_condition_fn
    assert condition(store_task, None, Failed(data=EndpointError("http://sparql:7878/query is unreachable")))
    assert not condition(store_task, None, Failed(data=OSError(28, "No space left on device")))
    assert not condition(store_task, None, Failed(data=pa.ArrowInvalid("bad table")))
