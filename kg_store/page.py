"""The HTML page at ``GET /`` of ``kg serve``: a query box, example queries that answer readable rows.

No framework and no external assets, so it works offline: the script
(``static/sparql.js``) renders SPARQL JSON as a table, 50 rows a page, with
each IRI's label beside it and entity IRIs linking to the explorer. A page
opened as ``/?query=...`` (the explorer's "SPARQL" links) runs it at once.
"""

from __future__ import annotations

import html

EXAMPLES = {
    "Facts with their sentences": """SELECT DISTINCT ?subject ?relation ?object ?evidence ?source WHERE {
  ?a a kg:Assertion ; kg:kept true ; kg:subject ?s ; kg:predicate ?p ; kg:object ?o ;
     kg:evidence ?evidence ; kg:document ?doc .
  ?doc kg:source ?source .
  ?p rdfs:label ?relation .
  ?s rdfs:label ?subject . FILTER(LANG(?subject) = "en")
  ?o rdfs:label ?object . FILTER(LANG(?object) = "en")
} ORDER BY ?subject ?relation LIMIT 200""",
    "Facts stated most often": """SELECT ?subject ?relation ?object (COUNT(DISTINCT ?doc) AS ?documents) WHERE {
  ?a kg:kept true ; kg:subject ?s ; kg:predicate ?p ; kg:object ?o ; kg:document ?doc .
  ?p rdfs:label ?relation .
  ?s rdfs:label ?subject . FILTER(LANG(?subject) = "en")
  ?o rdfs:label ?object . FILTER(LANG(?object) = "en")
} GROUP BY ?subject ?relation ?object ORDER BY DESC(?documents) LIMIT 50""",
    "Entities in both languages": """SELECT DISTINCT ?entity ?en ?bn ?type WHERE {
  ?entity a ?type ; rdfs:label ?en , ?bn .
  FILTER(LANG(?en) = "en" && LANG(?bn) = "bn")
} ORDER BY ?en LIMIT 200""",
    "Edges the filter dropped": """SELECT DISTINCT ?subject ?relation ?object ?score ?evidence WHERE {
  ?a kg:kept false ; kg:subject ?s ; kg:predicate ?p ; kg:object ?o ;
     kg:filterScore ?score ; kg:evidence ?evidence .
  ?p rdfs:label ?relation .
  OPTIONAL { ?s rdfs:label ?subject FILTER(LANG(?subject) = "en") }
  OPTIONAL { ?o rdfs:label ?object FILTER(LANG(?object) = "en") }
} ORDER BY ?score LIMIT 100""",
}


def page(query: str | None = None, entity_ns: str = "") -> bytes:
    """The HTML of ``GET /``, its box holding ``query`` (else the first example)."""
    options = "".join(
        f'<button type="button" data-q="{html.escape(q, quote=True)}">{html.escape(name)}</button>'
        for name, q in EXAMPLES.items()
    )
    text = html.escape(query if query and query.strip() else next(iter(EXAMPLES.values())))
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>kg-pipeline SPARQL</title>
<link rel="stylesheet" href="/static/explorer.css"></head><body data-entity-ns="{html.escape(entity_ns, quote=True)}">
<header><a class="home" href="/explore">kg explorer</a><span>SPARQL</span></header><main>
<h1>SPARQL endpoint</h1>
<p>POST or GET <code>/query</code> (SPARQL 1.1 Protocol). Prefixes rdf, rdfs, xsd, skos, schema, kg,
entity, rel, doc and assertion are predeclared. Queries see the union of the per-document graphs: a fact
stated in four documents matches four times, so use <code>DISTINCT</code> (or <code>GROUP BY</code>).</p>
<p class="examples">Examples: {options}</p>
<form id="run"><textarea id="query" name="query" spellcheck="false">{text}</textarea><br>
<button>Run</button> <a id="csv" href="#">as CSV</a></form><pre id="err" class="error"></pre><div id="out"></div>
</main><script src="/static/sparql.js"></script></body></html>""".encode("utf-8")
