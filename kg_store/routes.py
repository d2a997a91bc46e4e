"""The endpoint's ASGI application: routing, parameters, bodies and the update token (``kg serve``).

Queries and explorer pages are evaluated by the pool of killable child
processes (:mod:`kg_store.evaluator`); updates run here, on the store the
server was given, one at a time. Every refusal is a plain-text answer with
its status (:class:`Refusal`). The routes are listed in :mod:`kg_store.server`.
"""

from __future__ import annotations

import asyncio
import hmac
import re
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, unquote

from kg_store.base import Store
from kg_store.connections import Limits
from kg_store.evaluator import EvaluationRefused, EvaluatorPool
from kg_store.page import page
from kg_store.vocab import ENTITY_SEGMENT
from pipeline.errors import KGError, QueryError

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


class Refusal(Exception):
    def __init__(self, status: int, message: str, **headers: str) -> None:
        super().__init__(message)
        self.status, self.headers = status, headers


class App:
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
                    raise Refusal(HTTPStatus.NOT_FOUND, "Not found.")
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
                raise Refusal(HTTPStatus.METHOD_NOT_ALLOWED, f"Use {', '.join(_EXPLORER[path][1])}.",
                               Allow=", ".join(_EXPLORER[path][1]))
            elif path == "/query" and method in ("GET", "HEAD", "POST"):
                status, ctype, extra, body = await self._query(scope, receive, headers)
            elif path == "/update" and method == "POST":
                status, ctype, extra, body = await self._update(scope, receive, headers)
            elif path in ("/", "/index.html", "/query", "/update"):
                allow = "POST" if path == "/update" else ("GET, HEAD, POST" if path == "/query" else "GET, HEAD")
                hint = "Send updates with POST." if path == "/update" else f"Use {allow}."
                raise Refusal(HTTPStatus.METHOD_NOT_ALLOWED, hint, Allow=allow)
            else:
                raise Refusal(HTTPStatus.NOT_FOUND, "Not found. Endpoints: /query, /update, /, /explore, "
                               "/api/search, /entity/{id}.")
        except Refusal as refusal:
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
        too_large = Refusal(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"Request body over {cap} bytes.", Connection="close")
        if int(headers.get("content-length") or 0) > cap:  # h11 has checked it is a number
            raise too_large
        chunks, size, more = [], 0, True
        while more:  # chunked bodies have no length: count as they come
            try:
                message = await asyncio.wait_for(receive(), self.limits.idle_timeout_s)
            except asyncio.TimeoutError:
                raise Refusal(HTTPStatus.REQUEST_TIMEOUT, f"No request body data for {self.limits.idle_timeout_s:g} s.",
                               Connection="close") from None
            if message["type"] == "http.disconnect":
                raise Refusal(HTTPStatus.BAD_REQUEST, "The client went away.", Connection="close")
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
            raise Refusal(HTTPStatus.BAD_REQUEST, f"Missing SPARQL {field}: send {how}.")
        return sparql

    async def _query(self, scope, receive, headers: dict[str, str]):
        params = await self._params(scope, receive, headers)
        sparql = self._sparql(params, "query", "?query=..., a 'query' form field, or an application/sparql-query body")
        try:
            return await self.pool.query(sparql, accept=headers.get("accept", "*/*"), format_param=params.get("format"),
                                         timeout_s=self.store.timeout_s)
        except EvaluationRefused as refused:
            raise Refusal(refused.status, str(refused), **refused.headers) from None

    @staticmethod
    def _entity_id(scope) -> str:
        # The raw path keeps the id's percent escapes, which are part of the entity IRI.
        raw = scope.get("raw_path") or scope["path"].encode("utf-8")
        entity_id = raw.decode("latin-1").split("?", 1)[0][len("/entity/"):]
        if not _ENTITY_ID.match(entity_id):
            raise Refusal(HTTPStatus.NOT_FOUND, f"No entity {unquote(entity_id)[:200]!r}: entity ids are IRI path "
                           f"segments (letters, digits, . _ ~ - and %-escapes).")
        return entity_id

    async def _explore(self, route: str, params: dict[str, str], headers: dict[str, str]):
        try:
            return await self.pool.explore(route, params, accept=headers.get("accept", "*/*"),
                                           timeout_s=self.store.timeout_s)
        except EvaluationRefused as refused:
            raise Refusal(refused.status, str(refused), **refused.headers) from None

    async def _update(self, scope, receive, headers: dict[str, str]):
        params = await self._params(scope, receive, headers)  # read the body first so the connection stays clean
        if self.update_token is None:
            raise Refusal(HTTPStatus.FORBIDDEN, "Updates are disabled on this endpoint. Start it with `kg serve "
                           "--update-token T` and send `Authorization: Bearer T`.")
        sent = headers.get("authorization", "")
        if not sent.startswith("Bearer "):
            raise Refusal(HTTPStatus.UNAUTHORIZED, "Send `Authorization: Bearer <token>` to update.",
                           WWW_Authenticate='Bearer realm="kg"')
        if not hmac.compare_digest(sent[len("Bearer "):].strip().encode(), self.update_token.encode()):
            raise Refusal(HTTPStatus.FORBIDDEN, "Wrong update token.")
        sparql = self._sparql(params, "update", "an 'update' form field or an application/sparql-update body")
        async with self._update_lock:
            try:
                await asyncio.to_thread(self.store.update, sparql)
            except QueryError as err:
                raise Refusal(HTTPStatus.BAD_REQUEST, str(err)) from None
            except KGError as err:
                raise Refusal(HTTPStatus.INTERNAL_SERVER_ERROR, str(err)) from None
            finally:
                if not self.store.shared_across_processes:
                    self.pool.generation += 1  # children reopen their replica before the next query
        return HTTPStatus.NO_CONTENT, _TEXT, {}, b""
