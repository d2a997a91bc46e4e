"""Query deadlines for an engine that has none (pyoxigraph).

pyoxigraph releases the GIL while it evaluates, but cannot be interrupted.
So a query runs in a daemon worker thread while the caller waits until the
deadline:

* streaming queries (plain patterns) stop within one row of the deadline:
  the worker checks a cancel flag between rows;
* blocking operators (ORDER BY, GROUP BY, COUNT) cannot be stopped: the
  caller gets its error on time, and the orphaned evaluation finishes in
  the background, holding one of a few workers. When every worker is
  busy, new queries wait for one (within their own deadline), so runaway
  queries cannot pile up without bound.

Workers are daemon threads, so an orphan never keeps the process alive.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from pipeline.errors import QueryError

T = TypeVar("T")


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


class _Job:
    __slots__ = ("work", "cancel", "done", "value", "error")

    def __init__(self, work: Callable[[threading.Event], object]) -> None:
        self.work, self.cancel, self.done = work, threading.Event(), threading.Event()
        self.value, self.error = None, None


class QueryRunner:
    """Runs ``work(cancel_event)`` on one of ``max_workers`` long-lived worker threads, with a deadline.

    Workers are started on first use and then reused: handing a query to a
    waiting thread costs tens of microseconds, starting a thread per query
    several hundred (measured: 0.55 ms against 0.16 ms for the query itself).
    """

    def __init__(self, max_workers: int = 4) -> None:
        self.max_workers = max_workers
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._free = threading.BoundedSemaphore(max_workers)  # workers not busy with a query
        self._started = 0
        self._lock = threading.Lock()

    def _worker(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                job.value = job.work(job.cancel)
            except BaseException as err:  # handed to the caller
                job.error = err
            finally:
                job.done.set()
                self._free.release()

    def _ensure_workers(self) -> None:
        with self._lock:
            while self._started < self.max_workers:
                threading.Thread(target=self._worker, name=f"kg-store-query-{self._started}", daemon=True).start()
                self._started += 1

    def run(self, work: Callable[[threading.Event], T], *, timeout_s: float | None, sparql: str) -> T:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        if not self._free.acquire(timeout=timeout_s):
            raise timeout_error(sparql, timeout_s or 0, f" waiting for one of {self.max_workers} busy query workers")
        if self._started < self.max_workers:
            self._ensure_workers()
        job = _Job(work)
        self._jobs.put(job)
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        if not job.done.wait(remaining):
            job.cancel.set()  # a streaming query stops at its next row; a blocking one runs out in the background
            raise timeout_error(sparql, timeout_s or 0)
        if job.error is not None:
            raise job.error
        return job.value
