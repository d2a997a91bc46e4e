"""The embedded backend: a pyoxigraph store in a directory (or in memory).

Measured on 100k quads (2 cores): ``bulk_extend`` loads in 0.8 s,
``extend`` in 1.5 s; both have set semantics, so a second load of the same
quads adds nothing. ``extend`` is one transaction but holds everything in
memory; ``bulk_extend`` streams but writes new files on every call. So
small loads (up to :data:`SMALL_LOAD` quads) use ``extend`` and larger ones
stream through ``bulk_extend``. N-Quads text (what ``run_store`` sends) goes
the same two ways: ``Store.load`` (one transaction) up to
:data:`SMALL_LOAD_BYTES`, else one ``Store.bulk_load`` that reads the chunks
as they are made, so the whole graph is never in memory as text.

A bulk load is not one transaction: a process killed half way leaves part
of the data. ``run_store`` replaces every graph it writes, so the next run
ends with exactly the store a clean run gives (tests/kg_store/test_crash.py).

One process at a time may open a directory read-write (a RocksDB lock);
``read_only=True`` opens a snapshot that ignores the lock, for queries
while e.g. ``kg serve`` holds it.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable
from itertools import chain, islice
from pathlib import Path

import pyoxigraph as ox

from pipeline.errors import QueryError, StoreError
from kg_store.base import QueryResult, Store
from kg_store.formats import rdf_format
from kg_store.timeouts import QueryRunner, preview
from kg_store.vocab import DEFAULT_BASE_IRI

#: Loads up to this many quads (or bytes of N-Quads) go through one transaction.
SMALL_LOAD = 50_000
SMALL_LOAD_BYTES = 8 * 1024 * 1024


class _ChunkReader(io.RawIOBase):
    """A binary file over an iterator of byte chunks (for ``bulk_load`` to pull from)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks, self._buffer = iter(chunks), memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, out) -> int:
        while not self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._buffer = memoryview(chunk)
        n = min(len(out), len(self._buffer))
        out[:n], self._buffer = self._buffer[:n], self._buffer[n:]
        return n


#: What a read-only open says of a store killed while it was being created (both seen after SIGKILL).
_HALF_CREATED = ("Column family not found", "Inserts are only possible on read-write instances")


def _open_read_only(path: Path) -> ox.Store:
    try:
        return ox.Store.read_only(str(path))
    except RuntimeError as err:
        if not any(sign in str(err) for sign in _HALF_CREATED):
            raise StoreError(f"Cannot open the store at {path}: {err}") from None
    # A store killed while it was being created lacks column families or its version record, and holds
    # nothing yet. A read-write open completes it (or fails on the lock if a writer holds it).
    ox.Store(str(path))  # dropped at once, which releases the lock
    return ox.Store.read_only(str(path))


def _open(path: Path | None, read_only: bool) -> ox.Store:
    if path is None:
        if read_only:
            raise StoreError("A read-only store needs a directory (got none).")
        return ox.Store()
    if read_only and not (path / "CURRENT").exists():
        raise StoreError(f"No store at {path}. Build one first (`kg build`), or point --store at an existing store.")
    try:
        if read_only:
            return _open_read_only(path)
        return ox.Store(str(path))
    except OSError as err:
        message = str(err)
        if "lock" not in message.lower():
            raise StoreError(f"Cannot open the store at {path}: {message}") from None
        if "current process" in message:
            raise StoreError(
                f"Store directory {path} is already open in this process. Close the other Store "
                f"first (use `with open_store(...) as store:`)."
            ) from None
        raise StoreError(
            f"Store directory {path} is locked by another process, most likely a running `kg serve` or "
            f"`kg build`: only one process may open an Oxigraph store for writing. Fix: stop that process, "
            f"query the running server instead (`kg query --endpoint http://127.0.0.1:7878/query`), or "
            f"open the store read-only (`open_store(..., read_only=True)`)."
        ) from None


def _collect(result: object, limit: int, cancel: threading.Event) -> QueryResult:
    """Pull at most ``limit`` rows out of a lazy pyoxigraph result."""
    if isinstance(result, ox.QueryBoolean):
        return QueryResult(kind="ask", boolean=bool(result))
    items: list = []
    truncated = False
    for item in result:  # lazy: a plain pattern streams row by row
        if cancel.is_set():
            break
        if len(items) >= limit:
            truncated = True
            break
        items.append(tuple(item) if isinstance(result, ox.QuerySolutions) else item)
    if isinstance(result, ox.QuerySolutions):
        return QueryResult(kind="select", vars=[v.value for v in result.variables], rows=items, truncated=truncated)
    return QueryResult(kind="graph", triples=items, truncated=truncated)


