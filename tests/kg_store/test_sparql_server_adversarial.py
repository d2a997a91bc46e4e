"""Issue 17: `kg serve` attacked by a client, over loopback, each attack bounded to seconds.

Every server is a real `kg serve` process over a real store of 3,000 quads
plus the tiny tables, so that ``?a ?b ?c . ?d ?e ?f`` is 9 million rows and a
sort of it grows by about 0.7 GB/s.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

import kg_store
from kg_store.oxigraph import OxigraphStore
from kg_store.quads import tables_to_quads
from test_sparql_server import SELECT, descendants, evaluators, wait_for

SORT_ALL = "SELECT * { ?a ?b ?c . ?d ?e ?f } ORDER BY ?a ?f"
COUNT_ALL = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
MB = 2**20


def _abuse_store(path: Path, tables) -> Path:
    from pyoxigraph import Literal, NamedNode, Quad

    with OxigraphStore(path) as store:
        store.load_quads(tables_to_quads(*tables))
        graph = NamedNode("http://ex/filler")
        store.load_quads(Quad(NamedNode(f"http://ex/s{i}"), NamedNode(f"http://ex/p{i % 7}"), Literal(str(i)), graph)
                         for i in range(3000))
    return path


class Served:
    """A running `kg serve`: its URL, process, and what it wrote to stderr."""

    def __init__(self, store_dir: Path, *flags: str) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        root = Path(kg_store.__file__).resolve().parents[1]
        command = [sys.executable, "-m", "pipeline.cli", "serve", "--store", str(store_dir), "--port", str(self.port),
                   *flags]
        self.proc = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self._stderr: list[str] = []
        threading.Thread(target=lambda: self._stderr.extend(self.proc.stderr), daemon=True).start()
        line = self.proc.stdout.readline()
        assert line.startswith("SPARQL endpoint at"), f"kg serve did not start: {line!r} {self.stderr}"

    @property
    def stderr(self) -> str:
        return "".join(self._stderr)

    def tree(self) -> list[int]:
        return [self.proc.pid, *descendants(self.proc.pid)]

    def rss(self) -> int:
        """Resident bytes of the whole process tree."""
        total = 0
        for pid in self.tree():
            try:
                total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * 4096
            except (OSError, ValueError, IndexError):
                pass
        return total

    def cpu_s(self) -> float:
        """CPU seconds used so far by the processes of the tree that are alive."""
        total = 0.0
        for pid in self.tree():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / 100
            except (OSError, ValueError, IndexError):
                pass
        return total

    def threads(self) -> int:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(next(line for line in status.splitlines() if line.startswith("Threads:")).split()[1])

    def raw(self, request: bytes, timeout_s: float = 10.0) -> bytes:
        """Send raw bytes on a fresh connection; what came back before the server closed or went quiet."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout_s) as sock:
            sock.sendall(request)
            data = b""
            try:
                while chunk := sock.recv(65536):
                    data += chunk
                    if b"\r\n\r\n" in data and _complete(data):
                        break
            except (TimeoutError, ConnectionResetError):
                pass
            return data

    def answers(self) -> bool:
        return httpx.get(f"{self.url}/query", params={"query": SELECT}, timeout=10).status_code == 200

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


@pytest.fixture
def serve(tmp_path, tables):
    """``serve(*flags)``: a `kg serve` over its own abuse store, stopped after the test."""
    started: list[Served] = []

    def start(*flags: str) -> Served:
        started.append(Served(_abuse_store(tmp_path / f"store{len(started)}", tables), *flags))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def test_a_sort_past_its_deadline_is_stopped_not_only_answered(serve) -> None:
    """Was: 503 at the deadline, then memory grew ~0.7 GB/s as the sort ran on."""
    server = serve("--timeout", "0.5", "--max-memory", "0")
    assert server.answers()  # warm: evaluators up, replicas open
    idle = server.rss()
    response = httpx.get(f"{server.url}/query", params={"query": SORT_ALL}, timeout=30)
    assert response.status_code == 503 and "timed out after 0.5 s" in response.text
    at_answer = server.rss()
    time.sleep(1.0)
    assert server.rss() < at_answer + 20 * MB  # the evaluation is gone, not growing
    assert server.rss() < idle + 100 * MB and server.answers()  # (the sort alone passes 1 GB within a second)


def test_timed_out_blocking_queries_free_their_slots(serve) -> None:
    """Was: after 8 timed-out COUNTs every query got '503 ... busy query slots', forever."""
    server = serve("--timeout", "1", "--workers", "2")
    with httpx.Client(timeout=30) as client:
        results: list[httpx.Response] = []
        workers = [threading.Thread(target=lambda: results.append(client.get(f"{server.url}/query",
                                                                             params={"query": COUNT_ALL})))
                   for _ in range(8)]
        started = time.monotonic()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(30)
        assert [r.status_code for r in results] == [503] * 8 and time.monotonic() - started < 5
        time.sleep(0.3)
        burnt = server.cpu_s()
        time.sleep(1.0)
        assert server.cpu_s() - burnt < 0.3  # no evaluation runs on
        fast = client.get(f"{server.url}/query", params={"query": SELECT})
        assert fast.status_code == 200 and fast.elapsed.total_seconds() < 1.0


def test_a_query_over_the_memory_ceiling_is_killed_with_a_clear_503(serve) -> None:
    server = serve("--timeout", "20", "--max-memory", "150")
    base = server.rss()
    peak, done = [base], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak.append(server.rss())
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        started = time.monotonic()
        response = httpx.get(f"{server.url}/query", params={"query": SORT_ALL}, timeout=30)
    finally:
        done.set()
        sampler.join()
    assert response.status_code == 503 and "more than 150 MB" in response.text and "--max-memory" in response.text
    assert time.monotonic() - started < 5
    # The ceiling, plus what one watch period lets through on a busy machine and the replacement child.
    assert max(peak) < base + 400 * MB
    assert server.answers()


