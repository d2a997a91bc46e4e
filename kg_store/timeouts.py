"""Query deadlines for an engine that has none (pyoxigraph).

pyoxigraph releases the GIL while it evaluates, but cannot be interrupted.
So a query runs in a daemon worker thread while the caller waits until the
deadline:

* streaming queries (plain patterns) stop within one row of the deadline:
  the worker checks a cancel flag between rows;
* blocking operators (ORDER BY, GROUP BY, COUNT) cannot be stopped: the
  caller gets its error on time, and the orphaned evaluation finishes in
  the background, holding one of a few worker slots. When every slot is
  held, new queries wait for one (within their own deadline), so runaway
  queries cannot pile up without bound.

Workers are daemon threads, so an orphan never keeps the process alive.
"""

from __future__ import annotations

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


class QueryRunner:
    """Runs ``work(cancel_event)`` in a worker thread with a deadline."""

    def __init__(self, max_workers: int = 4) -> None:
        self.max_workers = max_workers
        self._slots = threading.BoundedSemaphore(max_workers)

    def run(self, work: Callable[[threading.Event], T], *, timeout_s: float | None, sparql: str) -> T:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        if not self._slots.acquire(timeout=timeout_s):
            raise timeout_error(sparql, timeout_s or 0, f" waiting for one of {self.max_workers} busy query workers")
        cancel, done, box = threading.Event(), threading.Event(), {}

        def target() -> None:
            try:
                box["value"] = work(cancel)
            except BaseException as err:  # handed to the caller below
                box["error"] = err
            finally:
                self._slots.release()
                done.set()

        threading.Thread(target=target, name="kg-store-query", daemon=True).start()
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        if not done.wait(remaining):
            cancel.set()
            raise timeout_error(sparql, timeout_s or 0)
        if "error" in box:
            raise box["error"]
        return box["value"]
