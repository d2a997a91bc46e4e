"""The stage entry and CLI helpers: run_store, open_store, query, format_result."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.compute as pc
import pytest

import kg_store
from kg_store.api import format_result, open_store, query, run_store, store_workspace
from kg_store.config import StoreConfig
from kg_store.oxigraph import OxigraphStore
from kg_store.remote import RemoteStore
from pipeline.errors import ConfigError, StoreError, UnknownComponentError, WorkspaceError
from pipeline.schema import DOCUMENTS, ENTITIES, SCORED_EDGES
from pipeline.workspace import Workspace


@pytest.fixture
def workspace(tmp_path, tables) -> Workspace:
    ws = Workspace(tmp_path / "ws")
    for name, table, schema in zip(("entities", "scored_edges", "documents"), tables, (ENTITIES, SCORED_EDGES, DOCUMENTS)):
        ws.write(name, table, schema)
    return ws


def test_run_store_counts_and_reruns_add_nothing(workspace) -> None:
    counts = store_workspace(workspace, config=StoreConfig())
    assert counts.quads == counts.quads_added > 0
    assert {k: getattr(counts, k) for k in ("entities", "relations", "documents", "facts_kept", "facts_dropped")} == {
        "entities": 4,
        "relations": 3,
        "documents": 2,
        "facts_kept": 2,
        "facts_dropped": 1,
    }
    again = store_workspace(workspace, config=StoreConfig())
    assert again.quads_added == 0 and again.quads == counts.quads


def test_run_store_replaces_changed_documents(workspace, table_maker, edge_row) -> None:
    store_workspace(workspace)
    _, edges, _ = table_maker([edge_row("x9", "rahim", "lived in", "dhaka", "d1", True)])
    workspace.write("scored_edges", edges, SCORED_EDGES)
    store_workspace(workspace)
    facts = query("SELECT ?p WHERE { ?s ?p ?o . ?a kg:subject ?s ; kg:predicate ?p ; kg:kept true }", workspace=workspace)
    assert [p.rsplit("/", 1)[-1] for (p,) in facts.values()] == ["livedIn"]


def test_run_store_removes_documents_that_disappeared(workspace, table_maker) -> None:
    store_workspace(workspace)
    entities, edges, documents = table_maker()
    keep = pc.equal(edges.column("doc_id"), "d1")
    workspace.write("scored_edges", edges.filter(keep), SCORED_EDGES)
    workspace.write("documents", documents.filter(pc.equal(documents.column("doc_id"), "d1")), DOCUMENTS)
    counts = store_workspace(workspace)
    assert counts.documents_removed == 1 and counts.quads_added < 0
    with open_store(workspace, read_only=True) as store:
        assert store.document_ids() == {"d1"}
        assert not store.query("ASK { ?s <https://kg-pipeline.example.org/relation/অবস্থিত> ?o }").boolean


def test_run_store_fails_on_bad_ids_before_dropping_anything(workspace, table_maker, edge_row) -> None:
    before = store_workspace(workspace).quads
    entities, edges, documents = table_maker([edge_row("x9", "rahim", "p", None, "d1", True)])
    workspace.write("scored_edges", edges, SCORED_EDGES)
    with pytest.raises(StoreError, match="empty entity id"):
        store_workspace(workspace)
    with open_store(workspace, read_only=True) as store:
        assert store.count_quads() == before


def test_run_store_explains_bad_tables(workspace, table_maker, edge_row) -> None:
    workspace.write("documents", table_maker()[2].drop_columns(["lang"]))
    with pytest.raises(WorkspaceError, match="lacks column.*lang"):
        store_workspace(workspace)
    entities, edges, documents = table_maker([edge_row("", "rahim", "p", "dhaka", "d1", True)])
    workspace.write("documents", documents, DOCUMENTS)
    workspace.write("scored_edges", edges, SCORED_EDGES)
    with pytest.raises(StoreError, match="empty edge id"):
        store_workspace(workspace)


def test_query_helper_reads_while_the_store_is_open(workspace) -> None:
    store_workspace(workspace)
    with open_store(workspace=workspace):  # e.g. `kg serve` holds the lock
        result = query("SELECT ?l WHERE { entity:dhaka rdfs:label ?l } ORDER BY ?l", store_dir=workspace.store_dir)
    assert result.values() == [("Dhaka",), ("ঢাকা",)]
    with pytest.raises(StoreError, match="No store at"):
        query("ASK {}", store_dir=workspace.root / "nowhere")


def test_open_store_resolution(workspace) -> None:
    with open_store(workspace=workspace) as store:
        assert isinstance(store, OxigraphStore) and store.path == workspace.store_dir
    with open_store(workspace.root) as store:  # a plain path works too
        assert store.path == workspace.store_dir
    store = open_store(endpoint="http://127.0.0.1:1/query")
    assert isinstance(store, RemoteStore) and store.update_endpoint == "http://127.0.0.1:1/update"
    store.close()
    remote_config = StoreConfig(backend="remote", query_endpoint="http://h/sparql")
    with open_store(workspace=workspace, config=remote_config) as store:
        assert isinstance(store, RemoteStore) and store.update_endpoint == "http://h/sparql"
    with pytest.raises(ConfigError, match="No store given"):
        open_store()
    with pytest.raises(UnknownComponentError, match="oxigraph, remote"):
        open_store(workspace=workspace, config=StoreConfig(backend="fuseki"))


def test_format_result(workspace) -> None:
    store_workspace(workspace)
    select = query("SELECT ?s ?l WHERE { ?s a schema:Person ; rdfs:label ?l }", workspace=workspace)
    table = format_result(select)
    assert "entity:rahim" in table and "Rahim@en" in table and "(1 row)" in table
    data = json.loads(format_result(select, "json"))
    assert data["results"]["bindings"][0]["l"] == {"type": "literal", "value": "Rahim", "xml:lang": "en"}
    assert format_result(select, "csv").splitlines()[1] == "https://kg-pipeline.example.org/entity/rahim,Rahim"
    assert format_result(select, "tsv").splitlines()[1].endswith('"Rahim"@en')
    ask = query("ASK { ?s rel:wrote ?o }", workspace=workspace)
    assert format_result(ask) == "false" and json.loads(format_result(ask, "json")) == {"head": {}, "boolean": False}
    graph = query("CONSTRUCT WHERE { ?s a schema:Place }", workspace=workspace)
    assert format_result(graph, "csv").splitlines()[0] == "subject,predicate,object"
    assert "schema:Place" in format_result(graph, "turtle")
    assert json.loads(format_result(graph, "json"))
    with pytest.raises(ConfigError, match="table, json, csv"):
        format_result(select, "yaml")


def test_package_import_is_light() -> None:
    import subprocess
    import sys

    code = "import sys, kg_store; print(any(m in sys.modules for m in ('httpx', 'pyoxigraph', 'pyarrow')))"
    root = Path(kg_store.__file__).resolve().parents[1]
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root).stdout.strip() == "False"
    assert kg_store.run_store is run_store
