"""A SPARQL 1.1 Protocol endpoint over any Store (``kg serve``).

* ``GET|HEAD|POST /query``: ``?query=``, a form field, or an
  ``application/sparql-query`` body. Results by content negotiation (or
  ``?format=json|csv|tsv|xml|turtle|ntriples``): SPARQL JSON, CSV, TSV,
  XML for SELECT/ASK; Turtle, N-Triples, JSON-LD, RDF/XML for CONSTRUCT.
* ``POST /update``: refused (403) unless the server has an update token,
  and then 401 unless the request sends ``Authorization: Bearer <token>``.
* ``GET /``: a page with a query box and example queries (:mod:`kg_store.page`).
* The graph explorer (:mod:`kg_store.explorer`), read-only, evaluated like
  queries: ``GET /explore?q=``, ``GET /api/search?q=``, ``GET /entity/{id}``
  (HTML, or JSON for ``Accept: application/json``), ``POST /api/labels``;
  its CSS, script and Bangla web font under ``GET /static/`` (no CDN).
  HTML pages carry a Content-Security-Policy that allows only this origin's
  scripts and styles, so an escaped label could not run script even if
  escaping were missed.

Built to stay up under anyone who can reach it:

* HTTP is uvicorn's (h11): one asyncio process, so idle connections cost a
  socket, not a thread; malformed requests (``Content-Length: -1`` or
  ``abc``) are answered 400 by the parser. On top of it a connection that
  has no request in flight is closed after ``idle_timeout_s`` (also one
  that trickles its headers), at most ``max_connections`` are open, and a
  body (sized or chunked) over ``max_body_bytes`` is answered 413.
* Queries are evaluated in killable child processes
  (:mod:`kg_store.evaluator`): at the deadline or over ``max_memory`` the
  evaluation is killed, not only answered 503, and its slot comes back.
  ``workers`` is the number of those processes.
* Updates (token holders only) run in this process on the store it was
  given; the children then reopen their read-only replica, so every query
  after a 204 sees the update.

Why not Oxigraph's own server behind a read-only front: ``oxigraph serve
--timeout-s 2`` did not stop ``SELECT * { ?a ?b ?c . ?d ?e ?f } ORDER BY
?a ?f`` (still running at 20 s, 1.5 GB), answered a cancelled COUNT with
a 200 whose body ends in an error message, and has no memory ceiling: the
kill has to happen outside the engine in any case.

It binds 127.0.0.1 by default and has no TLS: put a proxy in front of it
before exposing it.

By concern: :mod:`kg_store.routes` (the ASGI app: routing, bodies, the
update token), :mod:`kg_store.connections` (limits, the guarded h11
protocol, the socket), :mod:`kg_store.evaluator` (the query processes);
this module binds, runs and stops the server (signals, lifecycle).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import signal
import threading
from collections.abc import Callable

import uvicorn

from kg_store.base import Store
from kg_store.connections import (
    MAX_BODY_BYTES,
    GuardedH11,
    Limits,
    listen,
    raise_fd_limit,
)
from kg_store.evaluator import EvaluatorPool
from kg_store.routes import App
from pipeline.errors import ConfigError

__all__ = ["MAX_BODY_BYTES", "Limits", "SparqlServer", "make_server", "serve"]

log = logging.getLogger(__name__)


class SparqlServer:
    """A bound endpoint: ``serve_forever()`` runs it (in any thread), ``shutdown()`` stops it."""

    def __init__(
        self,
        store: Store,
        open_replica: Callable[[], Store],
        host: str,
        port: int,
        *,
        update_token: str | None,
        workers: int,
        limits: Limits,
    ) -> None:
        self.store, self.limits = store, limits
        self.pool = EvaluatorPool(open_replica, workers=workers, max_memory=limits.max_memory,
                                  long_after_s=limits.long_after_s)
        self.socket = listen(host, port)
        config = uvicorn.Config(
            App(store, self.pool, update_token, limits),
            http=functools.partial(GuardedH11, limits=limits),
            ws="none", lifespan="off", loop="asyncio", log_config=None, access_log=False,
            proxy_headers=False, server_header=False, headers=[("server", "kg-pipeline-sparql/0.2")],
            timeout_keep_alive=max(1, int(limits.idle_timeout_s)), timeout_graceful_shutdown=5,
        )
        self._server = uvicorn.Server(config)
        self.ready = threading.Event()

    @property
    def url(self) -> str:
        host, port = self.socket.getsockname()[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def serve_forever(self, on_ready: Callable[[], None] | None = None) -> None:
        asyncio.run(self._main(on_ready))

    async def _main(self, on_ready: Callable[[], None] | None) -> None:
        try:
            await self.pool.start()
            if on_ready is not None:
                on_ready()
            self.ready.set()
            await self._server.serve(sockets=[self.socket])
        finally:
            await self.pool.close()

    def shutdown(self) -> None:
        """Stop serving (thread-safe); ``serve_forever`` returns within about 0.1 s plus open requests."""
        self._server.should_exit = True

    def server_close(self) -> None:
        self.socket.close()


def make_server(
    store: Store,
    host: str = "127.0.0.1",
    port: int = 7878,
    *,
    open_replica: Callable[[], Store],
    update_token: str | None = None,
    workers: int = 1,
    limits: Limits = Limits(),
) -> SparqlServer:
    """A bound, not yet running server (``port=0`` picks a free port); call ``serve_forever``.

    ``open_replica`` (picklable, e.g. a read-only ``functools.partial(open_store, ...)``) opens the
    store each query evaluator uses; an in-memory store cannot be served.
    """
    if workers < 1:
        raise ConfigError(f"--workers must be at least 1 (got {workers}).")
    if host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("Serving SPARQL on %s: anyone who can reach this address can query the store.", host)
    return SparqlServer(store, open_replica, host, port, update_token=update_token, workers=workers, limits=limits)


def serve(
    store: Store,
    host: str = "127.0.0.1",
    port: int = 7878,
    update_token: str | None = None,
    *,
    workers: int = 1,
    open_replica: Callable[[], Store],
    limits: Limits = Limits(),
) -> None:
    """Serve ``store`` until interrupted (Ctrl-C or SIGTERM), then close it.

    Open an embedded store read-write (``open_store(store_dir=...)``) so it
    holds the directory lock: a concurrent ``kg build`` then fails with a
    clear message instead of writing under a reader. A remote store
    (``open_store(endpoint=...)``) makes this a read-only front for a SPARQL
    server that should not be exposed itself (docker-compose does this).

    ``workers`` query evaluators run at once, each a process with its own
    replica from ``open_replica``: pyoxigraph holds the GIL for most of a
    query, so one process uses about one core.
    """
    try:
        raise_fd_limit(limits.max_connections + 256)
        server = make_server(store, host, port, open_replica=open_replica, update_token=update_token,
                             workers=workers, limits=limits)
    except BaseException:
        store.close()
        raise
    how = f"updates {'enabled' if update_token else 'disabled'}"
    how += f", {workers} query processes" if workers > 1 else ""

    def announce() -> None:
        print(f"SPARQL endpoint at {server.url}/query ({how}); graph explorer at {server.url}/explore", flush=True)

    # uvicorn handles SIGINT/SIGTERM while it runs and raises the signal again afterwards, with
    # the handlers it found: no-ops here, so a stop is a clean exit 0, not a KeyboardInterrupt.
    main = threading.current_thread() is threading.main_thread()
    stop = {signal.SIGINT: lambda *_: server.shutdown(), signal.SIGTERM: lambda *_: server.shutdown()}
    previous = {sig: signal.signal(sig, handler) for sig, handler in stop.items()} if main else {}
    try:
        server.serve_forever(on_ready=announce)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.server_close()
        store.close()
