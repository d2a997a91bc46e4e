"""Entry points the flow and the CLI call: run_store, open_store, query, format_result.

``run_store`` is the store stage: it takes the ``entities``,
``scored_edges`` and ``documents`` tables (:func:`store_inputs` reads them
from a workspace) and writes them as RDF (shape in :mod:`kg_store.quads`). It replaces the entities graph and
each document's graph, so running it twice leaves the store unchanged and
re-running after a change leaves no stale fact behind.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from pyoxigraph import RdfFormat

import kg_store.backends  # noqa: F401  (registers the backends)
from pipeline.errors import ConfigError, StoreError, WorkspaceError
from pipeline.schema import DOCUMENTS, ENTITIES, SCORED_EDGES
from pipeline.summary import StoreStats
from pipeline.workspace import Workspace
from kg_store.base import QueryResult, Store, store_backends
from kg_store.config import StoreConfig
from kg_store.formats import RESULT_FORMATS, format_table, serialize_result, to_python, to_sparql_json
from kg_store.iri import document_iri
from kg_store.quads import edge_doc_ids, tables_to_nquads
from kg_store.vocab import Vocab

_TABLES = {"entities": ENTITIES, "scored_edges": SCORED_EDGES, "documents": DOCUMENTS}


def _check_columns(name: str, table: pa.Table) -> None:
    missing = [f.name for f in _TABLES[name] if f.name not in table.column_names]
    if missing:
        raise WorkspaceError(
            f"Table {name!r} lacks column(s) {', '.join(missing)} required by pipeline.schema. It was written "
            f"by an older or broken stage: re-run `kg build`."
        )


def _store_dir(workspace: Workspace | str | os.PathLike) -> Path:
    # A path is not turned into a Workspace: that would create folders on a read.
    return workspace.store_dir if isinstance(workspace, Workspace) else Path(workspace).expanduser() / "store"


def open_store(
    workspace: Workspace | str | os.PathLike | None = None,
    store_dir: str | os.PathLike | None = None,
    endpoint: str | None = None,
    config: StoreConfig = StoreConfig(),
    *,
    read_only: bool = False,
) -> Store:
    """Open the store a user points at: ``endpoint`` > ``store_dir`` > ``workspace`` > config.

    An endpoint (or ``config.backend == "remote"``) gives the remote backend;
    a directory gives the embedded Oxigraph store (``workspace/store`` for a
    workspace). ``read_only`` opens an embedded store without taking its lock.
    """
    common = {"base_iri": config.base_iri, "timeout_s": config.query_timeout_s, "limit": config.result_limit}
    remote = {"update_token": config.update_token, "batch_size": config.batch_size,
              "graph_store_endpoint": config.graph_store_endpoint, **common}
    if endpoint is not None:
        return store_backends.make("remote", query_endpoint=endpoint, update_endpoint=config.update_endpoint, **remote)
    if store_dir is None and workspace is not None and config.backend == "oxigraph":
        store_dir = _store_dir(workspace)
    if store_dir is not None:
        return store_backends.make("oxigraph", path=Path(store_dir), read_only=read_only, **common)
    if config.backend == "remote":
        if not config.query_endpoint:
            raise ConfigError("[store] backend = 'remote' needs query_endpoint (e.g. http://127.0.0.1:7878/query).")
        return store_backends.make(
            "remote", query_endpoint=config.query_endpoint, update_endpoint=config.update_endpoint, **remote
        )
    if config.backend != "oxigraph":
        return store_backends.make(config.backend, **common)  # an unknown name lists the known ones
    raise ConfigError("No store given: pass a workspace (--workspace), a store directory (--store) or --endpoint URL.")


def store_inputs(workspace: Workspace, config: StoreConfig = StoreConfig()) -> dict[str, pa.Table | None]:
    """The tables :func:`run_store` reads, from a workspace (the keyword arguments it takes)."""
    tables: dict[str, pa.Table | None] = {name: workspace.read(name) for name in _TABLES}
    evidence = config.include_evidence and workspace.has("mentions") and workspace.has("mention_links")
    tables["mentions"] = workspace.read("mentions") if evidence else None
    tables["mention_links"] = workspace.read("mention_links") if evidence else None
    return tables


def run_store(
    entities: pa.Table, scored_edges: pa.Table, documents: pa.Table, *, config: StoreConfig = StoreConfig(),
    store_dir: str | os.PathLike | None = None, mentions: pa.Table | None = None,
    mention_links: pa.Table | None = None,
) -> StoreStats:
    """Load the tables into the store (``store_dir`` for the embedded backend); returns its counts.

    The store ends up mirroring the tables: the entities graph and every
    document's graph are replaced, and graphs of documents no longer in the
    tables are deleted, so a re-run adds nothing (``quads_added`` 0).
    ``mentions`` and ``mention_links`` give evidence spans
    (``config.include_evidence``).
    """
    for name, table in (("entities", entities), ("scored_edges", scored_edges), ("documents", documents)):
        _check_columns(name, table)
    edges, vocab = scored_edges, Vocab(config.base_iri)
    doc_ids = sorted(set(documents.column("doc_id").to_pylist()) - {None} | edge_doc_ids(edges))
    predicates = [p for p in pc.unique(edges.column("predicate")).to_pylist()]
    kept = int(pc.sum(pc.fill_null(edges.column("kept"), False).cast(pa.int64())).as_py() or 0)
    linked = None
    if config.include_evidence and mentions is not None and mention_links is not None:
        linked = mentions.select(["mention_id", "doc_id", "start", "end"]).join(
            mention_links.select(["mention_id", "entity_id"]), "mention_id")
    with open_store(store_dir=store_dir if config.backend == "oxigraph" else None, config=config) as store:
        before = store.count_quads()
        stale = sorted(store.document_ids() - set(doc_ids))
        try:  # ids are checked before anything is dropped
            text = tables_to_nquads(entities, edges, documents, base_iri=config.base_iri,
                                    include_text=config.include_text, include_evidence=config.include_evidence,
                                    mentions=linked)
            store.drop_graphs([vocab.entities_graph, *(document_iri(d, vocab) for d in [*doc_ids, *stale])])
            store.load_nquads(text)
        except ValueError as err:  # an empty id cannot be minted into an IRI
            raise StoreError(f"Cannot turn the tables into RDF: {err}. Re-run `kg build`.") from None
        after = store.count_quads()
    return StoreStats(quads=after, quads_added=after - before, entities=entities.num_rows, relations=len(predicates),
                      documents=len(doc_ids), documents_removed=len(stale), facts_kept=kept,
                      facts_dropped=edges.num_rows - kept)


def store_workspace(workspace: Workspace, config: StoreConfig = StoreConfig()) -> StoreStats:
    """:func:`run_store` over a workspace's tables, into its store (``kg build``'s store stage)."""
    return run_store(**store_inputs(workspace, config), config=config, store_dir=workspace.store_dir)


def query(
    sparql: str,
    *,
    workspace: Workspace | str | os.PathLike | None = None,
    store_dir: str | os.PathLike | None = None,
    endpoint: str | None = None,
    config: StoreConfig = StoreConfig(),
    timeout_s: float | None = None,
    limit: int | None = None,
) -> QueryResult:
    """Run one query against the store a user points at (embedded stores open read-only)."""
    with open_store(workspace, store_dir, endpoint, config, read_only=True) as store:
        return store.query(sparql, timeout_s=timeout_s, limit=limit)


def format_result(result: QueryResult, fmt: str = "table", *, base_iri: str | None = None) -> str:
    """Text for a terminal or a file.

    SELECT/ASK: ``table``, ``json`` (SPARQL 1.1 Results JSON), ``csv``,
    ``tsv``, ``xml``. CONSTRUCT/DESCRIBE: ``table``, ``json`` (JSON-LD),
    ``csv`` (subject,predicate,object), ``turtle``, ``ntriples``.
    """
    vocab = Vocab(base_iri) if base_iri else Vocab()
    if fmt == "table":
        return format_table(result, vocab.prefixes())
    if result.kind != "graph":
        if fmt == "json":
            return json.dumps(to_sparql_json(result), ensure_ascii=False, indent=2)
        if fmt in RESULT_FORMATS:
            return serialize_result(result, RESULT_FORMATS[fmt]).decode("utf-8")
    else:
        if fmt == "csv":
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(["subject", "predicate", "object"])
            writer.writerows(
                [to_python(t.subject), to_python(t.predicate), to_python(t.object)]
                for t in result.triples
            )
            return out.getvalue()
        graph_formats = {"json": RdfFormat.JSON_LD, "turtle": RdfFormat.TURTLE, "ntriples": RdfFormat.N_TRIPLES}
        if fmt in graph_formats:
            return serialize_result(result, graph_formats[fmt], vocab.prefixes()).decode("utf-8")
    choices = "table, json, csv, tsv, xml" if result.kind != "graph" else "table, json, csv, turtle, ntriples"
    raise ConfigError(f"Unknown result format {fmt!r} for a {result.kind.upper()} result. Use one of: {choices}.")
