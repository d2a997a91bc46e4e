"""Serialisation formats: RDF dumps, SPARQL result formats, terminal tables.

SELECT/ASK results are written as SPARQL 1.1 Results JSON here and turned
into CSV, TSV or XML by pyoxigraph's own serialisers, so every format is
the standard one, including for truncated results. CONSTRUCT/DESCRIBE
results are written as RDF (N-Triples, Turtle, ...).
"""

from __future__ import annotations

import json
import unicodedata
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    QueryResultsFormat,
    RdfFormat,
    Triple,
    parse_query_results,
    serialize,
)

from pipeline.errors import ConfigError
from kg_store.vocab import XSD

if TYPE_CHECKING:  # annotations only: base reads this module's to_python
    from kg_store.base import QueryResult, Term

_RDF_FORMATS = {
    "nquads": RdfFormat.N_QUADS,
    "n-quads": RdfFormat.N_QUADS,
    "nq": RdfFormat.N_QUADS,
    "trig": RdfFormat.TRIG,
    "ntriples": RdfFormat.N_TRIPLES,
    "n-triples": RdfFormat.N_TRIPLES,
    "nt": RdfFormat.N_TRIPLES,
    "turtle": RdfFormat.TURTLE,
    "ttl": RdfFormat.TURTLE,
    "jsonld": RdfFormat.JSON_LD,
    "json-ld": RdfFormat.JSON_LD,
    "xml": RdfFormat.RDF_XML,
    "rdf": RdfFormat.RDF_XML,
}

#: Result formats by short name (CLI ``--format``, server ``?format=``).
RESULT_FORMATS = {
    "json": QueryResultsFormat.JSON,
    "csv": QueryResultsFormat.CSV,
    "tsv": QueryResultsFormat.TSV,
    "xml": QueryResultsFormat.XML,
}

_INTEGERS = {
    XSD + t
    for t in (
        "integer int long short byte nonNegativeInteger positiveInteger nonPositiveInteger "
        "negativeInteger unsignedInt unsignedLong unsignedShort unsignedByte"
    ).split()
}


def rdf_format(spec: str | RdfFormat | None, path: str | Path | None = None) -> RdfFormat:
    """An RDF format from a name ("nquads", "turtle", ...) or the file extension."""
    if isinstance(spec, RdfFormat):
        return spec
    key = (spec or (Path(path).suffix.lstrip(".") if path else "")).lower()
    if key in _RDF_FORMATS:
        return _RDF_FORMATS[key]
    raise ConfigError(
        f"Unknown RDF format {key or '(none)'!r}. Use one of {', '.join(sorted(_RDF_FORMATS))}, "
        f"or a file name ending in one of them."
    )


def to_python(term: Term | None) -> object:
    """A Python value for a term: numbers and booleans typed, the rest as str."""
    if term is None:
        return None
    if isinstance(term, NamedNode):
        return term.value
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    if isinstance(term, Triple):
        return (to_python(term.subject), to_python(term.predicate), to_python(term.object))
    datatype = term.datatype.value
    try:
        if datatype in _INTEGERS:
            return int(term.value)
        if datatype in (XSD + "double", XSD + "float"):
            return float(term.value)
        if datatype == XSD + "decimal":
            return Decimal(term.value)
        if datatype == XSD + "boolean":
            return term.value in ("true", "1")
    except (ValueError, InvalidOperation):
        pass  # an ill-typed literal stays a string
    return term.value


def _binding(term: Term) -> dict:
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, Triple):
        parts = {"subject": term.subject, "predicate": term.predicate, "object": term.object}
        return {"type": "triple", "value": {k: _binding(v) for k, v in parts.items()}}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != XSD + "string":
        out["datatype"] = term.datatype.value
    return out


def to_sparql_json(result: QueryResult) -> dict:
    """SPARQL 1.1 Query Results JSON for a SELECT or ASK result."""
    if result.kind == "ask":
        return {"head": {}, "boolean": bool(result.boolean)}
    if result.kind != "select":
        raise ValueError("CONSTRUCT/DESCRIBE results are RDF: use serialize_result with an RDF format")
    bindings = [{v: _binding(t) for v, t in zip(result.vars, row) if t is not None} for row in result.rows]
    return {"head": {"vars": list(result.vars)}, "results": {"bindings": bindings}}


def serialize_result(
    result: QueryResult, fmt: QueryResultsFormat | RdfFormat, prefixes: dict[str, str] | None = None
) -> bytes:
    """Bytes of ``result`` in a SPARQL results format (SELECT/ASK) or RDF format (graphs).

    ``prefixes`` abbreviate IRIs in Turtle output.
    """
    if result.kind == "graph":
        if not isinstance(fmt, RdfFormat):
            raise ValueError(f"a CONSTRUCT/DESCRIBE result needs an RDF format (got {fmt})")
        prefixes = prefixes if fmt == RdfFormat.TURTLE else None
        return serialize(result.triples, format=fmt, prefixes=prefixes) or b""
    if not isinstance(fmt, QueryResultsFormat):
        raise ValueError(f"a SELECT/ASK result needs a SPARQL results format (got {fmt})")
    data = json.dumps(to_sparql_json(result), ensure_ascii=False).encode("utf-8")
    if fmt == QueryResultsFormat.JSON:
        return data
    return parse_query_results(data, format=QueryResultsFormat.JSON).serialize(format=fmt) or b""


def _short(term: Term | None, prefixes: dict[str, str], width: int) -> str:
    if term is None:
        return ""
    if isinstance(term, NamedNode):
        for name, iri in prefixes.items():
            if term.value.startswith(iri) and len(term.value) > len(iri):
                text = f"{name}:{term.value[len(iri):]}"
                break
        else:
            text = f"<{term.value}>"
    elif isinstance(term, Literal) and term.language:
        text = f"{term.value}@{term.language}"
    elif isinstance(term, Literal):
        text = term.value
    else:
        text = str(term)
    text = " ".join(text.split())  # one line per row, whatever the literal holds
    return text if len(text) <= width else text[: width - 1] + "…"


def _width(text: str) -> int:
    """Terminal columns: combining marks take none, wide (CJK, emoji) characters two."""
    return sum(
        0 if unicodedata.category(ch) in ("Mn", "Me", "Cf") else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_table(result: QueryResult, prefixes: dict[str, str] | None = None, width: int = 60) -> str:
    """An aligned text table for terminals; IRIs shortened with ``prefixes``."""
    prefixes = prefixes or {}
    if result.kind == "ask":
        return "true" if result.boolean else "false"
    if result.kind == "graph":
        header = ["subject", "predicate", "object"]
        rows = [[_short(t, prefixes, width) for t in (tr.subject, tr.predicate, tr.object)] for tr in result.triples]
    else:
        header = list(result.vars)
        rows = [[_short(t, prefixes, width) for t in row] for row in result.rows]
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(header)]
    lines = [" | ".join(_pad(h, w) for h, w in zip(header, widths)).rstrip(), "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(_pad(c, w) for c, w in zip(r, widths)).rstrip() for r in rows]
    noun = "row" if len(rows) == 1 else "rows"
    lines.append(f"({len(rows)} {noun}{', truncated at the result limit' if result.truncated else ''})")
    return "\n".join(lines)
