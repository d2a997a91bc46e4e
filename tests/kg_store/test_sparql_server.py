"""The SPARQL 1.1 Protocol endpoint, with a real server thread and httpx."""

from __future__ import annotations

import functools
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

import kg_store
from kg_store.iri import document_iri
from kg_store.oxigraph import OxigraphStore
from kg_store.quads import tables_to_quads
from kg_store.remote import RemoteStore
from kg_store.server import make_server
from pipeline.errors import EndpointError, StoreError

SELECT = "SELECT ?s ?o WHERE { ?s rel:wasBornIn ?o }"
INSERT = "INSERT DATA { GRAPH <http://ex/g> { <http://ex/a> <http://ex/b> 'c' } }"


def _serve(tables, path, update_token=None, **store_kwargs):
    """A server thread over a real store directory; query evaluators open read-only replicas of it."""
    store = OxigraphStore(path, **store_kwargs)
    store.load_quads(tables_to_quads(*tables))
    replica = functools.partial(OxigraphStore, path, read_only=True, **store_kwargs)
    server = make_server(store, "127.0.0.1", 0, open_replica=replica, update_token=update_token)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    assert server.ready.wait(30), "the query evaluators did not start"
    return server, store, thread


def _stop(server, store, thread) -> None:
    server.shutdown()
    thread.join(10)
    server.server_close()
    store.close()


@pytest.fixture
def endpoint(tables, tmp_path):
    """(url, store) of a read-only server (no update token)."""
    server, store, thread = _serve(tables, tmp_path / "store", limit=4)
    yield server.url, store
    _stop(server, store, thread)


@pytest.fixture
def writable(tables, tmp_path):
    server, store, thread = _serve(tables, tmp_path / "store", update_token="s3cret")
    yield server.url, store
    _stop(server, store, thread)


def test_select_as_json_and_csv(endpoint) -> None:
    url, store = endpoint
    response = httpx.get(f"{url}/query", params={"query": SELECT})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    body = response.json()
    assert body["head"]["vars"] == ["s", "o"]
    assert body["results"]["bindings"][0]["o"] == {"type": "uri", "value": f"{store.vocab.entity_ns}dhaka"}
    response = httpx.post(f"{url}/query", data={"query": SELECT}, headers={"Accept": "text/csv"})
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.splitlines() == ["s,o", f"{store.vocab.entity_ns}rahim,{store.vocab.entity_ns}dhaka"]
    tsv = httpx.post(f"{url}/query?format=tsv", content=SELECT, headers={"Content-Type": "application/sparql-query"})
    assert tsv.text.startswith("?s\t?o")
    xml = httpx.get(f"{url}/query", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "application/sparql-results+xml"})
    assert "<boolean>true</boolean>" in xml.text


def test_construct_limit_and_errors(endpoint) -> None:
    url, _ = endpoint
    turtle = httpx.get(f"{url}/query", params={"query": "CONSTRUCT WHERE { ?s a schema:Place }"})
    assert turtle.headers["content-type"].startswith("text/turtle") and "schema:Place" in turtle.text
    nt = httpx.get(f"{url}/query", params={"query": "CONSTRUCT WHERE { ?s a ?t }"}, headers={"Accept": "application/n-triples"})
    assert nt.headers["content-type"] == "application/n-triples" and len(nt.text.splitlines()) == 4
    limited = httpx.get(f"{url}/query", params={"query": "SELECT * { ?s ?p ?o }"})
    assert len(limited.json()["results"]["bindings"]) == 4 and limited.headers["x-result-truncated"] == "true"
    bad = httpx.get(f"{url}/query", params={"query": "SELEC ?s"})
    assert bad.status_code == 400 and "Invalid SPARQL" in bad.text
    assert httpx.get(f"{url}/query").status_code == 400
    page = httpx.get(url + "/")
    assert page.status_code == 200 and "Facts with their sentences" in page.text


def test_updates_are_refused_without_a_token(endpoint) -> None:
    url, store = endpoint
    before = store.count_quads()
    assert httpx.post(f"{url}/update", data={"update": INSERT}).status_code == 403
    auth = {"Authorization": "Bearer guess"}
    assert httpx.post(f"{url}/update", data={"update": INSERT}, headers=auth).status_code == 403
    assert store.count_quads() == before


