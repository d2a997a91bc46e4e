"""The report as one self-contained HTML page, and as Markdown for the Prefect artifact."""

from __future__ import annotations

import base64
import html
from pathlib import Path

from pipeline.report.contents import GOLD_NAME, Fact, knowledge
from pipeline.report.plots import all_plots
from pipeline.summary import BuildSummary
from pipeline.workspace import Workspace

# --- HTML -----------------------------------------------------------------------------------------


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _num(value, digits: int = 2) -> str:
    return f"{value:.{digits}f}" if isinstance(value, float) else _e(value)


def _fact_row(f: Fact, *, score: bool = False) -> str:
    where = f"{_e(f.source)}" + (f" and {f.documents - 1} more" if f.documents > 1 else "")
    return (f"<tr><td>{_e(f.subject)}</td><td><b>{_e(f.predicate)}</b></td><td>{_e(f.object)}</td>"
            f"<td class=s>{_e(f.sentence) if f.sentence else '<i>no sentence</i>'}</td><td>{where}</td>"
            f"<td>{_num(f.confidence)}</td>" + (f"<td>{_num(f.filter_score, 3)}</td>" if score else "") + "</tr>")


def _facts_table(facts: list[Fact], *, score: bool = False) -> str:
    head = "<tr><th>subject</th><th>relation</th><th>object</th><th>sentence</th><th>source</th><th>confidence</th>" \
           + ("<th>filter score</th>" if score else "") + "</tr>"
    return f"<table>{head}{''.join(_fact_row(f, score=score) for f in facts)}</table>" if facts else "<p>None.</p>"


def _run_rows(summary: BuildSummary) -> list[tuple[str, str]]:
    """The run's numbers as (what, value) text, then each stage's cost: never a dict repr."""
    filtered, embed, store, extraction = summary.filter, summary.embed, summary.store, summary.extraction
    rows = [
        ("documents read (extracted this run)", f"{summary.documents} ({summary.extracted})"),
        ("routes (language: extractor)", ", ".join(f"{k} × {v}" for k, v in sorted(summary.routes.items()))),
        ("mentions / relations extracted", f"{extraction.mentions} / {extraction.relations}"
         + (f", {extraction.failed} documents failed" if extraction.failed else "")),
        ("entities", str(summary.entities)),
        ("candidate edges: kept / dropped",
         f"{filtered.kept} / {filtered.edges - filtered.kept} by {filtered.method}"
         + (f" (threshold {filtered.threshold:.3f})" if filtered.threshold is not None else "")),
        ("embedding", f"{embed.model}, {embed.dim} dimensions, on {embed.device}, {embed.entities} entities"),
        ("store", f"{store.quads} quads ({store.quads_added} added this run), {store.documents} document graphs"),
        ("quarantined sources", str(summary.quarantined)),
        *((f"stage {name}", cost) for name, cost in summary.stage_rows()),
    ]
    return [(k, v) for k, v in rows if v]


def _font_face() -> str:
    """The bundled Noto Sans Bengali (SIL OFL) as a data: URL, so Bangla renders in the file anywhere."""
    from importlib.resources import files

    font = files("kg_store") / "static" / "NotoSansBengali-Regular.ttf"
    if not font.is_file():
        return ""
    data = base64.b64encode(font.read_bytes()).decode("ascii")
    return ('@font-face{font-family:"Noto Sans Bengali";src:url(data:font/ttf;base64,' + data + ') format("truetype");'
            "unicode-range:U+0951-0952,U+0964-0965,U+0980-09FF,U+200B-200D,U+25CC}")


_STYLE = """body{font-family:"Noto Sans Bengali",system-ui,sans-serif;margin:2em;max-width:80em;color:#1d2330}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #d8dce5;padding:3px 7px;vertical-align:top;
text-align:left}td.s{max-width:34em}figure{display:inline-block;margin:.5em}h2{margin-top:1.6em}.muted{color:#5b6475}"""


