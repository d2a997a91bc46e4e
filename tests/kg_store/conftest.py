"""Tiny real tables (pipeline.schema) and a real Oxigraph server for the kg_store tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pyarrow as pa
import pytest

from pipeline.schema import DOCUMENTS, ENTITIES, SCORED_EDGES, from_rows

BASE = "https://kg-pipeline.example.org/"
OXIGRAPH = Path(sys.executable).parent / "oxigraph"


def entity(entity_id, label, lang, label_en, type_, aliases=(), labels=(), frequency=1):
    return dict(
        entity_id=entity_id,
        label=label,
        lang=lang,
        label_en=label_en,
        type=type_,
        aliases=list(aliases),
        labels=[{"lang": la, "text": t} for la, t in labels],
        frequency=frequency,
    )


def edge(edge_id, s, p, o, doc, kept, confidence=0.9, score=0.8, sentence=0, start=0, end=10, extractor="spacy"):
    return dict(
        edge_id=edge_id,
        subject_id=s,
        predicate=p,
        object_id=o,
        doc_id=doc,
        sentence=sentence,
        start=start,
        end=end,
        extractor=extractor,
        confidence=confidence,
        filter_score=score,
        kept=kept,
    )


def make_tables(edges: list[dict] | None = None) -> tuple[pa.Table, pa.Table, pa.Table]:
    entities = from_rows(
        [
            entity("rahim", "Rahim", "en", "Rahim", "PERSON", frequency=3),
            entity(
                "dhaka",
                "ঢাকা",
                "bn",
                "Dhaka",
                "PLACE",
                aliases=["Dacca", "ঢাকা শহর"],
                labels=[("bn", "ঢাকা"), ("en", "Dhaka")],
                frequency=5,
            ),
            entity("gitanjali", "Gitanjali", "en", None, "WORK"),
            entity("y1971", "1971", "en", None, "DATE"),
        ],
        ENTITIES,
    )
    if edges is None:
        edges = [
            edge("x1", "rahim", "was born in", "dhaka", "d1", True, 0.9, 0.8, 0, 0, 24),
            edge("x2", "rahim", "wrote", "gitanjali", "d1", False, 0.4, 0.1, 1, 25, 50, "llm"),
            edge("x3", "dhaka", "অবস্থিত", "y1971", "d2", True, 0.7, 0.6, 0, 0, 12),
        ]
    scored = from_rows(edges, SCORED_EDGES)
    documents = from_rows(
        [
            dict(doc_id="d1", source="corpus.jsonl:1", lang="en", text="Rahim was born in Dhaka. He wrote Gitanjali."),
            dict(doc_id="d2", source="corpus.jsonl:2", lang="bn", text="ঢাকা অবস্থিত।"),
        ],
        DOCUMENTS,
    )
    return entities, scored, documents


@pytest.fixture
def tables() -> tuple[pa.Table, pa.Table, pa.Table]:
    return make_tables()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen | None = None, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout_s} s")


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory):
    """A real `oxigraph serve` on a free port; yields its base URL."""
    binary = str(OXIGRAPH) if OXIGRAPH.exists() else shutil.which("oxigraph")
    # A project dependency: missing means a broken install, which must fail, not skip.
    assert binary, "the oxigraph server binary (PyPI package `oxigraph`) is not installed"
    location = tmp_path_factory.mktemp("oxigraph-serve")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/query?query=ASK%7B%7D", proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def table_maker():
    """``make_tables(edges=None)``: the tiny tables, optionally with other edges."""
    return make_tables


@pytest.fixture
def edge_row():
    """``edge(edge_id, s, p, o, doc, kept, ...)``: one SCORED_EDGES row."""
    return edge


@pytest.fixture
def port() -> int:
    return free_port()


def replace_documents(store, doc_ids, quads) -> None:
    """Drop the documents' graphs, then load their quads: what run_store does, on the Store protocol alone."""
    from kg_store.iri import document_iri

    store.drop_graphs([document_iri(d, store.vocab) for d in doc_ids])
    store.load_quads(quads)
