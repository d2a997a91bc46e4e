"""The HTML page at ``GET /`` of ``kg serve``: a query box and three example queries.

No framework and no external assets, so it works offline; results render
as a table from SPARQL JSON, and any other answer as text.
"""

from __future__ import annotations

import html

EXAMPLES = {
    "Entities and their labels": (
        "SELECT ?entity ?type ?label WHERE {\n  ?entity a ?type ; rdfs:label ?label .\n} LIMIT 20"
    ),
    "Kept facts with provenance": (
        "SELECT ?s ?p ?o ?doc ?confidence WHERE {\n  ?a a kg:Assertion ; kg:kept true ; kg:subject ?s ;\n"
        "     kg:predicate ?p ; kg:object ?o ; kg:document ?doc ; kg:confidence ?confidence .\n"
        "} ORDER BY DESC(?confidence) LIMIT 20"
    ),
    "Edges the filter dropped": (
        "SELECT ?s ?p ?o ?score WHERE {\n  ?a kg:kept false ; kg:subject ?s ; kg:predicate ?p ;\n"
        "     kg:object ?o ; kg:filterScore ?score .\n} ORDER BY ?score LIMIT 20"
    ),
}


def page() -> bytes:
    """The HTML of ``GET /``."""
    options = "".join(
        f'<button type="button" data-q="{html.escape(q, quote=True)}">{html.escape(name)}</button> '
        for name, q in EXAMPLES.items()
    )
    first = html.escape(next(iter(EXAMPLES.values())))
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>kg-pipeline SPARQL</title>
<style>body{{font-family:sans-serif;margin:2em}}textarea{{width:100%;height:10em;font-family:monospace}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 6px}}</style></head><body>
<h1>kg-pipeline SPARQL endpoint</h1>
<p>POST or GET <code>/query</code> (SPARQL 1.1 Protocol). Prefixes rdf, rdfs, xsd, skos, schema, kg,
entity, rel, doc and assertion are predeclared.</p>
<p>Examples: {options}</p>
<form id="f"><textarea id="q" name="query">{first}</textarea><br><button>Run</button>
<a id="csv" href="#">as CSV</a></form><pre id="err"></pre><div id="out"></div>
<script>
const q=document.getElementById('q'),out=document.getElementById('out'),err=document.getElementById('err');
document.querySelectorAll('button[data-q]').forEach(b=>b.onclick=()=>{{q.value=b.dataset.q;}});
document.getElementById('csv').onclick=e=>{{e.target.href='query?format=csv&query='+encodeURIComponent(q.value);}};
document.getElementById('f').onsubmit=async e=>{{e.preventDefault();err.textContent='';out.textContent='…';
 const r=await fetch('query',{{method:'POST',headers:{{'Accept':'application/sparql-results+json, text/turtle;q=0.5'}},
   body:new URLSearchParams({{query:q.value}})}});const t=await r.text();
 if(!r.ok){{err.textContent=t;out.textContent='';return;}}
 if(!(r.headers.get('content-type')||'').includes('json')){{
   out.innerHTML='';const p=document.createElement('pre');p.textContent=t;out.append(p);return;}}
 const j=JSON.parse(t);if('boolean' in j){{out.textContent=String(j.boolean);return;}}
 const tb=document.createElement('table'),h=tb.insertRow();
 j.head.vars.forEach(v=>{{const c=document.createElement('th');c.textContent=v;h.append(c);}});
 j.results.bindings.forEach(b=>{{const r=tb.insertRow();j.head.vars.forEach(v=>{{const c=r.insertCell();
   if(b[v])c.textContent=b[v].value+(b[v]['xml:lang']?'@'+b[v]['xml:lang']:'');}});}});
 out.innerHTML='';out.append(tb);}};
</script></body></html>""".encode("utf-8")
