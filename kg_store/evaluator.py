"""Query evaluation in killable child processes, for ``kg serve``.

pyoxigraph cannot be interrupted: a blocking ORDER BY, GROUP BY or COUNT
runs to its end, holding its memory, whatever thread waits for it. So the
endpoint never evaluates in its own process. An :class:`EvaluatorPool`
keeps ``workers`` child processes, each with its own read-only replica of
the store, and gives each query to an idle one:

* at the deadline the child is killed (SIGKILL), which stops the evaluation
  and frees its memory at once, and a fresh child takes its place;
* a child whose resident memory passes ``max_memory`` bytes is killed the
  same way (a watchdog reads /proc every 20 ms while a query runs);
* a query that has used ``long_after_s`` of CPU (CPU, not wall time, so
  that a lookup starved by a busy machine is not taken for one) is moved
  out of the way of the short lookups: its child is reniced to 19 and
  replaced in the pool,
  and at most ``workers`` such long queries run at once (one more is
  refused with 503), so abusive queries cannot take every core or slot;
* a child that dies for any other reason is logged and replaced.

Children are forked from a forkserver that has the store modules loaded,
so a replacement costs milliseconds (a spawned interpreter costs about a
second of CPU). Each child dies with the server: prctl(PR_SET_PDEATHSIG)
on Linux, and an end-of-file on its socket otherwise.

Requests and replies are pickled tuples behind an 8-byte length, over a
socketpair; the child serializes the results, so the front only moves bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import pickle
import signal
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

from pipeline.errors import KGError, QueryError, StoreError
from kg_store.base import Store
from kg_store.timeouts import preview, timeout_error

log = logging.getLogger(__name__)

_HEADER = struct.Struct("!Q")
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_WATCH_S = 0.02
_READY_TIMEOUT_S = 60.0

#: (status, content type, extra headers, body): what a child answers.
Reply = tuple[int, str, dict[str, str], bytes]


class EvaluationRefused(Exception):
    """The pool stopped a query (deadline, memory, too many long queries, a dead child): answer ``status``."""

    def __init__(self, status: int, message: str, **headers: str) -> None:
        super().__init__(message)
        self.status, self.headers = status, headers


# --- the child -----------------------------------------------------------------------------------


def _die_with_parent() -> None:
    # The forkserver is our parent; it exits when the server does, and then the kernel kills us
    # even in the middle of an evaluation that never returns to Python.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1


def _send(sock: socket.socket, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(_HEADER.pack(len(data)) + data)


def _recv(sock: socket.socket) -> object | None:
    header = sock.recv(_HEADER.size, socket.MSG_WAITALL)
    if len(header) < _HEADER.size:
        return None  # the server closed its end
    (size,) = _HEADER.unpack(header)
    return pickle.loads(sock.recv(size, socket.MSG_WAITALL))


def _evaluate(store: Store, sparql: str, accept: str, format_param: str | None) -> Reply:
    from kg_store.http import answer  # negotiation and serialization live with the HTTP code

    try:
        result = store.query(sparql, timeout_s=None)  # the pool keeps the deadline, by killing us
    except QueryError as err:
        return HTTPStatus.BAD_REQUEST, "text/plain; charset=utf-8", {}, (str(err) + "\n").encode()
    except KGError as err:
        return HTTPStatus.INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8", {}, (str(err) + "\n").encode()
    return answer(result, accept, format_param, store.vocab.prefixes())


def _explore(store: Store, route: str, params: dict[str, str], accept: str) -> Reply:
    from kg_store.explorer import handle  # the explorer's lookups are queries too: same deadline, same kill

    return handle(store, route, params, accept)


#: What a child can be asked to do: a SPARQL query, or an explorer page or lookup.
_JOBS = {"sparql": _evaluate, "explore": _explore}


def child_main(sock: socket.socket, open_replica: Callable[[], Store]) -> None:
    """A child's life: open the replica, say ready, answer queries until the socket closes."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the server stops us
    try:
        store = open_replica()
    except Exception as err:  # reported to the pool, which logs it and gives up starting
        _send(sock, ("failed", f"{type(err).__name__}: {err}"))
        return
    _send(sock, ("ready", os.getpid()))
    generation = 0
    while (request := _recv(sock)) is not None:
        wanted, (kind, *args) = request
        if wanted != generation:  # an update went through the server: see it
            store.close()
            store, generation = open_replica(), wanted
        _send(sock, _JOBS[kind](store, *args))
    store.close()