def test_updates_need_the_right_token(writable) -> None:
    url, store = writable
    before = store.count_quads()
    missing = httpx.post(f"{url}/update", data={"update": INSERT})
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
    wrong = httpx.post(f"{url}/update", data={"update": INSERT}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403 and store.count_quads() == before
    ok = httpx.post(f"{url}/update", content=INSERT, headers={"Authorization": "Bearer s3cret", "Content-Type": "application/sparql-update"})
    assert ok.status_code == 204 and store.count_quads() == before + 1


def test_remote_backend_speaks_to_our_server(writable, tables) -> None:
    url, store = writable
    with RemoteStore(f"{url}/query", update_token="s3cret") as remote:
        remote.drop_graphs([document_iri(d, remote.vocab) for d in ["d1"]])
        assert not remote.query("ASK { ?s rel:wasBornIn ?o }").boolean
        remote.load_quads(tables_to_quads(*tables))
        assert remote.query("ASK { ?s rel:wasBornIn ?o }").boolean
    with RemoteStore(f"{url}/query") as anonymous:
        with pytest.raises(EndpointError, match="HTTP 401"):
            anonymous.update(INSERT)


def test_slow_queries_get_503(tables, tmp_path) -> None:
    server, store, thread = _serve(tables, tmp_path / "store", update_token="t", timeout_s=0.2)
    try:
        insert = "INSERT DATA { GRAPH <http://ex/g> { " + " ".join(f"<http://ex/s{i}> <http://ex/p> {i} ." for i in range(200)) + " } }"
        assert httpx.post(f"{server.url}/update", data={"update": insert}, headers={"Authorization": "Bearer t"}).status_code == 204
        slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a <http://ex/p> ?b . ?c <http://ex/p> ?d . ?e <http://ex/p> ?f }"  # 8*10^6 rows: seconds
        started = time.monotonic()
        response = httpx.get(f"{server.url}/query", params={"query": slow})
        # The 503 comes at the deadline, and the count (which pyoxigraph cannot stop) is killed with its process.
        assert response.status_code == 503 and "timed out after 0.2 s" in response.text
        assert time.monotonic() - started < 1.5 and server.pool.stats.timeouts == 1
        # The update was made after the evaluators opened their replica: they see it.
        count = httpx.get(f"{server.url}/query", params={"query": "SELECT (COUNT(*) AS ?n) { ?s <http://ex/p> ?o }"})
        assert count.json()["results"]["bindings"][0]["n"]["value"] == "200"
    finally:
        _stop(server, store, thread)


def test_serve_holds_the_store_lock(tmp_path, tables, port) -> None:
    """`kg serve` in its own process: it answers, and a writer gets the lock message."""
    with OxigraphStore(tmp_path / "store") as store:
        store.load_quads(tables_to_quads(*tables))
    root = Path(kg_store.__file__).resolve().parents[1]
    command = [sys.executable, "-m", "pipeline.cli", "serve", "--store", str(tmp_path / "store"), "--port", str(port)]
    proc = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith(f"SPARQL endpoint at http://127.0.0.1:{port}/query")
        answer = httpx.get(f"http://127.0.0.1:{port}/query", params={"query": "ASK { ?s rel:wasBornIn ?o }"})
        assert answer.json()["boolean"] is True
        with pytest.raises(StoreError, match="kg serve"):
            OxigraphStore(tmp_path / "store")
    finally:
        proc.terminate()  # SIGTERM stops it cleanly
        assert proc.wait(timeout=10) == 0


def descendants(pid: int) -> list[int]:
    """PIDs below ``pid`` in the process tree, at any depth (Linux /proc)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found, frontier = [], [pid]
    while frontier:
        below = [child for child, parent in parents.items() if parent in frontier]
        found += below
        frontier = below
    return found


def evaluators(pid: int) -> list[int]:
    """The query evaluator processes of a `kg serve` (children of its forkserver)."""
    forkservers = [p for p in descendants(pid) if _parent(p) == pid and "forkserver" in _cmdline(p)]
    return [p for f in forkservers for p in descendants(f) if _state(p) not in ("Z", "gone")]


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def wait_for(condition, timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_query_processes_die_with_the_server(tmp_path, tables, port) -> None:
    """`kg serve --workers 2`: evaluator processes answer, and all leave when the server is killed with -9."""
    with OxigraphStore(tmp_path / "store") as store:
        store.load_quads(tables_to_quads(*tables))
    root = Path(kg_store.__file__).resolve().parents[1]
    command = [sys.executable, "-m", "pipeline.cli", "serve", "--store", str(tmp_path / "store"), "--port", str(port),
               "--workers", "2"]
    proc = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        assert "2 query processes" in proc.stdout.readline()
        assert wait_for(lambda: len(evaluators(proc.pid)) == 2 + 2)  # and 2 ready spares
        tree = descendants(proc.pid)
        for _ in range(12):
            answer = httpx.get(f"http://127.0.0.1:{port}/query", params={"query": SELECT})
            assert answer.status_code == 200 and answer.json()["results"]["bindings"]
        proc.kill()  # -9: the server cannot stop its processes, which must notice and leave
        proc.wait(timeout=10)
        assert wait_for(lambda: all(_state(pid) in ("Z", "gone") for pid in tree), timeout_s=10)
    finally:
        proc.kill()


@pytest.mark.parametrize("target", ["endpoint", "store"])
def test_updates_through_the_server_reach_every_query_process(target, oxigraph_server, tmp_path, tables, port) -> None:
    """Every query after a 204 sees the update, whichever of the 2 query processes answers it.

    In front of a SPARQL server they share it; over a store folder each reopens its replica after an update.
    """
    if target == "store":
        with OxigraphStore(tmp_path / "store") as store:
            store.load_quads(tables_to_quads(*tables))
        source = ["--store", str(tmp_path / "store")]
    else:
        source = ["--endpoint", f"{oxigraph_server}/query"]
    root = Path(kg_store.__file__).resolve().parents[1]
    command = [sys.executable, "-m", "pipeline.cli", "serve", *source, "--port", str(port), "--workers", "2",
               "--update-token", "secret"]
    proc = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        assert "updates enabled, 2 query processes" in proc.stdout.readline()
        url, auth = f"http://127.0.0.1:{port}", {"Authorization": "Bearer secret"}
        with httpx.Client(timeout=30) as client:
            for i in range(6):
                update = f"INSERT DATA {{ GRAPH <http://ex/w> {{ <http://ex/s{i}> <http://ex/p> {i} }} }}"
                assert client.post(f"{url}/update", data={"update": update}, headers=auth).status_code == 204
                for _ in range(3):  # concurrent-free, so each goes to whichever process is idle first
                    count = client.get(f"{url}/query", headers={"Accept": "text/csv"},
                                       params={"query": "SELECT (COUNT(*) AS ?n) { GRAPH <http://ex/w> { ?s ?p ?o } }"})
                    assert count.text.split()[-1] == str(i + 1)
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_connections_are_kept_alive(endpoint) -> None:
    import http.client
    from urllib.parse import quote, urlsplit

    url, _ = endpoint
    conn = http.client.HTTPConnection(urlsplit(url).hostname, urlsplit(url).port, timeout=10)
    for sparql, status in ((SELECT, 200), ("SELEC", 400), ("ASK {}", 200)):
        conn.request("GET", f"/query?query={quote(sparql)}")
        response = conn.getresponse()
        response.read()
        assert response.status == status and response.version == 11
        assert response.getheader("Connection") != "close"
    conn.request("POST", "/update", body=INSERT, headers={"Content-Type": "application/sparql-update"})
    refused = conn.getresponse()
    refused.read()
    assert refused.status == 403
    conn.request("GET", f"/query?query={quote('ASK { GRAPH <http://ex/g> { ?s ?p ?o } }')}")
    assert b"false" in conn.getresponse().read()  # same connection, and the refused update changed nothing
    conn.close()
