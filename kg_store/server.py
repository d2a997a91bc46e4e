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
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import logging
import re
import resource
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, unquote

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from pipeline.errors import ConfigError, KGError, QueryError
from kg_store.base import Store
from kg_store.evaluator import EvaluationRefused, EvaluatorPool
from kg_store.page import page
from kg_store.vocab import ENTITY_SEGMENT

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024 * 1024
_TEXT = "text/plain; charset=utf-8"
_STATIC_DIR = Path(__file__).parent / "static"
_ENTITY_ID = re.compile(ENTITY_SEGMENT)
#: What ``GET /static/NAME`` serves: nothing else is read from disk.
_STATIC_TYPES = {
    "explorer.css": "text/css; charset=utf-8",
    "explorer.js": "text/javascript; charset=utf-8",
    "sparql.js": "text/javascript; charset=utf-8",
    "NotoSansBengali-Regular.ttf": "font/ttf",
    "OFL.txt": _TEXT,
}
_HTML_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; "
                               "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
#: Explorer routes: path -> (route of kg_store.explorer.handle, methods).
_EXPLORER = {"/explore": ("search_page", ("GET", "HEAD")), "/api/search": ("search", ("GET", "HEAD")),
             "/api/labels": ("labels", ("POST",))}


@dataclass(frozen=True)
class Limits:
    """What one client may take from the server (``kg serve`` flags in brackets)."""

    #: Resident memory one query's evaluator may reach, in bytes; None: no ceiling [--max-memory MB].
    max_memory: int | None = 512 * 1024 * 1024
    #: Open connections at most; more are answered 503 and closed [--max-connections].
    max_connections: int = 1024
    #: Seconds a connection may stay without a request in flight (and between body chunks) [--idle-timeout].
    idle_timeout_s: float = 10.0
    #: Largest request body (Content-Length or chunked).
    max_body_bytes: int = MAX_BODY_BYTES
    #: A query that used this much CPU time is long: reniced, replaced, at most ``workers`` at once.
    long_after_s: float = 0.02


