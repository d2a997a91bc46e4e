"""Bounded load test of ``kg serve``: concurrent 1-hop entity lookups over HTTP on loopback.

Builds a store of about ``--quads`` quads (``bench/store_synthetic.py``,
loaded with ``run_store``), starts ``kg serve --store DIR --workers N`` on
127.0.0.1 in its own processes, then runs ``--clients`` client threads, each
with its own connection, for ``--seconds``.
Each request is ``GET /query`` (SPARQL JSON results, kept-alive
connection) of one random entity's outgoing facts::

    SELECT ?p ?o WHERE { <entity/ID> ?p ?o } LIMIT 100

Entities are drawn uniformly, so the graph's few hubs are rare. Latency is
measured by the client, request sent to body read. Prints one JSON line::

    {"quads", "workers", "clients", "seconds", "requests", "errors", "rps", "p50_ms", "p90_ms", "p99_ms", "max_ms",
     "server_cpu_us", "client_cpu_us", "load_avg_1m"}

Not part of the test suite: it runs for a minute and needs the CPU alone.
On a machine shared with other jobs, ``chrt -r 10`` (root) shields it.
Usage: ``python bench/sparql_load.py [--quads 1000000] [--clients 16] [--seconds 60] [--workers 2]``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.store_synthetic import synthetic_workspace  # noqa: E402
from kg_store.vocab import Vocab  # noqa: E402
from pipeline.workspace import Workspace  # noqa: E402


def synthetic_store(folder: Path, quads: int) -> tuple[Workspace, int, list[str]]:
    """A workspace with a store of about ``quads`` quads, its quad count, and one lookup path per entity."""
    workspace, entities, count = synthetic_workspace(folder / "ws", quads)
    entity_ns = Vocab().entity_ns
    paths = [f"/query?query={quote(f'SELECT ?p ?o WHERE {{ <{entity_ns}{e}> ?p ?o }} LIMIT 100')}"
             for e in entities.column("entity_id").to_pylist()]
    return workspace, count, paths


@contextlib.contextmanager
def served(workspace: Workspace, folder: Path, *options: str) -> Iterator[tuple[int, subprocess.Popen]]:
    """``kg serve`` over the workspace's store on a free loopback port, ready; stopped on exit."""
    port = _free_port()
    with (folder / "serve.log").open("wb") as log:  # it logs every request: a pipe would fill and stall it
        server = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "serve", "--store", str(workspace.store_dir), "--port", str(port),
             *options], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=log)
        try:
            _wait(port, server)
            yield port, server
        finally:
            server.terminate()
            server.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(port: int, proc: subprocess.Popen, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"kg serve exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("kg serve did not start")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds so far of a process and its children (Linux /proc)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


class _Connection:
    """A minimal HTTP/1.1 keep-alive client for GETs.

    The load generator shares the 2 cores with the server, so it should cost
    as little as possible: http.client parses every response's headers with
    the email package, about 3 times this client's CPU per request.
    """

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buffer += chunk

    def get(self, request: bytes) -> tuple[int, bytes]:
        self.sock.sendall(request)
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            self._fill()
        head, self.buffer = self.buffer[:end].lower(), self.buffer[end + 4:]
        length = int(head.split(b"\r\ncontent-length:", 1)[1].split(b"\r\n", 1)[0])
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        if b"\r\nconnection: close" in head:
            raise ConnectionError(f"server closed the connection after HTTP {head[9:12].decode()}")
        return int(head[9:12]), body

    def close(self) -> None:
        self.sock.close()


def _client(port: int, paths: list[str], stop: float, latencies: list[float], errors: list[str], seed: int) -> None:
    rng = random.Random(seed)
    requests = [f"GET {p} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/sparql-results+json\r\n\r\n".encode()
                for p in paths]
    conn = _Connection(port)
    while time.monotonic() < stop:
        request = rng.choice(requests)
        start = time.perf_counter()
        try:
            status, body = conn.get(request)
            if status != 200 or not body.startswith(b"{"):
                errors.append(f"HTTP {status}: {body[:200]!r}")
                continue
        except (OSError, ValueError, IndexError) as err:
            errors.append(f"{type(err).__name__}: {err}")
            conn.close()
            conn = _Connection(port)
            continue
        latencies.append(time.perf_counter() - start)
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quads", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2, help="kg serve --workers (default 2: one per core here)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kg-sparql-load-") as tmp:
        workspace, quads, paths = synthetic_store(Path(tmp), args.quads)
        with served(workspace, Path(tmp), "--workers", str(args.workers)) as (port, server):
            time.sleep(5 if args.workers > 1 else 0)  # the worker processes import and open their replicas
            warm: list[float] = []
            _client(port, paths, time.monotonic() + 2, warm, [], seed=-1)  # page the indexes in
            latencies: list[list[float]] = [[] for _ in range(args.clients)]
            errors: list[str] = []
            stop = time.monotonic() + args.seconds
            threads = [threading.Thread(target=_client, args=(port, paths, stop, latencies[i], errors, i))
                       for i in range(args.clients)]
            started, server_cpu, client_cpu = time.monotonic(), _cpu_seconds(server.pid), time.process_time()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.monotonic() - started
            server_cpu, client_cpu = _cpu_seconds(server.pid) - server_cpu, time.process_time() - client_cpu
        ms = np.array([x for per_client in latencies for x in per_client]) * 1000
        print(json.dumps({
            "quads": quads, "workers": args.workers, "clients": args.clients, "seconds": round(elapsed, 1), "requests": int(ms.size),
            "errors": len(errors), "rps": round(ms.size / elapsed, 1),
            "p50_ms": round(float(np.percentile(ms, 50)), 2), "p90_ms": round(float(np.percentile(ms, 90)), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2), "max_ms": round(float(ms.max()), 2),
            # CPU per request shows where the time goes when clients and server share the cores.
            "server_cpu_us": round(server_cpu / max(ms.size, 1) * 1e6),
            "client_cpu_us": round(client_cpu / max(ms.size, 1) * 1e6),
            "load_avg_1m": os.getloadavg()[0],
            "first_errors": errors[:3],
        }))


if __name__ == "__main__":
    main()
