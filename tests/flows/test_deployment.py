"""`prefect deployment run build-kg/daily`, the way operators run it.

A real Prefect server on 127.0.0.1, `prefect deploy --all` from the project
root (prefect.yaml), a real process worker, and a run of the deployment
with parameters. The run must reach COMPLETED and leave a queryable store.
The worker is stopped before the server (a server that disappears first
leaves the worker retrying).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from kg_store.api import query
from tests.conftest import EXAMPLE_CORPUS, ROOT

pytestmark = pytest.mark.slow

PREFECT = str(Path(sys.executable).with_name("prefect"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(process: subprocess.Popen, grace_s: float) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _prefect(*args: str, env: dict, timeout: float = 120) -> str:
    result = subprocess.run([PREFECT, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"prefect {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_prefect_yaml_declares_a_daily_process_deployment() -> None:
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    (deployment,) = [d for d in spec["deployments"] if d["name"] == "daily"]
    assert deployment["entrypoint"] == "flows/build_kg.py:build_kg"
    assert deployment["work_pool"]["name"] == "kg-pool"
    assert deployment["schedules"][0]["cron"] == "0 2 * * *"
    assert set(deployment["parameters"]) == {"inputs", "workspace", "config"}


@pytest.fixture
def prefect_server(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    server = subprocess.Popen([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)], cwd=tmp_path,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, "prefect server exited"
            assert time.monotonic() < deadline, "prefect server did not answer /api/health in 120 s"
            time.sleep(0.5)
        yield env
    finally:
        _stop(server, grace_s=20)


def test_deployment_run_by_a_worker_completes_and_fills_the_store(prefect_server, tmp_path) -> None:
    env = prefect_server
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("english.jsonl", "bangla.jsonl"):  # Tagore and Nazrul, in both languages
        lines = (EXAMPLE_CORPUS / name).read_text(encoding="utf-8").splitlines(keepends=True)[:2]
        (corpus / name).write_text("".join(lines), encoding="utf-8")
    workspace = tmp_path / "workspace"

    _prefect("work-pool", "create", "kg-pool", "--type", "process", env=env)
    _prefect("--no-prompt", "deploy", "--all", env=env)
    worker = subprocess.Popen([PREFECT, "worker", "start", "--pool", "kg-pool", "--type", "process"], cwd=tmp_path,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        params = {"inputs": [str(corpus)], "workspace": str(workspace),
                  "config": {"embed": {"epochs": 2, "dim": 4}, "filter": {"method": "none"}}}
        output = _prefect("deployment", "run", "build-kg/daily", "--params", json.dumps(params), env=env)
        run_id = re.search(r"UUID: ([0-9a-f-]{36})", output).group(1)
        api = env["PREFECT_API_URL"]
        deadline, state = time.monotonic() + 300, None
        while time.monotonic() < deadline:
            state = httpx.get(f"{api}/flow_runs/{run_id}", timeout=10).json()["state"]
            if state["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
                break
            assert worker.poll() is None, f"worker exited:\n{worker.stdout.read()}"
            time.sleep(1)
    finally:
        _stop(worker, grace_s=40)  # the worker goes first
    assert state and state["type"] == "COMPLETED", f"flow run ended {state}:\n{worker.stdout.read()}"

    rows = query(
        """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
           SELECT ?place WHERE { ?p rdfs:label "Rabindranath Tagore"@en , "রবীন্দ্রনাথ ঠাকুর"@bn ; ?relation ?c .
                                 ?c rdfs:label ?place FILTER(lang(?place) = "en")
                                 FILTER(STRSTARTS(STR(?relation), "https://kg-pipeline.example.org/relation/")) }""",
        workspace=workspace,
    ).records()
    assert "Kolkata" in {str(row["place"]) for row in rows}
    assert json.loads((workspace / "run.json").read_text())["documents"] == 4