@pytest.mark.parametrize("length", [b"-1", b"abc"])
def test_a_bad_content_length_is_a_400_without_traceback(serve, length) -> None:
    """Was: -1 read the body until the client closed (2.39 GB for 800 MB); abc dropped the connection."""
    shared = serve()
    reply = shared.raw(b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                       b"Content-Length: " + length + b"\r\n\r\nASK {}" + b"x" * 100_000)
    assert reply.startswith(b"HTTP/1.1 400")
    assert shared.answers() and "Traceback" not in shared.stderr


@pytest.mark.parametrize("framing", ["sized", "chunked"])
def test_a_body_over_16_mb_is_a_413(serve, framing) -> None:
    """The 16 MB cap holds for a declared length and for a chunked body that has none."""
    shared = serve()
    assert shared.answers()  # warm: evaluators up, replicas open
    before = shared.rss()
    chunk = b"#" * MB
    with socket.create_connection(("127.0.0.1", shared.port), timeout=10) as sock:
        if framing == "sized":
            sock.sendall(b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                         b"Content-Length: %d\r\n\r\n" % (17 * MB))
        else:
            sock.sendall(b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")
            try:
                for _ in range(64):  # 64 MB offered; the server must stop reading at 16
                    sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                pass
        reply = b""
        try:
            while (data := sock.recv(65536)) and b"\r\n\r\n" not in reply:
                reply += data
        except (TimeoutError, ConnectionResetError):
            pass
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    # The process tree (front, forkserver, evaluators) is ~400 MB whatever the body; 64 MB offered must not stay
    # (reading stops at 16 MB; seen: +29 MB, and +42 MB once in CI with other jobs on the cores; reading it all
    # would add 64 MB or more).
    assert shared.answers() and shared.rss() < before + 56 * MB


def test_head_has_the_get_headers_and_no_body(serve) -> None:
    """Was: 501."""
    shared = serve()
    import http.client

    for target in ("/", "/query?query=SELECT%20%2A%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20LIMIT%203"):
        answers = {}
        for method in ("GET", "HEAD"):
            conn = http.client.HTTPConnection("127.0.0.1", shared.port, timeout=10)
            conn.request(method, target)
            response = conn.getresponse()
            answers[method] = (response.status, response.getheader("Content-Type"),
                               response.getheader("Content-Length"), response.read())
            conn.close()
        assert answers["HEAD"][:3] == answers["GET"][:3] and answers["GET"][0] == 200
        assert answers["HEAD"][3] == b"" and int(answers["GET"][2]) == len(answers["GET"][3]) > 0


def test_idle_connections_hold_no_threads_are_capped_and_time_out(serve) -> None:
    """Was: 2,000 idle connections held 2,008 threads, for ever."""
    server = serve("--idle-timeout", "1", "--max-connections", "1000")
    sockets = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(2000)]
    trickle = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    try:
        trickle.sendall(b"GET /query?query=ASK%7B%7D HTTP/1.1\r\n")
        time.sleep(0.3)
        assert server.threads() < 50
        for _ in range(8):  # a header byte every 0.25 s does not keep a connection open
            time.sleep(0.25)
            try:
                trickle.sendall(b"X")
            except (BrokenPipeError, ConnectionResetError):
                break
        time.sleep(0.5)
        # Every connection was closed by the server: over the cap at once with a 503, the others when idle.
        replies = [_until_closed(sock) for sock in [*sockets, trickle]]
        assert all(reply in (b"", None) or reply.startswith(b"HTTP/1.1 503") for reply in replies)
        assert sum(reply is not None and reply.startswith(b"HTTP/1.1 503") for reply in replies) >= 900
        assert server.answers()
    finally:
        for sock in [*sockets, trickle]:
            sock.close()


def _until_closed(sock: socket.socket) -> bytes | None:
    """What the server sent before closing; None for a reset."""
    sock.settimeout(2)  # a socket still open after this fails the test with TimeoutError
    data = b""
    try:
        while chunk := sock.recv(4096):
            data += chunk
    except ConnectionResetError:
        return None
    return data


def test_a_killed_query_process_is_replaced_and_logged(serve) -> None:
    """Was: a worker killed under --workers was neither replaced nor logged."""
    import os
    import signal

    server = serve("--workers", "2")
    strength = 2 + 2  # the workers and their 2 ready spares
    assert wait_for(lambda: len(evaluators(server.proc.pid)) == strength)
    victim = evaluators(server.proc.pid)[0]
    os.kill(victim, signal.SIGKILL)
    assert wait_for(lambda: f"Query evaluator {victim} died" in server.stderr, timeout_s=10), server.stderr
    assert wait_for(lambda: len(evaluators(server.proc.pid)) == strength and victim not in evaluators(server.proc.pid))
    with httpx.Client(timeout=10) as client:
        assert all(client.get(f"{server.url}/query", params={"query": SELECT}).status_code == 200 for _ in range(10))


def test_serving_on_a_busy_port_is_a_one_line_error(tmp_path, tables) -> None:
    store_dir = _abuse_store(tmp_path / "store", tables)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        root = Path(kg_store.__file__).resolve().parents[1]
        result = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", "serve", "--store", str(store_dir), "--port",
             str(busy.getsockname()[1])],
            cwd=root, capture_output=True, text=True, timeout=60,
        )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "--port" in result.stderr and "in use" in result.stderr.lower()
