"""Shared fixtures: tiny real corpora and the bundled example corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_CORPUS = ROOT / "examples" / "corpus"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def write_jsonl(tmp_path):
    def write(name: str, rows: list[dict]) -> Path:
        path = tmp_path / name
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server for the whole session (starting one takes seconds)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def store_quads(workspace) -> set[str]:
    """Every quad of a workspace's store as text: two builds are equal when these sets are."""
    from kg_store.api import open_store

    with open_store(workspace=workspace, read_only=True) as store:
        rows = store.query("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }", limit=10_000_000)
        return {" ".join(str(v) for v in row.values()) for row in rows.records()}
