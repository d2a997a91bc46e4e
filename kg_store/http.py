"""Content negotiation and result bodies of the SPARQL endpoint (no HTTP server here).

Used by the query evaluators of :mod:`kg_store.evaluator`, which serialize
in their own process, so the server only moves bytes.
"""

from __future__ import annotations

from http import HTTPStatus

from pyoxigraph import QueryResultsFormat as QRF
from pyoxigraph import RdfFormat

from kg_store.base import QueryResult
from kg_store.formats import RESULT_FORMATS, serialize_result

_RESULT_TYPES = {
    "application/sparql-results+json": QRF.JSON,
    "application/json": QRF.JSON,
    "text/csv": QRF.CSV,
    "text/tab-separated-values": QRF.TSV,
    "application/sparql-results+xml": QRF.XML,
    "application/xml": QRF.XML,
    "text/xml": QRF.XML,
}
_GRAPH_TYPES = {
    "text/turtle": RdfFormat.TURTLE,
    "application/n-triples": RdfFormat.N_TRIPLES,
    "text/plain": RdfFormat.N_TRIPLES,
    "application/ld+json": RdfFormat.JSON_LD,
    "application/rdf+xml": RdfFormat.RDF_XML,
}
_FORMAT_PARAM = {
    **RESULT_FORMATS,
    "turtle": RdfFormat.TURTLE,
    "ntriples": RdfFormat.N_TRIPLES,
    "jsonld": RdfFormat.JSON_LD,
}


def negotiate(accept: str, kind: str) -> tuple[str, QRF | RdfFormat]:
    """The best (media type, format) for an Accept header; defaults when nothing matches."""
    table = _GRAPH_TYPES if kind == "graph" else _RESULT_TYPES
    ranked = []
    for i, part in enumerate(accept.split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if media and q > 0:
            ranked.append((-q, i, media.lower()))
    for _, _, media in sorted(ranked):
        for candidate, fmt in table.items():
            if media in (candidate, "*/*") or (media.endswith("/*") and candidate.startswith(media[:-1])):
                return candidate, fmt
    return next(iter(table.items()))


def media_type(fmt: QRF | RdfFormat) -> str:
    media = fmt.media_type
    return media + "; charset=utf-8" if media.startswith("text/") else media


def answer(
    result: QueryResult, accept: str, format_param: str | None, prefixes: dict[str, str]
) -> tuple[int, str, dict[str, str], bytes]:
    """(status, content type, extra headers, body) of a query result: ``?format=`` first, else Accept."""
    kind = "graph" if result.kind == "graph" else "results"
    fmt = _FORMAT_PARAM.get((format_param or "").lower())
    if fmt is None or isinstance(fmt, RdfFormat) != (kind == "graph"):
        _, fmt = negotiate(accept or "*/*", kind)
    headers = {"X-Result-Truncated": "true"} if result.truncated else {}
    return HTTPStatus.OK, media_type(fmt), headers, serialize_result(result, fmt, prefixes)
