"""The graph explorer of ``kg serve``: label search, entity pages with evidence, a neighbourhood drawing.

Every lookup here is SPARQL over the store and runs where queries run: in
a query evaluator child (:mod:`kg_store.evaluator`, job ``"explore"``), so
it has the endpoint's deadline, memory ceiling and long-query lane, and
the front only moves bytes. Nothing is cached between requests: a search
is a query like any other (the pool treats an expensive one as long).

Routes (``route`` of :func:`handle`, mapped by :mod:`kg_store.server`):

* ``search`` (``GET /api/search?q=&limit=``): JSON
  ``[{"iri", "id", "label", "labels": {lang: label}, "type", "degree", "matched", "score"}]``.
  Labels and aliases in any script match by prefix, substring, or fuzzily
  (character trigrams pick candidates in SPARQL, ``difflib`` ranks them).
* ``search_page`` (``GET /explore?q=``): the same as HTML, with a search box.
* ``entity`` (``GET /entity/{id}``): labels, aliases, type, outgoing and
  incoming facts with their evidence sentences (subject and object
  highlighted), dropped facts apart, a neighbourhood drawing, and the
  SPARQL behind each list; JSON for ``Accept: application/json``.
* ``labels`` (``POST /api/labels``, a JSON list of IRIs): ``{iri: label}``,
  for the SPARQL page.

All text reaching HTML goes through :func:`html.escape` (the pages are
:mod:`kg_store.explorer_pages`); user input never reaches SPARQL except as
an escaped string literal or a checked IRI.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections import defaultdict
from http import HTTPStatus

from kg_store.base import Store
from kg_store.explorer_pages import entity_page, local_name, not_found_page, search_page
from kg_store.formats import to_python
from kg_store.vocab import ENTITY_SEGMENT, RDF, SKOS

Reply = tuple[int, str, dict[str, str], bytes]

_HTML, _JSON = "text/html; charset=utf-8", "application/json; charset=utf-8"
ENTITY_ID = re.compile(ENTITY_SEGMENT)
_MAX_QUERY_CHARS = 100
_CANDIDATES = 5000  # label rows a search ranks at most
_FACTS = 500  # assertions per direction on an entity page


class _BadRequest(Exception):
    pass


def handle(store: Store, route: str, params: dict[str, str], accept: str) -> Reply:
    """Answer one explorer request with ``store`` (in an evaluator child)."""
    try:
        if route == "search":
            return _json(search(store, params.get("q", ""), limit=_limit(params)))
        if route == "search_page":
            q = params.get("q", "")
            return HTTPStatus.OK, _HTML, {}, search_page(q, search(store, q, limit=_limit(params)) if q.strip() else None)
        if route == "entity":
            entity = entity_view(store, params.get("id", ""))
            if entity is None:
                return HTTPStatus.NOT_FOUND, _HTML, {}, not_found_page(params.get("id", ""))
            if _wants_json(accept):
                return _json(entity)
            return HTTPStatus.OK, _HTML, {}, entity_page(entity)
        if route == "labels":
            return _json(labels_of(store, _iri_list(params.get("", ""))))
    except _BadRequest as err:
        return HTTPStatus.BAD_REQUEST, "text/plain; charset=utf-8", {}, (str(err) + "\n").encode()
    return HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", {}, b"Not found.\n"


# --- SPARQL helpers -------------------------------------------------------------------------------


def _literal(text: str) -> str:
    """A SPARQL string literal; backslashes and control characters were removed by :func:`clean_query`."""
    return '"' + text.replace('"', '\\"') + '"'


def _iri(iri: str) -> str:
    if not iri or any(c in iri for c in '<>"{}|^`\\ \n\r\t'):
        raise _BadRequest(f"Not an IRI: {iri[:200]!r}")
    return f"<{iri}>"


def _values(iris) -> str:
    return " ".join(_iri(i) for i in iris)


def _select(store: Store, sparql: str) -> list[dict]:
    result = store.query(sparql, timeout_s=None)  # the pool keeps the deadline
    return [dict(zip(result.vars, (to_python(t) for t in row))) for row in result.rows]


# --- search ---------------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """What search compares: NFKC, case-folded, whitespace collapsed (Bangla has no case; its marks stay)."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def clean_query(q: str) -> str:
    """The user's search text without control characters and backslashes (which SPARQL escapes would read)."""
    kept = "".join(c for c in unicodedata.normalize("NFC", q) if c != "\\" and unicodedata.category(c)[0] != "C")
    return kept.strip()[:_MAX_QUERY_CHARS]