def write_report(ws: Workspace, summary: BuildSummary) -> Path:
    """Write ``report.html`` into the workspace and return its path."""
    k = knowledge(ws, summary)
    langs = ", ".join(f"{n} {lang}" for lang, n in k.languages.most_common()) or "none"
    if not k.documents:
        lead = "<p><b>No documents were read</b>, so the graph is empty. Check the inputs given to <code>kg build</code>" \
               " and the quarantine below.</p>"
    else:
        lead = (f"<p>{k.documents} documents ({_e(langs)}) gave <b>{k.entities} entities</b> and "
                f"<b>{k.facts_distinct} distinct facts</b> ({k.kept} kept statements; {k.dropped} dropped by the "
                f"filter). Explore them with <code>kg serve --workspace {_e(ws.root)}</code> and "
                f"<code>http://127.0.0.1:7878/explore</code>.</p>")
    others = any(e["other"] for e in k.top_entities)  # a column for other languages only when there are some
    top = "".join(
        f"<tr><td>{i}</td><td>{_e(e['en'] or '')}</td><td lang=bn>{_e(e['bn'] or '')}</td>"
        + (f"<td>{_e(', '.join(f'{v} ({lang})' for lang, v in e['other'].items()))}</td>" if others else "")
        + f"<td>{_e(e['type'])}</td><td>{e['degree']}</td><td>{_e(e['mentions'])}</td></tr>"
        for i, e in enumerate(k.top_entities, 1)
    )
    top_html = ("<table><tr><th>#</th><th>English</th><th>Bangla</th>" + ("<th>other labels</th>" if others else "")
                + f"<th>type</th><th>degree (distinct facts)</th><th>mentions</th></tr>{top}</table>") if top \
        else "<p>None.</p>"
    relations = "".join(
        f"<tr><td><b>{_e(r['predicate'])}</b></td><td>{r['facts']}</td><td>{r['sentences']}</td>"
        f"<td>{_e(r['example'].subject)} → {_e(r['example'].object)}</td>"
        f"<td class=s>{_e(r['example'].sentence or '')}</td></tr>"
        for r in k.relations[:30]
    )
    relations_html = ("<table><tr><th>relation</th><th>distinct facts</th><th>sentences</th><th>example</th>"
                      f"<th>its sentence</th></tr>{relations}</table>" if relations else "<p>None.</p>") + (
        f"<p class=muted>{len(k.relations) - 30} more relations not shown.</p>" if len(k.relations) > 30 else "")
    threshold = f" at threshold {k.threshold:.3f}" if isinstance(k.threshold, float) else ""
    quality = "".join(f"<tr><th>{_e(what)}</th><td>{_e(value)}</td></tr>" for what, value in k.quality)
    quality_html = f"<table>{quality}</table>" if quality else (
        "<p class=muted>No gold data found: run <code>kg eval filter --gold G.jsonl</code>, or put an "
        f"<code>{GOLD_NAME}</code> (Bangla and English name per line) beside the corpus.</p>")
    quarantine_html = ("<table><tr><th>source</th><th>stage</th><th>reason</th></tr>" + "".join(
        f"<tr><td>{_e(r['source'])}</td><td>{_e(r['stage'])}</td><td>{_e(r['reason'])}</td></tr>" for r in k.quarantine
    ) + "</table>") if k.quarantine else "<p>No source was quarantined.</p>"
    run = "".join(f"<tr><th>{_e(key)}</th><td>{_e(value)}</td></tr>" for key, value in _run_rows(summary))
    figures = "".join(
        f'<figure><img alt="{_e(t)}" src="data:image/png;base64,{png}"><figcaption>{_e(t)}</figcaption></figure>'
        for t, png in all_plots(ws, summary)
    ) or "<p>No data to plot.</p>"
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>kg-pipeline report</title>
<style>{_font_face()}{_STYLE}</style></head><body><h1>What the graph knows</h1>{lead}
<h2 id="entities">Top {len(k.top_entities)} entities by degree</h2>{top_html}
<h2 id="facts">Example facts with their sentences</h2>{_facts_table(k.examples)}
<h2 id="relations">Relations ({len(k.relations)})</h2>{relations_html}
<h2 id="filter">The filter: {k.kept} kept, {k.dropped} dropped{threshold}</h2>
<h3>Kept, lowest scores</h3>{_facts_table(k.kept_examples, score=True)}
<h3>Dropped, highest scores</h3>{_facts_table(k.dropped_examples, score=True)}
<h2 id="quality">Quality estimates</h2>{quality_html}
<h2 id="quarantine">Quarantined sources</h2>{quarantine_html}
<h2 id="run">The run</h2><p class=muted>Workspace {_e(ws.root)}</p><table>{run}</table>{figures}</body></html>"""
    path = ws.root / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def summary_markdown(summary: BuildSummary, ws: Workspace | None = None) -> str:
    """The run as Markdown (the Prefect artifact): top entities and example facts first, when ``ws`` is given."""
    out = "# build-kg\n\n"
    if ws is not None:
        k = knowledge(ws, summary)
        out += f"{k.documents} documents, {k.entities} entities, {k.facts_distinct} distinct facts.\n\n"
        out += "## Top entities\n\n| English | Bangla | type | degree |\n|---|---|---|---|\n" + "".join(
            f"| {_md(e['en'])} | {_md(e['bn'])} | {_md(e['type'])} | {e['degree']} |\n" for e in k.top_entities[:10])
        out += "\n## Example facts\n\n| fact | sentence |\n|---|---|\n" + "".join(
            f"| {_md(f.subject)} *{_md(f.predicate)}* {_md(f.object)} | {_md(f.sentence)} |\n" for f in k.examples[:10])
        out += "\n## The run\n\n"
    rows = _run_rows(summary) + [("report", summary.report)]
    return out + "| | |\n|---|---|\n" + "".join(f"| {_md(k_)} | {_md(v)} |\n" for k_, v in rows)


def _md(value) -> str:
    return ("" if value is None else str(value)).replace("|", "\\|").replace("\n", " ")
