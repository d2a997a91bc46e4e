"""Query deadlines for an engine that has none (pyoxigraph).

pyoxigraph releases the GIL while it evaluates, but cannot be interrupted.
So a query runs in its caller's thread, and one watchdog thread keeps the
deadlines of all running queries:

* streaming queries (plain patterns) stop within one row of the deadline:
  the watchdog sets their cancel flag, which is checked between rows;
* blocking operators (ORDER BY, GROUP BY, COUNT) cannot be stopped, so
  their caller gets the QueryTimeoutError when the evaluation ends. A
  caller that must answer on time passes ``on_expiry``: the watchdog calls
  it at the deadline while the evaluation runs out. Nothing here can stop
  it, which is why ``kg serve`` evaluates in child processes that it kills
  at the deadline instead (:mod:`kg_store.evaluator`);
* at most ``max_concurrent`` queries evaluate at once, so runaway queries
  cannot pile up without bound; a new query waits for a slot within its
  own deadline.

Running in the caller's thread rather than handing each query to a worker
pool saves two thread switches per query: the threaded ``kg serve`` of
before spent about 300 instead of 470 µs of CPU per 1-hop lookup
(bench/sparql_load.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from pipeline.errors import QueryError

T = TypeVar("T")
log = logging.getLogger(__name__)


class QueryTimeoutError(QueryError):
    """A query ran past its deadline (same code as QueryError: KG031)."""


def preview(sparql: str, width: int = 120) -> str:
    """The query on one line, cut to ``width``, for error messages."""
    text = " ".join(sparql.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def timeout_error(sparql: str, timeout_s: float, why: str = "") -> QueryTimeoutError:
    return QueryTimeoutError(
        f"Query timed out after {timeout_s:g} s{why}: {preview(sparql)!r}. It probably matches or sorts "
        f"too many rows. Fix: add LIMIT or more specific patterns, or raise the timeout "
        f"([store] query_timeout_s, or --timeout)."
    )


class Deadline:
    """One running query's deadline: the cancel flag its evaluation checks, and who hears of expiry."""

    __slots__ = ("at", "cancel", "_on_expiry", "_lock", "_expired", "_finished")

    def __init__(self, at: float, on_expiry: Callable[[], None] | None) -> None:
        self.at, self.cancel, self._on_expiry = at, threading.Event(), on_expiry
        self._lock, self._expired, self._finished = threading.Lock(), False, False

    def expire(self) -> None:
        """Called by the watchdog: cancel the evaluation and tell ``on_expiry``, unless it already ended."""
        with self._lock:  # held through on_expiry, so finish() returns only after the caller was told
            if self._finished:
                return
            self._expired = True
            self.cancel.set()
            if self._on_expiry is not None:
                try:
                    self._on_expiry()
                except Exception:  # a failing hook must not stop the watchdog
                    log.exception("A query-timeout handler failed")

    def finish(self) -> bool:
        """Mark the evaluation ended; False when the deadline passed first."""
        with self._lock:
            self._finished = True
            return not self._expired


class _Watchdog:
    """A daemon thread that expires deadlines; it looks every ``period_s`` while queries run, and sleeps otherwise."""

    def __init__(self, period_s: float = 0.02) -> None:
        self.period_s = period_s
        self._running: set[Deadline] = set()
        self._lock = threading.Lock()
        self._busy = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, timeout_s: float, on_expiry: Callable[[], None] | None = None) -> Deadline:
        deadline = Deadline(time.monotonic() + timeout_s, on_expiry)
        with self._lock:
            self._running.add(deadline)
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="kg-query-watchdog", daemon=True)
                self._thread.start()
        if not self._busy.is_set():
            self._busy.set()
        return deadline

    def stop(self, deadline: Deadline) -> bool:
        """The query of ``deadline`` ended; False when it had expired."""
        with self._lock:
            self._running.discard(deadline)
        return deadline.finish()

    def _watch(self) -> None:
        while True:
            self._busy.wait()
            time.sleep(self.period_s)
            now = time.monotonic()
            with self._lock:
                due = [d for d in self._running if d.at <= now]
                self._running.difference_update(due)
                if not self._running:  # under the lock: a concurrent start() sets it again after adding
                    self._busy.clear()
            for deadline in due:
                deadline.expire()


_WATCHDOG = _Watchdog()


class QueryRunner:
    """Runs ``work(cancel_event)`` in the calling thread under a deadline, at most ``max_concurrent`` at once."""

    def __init__(self, max_concurrent: int = 8) -> None:
        self.max_concurrent = max_concurrent
        self._slots = threading.BoundedSemaphore(max_concurrent)

    def run(
        self,
        work: Callable[[threading.Event], T],
        *,
        timeout_s: float | None,
        sparql: str,
        on_expiry: Callable[[QueryTimeoutError], None] | None = None,
    ) -> T:
        started = time.monotonic()
        if not self._slots.acquire(timeout=timeout_s):
            raise timeout_error(sparql, timeout_s or 0, f" waiting for one of {self.max_concurrent} busy query slots")
        try:
            if timeout_s is None:
                return work(threading.Event())
            hook = None if on_expiry is None else (lambda: on_expiry(timeout_error(sparql, timeout_s)))
            deadline = _WATCHDOG.start(max(0.0, started + timeout_s - time.monotonic()), hook)
            try:
                value = work(deadline.cancel)
            finally:
                in_time = _WATCHDOG.stop(deadline)
            if not in_time:
                raise timeout_error(sparql, timeout_s)
            return value
        finally:
            self._slots.release()