def _trigrams(text: str) -> list[str]:
    return sorted({text[i:i + 3] for i in range(len(text) - 2)} - {""})[:40]


def _match_score(query: str, label: str) -> float:
    """1 exact, .9 prefix, .8 a word's prefix, .7 substring, else a fuzzy ratio scaled to at most .6."""
    if label == query:
        return 1.0
    if label.startswith(query):
        return 0.9
    if any(word.startswith(query) for word in label.split()):
        return 0.8
    if query in label:
        return 0.7
    ratio = max([difflib.SequenceMatcher(None, query, part).ratio() for part in [label, *label.split()]])
    return 0.6 * ratio if ratio >= 0.75 else 0.0


def search(store: Store, q: str, *, limit: int = 20) -> list[dict]:
    """Entities whose labels or aliases match ``q``, best first (then by degree)."""
    query = normalise(clean_query(q))
    if not query:
        return []
    grams = _trigrams(query) if len(query) >= 4 else [query]
    condition = " || ".join(f"CONTAINS(?n, {_literal(g)})" for g in grams)
    rows = _select(store, f"""
        SELECT ?e ?l WHERE {{
          ?e rdfs:label|skos:altLabel ?l .
          FILTER(STRSTARTS(STR(?e), {_literal(store.vocab.entity_ns)}))
          BIND(LCASE(STR(?l)) AS ?n)
          FILTER({condition})
        }} LIMIT {_CANDIDATES}""")
    best: dict[str, tuple[float, str]] = {}
    for row in rows:
        score = _match_score(query, normalise(row["l"]))
        if score > best.get(row["e"], (0.0, ""))[0]:
            best[row["e"]] = (score, row["l"])
    top = sorted(best, key=lambda e: -best[e][0])[: max(limit * 3, 30)]
    facts = describe(store, top)
    degree = degrees(store, top)
    top.sort(key=lambda e: (-best[e][0], -degree.get(e, 0), display_label(facts[e]["labels"]) or e))
    return [
        {
            "iri": e,
            "id": e[len(store.vocab.entity_ns):],
            "label": display_label(facts[e]["labels"]) or best[e][1],
            "labels": facts[e]["labels"],
            "type": facts[e]["type"],
            "degree": degree.get(e, 0),
            "matched": best[e][1],
            "score": round(best[e][0], 3),
        }
        for e in top[:limit]
    ]


def display_label(labels: dict[str, str], prefer: tuple[str, ...] = ("en", "bn")) -> str | None:
    """The label to show: English, then Bangla, then any."""
    for lang in prefer:
        if labels.get(lang):
            return labels[lang]
    return next(iter(labels.values()), None)


