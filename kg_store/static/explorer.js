// Search-as-you-type for the explorer's search box: /api/search answers JSON; every text is set with
// textContent, never as HTML. Without script the box is a plain GET form to /explore.
(() => {
  const box = document.getElementById('q'), list = document.getElementById('suggest');
  if (!box || !list) return;
  let pending = 0;
  box.addEventListener('input', () => {
    const q = box.value.trim(), ticket = ++pending;
    if (!q) { list.hidden = true; return; }
    setTimeout(async () => {
      if (ticket !== pending) return;  // a newer keystroke: wait for it
      const r = await fetch('/api/search?limit=8&q=' + encodeURIComponent(q), {headers: {Accept: 'application/json'}});
      if (!r.ok || ticket !== pending) return;
      const results = await r.json();
      list.replaceChildren(...results.map(x => {
        const li = document.createElement('li'), a = document.createElement('a'), t = document.createElement('span');
        a.href = '/entity/' + x.id;
        a.textContent = x.label;
        const other = Object.values(x.labels).filter(l => l !== x.label);
        t.className = 'type';
        t.textContent = ' ' + [x.type || '', ...other].filter(Boolean).join(' · ');
        a.append(t);
        li.append(a);
        return li;
      }));
      list.hidden = results.length === 0;
    }, 120);
  });
  box.addEventListener('keydown', e => { if (e.key === 'Escape') list.hidden = true; });
})();
