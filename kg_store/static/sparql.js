// The SPARQL page: runs the query with POST /query, shows SPARQL JSON as a table 50 rows a page, and puts
// each IRI's label (POST /api/labels) next to it; entity IRIs link to their explorer page. Text only
// through textContent. A page opened with ?query= runs it at once (the explorer links here).
(() => {
  const form = document.getElementById('run'), q = document.getElementById('query');
  const out = document.getElementById('out'), err = document.getElementById('err');
  const entityNs = document.body.dataset.entityNs, PAGE = 50;
  let rows = [], vars = [], labels = {}, page = 0;
  document.querySelectorAll('button[data-q]').forEach(b => b.addEventListener('click', () => { q.value = b.dataset.q; }));
  document.getElementById('csv').addEventListener('click', e => {
    e.target.href = '/query?format=csv&query=' + encodeURIComponent(q.value);
  });
  const cell = (td, term) => {
    if (!term) return;
    if (term.type === 'uri') {
      const a = document.createElement('a');
      a.textContent = term.value;
      a.href = term.value.startsWith(entityNs) ? '/entity/' + term.value.slice(entityNs.length) : term.value;
      td.append(a);
      if (labels[term.value]) {
        const s = document.createElement('span');
        s.className = 'label';
        s.textContent = labels[term.value];
        td.append(s);
      }
    } else {
      td.textContent = term.value + (term['xml:lang'] ? '@' + term['xml:lang'] : '');
      if (term['xml:lang']) td.lang = term['xml:lang'];
    }
  };
  const show = () => {
    const table = document.createElement('table'), head = table.createTHead().insertRow();
    table.className = 'results';
    vars.forEach(v => { const th = document.createElement('th'); th.textContent = v; head.append(th); });
    const body = table.createTBody();
    rows.slice(page * PAGE, (page + 1) * PAGE).forEach(b => {
      const tr = body.insertRow();
      vars.forEach(v => cell(tr.insertCell(), b[v]));
    });
    const pager = document.createElement('div'), info = document.createElement('span');
    pager.className = 'pager';
    const last = Math.max(0, Math.ceil(rows.length / PAGE) - 1);
    info.textContent = rows.length ? `rows ${page * PAGE + 1}–${Math.min(rows.length, (page + 1) * PAGE)} of ${rows.length} ` : 'no rows ';
    pager.append(info);
    [['‹ previous', page - 1, page > 0], ['next ›', page + 1, page < last]].forEach(([text, to, ok]) => {
      const b = document.createElement('button');
      b.type = 'button'; b.textContent = text; b.disabled = !ok; b.className = text.startsWith('next') ? 'next' : 'prev';
      b.addEventListener('click', () => { page = to; show(); });
      pager.append(b);
    });
    out.replaceChildren(table, pager);
  };
  const run = async () => {
    err.textContent = ''; out.textContent = '…';
    const r = await fetch('/query', {method: 'POST', body: new URLSearchParams({query: q.value}),
      headers: {Accept: 'application/sparql-results+json, text/turtle;q=0.5'}});
    const text = await r.text();
    if (!r.ok) { err.textContent = text; out.textContent = ''; return; }
    if (!(r.headers.get('content-type') || '').includes('json')) {
      const pre = document.createElement('pre'); pre.textContent = text; out.replaceChildren(pre); return;
    }
    const j = JSON.parse(text);
    if ('boolean' in j) { out.textContent = String(j.boolean); return; }
    vars = j.head.vars; rows = j.results.bindings; page = 0; labels = {};
    const iris = [...new Set(rows.flatMap(b => Object.values(b)).filter(t => t.type === 'uri').map(t => t.value))];
    show();
    if (iris.length) {
      const l = await fetch('/api/labels', {method: 'POST', body: JSON.stringify(iris.slice(0, 500)),
        headers: {'Content-Type': 'application/json'}});
      if (l.ok) { labels = await l.json(); show(); }
    }
  };
  form.addEventListener('submit', e => { e.preventDefault(); run(); });
  if (new URLSearchParams(location.search).has('query')) run();
})();
