"""A backend for any SPARQL 1.1 server (Oxigraph, Virtuoso, QLever, GraphDB, ...).

Queries go out by the SPARQL 1.1 Protocol (POST form, results as JSON or
N-Triples) and writes by SPARQL 1.1 Update: ``INSERT DATA`` with one
``GRAPH <g> { ... }`` block per graph, ``batch_size`` quads per request,
and ``DROP SILENT GRAPH`` to replace documents.

With a ``graph_store_endpoint`` (SPARQL 1.1 Graph Store HTTP Protocol,
Oxigraph: ``http://host:7878/store``) writes use it instead: each graph's
triples are POSTed as N-Triples to ``?graph=<g>``, which the server parses
much faster than SPARQL text, graphs are removed with ``DELETE``, and
``dump`` GETs each graph. The server should evaluate
queries over the union of its graphs, as the embedded store does (Oxigraph:
``oxigraph serve --union-default-graph``).

Terms are written by :func:`sparql_term`, not by an N-Triples serialiser:
SPARQL applies ``\\u`` escapes before parsing, so only the ECHAR escapes
(``\\" \\\\ \\n \\r``) are used and every other character goes raw.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path

import httpx
import pyoxigraph as ox

from pipeline.errors import EndpointError, QueryError
from kg_store.base import QueryResult, Store, Term
from kg_store.formats import rdf_format
from kg_store.timeouts import preview, timeout_error
from kg_store.vocab import DEFAULT_BASE_IRI, XSD

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9, text/turtle;q=0.8"
_DROPS_PER_REQUEST = 200
_ALL_ROWS = 2**62


def sparql_term(term: Term) -> str:
    """A term in SPARQL syntax, safe inside INSERT DATA."""
    if isinstance(term, ox.NamedNode):
        return f"<{term.value}>"
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Triple):
        return f"<<( {sparql_term(term.subject)} {sparql_term(term.predicate)} {sparql_term(term.object)} )>>"
    text = '"' + term.value.translate(_ESCAPES) + '"'
    if term.language:
        return f"{text}@{term.language}"
    if term.datatype.value != XSD + "string":
        return f"{text}^^<{term.datatype.value}>"
    return text


def insert_data(quads: Iterable[ox.Quad]) -> str:
    """One ``INSERT DATA`` update holding ``quads``, grouped by graph."""
    graphs: dict[object, list[str]] = {}
    for q in quads:
        triple = f"{sparql_term(q.subject)} {sparql_term(q.predicate)} {sparql_term(q.object)} ."
        graphs.setdefault(q.graph_name, []).append(triple)
    blocks = []
    for graph, triples in graphs.items():
        body = "\n".join(triples)
        blocks.append(body if isinstance(graph, ox.DefaultGraph) else f"GRAPH {sparql_term(graph)} {{\n{body}\n}}")
    return "INSERT DATA {\n" + "\n".join(blocks) + "\n}"


def _batches(items: Iterable, size: int) -> Iterator[list]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


class RemoteStore(Store):
    """A SPARQL 1.1 endpoint reached over HTTP."""

    shared_across_processes = True

    def __init__(
        self,
        query_endpoint: str,
        update_endpoint: str | None = None,
        *,
        update_token: str | None = None,
        base_iri: str = DEFAULT_BASE_IRI,
        timeout_s: float = 30.0,
        limit: int = 10_000,
        batch_size: int = 5_000,
        graph_store_endpoint: str | None = None,
    ) -> None:
        super().__init__(base_iri=base_iri, timeout_s=timeout_s, limit=limit)
        self.query_endpoint = query_endpoint
        self.graph_store_endpoint = graph_store_endpoint
        if update_endpoint is None and query_endpoint.rstrip("/").endswith("/query"):
            update_endpoint = query_endpoint.rstrip("/")[: -len("query")] + "update"
        self.update_endpoint = update_endpoint or query_endpoint
        self.batch_size = batch_size
        self._auth = {"Authorization": f"Bearer {update_token}"} if update_token else {}
        self._update_headers = {"Content-Type": "application/sparql-update; charset=utf-8", **self._auth}
        self._client = httpx.Client(timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0)))

    # -- HTTP --------------------------------------------------------------
    def _post(self, url: str, sparql: str, timeout_s: float, **kwargs) -> httpx.Response:
        try:
            response = self._client.post(url, timeout=timeout_s, **kwargs)
        except httpx.TimeoutException:
            raise timeout_error(sparql, timeout_s, f" at {url}") from None
        except httpx.TransportError as err:
            raise EndpointError(
                f"SPARQL endpoint {url} is unreachable ({type(err).__name__}: {err}). Is the server running? "
                f"Start one (`kg serve`, or `oxigraph serve --location DIR --union-default-graph`) or fix "
                f"[store] query_endpoint/update_endpoint."
            ) from None
        if response.status_code in (401, 403):
            raise EndpointError(
                f"{url} refused the request (HTTP {response.status_code}): {response.text.strip()[:300]}. "
                f"Updates need a token: set [store] update_token to the server's --update-token."
            )
        if 400 <= response.status_code < 500:
            raise QueryError(f"{url} rejected the SPARQL (HTTP {response.status_code}): {response.text.strip()[:500]}")
        if response.status_code >= 500:
            raise EndpointError(
                f"{url} failed (HTTP {response.status_code}): {response.text.strip()[:500]}. "
                f"Request: {preview(sparql)!r}"
            )
        return response

    def _prologue(self) -> str:
        return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in self.vocab.prefixes().items())

    # -- Store -------------------------------------------------------------
    def _send_update(self, text: str) -> None:
        body = text.encode("utf-8")
        self._post(self.update_endpoint, text, self.timeout_s, content=body, headers=self._update_headers)

    def update(self, sparql: str) -> None:
        self._send_update(self._prologue() + sparql)

    def load_quads(self, quads: Iterable[ox.Quad]) -> None:
        for batch in _batches(quads, self.batch_size):
            if self.graph_store_endpoint:
                self._post_graphs(batch)
            else:
                self._send_update(insert_data(batch))

    def drop_graphs(self, graphs: Iterable[ox.NamedNode]) -> None:
        if self.graph_store_endpoint:
            for graph in graphs:
                self._graph_store("DELETE", graph, missing_ok=True)
            return
        for batch in _batches(graphs, _DROPS_PER_REQUEST):
            self._send_update(";\n".join(f"DROP SILENT GRAPH {sparql_term(g)}" for g in batch))

    # -- Graph Store HTTP Protocol -------------------------------------------
    def _graph_store(self, method: str, graph: ox.NamedNode | ox.DefaultGraph, *, missing_ok: bool = False,
                     **kwargs) -> httpx.Response:
        params = {"default": ""} if isinstance(graph, ox.DefaultGraph) else {"graph": graph.value}
        what = f"{method} {self.graph_store_endpoint}?{'default' if 'default' in params else 'graph=' + graph.value}"
        try:
            response = self._client.request(method, self.graph_store_endpoint, params=params,
                                            headers={**self._auth, **kwargs.pop("headers", {})},
                                            timeout=self.timeout_s, **kwargs)
        except httpx.TimeoutException:
            raise timeout_error(what, self.timeout_s, f" at {self.graph_store_endpoint}") from None
        except httpx.TransportError as err:
            raise EndpointError(f"Graph store {self.graph_store_endpoint} is unreachable "
                                f"({type(err).__name__}: {err}). Is the server running?") from None
        if response.status_code == 404 and missing_ok:
            return response
        if response.status_code in (401, 403):
            raise EndpointError(f"{what} was refused (HTTP {response.status_code}): {response.text.strip()[:300]}. "
                                f"Set [store] update_token to the server's token.")
        if response.status_code >= 400:
            raise EndpointError(f"{what} failed (HTTP {response.status_code}): {response.text.strip()[:500]}")
        return response

    def _post_graphs(self, quads: list[ox.Quad]) -> None:
        """POST each graph's share of ``quads`` as N-Triples (GSP adds to a graph)."""
        graphs: dict[object, list[ox.Triple]] = {}
        for q in quads:
            graphs.setdefault(q.graph_name, []).append(q.triple)
        for graph, triples in graphs.items():
            body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
            self._graph_store("POST", graph, content=body, headers={"Content-Type": "application/n-triples"})

    def query(self, sparql: str, *, timeout_s: float | None = None, limit: int | None = None,
              on_expiry: Callable[[QueryError], None] | None = None) -> QueryResult:
        # on_expiry is not needed: the HTTP timeout below already raises on time.
        timeout_s = self.timeout_s if timeout_s is None else timeout_s
        limit = self.limit if limit is None else limit
        response = self._post(
            self.query_endpoint,
            sparql,
            timeout_s,
            data={"query": self._prologue() + sparql},
            headers={"Accept": _ACCEPT},
        )
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            if media in ("application/sparql-results+json", "application/json"):
                parsed = ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)
                if isinstance(parsed, ox.QueryBoolean):
                    return QueryResult(kind="ask", boolean=bool(parsed))
                rows = [tuple(s) for s in islice(parsed, limit + 1)]
                variables = [v.value for v in parsed.variables]
                return QueryResult(kind="select", vars=variables, rows=rows[:limit], truncated=len(rows) > limit)
            fmt = ox.RdfFormat.from_media_type(media)
            if fmt is None:
                raise EndpointError(f"{self.query_endpoint} answered with unsupported content type {media!r}.")
            triples = [q.triple for q in islice(ox.parse(response.content, format=fmt), limit + 1)]
            return QueryResult(kind="graph", triples=triples[:limit], truncated=len(triples) > limit)
        except SyntaxError as err:
            raise EndpointError(f"{self.query_endpoint} sent a result that does not parse as {media}: {err}") from None

    def rdflib_dataset(self):
        """An ``rdflib.Dataset`` over the endpoints (rdflib's SPARQLUpdateStore; updates send the token)."""
        import rdflib
        from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore

        store = SPARQLUpdateStore(self.query_endpoint, self.update_endpoint, headers=dict(self._auth))
        return rdflib.Dataset(store=store, default_union=True)

    def count_quads(self) -> int:
        """Quads in named graphs: with a union default graph the default graph cannot be told apart."""
        result = self.query("SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }")
        return int(result.values()[0][0])

    def dump(self, path: str | Path, format: str | ox.RdfFormat | None = None) -> Path:
        """Write the store's named graphs through queries (fine for small stores;
        for big ones use the server's own dump)."""
        path, fmt = Path(path), rdf_format(format, path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt.supports_datasets and self.graph_store_endpoint:
            items = []
            for graph in self.graphs():
                body = self._graph_store("GET", graph, headers={"Accept": "application/n-triples"}).content
                items += [ox.Quad(q.subject, q.predicate, q.object, graph)
                          for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]
        elif fmt.supports_datasets:
            rows = self.query("SELECT ?s ?p ?o ?g { GRAPH ?g { ?s ?p ?o } }", limit=_ALL_ROWS).rows
            items = [ox.Quad(s, p, o, g) for s, p, o, g in rows]
        else:
            rows = self.query("SELECT DISTINCT ?s ?p ?o { GRAPH ?g { ?s ?p ?o } }", limit=_ALL_ROWS).rows
            items = [ox.Triple(s, p, o) for s, p, o in rows]
        prefixes = self.vocab.prefixes() if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
        ox.serialize(items, str(path), fmt, prefixes=prefixes)
        return path

    def close(self) -> None:
        self._client.close()
