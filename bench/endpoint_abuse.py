"""Bounded abuse test of ``kg serve`` (issue 17): pathological queries while 16 clients look entities up.

Builds a small real store (``--quads`` synthetic quads through
``run_store``), starts ``kg serve --workers 2 --timeout 2 --max-memory 256``
on 127.0.0.1, then for ``--seconds``:

* ``--clients`` threads, each on its own kept-alive connection, send 1-hop
  lookups (``SELECT ?p ?o WHERE { <entity/ID> ?p ?o } LIMIT 100``), as
  ``bench/sparql_load.py`` does;
* ``--abusers`` threads, in a process of their own, send ``--abuse`` pathological queries in all: sorts,
  DISTINCTs and GROUP BYs of a cross product (memory), a 3-way COUNT (CPU),
  a FILTER that never matches over a cross product (a scan that never ends).

A sampler adds up the resident memory of the server's whole process tree
every 50 ms. Prints one JSON line::

    {"quads", "workers", "clients", "seconds", "lookups", "lookup_errors", "p50_ms", "p99_ms",
     "p99_during_abuse_ms", "max_ms", "abuse_queries", "abuse_statuses", "abuse_seconds", "peak_rss_mb",
     "load_avg_1m", "first_errors"}

Targets: 0 lookup errors, peak RSS ≤ 1 GB, p99 of the lookups ≤ 100 ms during the abuse.
Usage: ``python bench/endpoint_abuse.py [--quads 20000] [--clients 16] [--seconds 60] [--abuse 50]``
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import numpy as np  # noqa: E402

from bench.sparql_load import _client, served, synthetic_store  # noqa: E402

PATHOLOGICAL = [
    "SELECT * { ?a ?b ?c . ?d ?e ?f } ORDER BY ?a ?f",
    "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    "SELECT DISTINCT ?a ?f { ?a ?b ?c . ?d ?e ?f }",
    "SELECT ?a (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f } GROUP BY ?a ?f",
    'SELECT * { ?a ?b ?c . ?d ?e ?f FILTER(CONTAINS(STR(?c), "never-there")) }',
]


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (Linux /proc)."""
    parents, rss = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
            rss[int(stat.parent.name)] = int(fields[21]) * 4096
        except (OSError, ValueError, IndexError):
            continue
    tree, frontier = {pid}, [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier and child not in tree]
        tree.update(frontier)
    return sum(rss.get(p, 0) for p in tree)


class _Stamped(list):
    """A latency list for bench.sparql_load's client that also keeps when each lookup ended."""

    def append(self, latency: float) -> None:
        super().append((time.monotonic(), latency))


def _abuse(url: str, queries: list[str], threads: int, results) -> None:
    """In its own process (the lookup clients keep their GIL): ``threads`` senders share ``queries``."""
    queue, statuses, lock = collections.deque(queries), collections.Counter(), threading.Lock()

    def send() -> None:
        with httpx.Client(timeout=60) as client:
            while True:
                with lock:
                    if not queue:
                        return
                    sparql = queue.popleft()
                try:
                    statuses[str(client.get(f"{url}/query", params={"query": sparql}).status_code)] += 1
                except httpx.HTTPError as err:
                    statuses[type(err).__name__] += 1

    senders = [threading.Thread(target=send) for _ in range(threads)]
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    results.put(dict(statuses))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quads", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--abuse", type=int, default=50, help="pathological queries in all")
    parser.add_argument("--abusers", type=int, default=4, help="threads sending them")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--max-memory", type=int, default=256, help="MB")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kg-endpoint-abuse-") as tmp:
        workspace, quads, paths = synthetic_store(Path(tmp), args.quads)
        options = ("--workers", str(args.workers), "--timeout", str(args.timeout), "--max-memory", str(args.max_memory))
        peak, sampling = [0], threading.Event()
        with served(workspace, Path(tmp), *options) as (port, server):

            def sample() -> None:
                while not sampling.is_set():
                    peak[0] = max(peak[0], _tree_rss(server.pid))
                    time.sleep(0.05)

            _client(port, paths, time.monotonic() + 2, [], [], seed=-1)  # page the indexes in
            threading.Thread(target=sample, daemon=True).start()
            latencies = [_Stamped() for _ in range(args.clients)]
            errors: list[str] = []
            stop = time.monotonic() + args.seconds
            clients = [threading.Thread(target=_client, args=(port, paths, stop, latencies[i], errors, i))
                       for i in range(args.clients)]
            context = multiprocessing.get_context("spawn")
            results = context.Queue()
            queries = [PATHOLOGICAL[i % len(PATHOLOGICAL)] for i in range(args.abuse)]
            abuser = context.Process(target=_abuse, args=(f"http://127.0.0.1:{port}", queries, args.abusers, results))
            started = time.monotonic()
            for t in clients:
                t.start()
            abuser.start()
            statuses = results.get()
            abuse_end = time.monotonic()
            abuser.join()
            for t in clients:
                t.join()
            elapsed = time.monotonic() - started
            sampling.set()
        done = np.array([at for per_client in latencies for at, _ in per_client])
        ms = np.array([x for per_client in latencies for _, x in per_client]) * 1000
        during = ms[done <= abuse_end]
        print(json.dumps({
            "quads": quads, "workers": args.workers, "clients": args.clients, "seconds": round(elapsed, 1),
            "lookups": int(ms.size), "lookup_errors": len(errors),
            "p50_ms": round(float(np.percentile(ms, 50)), 2), "p99_ms": round(float(np.percentile(ms, 99)), 2),
            "p99_during_abuse_ms": round(float(np.percentile(during, 99)), 2) if during.size else None,
            "max_ms": round(float(ms.max()), 2),
            "abuse_queries": args.abuse, "abuse_statuses": dict(sorted(statuses.items())),
            "abuse_seconds": round(abuse_end - started, 1), "peak_rss_mb": round(peak[0] / 2**20),
            "load_avg_1m": os.getloadavg()[0], "first_errors": errors[:3],
        }))


if __name__ == "__main__":
    main()