def describe(store: Store, iris: list[str]) -> dict[str, dict]:
    """``{iri: {"labels": {lang: label}, "aliases": [...], "type": local name, "frequency": n}}``."""
    out = {i: {"labels": {}, "all_labels": [], "aliases": [], "type": None, "frequency": None} for i in iris}
    if not iris:
        return out
    rows = _select(store, f"""
        SELECT ?e ?p ?o WHERE {{
          VALUES ?e {{ {_values(iris)} }}
          VALUES ?p {{ rdfs:label skos:altLabel rdf:type kg:frequency }}
          ?e ?p ?o .
        }}""")
    lang_rows = _select(store, f"""
        SELECT ?e ?l (LANG(?l) AS ?lang) WHERE {{ VALUES ?e {{ {_values(iris)} }} ?e rdfs:label ?l }}
        ORDER BY ?e ?lang STRLEN(STR(?l)) ?l""")
    for row in lang_rows:
        entry = out[row["e"]]
        entry["labels"].setdefault(row["lang"] or "", row["l"])
        entry["all_labels"].append({"lang": row["lang"] or "", "text": row["l"]})
    for row in rows:
        entry, p = out[row["e"]], row["p"]
        if p == SKOS + "altLabel":
            entry["aliases"].append(row["o"])
        elif p == RDF + "type":
            entry["type"] = local_name(row["o"])
        elif p.endswith("#frequency"):
            entry["frequency"] = row["o"]
    for entry in out.values():
        entry["aliases"].sort()
    return out


def degrees(store: Store, iris: list[str]) -> dict[str, int]:
    """Distinct kept facts each entity takes part in (a fact stated in four documents counts once)."""
    if not iris:
        return {}
    rows = _select(store, f"""
        SELECT ?e (COUNT(*) AS ?n) WHERE {{
          SELECT DISTINCT ?e ?p ?x WHERE {{
            VALUES ?e {{ {_values(iris)} }}
            {{ ?e ?p ?x }} UNION {{ ?x ?p ?e }}
            FILTER(STRSTARTS(STR(?p), {_literal(store.vocab.relation_ns)}))
          }}
        }} GROUP BY ?e""")
    return {row["e"]: int(row["n"]) for row in rows}


def labels_of(store: Store, iris: list[str]) -> dict[str, str]:
    """A display label for each IRI that has one (entities, relations, documents' sources)."""
    if not iris:
        return {}
    rows = _select(store, f"""
        SELECT ?x ?l (LANG(?l) AS ?lang) WHERE {{
          VALUES ?x {{ {_values(iris)} }}
          {{ ?x rdfs:label ?l }} UNION {{ ?x kg:source ?l }}
        }}""")
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for row in rows:
        found[row["x"]].setdefault(row["lang"] or "", row["l"])
    return {iri: display_label(labels) for iri, labels in found.items()}


# --- entity pages ---------------------------------------------------------------------------------


def facts_sparql(store: Store, iri: str, direction: str, kept: bool | None = None) -> str:
    """The query behind one list of an entity page (``direction`` "out": the entity is the subject)."""
    me, other = ("subject", "object") if direction == "out" else ("object", "subject")
    kept_filter = "" if kept is None else f"\n  FILTER(?kept = {'true' if kept else 'false'})"
    return f"""SELECT ?assertion ?predicate ?other ?kept ?evidence ?document ?source ?extractor ?confidence ?filterScore
       ?subjectStart ?subjectEnd ?objectStart ?objectEnd WHERE {{
  ?assertion kg:{me} {_iri(iri)} ; kg:{other} ?other ; kg:predicate ?predicate ;
             kg:document ?document ; kg:kept ?kept .{kept_filter}
  OPTIONAL {{ ?assertion kg:evidence ?evidence }}
  OPTIONAL {{ ?assertion kg:extractor ?extractor }}
  OPTIONAL {{ ?assertion kg:confidence ?confidence }}
  OPTIONAL {{ ?assertion kg:filterScore ?filterScore }}
  OPTIONAL {{ ?assertion kg:subjectStart ?subjectStart ; kg:subjectEnd ?subjectEnd }}
  OPTIONAL {{ ?assertion kg:objectStart ?objectStart ; kg:objectEnd ?objectEnd }}
  OPTIONAL {{ ?document kg:source ?source }}
}} ORDER BY ?predicate ?other DESC(?confidence) LIMIT {_FACTS}"""


