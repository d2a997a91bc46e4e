"""A small SPARQL 1.1 Protocol endpoint over any Store (``kg serve``).

* ``GET|POST /query``: ``?query=``, a form field, or an
  ``application/sparql-query`` body. Results by content negotiation (or
  ``?format=json|csv|tsv|xml|turtle|ntriples``): SPARQL JSON, CSV, TSV,
  XML for SELECT/ASK; Turtle, N-Triples, JSON-LD, RDF/XML for CONSTRUCT.
* ``POST /update``: refused (403) unless the server has an update token,
  and then 401 unless the request sends ``Authorization: Bearer <token>``.
* ``GET /``: a page with a query box and example queries (:mod:`kg_store.page`).

The query timeout and result limit of the store apply to every request.
Bad SPARQL is a 400 with the reason; a timeout is a 503. It binds
127.0.0.1 by default: the server has no TLS, so put a proxy in front of it
before exposing it. Built on the standard library's ThreadingHTTPServer,
one thread per connection; ``workers`` adds processes on the same port
for read-only endpoints, since one Python process uses about one core.
"""

from __future__ import annotations

import hmac
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from pyoxigraph import QueryResultsFormat as QRF
from pyoxigraph import RdfFormat

from pipeline.errors import ConfigError, KGError, QueryError
from kg_store.base import QueryResult, Store
from kg_store.formats import RESULT_FORMATS, serialize_result
from kg_store.page import page
from kg_store.timeouts import QueryTimeoutError

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024 * 1024
_FAILED = object()  # a store call that was answered with an error status

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


def _negotiate(accept: str, kind: str) -> tuple[str, QRF | RdfFormat]:
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


def _media_type(fmt: QRF | RdfFormat) -> str:
    media = fmt.media_type
    return media + "; charset=utf-8" if media.startswith("text/") else media


