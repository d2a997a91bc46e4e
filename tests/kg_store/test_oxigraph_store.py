"""The embedded Oxigraph backend: set semantics, replacement, limits, timeouts, locks."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, Quad, RdfFormat, parse

from kg_store.base import QueryResult
from kg_store.iri import document_iri
from kg_store.oxigraph import OxigraphStore
from kg_store.quads import document_quads, tables_to_quads, with_evidence
from kg_store.timeouts import QueryTimeoutError
from pipeline.errors import QueryError, StoreError
from tests.kg_store.conftest import replace_documents

FACTS = "SELECT ?s ?p ?o WHERE { ?a kg:kept true ; kg:subject ?s ; kg:predicate ?p ; kg:object ?o . ?s ?p ?o }"


@pytest.fixture
def store(tables):
    with OxigraphStore() as s:
        s.load_quads(tables_to_quads(*tables))
        yield s


def test_loading_twice_adds_nothing(tmp_path, tables) -> None:
    with OxigraphStore(tmp_path / "store") as store:
        store.load_quads(tables_to_quads(*tables))
        once = store.count_quads()
        store.load_quads(tables_to_quads(*tables))
        assert store.count_quads() == once > 0
    with OxigraphStore(tmp_path / "store") as store:  # persisted, and the lock was released
        assert store.count_quads() == once


def test_streamed_bulk_load_is_idempotent_too(tmp_path, tables) -> None:
    with OxigraphStore(tmp_path / "bulk", small_load=5) as store:  # forces the bulk_extend path
        store.load_quads(tables_to_quads(*tables))
        once = store.count_quads()
        store.load_quads(tables_to_quads(*tables))
        assert store.count_quads() == once == len(set(tables_to_quads(*tables)))


def test_queries_see_the_union_of_graphs(store) -> None:
    result = store.query("SELECT ?s ?o WHERE { ?s rel:wasBornIn ?o }")
    assert result.kind == "select" and result.vars == ["s", "o"]
    assert result.values() == [(f"{store.vocab.entity_ns}rahim", f"{store.vocab.entity_ns}dhaka")]
    provenance = store.query(
        "SELECT ?d ?c WHERE { ?a kg:subject entity:rahim ; kg:predicate rel:wasBornIn ; kg:document ?d ; kg:confidence ?c }"
    )
    assert provenance.records() == [{"d": f"{store.vocab.document_ns}d1", "c": 0.9}]


def test_dropped_edges_are_assertions_not_facts(store) -> None:
    assert not store.query("ASK { ?s rel:wrote ?o }").boolean
    dropped = store.query("SELECT ?score WHERE { ?a kg:predicate rel:wrote ; kg:kept false ; kg:filterScore ?score }")
    assert dropped.values() == [(pytest.approx(0.1),)]
    assert len(store.query(FACTS)) == 2


def test_replace_documents_removes_stale_facts(store, table_maker, edge_row) -> None:
    before = store.count_quads()
    _, edges, documents = table_maker()
    replace_documents(store, ["d1", "d2"], document_quads(documents, with_evidence(edges, documents)))
    assert store.count_quads() == before  # same content: replacing is idempotent
    _, edges, documents = table_maker([edge_row("x9", "rahim", "lived in", "dhaka", "d1", True)])
    replace_documents(store, ["d1"], document_quads(documents.slice(0, 1), with_evidence(edges, documents.slice(0, 1))))
    facts = {p.rsplit("/", 1)[-1] for _, p, _ in store.query(FACTS).values()}
    assert facts == {"livedIn", "অবস্থিত"}  # d1's old fact is gone, d2's is untouched
    assert not store.query("ASK { ?a kg:predicate rel:wasBornIn }").boolean  # and its provenance
    store.drop_graphs([document_iri(d, store.vocab) for d in ["d1", "d2", "never-loaded"]])
    assert len(store.query(FACTS)) == 0


def test_result_limit_truncates(store) -> None:
    result = store.query("SELECT * WHERE { ?s ?p ?o }", limit=3)
    assert len(result) == 3 and result.truncated
    assert not store.query("SELECT * WHERE { ?s ?p ?o } LIMIT 3", limit=3).truncated


def test_ask_construct_and_syntax_errors(store) -> None:
    assert store.query("ASK { ?s a schema:Person }") == QueryResult(kind="ask", boolean=True)
    graph = store.query("CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s a schema:Place ; rdfs:label ?l }")
    assert graph.kind == "graph" and len(graph.triples) == 2
    with pytest.raises(QueryError, match="Invalid SPARQL.*SELEC"):
        store.query("SELEC ?s WHERE { ?s ?p ?o }")
    with pytest.raises(QueryError, match="Invalid SPARQL update"):
        store.update("INSERT NOPE")


def _cross_product_store(n: int) -> OxigraphStore:
    store = OxigraphStore(timeout_s=0.3)
    g, p = NamedNode("http://ex/g"), NamedNode("http://ex/p")
    store.load_quads(Quad(NamedNode(f"http://ex/s{i}"), p, NamedNode(f"http://ex/o{i}"), g) for i in range(n))
    return store


def test_streaming_query_stops_at_the_timeout() -> None:
    store = _cross_product_store(200)  # 8 million rows
    started = time.monotonic()
    with pytest.raises(QueryTimeoutError, match="timed out after 0.3 s"):
        store.query("SELECT * WHERE { ?a ?p ?b . ?c ?p ?d . ?e ?p ?f }", limit=10**9)
    assert time.monotonic() - started < 2


def test_blocking_query_is_reported_on_time_and_raises_when_it_ends() -> None:
    store = _cross_product_store(150)  # COUNT over 3.4 million rows: about a second, cannot be interrupted
    started, told = time.monotonic(), []
    with pytest.raises(QueryTimeoutError, match="timed out after 0.05 s"):
        store.query(
            "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?p ?d . ?e ?p ?f }",
            timeout_s=0.05,
            on_expiry=lambda err: told.append((time.monotonic() - started, str(err))),
        )
    ended = time.monotonic() - started
    assert len(told) == 1 and "timed out after 0.05 s" in told[0][1]
    assert told[0][0] < 0.5 and told[0][0] < ended  # heard at the deadline, before the evaluation ended


def test_a_query_in_time_never_hears_of_expiry() -> None:
    store, told = _cross_product_store(10), []
    result = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b }", timeout_s=5, on_expiry=told.append)
    time.sleep(0.1)  # longer than the watchdog's period
    assert result.rows[0][0].value == "10" and told == []


def test_concurrent_queries_are_bounded() -> None:
    """A query waits for a free slot within its own deadline; slots come back after each query."""
    store = OxigraphStore(timeout_s=0.3, max_concurrent_queries=1)
    store.load_quads(
        Quad(NamedNode(f"http://ex/s{i}"), NamedNode("http://ex/p"), NamedNode(f"http://ex/o{i}"), NamedNode("http://ex/g"))
        for i in range(150)
    )
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?p ?d . ?e ?p ?f }"
    worker = threading.Thread(target=lambda: pytest.raises(QueryTimeoutError, store.query, slow, timeout_s=0.05))
    worker.start()
    time.sleep(0.02)  # the slow query holds the only slot now
    with pytest.raises(QueryTimeoutError, match="waiting for one of 1 busy query slots"):
        store.query("ASK { ?s ?p ?o }", timeout_s=0.1)
    worker.join()
    assert store.query("ASK { ?s ?p ?o }").boolean


def test_lock_held_by_another_process(tmp_path) -> None:
    path = tmp_path / "store"
    with OxigraphStore(path) as store:
        store.update("INSERT DATA { GRAPH <http://ex/g> { <http://ex/a> <http://ex/b> <http://ex/c> } }")
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import pyoxigraph, sys; s = pyoxigraph.Store({str(path)!r}); print('ready', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreError, match="locked by another process") as err:
            OxigraphStore(path)
        assert str(path) in str(err.value) and "kg serve" in str(err.value)
        with OxigraphStore(path, read_only=True) as reader:  # read-only ignores the lock
            assert reader.count_quads() == 1
            with pytest.raises(StoreError, match="read-only"):
                reader.update("CLEAR ALL")
    finally:
        holder.communicate("", timeout=10)


def test_double_open_in_one_process_and_missing_store(tmp_path) -> None:
    with OxigraphStore(tmp_path / "s"):
        with pytest.raises(StoreError, match="already open in this process"):
            OxigraphStore(tmp_path / "s")
    with pytest.raises(StoreError, match="No store at"):
        OxigraphStore(tmp_path / "missing", read_only=True)
    closed = OxigraphStore(tmp_path / "s")
    closed.close()
    with pytest.raises(StoreError, match="closed"):
        closed.count_quads()


def test_dump_round_trips(store, tmp_path) -> None:
    quads = list(parse(path=str(store.dump(tmp_path / "all.nq")), format=RdfFormat.N_QUADS))
    assert len(quads) == store.count_quads()
    triples = list(parse(path=str(store.dump(tmp_path / "all.ttl")), format=RdfFormat.TURTLE))
    assert 0 < len(triples) <= len(quads)


@pytest.mark.parametrize("left", ["half_created_store", "half_created_store_no_version"])
def test_a_store_killed_while_it_was_created_opens_empty_and_then_loads(tmp_path, tables, left) -> None:
    """Regression (issue 17, seen in CI twice): a build killed while it created the store left a directory
    that read-only opens rejected, so the next build's removal check failed instead of repairing it."""
    import shutil

    path = tmp_path / "store"
    shutil.copytree(Path(__file__).parent / "data" / left, path)
    with OxigraphStore(path, read_only=True) as store:
        assert store.count_quads() == 0 and store.document_ids() == set()
    with OxigraphStore(path) as store:
        store.load_quads(tables_to_quads(*tables))
        assert store.count_quads() > 0
