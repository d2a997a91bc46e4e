"""The explorer in a real headless Chromium (issue 18), over a graph built by a real `kg build`.

The graph is the two Tagore documents of examples/corpus (English and
Bangla), built once per session (tests/tagore_build.py); set ``KG_EXPLORER_WORKSPACE`` to a
built workspace (e.g. ``kg-workspace`` after ``make demo``) to test that
instead. Screenshots go to ``test-artifacts/explorer/`` (or
``$KG_TEST_ARTIFACTS/explorer``). Skipped only when no Chromium is
installed (``.ci/run`` installs the Debian package).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kg_store.conftest import free_port, wait_http
from tests.tagore_build import tagore_build  # noqa: F401  (a fixture)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = next((p for p in (os.environ.get("KG_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                             shutil.which("chromium-browser")) if p and Path(p).exists()), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (apt-get install chromium)")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(os.environ.get("KG_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "explorer"
BENGALI = re.compile("[\u0964\u0965\u0980-\u09ff]")


@pytest.fixture(scope="module")
def workspace(request) -> Path:
    if os.environ.get("KG_EXPLORER_WORKSPACE"):
        return Path(os.environ["KG_EXPLORER_WORKSPACE"])
    return request.getfixturevalue("tagore_build").workspace


@pytest.fixture(scope="module")
def url(workspace):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "serve", "--workspace", str(workspace), "--port",
                             str(port)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_http(f"http://127.0.0.1:{port}/explore", proc, timeout_s=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import (
        sync_playwright,  # the test extra has it: missing is a broken install, not a skip
    )

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 1300}, locale="en-US")
    tab = context.new_page()
    # Offline: any request that leaves the server fails the test (no CDN, no web fonts from elsewhere).
    outside: list[str] = []
    tab.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1:", "data:")) else outside.append(r.url))
    yield tab
    context.close()
    assert not outside, f"the page fetched from outside the server: {outside}"


def _suggestions(page, text: str) -> dict[str, str]:
    box = page.locator("#q")
    box.fill("")
    box.type(text, delay=20)
    page.wait_for_selector("#suggest:not([hidden]) li a")
    links = page.locator("#suggest li a")
    return {links.nth(i).get_attribute("href"): links.nth(i).inner_text() for i in range(links.count())}


def _glyphs_missing(page) -> list[str]:
    """Bengali characters on the page that the bundled font cannot draw (they would be boxes)."""
    from fontTools.ttLib import TTFont

    cmap = TTFont(ROOT / "kg_store" / "static" / "NotoSansBengali-Regular.ttf").getBestCmap()
    text = page.evaluate("document.body.innerText")
    return sorted({c for c in BENGALI.findall(text) if ord(c) not in cmap})


def test_tagore_in_both_scripts_leads_to_one_page_and_a_fact_shows_both_sentences(url, page) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{url}/explore")
    english = _suggestions(page, "Tagore")
    bangla = _suggestions(page, "রবীন্দ্রনাথ")
    page.screenshot(path=ARTIFACTS / "search-bangla.png")
    tagore = next(href for href, text in english.items() if text.startswith("Rabindranath Tagore"))
    assert tagore in bangla, (english, bangla)  # the same entity from either script

    page.locator(f'#suggest a[href="{tagore}"]').click()
    page.wait_for_url(f"**{tagore}")
    assert page.locator("h1").inner_text() == "Rabindranath Tagore"
    assert "রবীন্দ্রনাথ ঠাকুর" in page.locator("ul.labels").inner_text()
    assert page.locator("svg.graph circle").count() >= 2  # Tagore and a neighbour
    page.screenshot(path=ARTIFACTS / "entity-tagore.png", full_page=True)

    # Nazrul's birthplace is stated in both languages: one fact, both sentences, both spans highlighted.
    page.goto(f"{url}/explore")
    nazrul = next(href for href, text in _suggestions(page, "নজরুল").items() if "Nazrul" in text or "নজরুল" in text)
    page.locator(f'#suggest a[href="{nazrul}"]').click()
    page.wait_for_url(f"**{nazrul}")
    born = page.locator("#outgoing li.fact").filter(has=page.locator(".predicate", has_text="birthPlace")) \
        .filter(has=page.locator("a", has_text="Churulia"))
    assert born.count() == 1
    sentences = born.locator("q.evidence").all_inner_texts()
    assert "Kazi Nazrul Islam was born in Churulia in 1899." in sentences
    assert any(s.startswith("কাজী নজরুল ইসলাম ১৮৯৯ সালে চুরুলিয়ায় জন্মগ্রহণ করেন।") for s in sentences)  # (and the next)
    assert sorted(born.locator("mark.other").all_inner_texts()) == ["Churulia", "চুরুলিয়ায়"]  # the spans, highlighted
    assert page.locator("details#dropped").get_attribute("open") is None  # collapsed
    born.scroll_into_view_if_needed()
    born.screenshot(path=ARTIFACTS / "born-in-churulia.png")

    # Bangla is drawn with the bundled font, which has every glyph the page uses: no boxes.
    assert page.evaluate("document.fonts.check('16px \"Noto Sans Bengali\"', 'রবীন্দ্রনাথ')")
    assert "Noto Sans Bengali:loaded" in page.evaluate("[...document.fonts].map(f => f.family + ':' + f.status)")
    assert _glyphs_missing(page) == []


def test_sparql_page_shows_labels_beside_iris_and_pages(url, page) -> None:
    page.goto(f"{url}/")
    page.locator("button[data-q]", has_text="Entities in both languages").click()
    page.locator("#run button").click()
    page.wait_for_selector("table.results td .label")  # labels arrived from /api/labels
    first = page.locator("table.results tbody tr").first
    entity_link = first.locator("td a").first
    assert entity_link.get_attribute("href").startswith("/entity/")
    assert first.locator(".label").first.inner_text() == first.locator("td").nth(1).inner_text().removesuffix("@en")
    page.screenshot(path=ARTIFACTS / "sparql-labels.png", full_page=True)
    # Paging: 50 rows a page over every row.
    page.fill("#query", "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 120")
    page.locator("#run button").click()
    page.wait_for_selector(".pager")
    assert page.locator("table.results tbody tr").count() == 50
    assert page.locator(".pager span").inner_text().startswith("rows 1–50 of 120")
    page.locator(".pager button.next").click()
    page.locator(".pager button.next").click()
    assert page.locator("table.results tbody tr").count() == 20
    assert page.locator(".pager button.next").is_disabled()
