"""The graph explorer of `kg serve` (issue 18): search, entity pages with evidence, the SPARQL page.

One real server per module over a real store directory, written from tiny
tables (conftest) plus a hostile entity; lookups go through the server's
query evaluator processes like any query.
"""

from __future__ import annotations

import functools
import html
import re
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pyarrow as pa
import pytest

from kg_store.oxigraph import OxigraphStore
from kg_store.quads import tables_to_quads
from kg_store.server import make_server
from pipeline.schema import ENTITIES, SCORED_EDGES, from_rows
from tests.kg_store.conftest import edge, entity, make_tables

HOSTILE = '<script>alert("x")</script>'
README = Path(__file__).resolve().parents[2] / "README.md"


def _tables():
    entities, _, documents = make_tables()
    entities = pa.concat_tables([entities, from_rows([entity("evil", HOSTILE, "en", HOSTILE, "PERSON")], ENTITIES)])
    scored = from_rows([
        edge("x1", "rahim", "was born in", "dhaka", "d1", True, 0.9, 0.8, 0, 0, 24),
        edge("x2", "rahim", "wrote", "gitanjali", "d1", False, 0.4, 0.1, 1, 25, 44, "llm"),
        edge("x3", "dhaka", "অবস্থিত", "y1971", "d2", True, 0.7, 0.6, 0, 0, 12),
        edge("x9", "evil", "<b>p</b>", "dhaka", "d1", True, 0.5, 0.5, 0, 0, 24),
    ], SCORED_EDGES)
    # Where the mentions are (as the link stage leaves them): evidence spans come from these.
    mentions = pa.table({"doc_id": ["d1", "d1", "d2"], "entity_id": ["rahim", "dhaka", "dhaka"],
                         "start": [0, 18, 0], "end": [5, 23, 4]})
    return entities, scored, documents, mentions


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    path = tmp_path_factory.mktemp("explorer") / "store"
    entities, scored, documents, mentions = _tables()
    store = OxigraphStore(path)
    store.load_quads(tables_to_quads(entities, scored, documents, mentions=mentions))
    server = make_server(store, "127.0.0.1", 0, open_replica=functools.partial(OxigraphStore, path, read_only=True))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    assert server.ready.wait(30), "the query evaluators did not start"
    yield server.url
    server.shutdown()
    thread.join(10)
    server.server_close()
    store.close()


@pytest.mark.parametrize("q", ["Dhaka", "ঢাকা", "dha", "Dhakka", "dacca", "ঢাকা শহর"])
def test_search_finds_an_entity_by_any_label_or_alias_prefix_or_misspelling(url, q) -> None:
    results = httpx.get(f"{url}/api/search", params={"q": q}).json()
    assert results, q
    top = results[0]
    assert top["id"] == "dhaka" and top["iri"].endswith("/entity/dhaka")
    assert top["labels"] == {"bn": "ঢাকা", "en": "Dhaka"} and top["label"] == "Dhaka"
    assert top["type"] == "Place" and top["degree"] == 3  # born-in from Rahim, the hostile fact, অবস্থিত 1971


def test_search_of_nothing_or_noise_is_empty_not_an_error(url) -> None:
    assert httpx.get(f"{url}/api/search", params={"q": "   "}).json() == []
    assert httpx.get(f"{url}/api/search", params={"q": 'zz"}\\ UNION'}).json() == []  # no SPARQL injection
    assert httpx.get(f"{url}/api/search", params={"q": "x", "limit": "lots"}).status_code == 400


def test_entity_page_json_has_labels_facts_evidence_and_dropped_apart(url) -> None:
    page = httpx.get(f"{url}/entity/rahim", headers={"Accept": "application/json"}).json()
    assert page["labels"] == {"en": "Rahim"} and page["type"] == "Person" and page["frequency"] == 3
    [born] = page["outgoing"]
    assert (born["predicate_label"], born["other_label"], born["other_id"]) == ("was born in", "Dhaka", "dhaka")
    [evidence] = born["evidence"]
    assert evidence["text"] == "Rahim was born in Dhaka."
    assert evidence["subject_span"] == [0, 5] and evidence["object_span"] == [18, 23]
    assert (evidence["extractor"], evidence["confidence"], evidence["source"]) == ("spacy", 0.9, "corpus.jsonl:1")
    [wrote] = page["dropped"]  # the filter dropped it: not among the facts
    assert wrote["other_label"] == "Gitanjali" and wrote["evidence"][0]["text"] == "He wrote Gitanjali."
    dhaka = httpx.get(f"{url}/entity/dhaka", headers={"Accept": "application/json"}).json()
    assert {f["other_label"] for f in dhaka["incoming"]} == {"Rahim", HOSTILE}
    assert [f["evidence"][0]["text"] for f in dhaka["outgoing"]] == ["ঢাকা অবস্থিত"]  # Bangla offsets are characters
    assert dhaka["outgoing"][0]["evidence"][0]["subject_span"] == [0, 4]