# --- the pool ------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used (Linux /proc/PID/schedstat, in ns); 0 when it is gone or unknown."""
    try:
        with open(f"/proc/{pid}/schedstat", "rb") as f:
            return int(f.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def resident_bytes(pid: int) -> int:
    """Resident memory of a process (Linux /proc); 0 when it is gone or unknown."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


@dataclass(eq=False)
class _Child:
    process: multiprocessing.process.BaseProcess
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    busy_since: float | None = None
    cpu_at_start: float = 0.0
    long: bool = False
    stopped_for: EvaluationRefused | None = None  # why the pool killed it, for the waiting request
    dead: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid or 0

    def kill(self, why: EvaluationRefused | None = None) -> None:
        self.stopped_for = self.stopped_for or why
        self.dead = True
        with contextlib.suppress(ProcessLookupError, OSError):
            os.kill(self.pid, signal.SIGKILL)
        self.writer.close()


@dataclass
class PoolStats:
    timeouts: int = 0
    memory_kills: int = 0
    refused_long: int = 0
    respawns: int = 0
    deaths: int = 0


class EvaluatorPool:
    """``workers`` evaluation children for one server; use :meth:`start`, :meth:`query`, :meth:`close`."""

    def __init__(
        self,
        open_replica: Callable[[], Store],
        *,
        workers: int = 1,
        max_memory: int | None = 512 * 1024 * 1024,
        long_after_s: float = 0.1,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1 (got {workers})")
        self.open_replica, self.workers = open_replica, workers
        self.max_memory, self.long_after_s = max_memory, long_after_s
        self.generation = 0  # bumped after each update, so children reopen their replica
        self.stats = PoolStats()
        self._children: set[_Child] = set()
        self._idle: asyncio.Queue[_Child] = asyncio.Queue()
        # Ready children outside the pool: one takes a demoted or killed child's place at once, since
        # forking and opening a replica takes 100-200 ms on a busy machine, while lookups wait.
        self._standby: list[_Child] = []
        self.spares = 2
        self._closing = False
        self._spawning = 0
        self._watch_task: asyncio.Task | None = None
        self._context = multiprocessing.get_context("forkserver")
        # Children fork with these loaded; the forkserver itself starts clean (no store handles, no threads).
        self._context.set_forkserver_preload(["kg_store.evaluator", "kg_store.api", "kg_store.http"])

    # -- life -------------------------------------------------------------
    async def start(self) -> None:
        """Start the children; raises StoreError when the first cannot open the store."""
        first = await self._spawn()
        self._idle.put_nowait(first)
        for _ in range(self.workers - 1):
            self._respawn(standby=False)
        for _ in range(self.spares):
            self._respawn(standby=True)
        self._watch_task = asyncio.get_running_loop().create_task(self._watch())

    async def close(self) -> None:
        self._closing = True
        if self._watch_task is not None:
            self._watch_task.cancel()
        for child in list(self._children):
            child.kill()
        for child in list(self._children):
            await asyncio.to_thread(child.process.join, 5)
        self._children.clear()

    def pids(self) -> list[int]:
        """PIDs of the live children (for tests and the bench)."""
        return [c.pid for c in self._children if not c.dead]

    async def _spawn(self) -> _Child:
        ours, theirs = socket.socketpair()
        process = self._context.Process(target=child_main, args=(theirs, self.open_replica), daemon=True,
                                        name="kg-serve-evaluator")
        try:
            await asyncio.to_thread(process.start)
        finally:
            theirs.close()
        reader, writer = await asyncio.open_unix_connection(sock=ours, limit=2**20)
        child = _Child(process, reader, writer)
        self._children.add(child)
        try:
            status, detail = await asyncio.wait_for(self._read(child), _READY_TIMEOUT_S)
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError, OSError):
            status, detail = "failed", f"it exited with code {process.exitcode}"
        if status != "ready":
            child.kill()
            self._children.discard(child)
            raise StoreError(f"A query evaluator could not open the store: {detail}")
        return child

    def _refill(self) -> None:
        """A child left the pool: a standby one takes its place now, and a new one is started."""
        if self._standby:
            self._idle.put_nowait(self._standby.pop())
            self._respawn(standby=True)
        else:
            self._respawn(standby=False)

    def _respawn(self, *, standby: bool) -> None:
        """Start a child in the background; when ready it joins the standby ones or the pool."""
        if self._closing:
            return
        self.stats.respawns += 1
        self._spawning += 1

        async def go() -> None:
            try:
                for attempt in range(5):
                    try:
                        child = await self._spawn()
                    except StoreError as err:
                        log.error("%s (attempt %d of 5)", err, attempt + 1)
                        await asyncio.sleep(0.5 * 2**attempt)
                        continue
                    if self._closing:
                        child.kill()
                    elif standby:
                        self._standby.append(child)
                    else:
                        self._idle.put_nowait(child)
                    return
            finally:
                self._spawning -= 1

        asyncio.get_running_loop().create_task(go())

    def _retire(self, child: _Child, why: EvaluationRefused | None = None) -> None:
        child.kill(why)
        self._children.discard(child)
        # join (reap) off the loop; a SIGKILLed process is gone within milliseconds
        asyncio.get_running_loop().run_in_executor(None, child.process.join, 5)

    # -- queries ----------------------------------------------------------
    async def query(self, sparql: str, *, accept: str, format_param: str | None, timeout_s: float) -> Reply:
        """Evaluate in a child, or raise EvaluationRefused (503 at the deadline, over memory, ...)."""
        return await self._run(("sparql", sparql, accept, format_param), sparql, timeout_s)

    async def explore(self, route: str, params: dict[str, str], *, accept: str, timeout_s: float) -> Reply:
        """An explorer page or lookup (:func:`kg_store.explorer.handle`) in a child, like a query."""
        return await self._run(("explore", route, params, accept), f"the explorer's {route} for {params}", timeout_s)

    async def _run(self, job: tuple, sparql: str, timeout_s: float) -> Reply:
        deadline = time.monotonic() + timeout_s
        child = await self._acquire(sparql, timeout_s, deadline)
        child.busy_since, child.cpu_at_start = time.monotonic(), cpu_seconds(child.pid)
        try:
            _send_async(child.writer, (self.generation, job))
            reply = await asyncio.wait_for(self._read(child), max(0.0, deadline - time.monotonic()))
        except asyncio.TimeoutError:
            self.stats.timeouts += 1
            self._replace(child, EvaluationRefused(HTTPStatus.SERVICE_UNAVAILABLE,
                                                   str(timeout_error(sparql, timeout_s))))
            log.info("Killed the evaluator of a query at its %g s deadline: %s", timeout_s, preview(sparql, 80))
            raise child.stopped_for from None
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            why = child.stopped_for or self._died(child, sparql)
            self._replace(child, why)
            raise why from None
        except asyncio.CancelledError:  # the client went away: the evaluation must not run on
            self._replace(child, None)
            raise
        child.busy_since = None
        if child.long:  # it was reniced and already replaced: it leaves now
            self._retire(child)
        else:
            self._idle.put_nowait(child)
        return reply

    async def _acquire(self, sparql: str, timeout_s: float, deadline: float) -> _Child:
        while True:
            try:
                child = await asyncio.wait_for(self._idle.get(), max(0.0, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                raise EvaluationRefused(
                    HTTPStatus.SERVICE_UNAVAILABLE,
                    str(timeout_error(sparql, timeout_s, f" waiting for one of {self.workers} query evaluators")),
                    Retry_After="1",
                ) from None
            if not child.dead and child.process.is_alive():
                return child
            self._forget(child)

    def _replace(self, child: _Child, why: EvaluationRefused | None) -> None:
        """Kill ``child`` for ``why`` and keep the pool at strength (a long one was replaced already)."""
        was_long = child.long
        self._retire(child, why)
        if not was_long:
            self._refill()

    def _died(self, child: _Child, sparql: str) -> EvaluationRefused:
        self.stats.deaths += 1
        log.warning("Query evaluator %d died (exit code %s) while evaluating %s; starting another.",
                    child.pid, child.process.exitcode, preview(sparql, 80))
        return EvaluationRefused(
            HTTPStatus.INTERNAL_SERVER_ERROR,
            f"The query evaluator died (exit code {child.process.exitcode}) while evaluating "
            f"{preview(sparql)!r}; it was replaced. Retry the query.",
        )

    def _forget(self, child: _Child) -> None:
        """An idle child that died (killed from outside, out of memory): log it and start another."""
        if child in self._children:
            self.stats.deaths += 1
            log.warning("Query evaluator %d died (exit code %s) while idle; starting another.",
                        child.pid, child.process.exitcode)
            self._retire(child)
            if child in self._standby:
                self._standby.remove(child)
                self._respawn(standby=True)
            else:
                self._refill()

    @staticmethod
    async def _read(child: _Child) -> object:
        (size,) = _HEADER.unpack(await child.reader.readexactly(_HEADER.size))
        return pickle.loads(await child.reader.readexactly(size))

    # -- the watchdog -----------------------------------------------------
    async def _watch(self) -> None:
        """Memory ceiling, long-query demotion and dead-child detection, every 20 ms."""
        ticks = 0
        while True:
            await asyncio.sleep(_WATCH_S)
            ticks += 1
            for child in list(self._children):
                if child.dead:
                    continue
                if child.busy_since is None:
                    if ticks % 10 == 0 and not child.process.is_alive():
                        self._forget(child)  # the request path would find it only on its next query
                    continue
                if self.max_memory is not None and resident_bytes(child.pid) > self.max_memory:
                    self.stats.memory_kills += 1
                    log.warning("Killed a query evaluator over the memory ceiling (%d MB).", self.max_memory >> 20)
                    child.kill(EvaluationRefused(
                        HTTPStatus.SERVICE_UNAVAILABLE,
                        f"Query stopped: its evaluation used more than {self.max_memory >> 20} MB (the server's "
                        f"--max-memory). It probably sorts, groups or joins too many rows. Fix: add LIMIT or more "
                        f"specific patterns, or raise --max-memory.",
                    ))
                elif not child.long and cpu_seconds(child.pid) - child.cpu_at_start > self.long_after_s:
                    self._demote(child)

    def _demote(self, child: _Child) -> None:
        running_long = sum(1 for c in self._children if c.long and not c.dead)
        if running_long >= self.workers:
            self.stats.refused_long += 1
            child.kill(EvaluationRefused(
                HTTPStatus.SERVICE_UNAVAILABLE,
                f"Query refused: {running_long} long-running queries are already being evaluated (at most "
                f"--workers at once). Retry later, or add LIMIT or more specific patterns.",
                Retry_After="5",
            ))
            return
        child.long = True
        # Lowest CPU priority, so short lookups keep their cores; pyoxigraph evaluates in the main thread.
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, child.pid, 19)
        self._refill()


def _send_async(writer: asyncio.StreamWriter, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    writer.write(_HEADER.pack(len(data)) + data)