class _GuardedH11(H11Protocol):
    """uvicorn's h11 protocol plus a connection cap and an idle time-out that also covers a first request.

    uvicorn times out only idle keep-alive connections, and a header byte
    resets that timer; this timer runs from the connection (or the last
    response) until a whole request has arrived.
    """

    def __init__(self, *args, limits: Limits, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._limits, self._idle_timer = limits, None

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self._limits.max_connections:
            body = b"Too many open connections; retry later.\n"
            transport.write(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                            b"Retry-After: 1\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            transport.close()
            return
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        self._idle_timer = self.loop.call_later(self._limits.idle_timeout_s, self._on_idle)

    def _on_idle(self) -> None:
        if self.cycle is None or self.cycle.response_complete:  # no request in flight: none came in time
            self.timeout_keep_alive_handler()


class _Refusal(Exception):
    def __init__(self, status: int, message: str, **headers: str) -> None:
        super().__init__(message)
        self.status, self.headers = status, headers


class _App:
    """The ASGI application: routing, parameters, bodies, the update token; queries go to the pool."""

    def __init__(self, store: Store, pool: EvaluatorPool, update_token: str | None, limits: Limits) -> None:
        self.store, self.pool, self.update_token, self.limits = store, pool, update_token or None, limits
        self._update_lock = asyncio.Lock()
        self._static: dict[str, bytes] = {}  # read on first use: a SPARQL-only server never holds the font

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        method, path = scope["method"], scope["path"]
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            if path in ("/", "/index.html") and method in ("GET", "HEAD"):
                params = await self._params(scope, receive, headers)
                status, ctype, extra, body = HTTPStatus.OK, "text/html; charset=utf-8", {}, page(params.get("query"), self.store.vocab.entity_ns)
            elif path.startswith("/static/") and method in ("GET", "HEAD"):
                name = path[len("/static/"):]
                if name not in _STATIC_TYPES:
                    raise _Refusal(HTTPStatus.NOT_FOUND, "Not found.")
                if name not in self._static:
                    self._static[name] = (_STATIC_DIR / name).read_bytes()
                ctype, body = _STATIC_TYPES[name], self._static[name]
                status, extra = HTTPStatus.OK, {"Cache-Control": "max-age=3600"}
            elif path.startswith("/entity/") and method in ("GET", "HEAD"):
                status, ctype, extra, body = await self._explore("entity", {"id": self._entity_id(scope)}, headers)
            elif path in _EXPLORER and method in _EXPLORER[path][1]:
                params = await self._params(scope, receive, headers)
                status, ctype, extra, body = await self._explore(_EXPLORER[path][0], params, headers)
            elif path in _EXPLORER:
                raise _Refusal(HTTPStatus.METHOD_NOT_ALLOWED, f"Use {', '.join(_EXPLORER[path][1])}.",
                               Allow=", ".join(_EXPLORER[path][1]))
            elif path == "/query" and method in ("GET", "HEAD", "POST"):
                status, ctype, extra, body = await self._query(scope, receive, headers)
            elif path == "/update" and method == "POST":
                status, ctype, extra, body = await self._update(scope, receive, headers)
            elif path in ("/", "/index.html", "/query", "/update"):
                allow = "POST" if path == "/update" else ("GET, HEAD, POST" if path == "/query" else "GET, HEAD")
                hint = "Send updates with POST." if path == "/update" else f"Use {allow}."
                raise _Refusal(HTTPStatus.METHOD_NOT_ALLOWED, hint, Allow=allow)
            else:
                raise _Refusal(HTTPStatus.NOT_FOUND, "Not found. Endpoints: /query, /update, /, /explore, "
                               "/api/search, /entity/{id}.")
        except _Refusal as refusal:
            status, ctype, extra, body = refusal.status, _TEXT, refusal.headers, (str(refusal).rstrip() + "\n").encode()
        if ctype.startswith("text/html"):
            extra = {**_HTML_HEADERS, **extra}
        await send({
            "type": "http.response.start",
            "status": int(status),
            "headers": [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode()),
                        *((k.replace("_", "-").lower().encode(), v.encode()) for k, v in extra.items())],
        })
        await send({"type": "http.response.body", "body": body})  # uvicorn drops it for HEAD

    async def _params(self, scope, receive, headers: dict[str, str]) -> dict[str, str]:
        """Query-string and body parameters; the raw body under the key ''."""
        params = {k: v[0] for k, v in parse_qs(scope["query_string"].decode("latin-1"), keep_blank_values=True).items()}
        if scope["method"] == "POST":
            body = (await self._body(receive, headers)).decode("utf-8", "replace")
            ctype = headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype == "application/x-www-form-urlencoded":
                params.update({k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()})
            else:
                params[""] = body
        return params

    async def _body(self, receive, headers: dict[str, str]) -> bytes:
        cap = self.limits.max_body_bytes
        too_large = _Refusal(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"Request body over {cap} bytes.", Connection="close")
        if int(headers.get("content-length") or 0) > cap:  # h11 has checked it is a number
            raise too_large
        chunks, size, more = [], 0, True
        while more:  # chunked bodies have no length: count as they come
            try:
                message = await asyncio.wait_for(receive(), self.limits.idle_timeout_s)
            except asyncio.TimeoutError:
                raise _Refusal(HTTPStatus.REQUEST_TIMEOUT, f"No request body data for {self.limits.idle_timeout_s:g} s.",
                               Connection="close") from None
            if message["type"] == "http.disconnect":
                raise _Refusal(HTTPStatus.BAD_REQUEST, "The client went away.", Connection="close")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > cap:
                raise too_large
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)

    @staticmethod
    def _sparql(params: dict[str, str], field: str, how: str) -> str:
        sparql = params.get(field) or params.get("", "")
        if not sparql.strip():
            raise _Refusal(HTTPStatus.BAD_REQUEST, f"Missing SPARQL {field}: send {how}.")
        return sparql

    async def _query(self, scope, receive, headers: dict[str, str]):
        params = await self._params(scope, receive, headers)
        sparql = self._sparql(params, "query", "?query=..., a 'query' form field, or an application/sparql-query body")
        try:
            return await self.pool.query(sparql, accept=headers.get("accept", "*/*"), format_param=params.get("format"),
                                         timeout_s=self.store.timeout_s)
        except EvaluationRefused as refused:
            raise _Refusal(refused.status, str(refused), **refused.headers) from None

    @staticmethod
    def _entity_id(scope) -> str:
        # The raw path keeps the id's percent escapes, which are part of the entity IRI.
        raw = scope.get("raw_path") or scope["path"].encode("utf-8")
        entity_id = raw.decode("latin-1").split("?", 1)[0][len("/entity/"):]
        if not _ENTITY_ID.match(entity_id):
            raise _Refusal(HTTPStatus.NOT_FOUND, f"No entity {unquote(entity_id)[:200]!r}: entity ids are IRI path "
                           f"segments (letters, digits, . _ ~ - and %-escapes).")
        return entity_id

    async def _explore(self, route: str, params: dict[str, str], headers: dict[str, str]):
        try:
            return await self.pool.explore(route, params, accept=headers.get("accept", "*/*"),
                                           timeout_s=self.store.timeout_s)
        except EvaluationRefused as refused:
            raise _Refusal(refused.status, str(refused), **refused.headers) from None

    async def _update(self, scope, receive, headers: dict[str, str]):
        params = await self._params(scope, receive, headers)  # read the body first so the connection stays clean
        if self.update_token is None:
            raise _Refusal(HTTPStatus.FORBIDDEN, "Updates are disabled on this endpoint. Start it with `kg serve "
                           "--update-token T` and send `Authorization: Bearer T`.")
        sent = headers.get("authorization", "")
        if not sent.startswith("Bearer "):
            raise _Refusal(HTTPStatus.UNAUTHORIZED, "Send `Authorization: Bearer <token>` to update.",
                           WWW_Authenticate='Bearer realm="kg"')
        if not hmac.compare_digest(sent[len("Bearer "):].strip().encode(), self.update_token.encode()):
            raise _Refusal(HTTPStatus.FORBIDDEN, "Wrong update token.")
        sparql = self._sparql(params, "update", "an 'update' form field or an application/sparql-update body")
        async with self._update_lock:
            try:
                await asyncio.to_thread(self.store.update, sparql)
            except QueryError as err:
                raise _Refusal(HTTPStatus.BAD_REQUEST, str(err)) from None
            except KGError as err:
                raise _Refusal(HTTPStatus.INTERNAL_SERVER_ERROR, str(err)) from None
            finally:
                if not self.store.shared_across_processes:
                    self.pool.generation += 1  # children reopen their replica before the next query
        return HTTPStatus.NO_CONTENT, _TEXT, {}, b""


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        # The default backlog of 5 drops SYNs when many clients connect at once (1 s retransmits).
        return socket.create_server((host, port), family=family, backlog=1024)
    except OSError as err:
        raise ConfigError(
            f"Cannot listen on {host}:{port}: {err.strerror or err}. Another process (maybe another `kg serve`) "
            f"may hold the port: stop it, or pick another with --port."
        ) from None


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
        self.socket = _listen(host, port)
        config = uvicorn.Config(
            _App(store, self.pool, update_token, limits),
            http=functools.partial(_GuardedH11, limits=limits),
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


def _raise_fd_limit(wanted: int) -> None:
    # Every connection is a file descriptor; a default soft limit of 1024 would refuse them before our cap.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(hard, wanted)
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


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
        _raise_fd_limit(limits.max_connections + 256)
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