def test_entity_page_html_highlights_evidence_and_links_its_sparql(url) -> None:
    response = httpx.get(f"{url}/entity/rahim")
    assert response.headers["content-type"].startswith("text/html")
    text = response.text
    assert '<mark class="self">Rahim</mark> was born in <mark class="other">Dhaka</mark>.' in text
    assert '<details id="dropped">' in text and "He wrote Gitanjali." in text
    assert '<svg class="graph"' in text and 'href="/entity/dhaka"' in text
    links = [html.unescape(m) for m in re.findall(r'class="sparql" href="([^"]+)"', text)]
    assert len(links) == 4  # facts, facts pointing here, dropped (both ways)
    # The first link opens the SPARQL page with the list's own query, which answers the same fact.
    query = parse_qs(urlsplit(links[0]).query)["query"][0]
    assert html.escape(query) in httpx.get(url + links[0]).text
    listed = httpx.post(f"{url}/query", data={"query": query}).json()["results"]["bindings"]
    assert [b["evidence"]["value"] for b in listed] == ["Rahim was born in Dhaka."]


def test_everything_reaching_html_is_escaped_and_scripts_are_only_our_own(url) -> None:
    for path in ("/entity/evil", "/entity/dhaka", f"/explore?q={HOSTILE}", "/?query=" + HOSTILE):
        response = httpx.get(url + path)
        assert response.status_code == 200, path
        assert "<script>alert" not in response.text and "<b>p</b>" not in response.text, path
        assert "&lt;script&gt;" in response.text, path
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "default-src 'none'" in csp
        assert re.findall(r"<script[^>]*>", response.text) in ([], ['<script src="/static/explorer.js">'],
                                                                ['<script src="/static/sparql.js">'])


def test_explorer_is_read_only_and_bounded(url) -> None:
    assert httpx.post(f"{url}/explore", data={"q": "x"}).status_code == 405
    assert httpx.get(f"{url}/entity/nobody").status_code == 404
    assert httpx.get(f"{url}/entity/x>y").status_code == 404  # not an IRI segment: never reaches SPARQL
    assert httpx.get(f"{url}/static/../server.py").status_code == 404
    assert httpx.get(f"{url}/static/explorer.py").status_code == 404
    assert httpx.post(f"{url}/api/labels", content="not json").status_code == 400
    labels = httpx.post(f"{url}/api/labels", json=["https://kg-pipeline.example.org/entity/dhaka",
                                                   "https://kg-pipeline.example.org/relation/wasBornIn"]).json()
    assert labels == {"https://kg-pipeline.example.org/entity/dhaka": "Dhaka",
                      "https://kg-pipeline.example.org/relation/wasBornIn": "was born in"}


def test_the_bengali_font_and_its_licence_are_served(url) -> None:
    font = httpx.get(f"{url}/static/NotoSansBengali-Regular.ttf")
    assert font.status_code == 200 and font.headers["content-type"] == "font/ttf" and font.content[:4] == b"\0\1\0\0"
    assert "SIL Open Font License" in httpx.get(f"{url}/static/OFL.txt").text
    assert "NotoSansBengali-Regular.ttf" in httpx.get(f"{url}/static/explorer.css").text


def _readme_query(marker: str) -> str:
    blocks = re.findall(r"```sparql\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    return next(b for b in blocks if marker in b)


def test_readme_provenance_query_answers_sentences_and_distinct_answers_a_repeated_fact_once(tmp_path) -> None:
    """A fact stated in four documents: four sentences with provenance, and one row with DISTINCT."""
    entities = from_rows([entity("mujib", "Sheikh Mujib", "en", "Sheikh Mujib", "PERSON"),
                          entity("awami", "Awami League", "en", "Awami League", "ORGANIZATION")], ENTITIES)
    texts = [f"Sheikh Mujib founded the Awami League, says source {i}." for i in range(4)]
    documents = from_rows([dict(doc_id=f"n{i}", source=f"news.jsonl:{i}", lang="en", text=t) for i, t in enumerate(texts)],
                          make_tables()[2].schema)
    # As the relation model states it: the Awami League's founder is Sheikh Mujib.
    scored = from_rows([edge(f"f{i}", "awami", "founder", "mujib", f"n{i}", True, end=len(t)) for i, t in enumerate(texts)],
                       SCORED_EDGES)
    with OxigraphStore(tmp_path / "store") as store:
        store.load_quads(tables_to_quads(entities, scored, documents))
        provenance = store.query(_readme_query("kg:evidence ?evidence ; kg:document ?doc")).records()
        assert sorted(r["evidence"] for r in provenance) == texts
        assert {(r["who"], r["relation"], r["what"], r["source"]) for r in provenance} == {
            ("Awami League", "founder", "Sheikh Mujib", f"news.jsonl:{i}") for i in range(4)}
        founded = _readme_query("rel:founder")
        assert "DISTINCT" in founded
        assert store.query(founded).values() == [("Sheikh Mujib", "Awami League")]
        assert len(store.query(founded.replace("DISTINCT ", ""))) == 4  # what DISTINCT is there for
