"""Incremental builds, quarantine and crash recovery, through the real build-kg flow.

One workspace evolves through the tests of this module in order: first
build, unchanged re-run, one new document, one source deleted, bad sources.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

import psutil

from flows.build_kg import build_kg, run_build
from kg_store.api import open_store
from pipeline.config import PipelineConfig
from pipeline.errors import RemovalRefusedError
from pipeline.workspace import Workspace
from tests.conftest import EXAMPLE_CORPUS, ROOT, store_quads

pytestmark = pytest.mark.slow

SMALL = PipelineConfig.model_validate({"filter": {"method": "none"}, "embed": {"epochs": 2, "dim": 4}})
NEW_DOCUMENT = {"id": "en-new", "text": "Lalon Shah was born in Kushtia. Lalon Shah wrote many songs."}


def _head(name: str, lines: int) -> str:
    return "".join((EXAMPLE_CORPUS / name).read_text(encoding="utf-8").splitlines(keepends=True)[:lines])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    (folder / "english.jsonl").write_text(_head("english.jsonl", 2), encoding="utf-8")
    (folder / "bangla.jsonl").write_text(_head("bangla.jsonl", 2), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return tmp_path_factory.mktemp("ws")


def _documents_in_store(workspace) -> set[str]:
    with open_store(workspace=workspace, read_only=True) as store:
        return store.document_ids()


def _labels(workspace) -> set[str]:
    with open_store(workspace=workspace, read_only=True) as store:
        rows = store.query("SELECT ?l WHERE { ?e <http://www.w3.org/2000/01/rdf-schema#label> ?l }", limit=100_000)
        return {str(row["l"]) for row in rows.records()}


def test_first_build_then_an_unchanged_rerun_is_skipped(corpus, workspace, prefect_harness) -> None:
    first = run_build([str(corpus)], workspace=str(workspace), config=SMALL)
    assert first.documents == 4 and first.extracted == 4 and not first.up_to_date
    quads = first.store.quads

    second = run_build([str(corpus)], workspace=str(workspace), config=SMALL)
    assert second.up_to_date is True
    assert second.store.quads == quads

    changed_config = SMALL.model_copy(update={"embed": SMALL.embed.model_copy(update={"epochs": 3})})
    third = run_build([str(corpus)], workspace=str(workspace), config=changed_config)
    assert not third.up_to_date
    assert third.extracted == 0, "an embed setting does not invalidate extraction"
    assert third.store.quads_added == 0


def test_one_new_document_is_extracted_alone_and_upserted(corpus, workspace, prefect_harness) -> None:
    with (corpus / "english.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(NEW_DOCUMENT) + "\n")
    summary = run_build([str(corpus)], workspace=str(workspace), config=SMALL)
    assert summary.documents == 5 and summary.extracted == 1
    assert {"Lalon Shah", "Kushtia"} <= _labels(workspace)
    assert len(_documents_in_store(workspace)) == 5


def test_issue17_a_missing_input_fails_the_flow_and_keeps_the_graph(corpus, workspace, prefect_harness) -> None:
    """A typo (or a lost mount) in a deployment's inputs: the flow run is Failed, not Completed, and the
    store keeps every document."""
    before = _documents_in_store(workspace)
    state = build_kg(inputs=[str(corpus) + "-typo"], workspace=str(workspace), config=SMALL, return_state=True)
    assert state.is_failed()
    assert "[KG011]" in str(state.result(raise_on_failure=False))
    assert _documents_in_store(workspace) == before and len(before) == 5


def test_deleted_documents_leave_the_store(corpus, workspace, prefect_harness) -> None:
    documents = Workspace(workspace).read("documents").to_pylist()
    bangla_ids = {row["doc_id"] for row in documents if row["lang"] == "bn"}
    assert len(bangla_ids) == 2
    (corpus / "bangla.jsonl").unlink()
    # Issue 17: 2 of 5 documents (40 %) is more than max_removal_share (20 %): refused, store untouched.
    with pytest.raises(RemovalRefusedError, match="remove 2 of the graph's 5 documents"):
        run_build([str(corpus)], workspace=str(workspace), config=SMALL)
    assert len(_documents_in_store(workspace)) == 5
    summary = run_build([str(corpus)], workspace=str(workspace), config=SMALL, allow_removals=True)
    assert summary.documents == 3 and summary.extracted == 0
    assert summary.store.documents_removed == 2
    stored = _documents_in_store(workspace)
    assert len(stored) == 3 and not stored & bangla_ids
    assert "রবীন্দ্রনাথ ঠাকুর" not in _labels(workspace)


def test_bad_sources_are_quarantined_and_the_run_completes(corpus, workspace, prefect_harness) -> None:
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (corpus / "broken.jsonl").write_text('{"id": "ok", "text": "Dhaka is the capital of Bangladesh."}\n{"id": \n',
                                         encoding="utf-8")
    (corpus / "empty.md").write_text("   \n", encoding="utf-8")
    summary = run_build([str(corpus)], workspace=str(workspace), config=SMALL)
    assert summary.documents == 4 and summary.quarantined == 3
    reasons = {row["source"]: row["reason"] for row in Workspace(workspace).read("quarantine").to_pylist()}
    assert any("binary.txt" in source for source in reasons)
    assert any("broken.jsonl:2" in source for source in reasons), reasons
    assert any("empty.md" in source for source in reasons)
    assert len(_documents_in_store(workspace)) == 4
    assert "Quarantined sources" in (workspace / "report.html").read_text(encoding="utf-8")


def test_issue17_a_source_that_fails_to_read_keeps_its_documents(corpus, workspace, prefect_harness) -> None:
    """A truncated (0-byte) file is quarantined and its documents stay: only a source that was read and no
    longer holds a document removes it."""
    before = _documents_in_store(workspace)
    (corpus / "english.jsonl").write_bytes(b"")
    summary = run_build([str(corpus)], workspace=str(workspace), config=SMALL)
    reasons = {row["source"]: row["reason"] for row in Workspace(workspace).read("quarantine").to_pylist()}
    assert reasons[str(corpus / "english.jsonl")] == "empty file (0 bytes)"
    assert summary.store.documents_removed == 0
    assert _documents_in_store(workspace) == before
    (corpus / "english.jsonl").write_text(_head("english.jsonl", 2) + json.dumps(NEW_DOCUMENT) + "\n",
                                          encoding="utf-8")  # as before, for the next test


def test_kill_9_midway_then_rerun_equals_a_clean_build(corpus, tmp_path, prefect_harness) -> None:
    """Kill the build hard while it loads the store, re-run it, compare with a clean build.

    Issue 17: only the kg process is killed, not its group, and Prefect's temporary server must not
    outlive it.
    """
    config = tmp_path / "kg.toml"
    config.write_text("[filter]\nmethod = 'none'\n[embed]\nepochs = 2\ndim = 4\n")
    clean, crashed = tmp_path / "clean", tmp_path / "crashed"
    command = [sys.executable, "-m", "pipeline.cli", "build", str(corpus), "--config", str(config), "--workspace"]
    subprocess.run([*command, str(clean)], cwd=ROOT, check=True, capture_output=True)

    # Without the harness's PREFECT_API_URL, so this build starts its own temporary server.
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    process = subprocess.Popen([*command, str(crashed)], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 240
    while not (crashed / "store").exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    children = psutil.Process(process.pid).children(recursive=True)
    servers = [c for c in children if "prefect.server.api.server:create_app" in " ".join(c.cmdline())]
    assert len(servers) == 1, [c.cmdline() for c in children]
    process.kill()  # SIGKILL to kg alone: no atexit hook, no signal to the group
    process.wait()
    assert not (crashed / "run.json").exists(), "the build finished before it could be killed"
    gone, alive = psutil.wait_procs(children, timeout=20)
    assert not alive, f"outlived kg: {[c.cmdline() for c in alive]}"

    rerun = subprocess.run([*command, str(crashed)], cwd=ROOT, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert store_quads(crashed) == store_quads(clean)
