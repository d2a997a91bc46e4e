"""The graph explorer's HTML: the search page, entity pages with highlighted evidence, the drawing.

Data comes from :mod:`kg_store.explorer` (which runs the lookups); everything
that reaches HTML here goes through :func:`html.escape`.
"""

from __future__ import annotations

import html
import math
import re
from urllib.parse import quote, urlencode

NEIGHBOURS = 16  # nodes in the drawing


def local_name(iri: str | None) -> str:
    return (iri or "").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


# --- HTML -----------------------------------------------------------------------------------------


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _layout(title: str, body: str, *, q: str = "") -> bytes:
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)} · kg explorer</title><link rel="stylesheet" href="/static/explorer.css"></head><body>
<header><a class="home" href="/explore">kg explorer</a>
<form class="search" action="/explore" method="get" role="search">
<input id="q" name="q" type="search" value="{_e(q)}" placeholder="Search labels in any language: Tagore, রবীন্দ্রনাথ …"
 autocomplete="off" aria-label="Search entities"><button>Search</button>
<ul id="suggest" class="suggest" hidden></ul></form>
<a href="/">SPARQL</a></header><main>{body}</main>
<script src="/static/explorer.js"></script></body></html>""".encode("utf-8")


def _entity_href(entity_id: str) -> str:
    return "/entity/" + quote(entity_id, safe="%")  # the id is already an IRI segment: keep its escapes


def _sparql_href(sparql: str) -> str:
    return "/?" + urlencode({"query": sparql})


def search_page(q: str, results: list[dict] | None) -> bytes:
    if results is None:
        body = "<h1>Explore the graph</h1><p>Search entities by any of their labels or aliases, in any script; " \
               "prefixes and misspellings match too.</p>"
    elif not results:
        body = f"<h1>No entity matches “{_e(q)}”</h1>"
    else:
        items = "".join(
            f'<li><a class="result" href="{_e(_entity_href(r["id"]))}">{_e(r["label"])}</a> '
            f'<span class="type">{_e(r["type"] or "")}</span> '
            f'<span class="langs">{" · ".join(_e(v) for k, v in sorted(r["labels"].items()) if v != r["label"])}</span> '
            f'<span class="degree">{r["degree"]} facts</span>'
            + (f' <span class="matched">matched “{_e(r["matched"])}”</span>' if r["matched"] not in r["labels"].values() else "")
            + "</li>"
            for r in results
        )
        body = f'<h1>Entities matching “{_e(q)}”</h1><ol class="results">{items}</ol>'
    return _layout(f"Search {q}" if q else "Search", body, q=q)


def highlight(text: str, spans: list[tuple[list[int] | None, str]]) -> str:
    """Escaped ``text`` with each (start, end) span wrapped in ``<mark class=...>`` (overlaps: first wins)."""
    marks = sorted((s[0], s[1], cls) for s, cls in spans if s and 0 <= s[0] < s[1] <= len(text))
    out, at = [], 0
    for start, end, cls in marks:
        if start < at:
            continue
        out.append(_e(text[at:start]) + f'<mark class="{cls}">{_e(text[start:end])}</mark>')
        at = end
    return "".join(out) + _e(text[at:])


def _evidence_items(fact: dict, direction: str) -> str:
    me, other = ("subject", "object") if direction == "out" else ("object", "subject")
    items = []
    for ev in fact["evidence"]:
        text = ev["text"]
        sentence = (highlight(text, [(ev[f"{me}_span"], "self"), (ev[f"{other}_span"], "other")])
                    if text else '<span class="missing">(no evidence text in the store)</span>')
        meta = " · ".join(x for x in (
            _e(ev["source"] or local_name(ev["document"])),
            _e(ev["extractor"]) if ev["extractor"] else "",
            f'confidence {ev["confidence"]:.2f}' if isinstance(ev["confidence"], float) else "",
            f'filter {ev["filter_score"]:.2f}' if isinstance(ev["filter_score"], float) else "",
        ) if x)
        items.append(f'<li><q class="evidence" lang="{_script_lang(text)}">{sentence}</q>'
                     f'<div class="meta">{meta}</div></li>')
    return f'<ul class="evidence-list">{"".join(items)}</ul>'


def _script_lang(text: str | None) -> str:
    return "bn" if text and re.search("[\u0980-\u09ff]", text) else "en"


def _fact_rows(facts: list[dict], direction: str, entity: dict) -> str:
    if not facts:
        return '<p class="none">None.</p>'
    rows = []
    for f in facts:
        other = (f'<a href="{_e(_entity_href(f["other_id"]))}">{_e(f["other_label"])}</a>' if f["other_id"]
                 else _e(f["other_label"]))
        me = f'<span class="self">{_e(entity["label"])}</span>'
        subject, obj = (me, other) if direction == "out" else (other, me)
        rows.append(f'<li class="fact"><div class="triple">{subject} <span class="predicate">{_e(f["predicate_label"])}'
                    f'</span> {obj} <span class="count">({len(f["evidence"])} sentence'
                    f'{"s" if len(f["evidence"]) != 1 else ""})</span></div>{_evidence_items(f, direction)}</li>')
    return f'<ul class="facts">{"".join(rows)}</ul>'


def neighbourhood_svg(entity: dict, width: int = 520, height: int = 360) -> str:
    """The entity and up to 16 neighbours by kept facts, on a circle; edges point subject → object."""
    neighbours: dict[str, dict] = {}
    for direction in ("outgoing", "incoming"):
        for f in entity[direction]:
            n = neighbours.setdefault(f["other"], {"label": f["other_label"], "id": f["other_id"], "edges": []})
            n["edges"].append((direction, f["predicate_label"]))
    chosen = list(neighbours.items())[:NEIGHBOURS]
    cx, cy, r = width / 2, height / 2, min(width, height) / 2 - 40
    parts = [f'<svg class="graph" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
             f'aria-label="Neighbourhood of {_e(entity["label"])}"><defs><marker id="arrow" viewBox="0 0 10 10" '
             f'refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">'
             f'<path d="M0,0L10,5L0,10z"/></marker></defs>']
    for i, (_, n) in enumerate(chosen):
        angle = 2 * math.pi * i / max(len(chosen), 1) - math.pi / 2
        x, y = cx + r * math.cos(angle), cy + r * math.sin(angle)
        for direction, predicate in n["edges"][:1]:
            x1, y1, x2, y2 = (cx, cy, x, y) if direction == "outgoing" else (x, y, cx, cy)
            parts.append(f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" marker-end="url(#arrow)"/>'
                         f'<text class="edge" x="{(cx + x) / 2:.0f}" y="{(cy + y) / 2:.0f}">{_e(_short(predicate, 18))}'
                         f'{" +" + str(len(n["edges"]) - 1) if len(n["edges"]) > 1 else ""}</text>')
        label = f'<circle cx="{x:.0f}" cy="{y:.0f}" r="6"/><text x="{x:.0f}" y="{y - 10:.0f}">{_e(_short(n["label"], 22))}</text>'
        parts.append(f'<a href="{_e(_entity_href(n["id"]))}">{label}</a>' if n["id"] else label)
    parts.append(f'<circle class="centre" cx="{cx:.0f}" cy="{cy:.0f}" r="10"/>'
                 f'<text class="centre" x="{cx:.0f}" y="{cy + 26:.0f}">{_e(_short(entity["label"], 28))}</text></svg>')
    more = len(neighbours) - len(chosen)
    return "".join(parts) + (f'<p class="none">{more} more neighbours are listed below.</p>' if more > 0 else "")


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def entity_page(entity: dict) -> bytes:
    labels = "".join(f'<li><span class="lang">{_e(x["lang"] or "–")}</span> <span lang="{_e(x["lang"])}">{_e(x["text"])}'
                     f'</span></li>' for x in entity["all_labels"])
    aliases = ", ".join(_e(a) for a in entity["aliases"]) or "none"
    sparql = entity["sparql"]

    def link(key: str) -> str:
        return f'<a class="sparql" href="{_e(_sparql_href(sparql[key]))}">SPARQL</a>'

    dropped = entity["dropped"]
    dropped_html = "".join(
        f'<h3>{"Outgoing" if d == "out" else "Incoming"}</h3>'
        + _fact_rows([f for f in dropped if f["direction"] == d], d, entity) for d in ("out", "in")
    )
    body = f"""<h1 lang="{_script_lang(entity['label'])}">{_e(entity['label'])}</h1>
<p class="about"><span class="type">{_e(entity['type'] or 'Thing')}</span> · {entity['degree']} distinct facts ·
mentioned {_e(entity['frequency'] if entity['frequency'] is not None else '?')} times ·
<code class="iri">{_e(entity['iri'])}</code></p>
<section class="names"><h2>Labels</h2><ul class="labels">{labels}</ul><p>Aliases: {aliases}</p></section>
<section><h2>Neighbourhood</h2>{neighbourhood_svg(entity)}</section>
<section id="outgoing"><h2>Facts about {_e(entity['label'])} {link('outgoing')}</h2>
{_fact_rows(entity['outgoing'], 'out', entity)}</section>
<section id="incoming"><h2>Facts pointing here {link('incoming')}</h2>{_fact_rows(entity['incoming'], 'in', entity)}</section>
<details id="dropped"><summary>Dropped by the filter ({len(dropped)}) {link('dropped')} {link('dropped_incoming')}</summary>
{dropped_html}</details>"""
    return _layout(entity["label"], body)


def not_found_page(entity_id: str) -> bytes:
    return _layout("Not found", f"<p>No entity <code>{_e(entity_id)}</code> in this graph. "
                                f'<a href="/explore">Search</a>.</p>')
