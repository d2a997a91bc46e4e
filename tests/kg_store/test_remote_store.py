"""The remote backend against a real `oxigraph serve` (started per module)."""

from __future__ import annotations

import pytest
from pyoxigraph import RdfFormat, parse

from kg_store.iri import document_iri
from kg_store.oxigraph import OxigraphStore
from kg_store.quads import document_quads, tables_to_quads, with_evidence
from kg_store.remote import RemoteStore, insert_data
from pipeline.errors import EndpointError, QueryError
from tests.kg_store.conftest import replace_documents

NASTY = ['say "hi"\n\\u0041 \\ \r\t', "\x00\x01\x7f", "\u202eevil\u200b", "বাংলা 😀", "'''", "}} GRAPH <x> {"]


@pytest.fixture
def remote(oxigraph_server):
    with RemoteStore(f"{oxigraph_server}/query", batch_size=7) as store:
        store.update("DROP SILENT ALL")
        yield store


def test_load_query_and_idempotence(remote, tables) -> None:
    remote.load_quads(tables_to_quads(*tables))  # batch_size=7: several INSERT DATA requests
    embedded = OxigraphStore()
    embedded.load_quads(tables_to_quads(*tables))
    assert remote.count_quads() == embedded.count_quads()
    remote.load_quads(tables_to_quads(*tables))
    assert remote.count_quads() == embedded.count_quads()
    query = "SELECT ?s ?o ?c WHERE { ?s rel:wasBornIn ?o . ?a kg:object ?o ; kg:confidence ?c }"
    assert remote.query(query).rows == embedded.query(query).rows
    assert remote.query("ASK { ?s rel:wrote ?o }").boolean is False
    graph = remote.query("CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s a schema:Place ; rdfs:label ?l }")
    assert graph.kind == "graph" and len(graph.triples) == 2
    limited = remote.query("SELECT * WHERE { ?s ?p ?o }", limit=5)
    assert len(limited) == 5 and limited.truncated


def test_replace_documents(remote, table_maker, edge_row) -> None:
    remote.load_quads(tables_to_quads(*table_maker()))
    _, edges, documents = table_maker([edge_row("x9", "rahim", "lived in", "dhaka", "d1", True)])
    replace_documents(remote, ["d1"], document_quads(documents.slice(0, 1), with_evidence(edges, documents.slice(0, 1))))
    assert remote.query("ASK { ?s rel:livedIn ?o }").boolean
    assert not remote.query("ASK { ?s rel:wasBornIn ?o }").boolean
    assert remote.query("ASK { ?s rel:অবস্থিত ?o }").boolean  # d2 untouched


def test_nasty_literals_survive_insert_data(remote, tmp_path) -> None:
    from pyoxigraph import Literal, NamedNode, Quad

    g = NamedNode("http://ex/g")
    quads = [Quad(NamedNode(f"http://ex/s{i}"), NamedNode("http://ex/p"), Literal(v), g) for i, v in enumerate(NASTY)]
    quads.append(Quad(NamedNode("http://ex/t"), NamedNode("http://ex/p"), Literal("x", language="bn"), g))
    assert "GRAPH <http://ex/g>" in insert_data(quads)
    remote.load_quads(quads)
    values = {row[0].value for row in remote.query("SELECT ?o WHERE { ?s <http://ex/p> ?o }").rows}
    assert values == set(NASTY) | {"x"}
    dumped = list(parse(path=str(remote.dump(tmp_path / "d.nq")), format=RdfFormat.N_QUADS))
    assert set(dumped) == set(quads)


def test_errors_name_the_url(remote, port) -> None:
    with pytest.raises(QueryError, match="rejected the SPARQL"):
        remote.query("SELEC nothing")
    dead = f"http://127.0.0.1:{port}/query"
    with RemoteStore(dead, timeout_s=2) as store:
        with pytest.raises(EndpointError, match=f"{dead} is unreachable"):
            store.query("ASK {}")
        with pytest.raises(EndpointError, match=f"127.0.0.1:{port}/update is unreachable"):
            store.drop_graphs([document_iri(d, store.vocab) for d in ["d1"]])