class OxigraphStore(Store):
    """pyoxigraph ``Store`` at ``path`` (None: in memory, for tests and scratch work)."""

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        read_only: bool = False,
        base_iri: str = DEFAULT_BASE_IRI,
        timeout_s: float = 30.0,
        limit: int = 10_000,
        max_concurrent_queries: int = 8,
        small_load: int = SMALL_LOAD,
    ) -> None:
        super().__init__(base_iri=base_iri, timeout_s=timeout_s, limit=limit)
        self.path = Path(path).expanduser().resolve() if path is not None else None
        self.read_only = read_only
        self._store: ox.Store | None = _open(self.path, read_only)
        self._runner = QueryRunner(max_concurrent_queries)
        self.small_load = small_load

    @property
    def store(self) -> ox.Store:
        """The underlying pyoxigraph store (for what this class does not wrap)."""
        if self._store is None:
            raise StoreError(f"The store at {self.path or '(memory)'} is closed; open it again with open_store().")
        return self._store

    def _writable(self) -> ox.Store:
        if self.read_only:
            raise StoreError(f"The store at {self.path} is open read-only; open it without read_only to change it.")
        return self.store

    def load_quads(self, quads: Iterable[ox.Quad]) -> None:
        store, it = self._writable(), iter(quads)
        head = list(islice(it, self.small_load))
        try:
            if len(head) < self.small_load:
                store.extend(head)
            else:
                store.bulk_extend(chain(head, it))
        except OSError as err:
            raise StoreError(f"Loading quads into {self.path or '(memory)'} failed: {err}") from None

    def load_nquads(self, chunks: Iterable[bytes]) -> None:
        store, it = self._writable(), iter(chunks)
        head, size = [], 0
        while size <= SMALL_LOAD_BYTES and (chunk := next(it, None)) is not None:
            head.append(chunk)
            size += len(chunk)
        try:
            if size <= SMALL_LOAD_BYTES:
                store.load(b"".join(head), format=ox.RdfFormat.N_QUADS)
            else:
                reader = io.BufferedReader(_ChunkReader(chain(head, it)), 1 << 20)
                store.bulk_load(reader, format=ox.RdfFormat.N_QUADS)
        except SyntaxError as err:  # a bug in the quad writer, not bad user input
            raise StoreError(f"Loading N-Quads into {self.path or '(memory)'} failed: {err}") from None
        except OSError as err:
            raise StoreError(f"Loading quads into {self.path or '(memory)'} failed: {err}") from None

    def graphs(self) -> list[ox.NamedNode]:
        return [g for g in self.store.named_graphs() if isinstance(g, ox.NamedNode)]

    def drop_graphs(self, graphs: Iterable[ox.NamedNode]) -> None:
        store = self._writable()
        for graph in graphs:
            # Unconditional: after a killed bulk load, quads may exist whose graph name was never
            # registered, and contains_named_graph would then say there is nothing to remove.
            store.remove_graph(graph)

    def update(self, sparql: str) -> None:
        try:
            self._writable().update(sparql, prefixes=self.vocab.prefixes())
        except SyntaxError as err:
            raise QueryError(f"Invalid SPARQL update: {err}. Update: {preview(sparql)!r}") from None
        except OSError as err:
            raise StoreError(f"SPARQL update failed on {self.path or '(memory)'}: {err}") from None

    def query(self, sparql: str, *, timeout_s: float | None = None, limit: int | None = None,
              on_expiry: Callable[[QueryError], None] | None = None) -> QueryResult:
        store, prefixes = self.store, self.vocab.prefixes()
        limit = self.limit if limit is None else limit

        def work(cancel: threading.Event) -> QueryResult:
            try:
                result = store.query(sparql, use_default_graph_as_union=True, prefixes=prefixes)
                return _collect(result, limit, cancel)
            except SyntaxError as err:
                raise QueryError(f"Invalid SPARQL: {err}. Query: {preview(sparql)!r}") from None
            except (OSError, RuntimeError, ValueError) as err:
                raise QueryError(f"Query failed: {err}. Query: {preview(sparql)!r}") from None

        timeout_s = self.timeout_s if timeout_s is None else timeout_s
        return self._runner.run(work, timeout_s=timeout_s, sparql=sparql, on_expiry=on_expiry)

    def count_quads(self) -> int:
        return len(self.store)

    def rdflib_dataset(self):
        """An ``rdflib.Dataset`` over this very store, through oxrdflib (same transaction view, same lock).

        Graphs have fixed names, so nothing goes to an anonymous graph that
        looks lost after reopening (DESIGN.md, "rdflib over Oxigraph").
        """
        import rdflib
        from oxrdflib import OxigraphStore as RdflibOxigraphStore

        return rdflib.Dataset(store=RdflibOxigraphStore(store=self.store), default_union=True)

    def dump(self, path: str | Path, format: str | ox.RdfFormat | None = None) -> Path:
        path, fmt = Path(path), rdf_format(format, path)
        path.parent.mkdir(parents=True, exist_ok=True)
        prefixes = self.vocab.prefixes() if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
        if fmt.supports_datasets:
            self.store.dump(str(path), fmt, prefixes=prefixes)
        else:  # a triple format gets the union of all graphs, each triple once
            rows = self.store.query("SELECT DISTINCT ?s ?p ?o { ?s ?p ?o }", use_default_graph_as_union=True)
            triples = (ox.Triple(s["s"], s["p"], s["o"]) for s in rows)
            ox.serialize(triples, str(path), fmt, prefixes=prefixes)
        return path

    def close(self) -> None:
        # Dropping the last reference releases the directory lock; a query
        # still running in a worker keeps its own reference until it ends.
        if self._store is not None:
            if not self.read_only:
                self._store.flush()
            self._store = None
