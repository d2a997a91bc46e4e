"""The ``Store`` contract every backend meets, its result type and registry.

A store holds quads in named graphs (see :mod:`kg_store.quads`) and answers
SPARQL over the union of its graphs. Loading has RDF set semantics, so
loading the same quads twice changes nothing; ``replace_documents`` drops a
document's graph before loading it, so stale facts disappear on re-runs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal as TypingLiteral

from pyoxigraph import BlankNode, Literal, NamedNode, Quad, RdfFormat, Triple

from kg_store.vocab import DEFAULT_BASE_IRI, Vocab
from pipeline.errors import QueryError
from pipeline.registry import Registry

Term = NamedNode | BlankNode | Literal | Triple

#: Backends by name: ``store_backends.make("oxigraph", path=...)``. Entries
#: are registered in :mod:`kg_store.backends`.
store_backends: Registry["Store"] = Registry("store backend")


@dataclass
class QueryResult:
    """What a query returned: solutions (SELECT), a boolean (ASK) or triples.

    ``rows`` hold pyoxigraph terms (None where a variable is unbound) so that
    nothing is lost on the way to SPARQL JSON; ``values()`` gives Python
    values. ``truncated`` says rows stopped at the result limit.
    """

    kind: TypingLiteral["select", "ask", "graph"]
    vars: list[str] = field(default_factory=list)
    rows: list[tuple[Term | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[Triple] = field(default_factory=list)
    truncated: bool = False

    def __len__(self) -> int:
        return len(self.rows) if self.kind == "select" else len(self.triples)

    def values(self) -> list[tuple]:
        """Rows as Python values (str, int, float, bool, Decimal, None)."""
        from kg_store.formats import to_python

        return [tuple(to_python(term) for term in row) for row in self.rows]

    def records(self) -> list[dict]:
        """Rows as ``{var: python value}`` dicts."""
        return [dict(zip(self.vars, row)) for row in self.values()]


class Store(ABC):
    """An RDF dataset answering SPARQL; a context manager that closes itself."""

    #: Whether every process that opens this store sees the writes of the others (a remote server
    #: does; an embedded store's read-only replica does not). ``kg serve --workers`` relies on it.
    shared_across_processes = False

    def __init__(self, *, base_iri: str = DEFAULT_BASE_IRI, timeout_s: float = 30.0, limit: int = 10_000) -> None:
        self.vocab = Vocab(base_iri)
        self.timeout_s = timeout_s
        self.limit = limit

    # -- writing ---------------------------------------------------------
    @abstractmethod
    def load_quads(self, quads: Iterable[Quad]) -> None:
        """Add quads (streamed; duplicates of stored quads are no-ops)."""

    def load_nquads(self, chunks: Iterable[bytes]) -> None:
        """Add N-Quads text (chunks of whole lines, e.g. from :func:`kg_store.quads.tables_to_nquads`).

        Backends that parse N-Quads natively override this; by default the
        text is parsed into quads for :meth:`load_quads`.
        """
        from kg_store.quads import parse_nquads

        self.load_quads(parse_nquads(chunks))

    @abstractmethod
    def drop_graphs(self, graphs: Iterable[NamedNode]) -> None:
        """Remove named graphs and all their quads; missing graphs are fine."""

    def graphs(self) -> list[NamedNode]:
        """Names of the named graphs."""
        result = self.query("SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }", limit=2**62)
        return [g for (g,) in result.rows if isinstance(g, NamedNode)]

    def document_ids(self) -> set[str]:
        """Ids of the documents that have a graph in the store."""
        from urllib.parse import unquote

        prefix = self.vocab.document_ns
        return {unquote(g.value[len(prefix):]) for g in self.graphs() if g.value.startswith(prefix)}

    @abstractmethod
    def update(self, sparql: str) -> None:
        """Run a SPARQL 1.1 Update."""

    # -- reading ---------------------------------------------------------
    @abstractmethod
    def query(self, sparql: str, *, timeout_s: float | None = None, limit: int | None = None,
              on_expiry: Callable[[QueryError], None] | None = None) -> QueryResult:
        """Run a SPARQL query over the union of all graphs.

        ``timeout_s`` and ``limit`` default to the store's settings; past the
        timeout a :class:`~pipeline.errors.QueryError` is raised, past the
        limit rows stop and ``truncated`` is set. An evaluation that cannot
        be interrupted raises only when it ends; ``on_expiry`` is then called
        with the error at the deadline, from another thread, so that a
        server can answer on time.
        """

    @abstractmethod
    def count_quads(self) -> int:
        """Number of quads stored."""

    @abstractmethod
    def dump(self, path: str | Path, format: str | RdfFormat | None = None) -> Path:
        """Write the store to ``path`` (format from its name or extension)."""

    def rdflib_dataset(self):
        """This store as an ``rdflib.Dataset`` (default graph = union of the named graphs).

        For users who want rdflib's API; loads should still go through
        :meth:`load_nquads`/:meth:`load_quads`, which are much faster.
        """
        raise NotImplementedError(f"{type(self).__name__} has no rdflib view")

    def close(self) -> None:
        """Release the store (locks, connections). Safe to call twice."""

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