@pytest.mark.parametrize("graph_store", [False, True], ids=["sparql-update", "graph-store-protocol"])
def test_run_store_into_oxigraph_serve_equals_embedded(oxigraph_server, tmp_path, tables, graph_store) -> None:
    from kg_store.api import store_workspace
    from kg_store.config import StoreConfig
    from pipeline.schema import DOCUMENTS, ENTITIES, SCORED_EDGES
    from pipeline.workspace import Workspace

    ws = Workspace(tmp_path / "ws")
    for name, table, schema in zip(("entities", "scored_edges", "documents"), tables, (ENTITIES, SCORED_EDGES, DOCUMENTS)):
        ws.write(name, table, schema)
    config = StoreConfig(backend="remote", query_endpoint=f"{oxigraph_server}/query", batch_size=5,
                         graph_store_endpoint=f"{oxigraph_server}/store" if graph_store else None)
    with RemoteStore(f"{oxigraph_server}/query") as clean:
        clean.update("DROP SILENT ALL")
    remote = store_workspace(ws, config=config)
    embedded = store_workspace(ws)
    assert remote.quads == embedded.quads == remote.quads_added
    assert store_workspace(ws, config=config).quads_added == 0  # replace-by-document: idempotent
    with RemoteStore(f"{oxigraph_server}/query", graph_store_endpoint=config.graph_store_endpoint) as store:
        dumped = set(parse(path=str(store.dump(tmp_path / "remote.nq")), format=RdfFormat.N_QUADS))
    with OxigraphStore(ws.store_dir, read_only=True) as store:
        assert dumped == set(parse(path=str(store.dump(tmp_path / "embedded.nq")), format=RdfFormat.N_QUADS))


def test_rdflib_dataset_over_both_backends(remote, tables) -> None:
    import rdflib

    remote.load_quads(tables_to_quads(*tables))
    query = "SELECT ?o WHERE { ?s <https://kg-pipeline.example.org/relation/wasBornIn> ?o }"
    expected = {"https://kg-pipeline.example.org/entity/dhaka"}
    with OxigraphStore() as embedded:
        embedded.load_quads(tables_to_quads(*tables))
        for dataset in (remote.rdflib_dataset(), embedded.rdflib_dataset()):
            assert {str(row[0]) for row in dataset.query(query)} == expected
            graph = dataset.graph(rdflib.URIRef("http://ex/added"))
            graph.add((rdflib.URIRef("http://ex/s"), rdflib.URIRef("http://ex/p"), rdflib.Literal("o")))
        for store in (remote, embedded):  # what rdflib wrote is in the store, in the named graph
            assert store.query("ASK { GRAPH <http://ex/added> { <http://ex/s> <http://ex/p> \"o\" } }").boolean


def test_issue20_kg_query_finds_the_configured_remote_store(oxigraph_server, remote, tables, tmp_path, monkeypatch,
                                                           capsys) -> None:
    """After a build with [store] backend = "remote", `kg query --workspace W` asks that store (it said "no store")."""
    from pipeline.cli import main

    remote.load_quads(tables_to_quads(*tables))
    config = tmp_path / "kg.toml"
    config.write_text(f'[store]\nbackend = "remote"\nquery_endpoint = "{oxigraph_server}/query"\n')
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s rel:wasBornIn ?o }"
    assert main(["query", query, "--workspace", str(tmp_path / "ws"), "--config", str(config), "--format", "csv"]) == 0
    by_flag = capsys.readouterr().out
    monkeypatch.setenv("KG_CONFIG", str(config))
    assert main(["query", query, "--workspace", str(tmp_path / "ws"), "--format", "csv"]) == 0
    assert capsys.readouterr().out == by_flag and by_flag.splitlines()[1] != "0"