def entity_view(store: Store, entity_id: str) -> dict | None:
    """Everything an entity page shows, as JSON-ready data; None when the entity is unknown."""
    if not ENTITY_ID.match(entity_id or ""):
        raise _BadRequest(f"Not an entity id: {entity_id[:200]!r} (ids are IRI path segments).")
    iri = store.vocab.entity_ns + entity_id
    about = describe(store, [iri])[iri]
    if not about["labels"] and about["type"] is None:
        return None
    lists = {direction: _select(store, facts_sparql(store, iri, direction)) for direction in ("out", "in")}
    others = sorted({r["other"] for rows in lists.values() for r in rows} | {r["predicate"] for rows in lists.values()
                                                                            for r in rows})
    names = labels_of(store, others)
    facts = {"out": [], "in": []}
    for direction, rows in lists.items():
        grouped: dict[tuple, dict] = {}
        for row in rows:
            key = (row["predicate"], row["other"], bool(row["kept"]))
            fact = grouped.setdefault(key, {
                "predicate": row["predicate"], "predicate_label": names.get(row["predicate"]) or local_name(row["predicate"]),
                "other": row["other"], "other_label": names.get(row["other"]) or local_name(row["other"]),
                "other_id": row["other"][len(store.vocab.entity_ns):] if row["other"].startswith(store.vocab.entity_ns) else None,
                "kept": bool(row["kept"]), "evidence": [],
            })
            fact["evidence"].append({
                "assertion": row["assertion"], "text": row["evidence"], "document": row["document"],
                "source": row["source"], "extractor": row["extractor"], "confidence": row["confidence"],
                "filter_score": row["filterScore"],
                "subject_span": _span(row, "subject"), "object_span": _span(row, "object"),
            })
        facts[direction] = list(grouped.values())
    return {
        "iri": iri, "id": entity_id,
        "label": display_label(about["labels"]) or entity_id,
        "labels": about["labels"], "all_labels": about["all_labels"], "aliases": about["aliases"],
        "type": about["type"], "frequency": about["frequency"],
        "degree": degrees(store, [iri]).get(iri, 0),
        "outgoing": [f for f in facts["out"] if f["kept"]], "incoming": [f for f in facts["in"] if f["kept"]],
        "dropped": [dict(f, direction=d) for d in ("out", "in") for f in facts[d] if not f["kept"]],
        "sparql": {
            "outgoing": facts_sparql(store, iri, "out", True), "incoming": facts_sparql(store, iri, "in", True),
            "dropped": facts_sparql(store, iri, "out", False),
            "dropped_incoming": facts_sparql(store, iri, "in", False),
        },
    }


def _span(row: dict, side: str) -> list[int] | None:
    start, end = row.get(f"{side}Start"), row.get(f"{side}End")
    return [int(start), int(end)] if start is not None and end is not None else None


# --- plumbing -------------------------------------------------------------------------------------


def _json(value) -> Reply:
    return HTTPStatus.OK, _JSON, {}, json.dumps(value, ensure_ascii=False).encode("utf-8")


def _wants_json(accept: str) -> bool:
    accept = accept.lower()
    return "application/json" in accept and "text/html" not in accept


def _limit(params: dict[str, str]) -> int:
    try:
        return max(1, min(100, int(params.get("limit") or 20)))
    except ValueError:
        raise _BadRequest(f"limit must be a number from 1 to 100 (got {params.get('limit')!r}).") from None


def _iri_list(body: str) -> list[str]:
    try:
        iris = json.loads(body or "[]")
    except json.JSONDecodeError as err:
        raise _BadRequest(f"Send a JSON list of IRIs ({err}).") from None
    if not isinstance(iris, list) or not all(isinstance(i, str) for i in iris):
        raise _BadRequest("Send a JSON list of IRI strings.")
    return [i for i in dict.fromkeys(iris) if i and not any(c in i for c in '<>"{}|^`\\ \n\r\t')][:500]