class _Handler(BaseHTTPRequestHandler):
    server: "SparqlServer"
    server_version = "kg-pipeline-sparql/0.1"
    # Keep-alive: a client reuses its connection instead of paying a TCP
    # handshake and a new server thread per query (every response has a length).
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stall on small answers
    # Buffered output: headers and body leave in one send (http.server flushes after each request).
    wbufsize = 64 * 1024
    _date: tuple[int, str] = (0, "")  # (second, its Date header), shared by all handler threads
    _answered_late = False  # set when a 503 went out at the deadline (see _answer_late)

    def log_message(self, format: str, *args: object) -> None:
        # One line per request is an access log: shown with `kg -v serve`, not by default.
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s", self.address_string(), format % args)

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header changes once a second; formatting it costs more than a small query's JSON.
        if timestamp is not None:
            return super().date_time_string(timestamp)
        now = int(time.time())
        second, text = _Handler._date
        if second != now:
            text = super().date_time_string(now)
            _Handler._date = (now, text)
        return text

    def _send(
        self, status: int, body: bytes = b"", content_type: str = "text/plain; charset=utf-8", **headers: str
    ) -> None:
        self.send_response(status)
        if body or status != HTTPStatus.NO_CONTENT:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, message: str, **headers: str) -> None:
        self._send(status, (message.rstrip() + "\n").encode("utf-8"), **headers)

    def _params(self) -> dict[str, str] | None:
        """Query-string and body parameters; the raw body under the key '' ."""
        url = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        if self.command == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self.close_connection = True  # the unread body must not be taken for the next request
                self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"Request body over {MAX_BODY_BYTES} bytes.")
                return None
            body = self.rfile.read(length).decode("utf-8", "replace")
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if ctype == "application/x-www-form-urlencoded":
                params.update({k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()})
            else:
                params[""] = body
        return params

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path in ("/", "/index.html"):
            self._send(HTTPStatus.OK, page(), "text/html; charset=utf-8")
        elif path == "/query":
            self._query()
        elif path == "/update":
            self._error(HTTPStatus.METHOD_NOT_ALLOWED, "Send updates with POST.", Allow="POST")
        else:
            self._error(HTTPStatus.NOT_FOUND, "Not found. Endpoints: /query, /update, /.")

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if path == "/query":
            self._query()
        elif path == "/update":
            self._update()
        else:
            self._error(HTTPStatus.NOT_FOUND, "Not found. Endpoints: /query, /update.")

    def _query(self) -> None:
        params = self._params()
        if params is None:
            return
        sparql = self._sparql(params, "query", "?query=..., a 'query' form field, or an application/sparql-query body")
        if sparql is None:
            return
        self._answered_late = False
        result = self._run(self.server.store.query, sparql, on_expiry=self._answer_late)
        if result is not _FAILED:
            self._answer(result, params.get("format"))

    def _answer_late(self, err: QueryTimeoutError) -> None:
        """503 at the deadline, from the watchdog thread, while an evaluation that cannot stop runs out.

        The handler thread is inside the store then and writes nothing more;
        the connection closes, so a late answer can never follow.
        """
        self._answered_late = True
        self._error(HTTPStatus.SERVICE_UNAVAILABLE, str(err), Connection="close")
        self.wfile.flush()

    def _sparql(self, params: dict[str, str], field: str, how: str) -> str | None:
        """The SPARQL text of a request, or None after answering 400."""
        sparql = params.get(field) or params.get("", "")
        if not sparql.strip():
            self._error(HTTPStatus.BAD_REQUEST, f"Missing SPARQL {field}: send {how}.")
            return None
        return sparql

    def _run(self, call, sparql: str, **options):
        """``call(sparql)``; a store error is answered with its HTTP status (503, 400, 500) and gives _FAILED."""
        try:
            return call(sparql, **options)
        except QueryTimeoutError as err:
            if not self._answered_late:
                self._error(HTTPStatus.SERVICE_UNAVAILABLE, str(err))
        except QueryError as err:
            self._error(HTTPStatus.BAD_REQUEST, str(err))
        except KGError as err:
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, str(err))
        return _FAILED

    def _answer(self, result: QueryResult, format_param: str | None) -> None:
        kind = "graph" if result.kind == "graph" else "results"
        fmt = _FORMAT_PARAM.get((format_param or "").lower())
        if fmt is None or isinstance(fmt, RdfFormat) != (kind == "graph"):
            _, fmt = _negotiate(self.headers.get("Accept") or "*/*", kind)
        headers = {"X_Result_Truncated": "true"} if result.truncated else {}
        body = serialize_result(result, fmt, self.server.store.vocab.prefixes())
        self._send(HTTPStatus.OK, body, _media_type(fmt), **headers)

    def _update(self) -> None:
        params = self._params()  # read the body first so the connection stays clean on refusal
        if params is None:
            return
        token = self.server.update_token
        if token is None:
            self._error(
                HTTPStatus.FORBIDDEN,
                "Updates are disabled on this endpoint. Start it with `kg serve --update-token T` and send "
                "`Authorization: Bearer T`.",
            )
            return
        sent = self.headers.get("Authorization") or ""
        if not sent.startswith("Bearer "):
            self._error(
                HTTPStatus.UNAUTHORIZED,
                "Send `Authorization: Bearer <token>` to update.",
                WWW_Authenticate='Bearer realm="kg"',
            )
            return
        if not hmac.compare_digest(sent[len("Bearer "):].strip().encode(), token.encode()):
            self._error(HTTPStatus.FORBIDDEN, "Wrong update token.")
            return
        sparql = self._sparql(params, "update", "an 'update' form field or an application/sparql-update body")
        if sparql is None or self._run(self.server.store.update, sparql) is _FAILED:
            return
        self._send(HTTPStatus.NO_CONTENT)


class SparqlServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that carries the store and the update token."""

    daemon_threads = True
    request_queue_size = 128  # the default 5 drops SYNs when many clients connect at once (1 s retransmits)

    def __init__(
        self, store: Store, host: str, port: int, update_token: str | None, *, reuse_port: bool = False
    ) -> None:
        self.store, self.update_token = store, update_token or None
        self.allow_reuse_port = reuse_port  # worker processes share the port; the kernel spreads connections
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def make_server(
    store: Store,
    host: str = "127.0.0.1",
    port: int = 7878,
    *,
    update_token: str | None = None,
    reuse_port: bool = False,
) -> SparqlServer:
    """A bound, not yet running server (``port=0`` picks a free port); call ``serve_forever``."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("Serving SPARQL on %s: anyone who can reach this address can query the store.", host)
    return SparqlServer(store, host, port, update_token, reuse_port=reuse_port)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(
    store: Store,
    host: str = "127.0.0.1",
    port: int = 7878,
    update_token: str | None = None,
    *,
    workers: int = 1,
    open_replica: Callable[[], Store] | None = None,
) -> None:
    """Serve ``store`` until interrupted (Ctrl-C or SIGTERM), then close it.

    Open an embedded store read-write (``open_store(store_dir=...)``) so it
    holds the directory lock: a concurrent ``kg build`` then fails with a
    clear message instead of writing under a reader. A remote store
    (``open_store(endpoint=...)``) makes this a read-only front for a SPARQL
    server that should not be exposed itself (docker-compose does this).

    ``workers > 1`` starts that many processes in all, each accepting on the
    same port with its own store from ``open_replica`` (a picklable
    callable, e.g. a read-only ``open_store``). pyoxigraph holds the GIL for
    most of a query, so one process cannot use a second core: on 2 cores, 2
    workers answered about 2.5 times the lookups per second of one
    (bench/sparql_load.py). Over an embedded store only a read-only endpoint
    may have workers: a replica does not see updates made through another
    process. A remote store (every process sees every write) has no limit.
    """
    if workers > 1 and update_token and not store.shared_across_processes:
        raise ConfigError(
            f"--workers {workers} over an embedded store needs a read-only endpoint: a worker's replica would "
            f"not see updates sent to another worker. Drop --update-token (and KG_UPDATE_TOKEN), serve with "
            f"--workers 1, or put a SPARQL server behind it (--endpoint)."
        )
    if workers > 1 and open_replica is None:
        raise ValueError("serve(workers > 1) needs open_replica, which opens each worker's store")
    server = make_server(store, host, port, update_token=update_token, reuse_port=workers > 1)
    replicas = _start_replicas(open_replica, host, server.server_address[1], workers - 1, update_token)
    how = f"updates {'enabled' if update_token else 'disabled'}"
    how += f", {workers} worker processes" if workers > 1 else ""
    print(f"SPARQL endpoint at {server.url}/query ({how})", flush=True)
    if threading.current_thread() is threading.main_thread():
        # Stop cleanly on SIGTERM too (docker stop, Prefect cancellation), not only on Ctrl-C.
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        for replica in replicas:
            replica.terminate()
        for replica in replicas:
            replica.join(timeout=10)
        server.server_close()
        store.close()


def _start_replicas(
    open_replica: Callable[[], Store] | None, host: str, port: int, count: int, update_token: str | None
) -> list:
    # spawn, not fork: a forked child would share the parent's RocksDB handles and threads.
    context = multiprocessing.get_context("spawn")
    replicas = [
        context.Process(target=_serve_replica, args=(open_replica, host, port, update_token, os.getpid()),
                        name=f"kg-serve-{i + 1}")
        for i in range(count)
    ]
    for replica in replicas:
        replica.start()
    return replicas


def _serve_replica(
    open_replica: Callable[[], Store], host: str, port: int, update_token: str | None, parent_pid: int
) -> None:
    """A worker process: its own store, the shared port, and an exit when the parent is gone."""
    signal.signal(signal.SIGTERM, _interrupt)
    store = open_replica()
    server = make_server(store, host, port, update_token=update_token, reuse_port=True)

    def watch_parent() -> None:
        # A parent killed with -9 cannot stop its workers; they must not go on serving a stale view.
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        server.shutdown()

    threading.Thread(target=watch_parent, name="kg-serve-parent-watch", daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        store.close()
