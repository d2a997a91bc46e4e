"""Issue 17: every failure an operator meets is one line on stderr and exit status 1 (-v adds the traceback)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from bench.store_synthetic import synthetic_workspace
from pipeline.workspace import Workspace
from tests.conftest import EXAMPLE_CORPUS, ROOT

SMALL = "[filter]\nmethod = 'none'\n[embed]\nepochs = 2\ndim = 4\n"


def _kg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def _one_line_error(result: subprocess.CompletedProcess, command: str, *needles: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    # Prefect's "Stopping temporary server" (an atexit hook) may come after it.
    [line] = [line for line in result.stderr.splitlines() if line.startswith(f"kg {command}: ")]
    for needle in needles:
        assert needle in line, line


def _dead_endpoint() -> str:
    with socket.socket() as sock:  # bound, then closed: nothing listens there
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/query"


def test_issue17_extract_missing_input_is_one_line(tmp_path) -> None:
    result = _kg("extract", "--input", str(tmp_path / "nope.jsonl"), "--output", str(tmp_path / "out.jsonl"))
    _one_line_error(result, "extract", "No such file or directory", "nope.jsonl")
    assert result.stderr.count("\n") == 1


def test_issue17_verbose_adds_the_traceback(tmp_path) -> None:
    result = _kg("-v", "extract", "--input", str(tmp_path / "nope.jsonl"), "--output", str(tmp_path / "out.jsonl"))
    assert result.returncode == 1
    assert "Traceback" in result.stderr and result.stderr.strip().splitlines()[-1].startswith("kg extract: ")


def test_issue17_query_into_a_closed_pipe_exits_quietly(tmp_path) -> None:
    ws, _, _ = synthetic_workspace(tmp_path / "ws", 20_000)
    # `kg query ... | head -1`: far more than a pipe buffer of output, and the reader leaves after one line.
    command = (f"{sys.executable} -m pipeline.cli query 'SELECT * {{ ?s ?p ?o }}' --store {ws.store_dir} "
               f"--format csv --limit 20000 | head -1")
    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert len(result.stdout.splitlines()) == 1  # the CSV header
    assert result.stderr == ""
    assert result.returncode == 141  # as a command ended by SIGPIPE


def test_issue17_build_of_a_missing_input_stops_before_any_work(tmp_path) -> None:
    result = _kg("build", str(tmp_path / "webnlgg"), "--workspace", str(tmp_path / "ws"))
    _one_line_error(result, "build", "[KG011]", "webnlgg", "does not exist")
    assert not (tmp_path / "ws").exists(), "nothing was created, let alone removed"


def test_issue17_dead_remote_store_is_found_before_the_pipeline_runs(tmp_path) -> None:
    endpoint = _dead_endpoint()
    config = tmp_path / "kg.toml"
    config.write_text(SMALL + f"[store]\nbackend = 'remote'\nquery_endpoint = '{endpoint}'\n")
    result = _kg("build", str(EXAMPLE_CORPUS / "english.jsonl"), "--config", str(config),
                 "--workspace", str(tmp_path / "ws"))
    _one_line_error(result, "build", "[KG050]", endpoint)
    assert "Starting temporary server" not in result.stderr, "Prefect was not even started"
    assert not (tmp_path / "ws").exists()


def test_issue17_busy_workspace_names_the_holder(tmp_path) -> None:
    ws = Workspace(tmp_path / "ws")
    with ws.lock():  # this test process is the other build
        result = _kg("build", str(EXAMPLE_CORPUS / "english.jsonl"), "--workspace", str(ws.root))
        with ws.lock():
            pass  # the holder itself may take it again (kg build, then the flow inside it)
    _one_line_error(result, "build", "[KG042]", f"in use by another build (pid {os.getpid()})")
    assert not ws.has("documents"), "the second build did no work"


@pytest.mark.slow
def test_issue17_disk_full_during_featurize_is_one_line(tmp_path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lines = (EXAMPLE_CORPUS / "english.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)[:2]
    (corpus / "english.jsonl").write_text("".join(lines), encoding="utf-8")
    config = tmp_path / "kg.toml"
    config.write_text(SMALL)
    ws = Workspace(tmp_path / "ws")
    # Featurize writes node_features through this temporary file; /dev/full answers every write with ENOSPC.
    ws.table_path("node_features").with_suffix(".parquet.tmp").symlink_to("/dev/full")
    result = _kg("build", str(corpus), "--config", str(config), "--workspace", str(ws.root))
    _one_line_error(result, "build", "[KG040]", "node_features", "No space left on device")
    assert ws.has("entities") and not ws.has("node_features") and not (ws.root / "run.json").exists()
