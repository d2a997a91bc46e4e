"""The endpoint's connection handling: what one client may take, and the socket it comes in on.

uvicorn's h11 protocol with a connection cap and an idle time-out that also
covers a first request (:class:`GuardedH11`), the listening socket with a
deep backlog, and a file-descriptor limit that fits the cap. See
:mod:`kg_store.server` for why.
"""

from __future__ import annotations

import contextlib
import resource
import socket
from dataclasses import dataclass

from uvicorn.protocols.http.h11_impl import H11Protocol

from pipeline.errors import ConfigError

MAX_BODY_BYTES = 16 * 1024 * 1024


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


class GuardedH11(H11Protocol):
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


def listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        # The default backlog of 5 drops SYNs when many clients connect at once (1 s retransmits).
        return socket.create_server((host, port), family=family, backlog=1024)
    except OSError as err:
        raise ConfigError(
            f"Cannot listen on {host}:{port}: {err.strerror or err}. Another process (maybe another `kg serve`) "
            f"may hold the port: stop it, or pick another with --port."
        ) from None



def raise_fd_limit(wanted: int) -> None:
    # Every connection is a file descriptor; a default soft limit of 1024 would refuse them before our cap.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(hard, wanted)
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
