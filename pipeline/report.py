"""A one-page HTML report of a run that leads with what the graph knows.

First the knowledge: the most connected entities with their labels in each
language, every relation with its count and an example fact with its
sentence, example facts, what the filter kept and dropped (with examples
either side of its threshold), quality estimates where gold data exists
(cross-lingual linking against an ``alignment_gold.tsv`` found beside the
corpus, as ``examples/`` has), and the quarantined sources. Then the run's
numbers (each stage's seconds, rows and memory) and plots, each with a
title, axes and units; a plot with no data is left out, not drawn empty.

One self-contained file (plots are embedded PNGs); :func:`summary_markdown`
gives the same knowledge, shorter, for the Prefect artifact.
"""

from __future__ import annotations

import base64
import csv
import html
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.summary import BuildSummary
from pipeline.workspace import Workspace

TOP_ENTITIES = 20
EXAMPLE_FACTS = 15
FILTER_EXAMPLES = 5
_GOLD_NAME = "alignment_gold.tsv"


# --- what the graph knows -------------------------------------------------------------------------


@dataclass
class Fact:
    subject: str
    predicate: str
    object: str
    sentence: str | None
    source: str | None
    confidence: float | None
    filter_score: float | None
    documents: int = 1


@dataclass
class Knowledge:
    """The report's content, computed once from the workspace tables."""

    documents: int = 0
    languages: Counter = field(default_factory=Counter)
    entities: int = 0
    facts_distinct: int = 0
    top_entities: list[dict] = field(default_factory=list)  # label_en, label_bn, other labels, type, degree, mentions
    relations: list[dict] = field(default_factory=list)  # predicate, facts, sentences, example (a Fact)
    examples: list[Fact] = field(default_factory=list)
    kept: int = 0
    dropped: int = 0
    threshold: float | None = None
    kept_examples: list[Fact] = field(default_factory=list)  # just above the threshold
    dropped_examples: list[Fact] = field(default_factory=list)  # the dropped ones scored highest
    quality: list[tuple[str, str]] = field(default_factory=list)  # (what, estimate)
    quarantine: list[dict] = field(default_factory=list)


def knowledge(ws: Workspace, summary: BuildSummary) -> Knowledge:
    k = Knowledge()
    documents = ws.read("documents").to_pylist() if ws.has("documents") else []
    k.documents, k.languages = len(documents), Counter(d["lang"] for d in documents)
    k.quarantine = ws.read("quarantine").to_pylist() if ws.has("quarantine") else []
    entities = {e["entity_id"]: e for e in ws.read("entities").to_pylist()} if ws.has("entities") else {}
    k.entities = len(entities)
    edges = ws.read("scored_edges").to_pylist() if ws.has("scored_edges") else []
    texts = {d["doc_id"]: d["text"] for d in documents}
    sources = {d["doc_id"]: d["source"] for d in documents}
    name = lambda eid: display_name(entities.get(eid)) or eid  # noqa: E731

    def fact(edge: dict, documents_: int = 1) -> Fact:
        text, start, end = texts.get(edge["doc_id"]), edge["start"], edge["end"]
        sentence = text[start:end].strip() if text is not None and start is not None and end is not None else None
        return Fact(name(edge["subject_id"]), edge["predicate"], name(edge["object_id"]), sentence or None,
                    sources.get(edge["doc_id"]), edge["confidence"], edge["filter_score"], documents_)

    kept = [e for e in edges if e["kept"]]
    k.kept, k.dropped = len(kept), len(edges) - len(kept)
    k.threshold = summary.filter.threshold
    by_fact: dict[tuple, list[dict]] = defaultdict(list)  # a fact stated in n documents is one fact
    for e in kept:
        by_fact[e["subject_id"], e["predicate"], e["object_id"]].append(e)
    k.facts_distinct = len(by_fact)
    degree: Counter = Counter()
    for s, _, o in by_fact:
        degree[s] += 1
        degree[o] += 1
    for eid, d in degree.most_common(TOP_ENTITIES):
        e = entities.get(eid, {})
        labels = labels_by_lang(e)
        k.top_entities.append({"id": eid, "en": labels.pop("en", None), "bn": labels.pop("bn", None),
                               "other": labels, "type": e.get("type"), "degree": d, "mentions": e.get("frequency")})
    best = {key: max(rows, key=lambda r: (r["confidence"] or 0, r["filter_score"] or 0)) for key, rows in by_fact.items()}
    per_relation: dict[str, list[tuple]] = defaultdict(list)
    for key in by_fact:
        per_relation[key[1]].append(key)
    for predicate, keys in sorted(per_relation.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        example = max(keys, key=lambda key: (len(by_fact[key]), best[key]["confidence"] or 0))
        k.relations.append({"predicate": predicate, "facts": len(keys), "sentences": sum(len(by_fact[x]) for x in keys),
                            "example": fact(best[example], len(by_fact[example]))})
    # Examples: the best-supported fact of each relation first, so that one busy relation does not fill the list.
    documents_of = {key: len({r["doc_id"] for r in rows}) for key, rows in by_fact.items()}
    ranked = sorted(by_fact, key=lambda key: (-documents_of[key], -(best[key]["confidence"] or 0)))
    first_of_relation: dict[str, tuple] = {}
    for key in ranked:
        first_of_relation.setdefault(key[1], key)
    chosen: set[tuple] = set()
    for key in [*first_of_relation.values(), *ranked]:
        if len(k.examples) >= EXAMPLE_FACTS:
            break
        example = fact(best[key], documents_of[key])
        if key not in chosen and example.sentence:
            k.examples.append(example)
            chosen.add(key)
    score = lambda e: e["filter_score"] if e["filter_score"] is not None else 0.0  # noqa: E731
    k.kept_examples = [fact(e) for e in sorted(kept, key=score)[:FILTER_EXAMPLES]]
    k.dropped_examples = [fact(e) for e in sorted((e for e in edges if not e["kept"]), key=score, reverse=True)
                          [:FILTER_EXAMPLES]]
    k.quality = _quality(entities, documents)
    return k


def display_name(entity: dict | None) -> str | None:
    """English label if there is one, else the entity's own."""
    if not entity:
        return None
    return entity.get("label_en") or labels_by_lang(entity).get("en") or entity.get("label")


def labels_by_lang(entity: dict) -> dict[str, str]:
    labels: dict[str, str] = {}
    if entity.get("label"):
        labels[entity.get("lang") or "und"] = entity["label"]
    if entity.get("label_en"):
        labels.setdefault("en", entity["label_en"])
    for label in entity.get("labels") or []:
        labels.setdefault(label["lang"], label["text"])
    return labels


def _quality(entities: dict[str, dict], documents: list[dict]) -> list[tuple[str, str]]:
    out = []
    gold = _find_gold(documents)
    if gold is not None:
        out.append(_alignment(gold, entities))
    return out


def _find_gold(documents: list[dict]) -> Path | None:
    """``alignment_gold.tsv`` in a source's folder or the one above it (``examples/corpus`` → ``examples``)."""
    folders = {Path(d["source"].rsplit(":", 1)[0]).parent for d in documents if d.get("source")}
    for folder in sorted(folders):
        for candidate in (folder / _GOLD_NAME, folder.parent / _GOLD_NAME):
            if candidate.is_file():
                return candidate
    return None


def _alignment(gold: Path, entities: dict[str, dict]) -> tuple[str, str]:
    """How many gold (Bangla, English) name pairs ended up as one entity."""
    owners: dict[str, set[str]] = defaultdict(set)
    for eid, e in entities.items():
        for text in [*labels_by_lang(e).values(), *(e.get("aliases") or [])]:
            owners[text.strip().casefold()].add(eid)
    with gold.open(encoding="utf-8") as handle:
        pairs = [(r[0], r[1]) for r in csv.reader(handle, delimiter="\t") if len(r) >= 2][1:]
    present = [(bn, en) for bn, en in pairs if owners.get(bn.casefold()) and owners.get(en.casefold())]
    merged = [p for p in present if owners[p[0].casefold()] & owners[p[1].casefold()]]
    share = f" ({len(merged) / len(present):.0%})" if present else ""
    return (f"Cross-lingual linking against {gold}",
            f"{len(merged)} of {len(present)} gold pairs whose two names are both in the graph are one entity{share}; "
            f"{len(pairs)} pairs in the gold")


# --- plots ----------------------------------------------------------------------------------------


def _figure_png(draw) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.4, 3.4), dpi=90)
    draw(ax)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _bar(counts: Counter, title: str, xlabel: str, ylabel: str):
    def draw(ax):
        items = counts.most_common(15)
        ax.barh([str(k) for k, _ in items][::-1], [v for _, v in items][::-1], color="#4C72B0")
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)

    return draw


def precision_recall_plot(evaluation: dict):
    """Draw the precision-recall curves of a filter evaluation (``measure(..., curves=True)``): confidence vs filter."""

    def draw(ax):
        for name, color in (("confidence", "#4C72B0"), ("filter", "#C44E52")):
            recall, precision = evaluation["curves"][name]
            ap = evaluation.get(f"ap_{name}")
            ax.step(recall, precision, where="post", color=color, label=f"{name} (AP {ap})" if ap is not None else name)
        ax.set_title("Candidate edges vs gold pairs")
        ax.set_xlabel("recall (share of gold pairs)")
        ax.set_ylabel("precision (share of edges)")
        ax.set_ylim(0, 1.02)
        ax.legend()

    return draw


def precision_recall_png(evaluation: dict) -> bytes:
    """The precision-recall plot of :func:`precision_recall_plot` as PNG bytes (``kg eval filter --plot``)."""
    return base64.b64decode(_figure_png(precision_recall_plot(evaluation)))


def _plots(ws: Workspace, summary: BuildSummary) -> list[tuple[str, str]]:
    """(title, PNG) of every plot that has data."""
    plots = []
    if ws.has("documents") and ws.read("documents").num_rows:
        langs = Counter(ws.read("documents").column("lang").to_pylist())
        plots.append(("Documents per language", _bar(langs, "Documents per language", "documents", "language (ISO 639-1)")))
    entities = ws.read("entities") if ws.has("entities") else None
    if entities is not None and entities.num_rows:
        label_langs = Counter(label["lang"] for labels in entities.column("labels").to_pylist() for label in labels or [])
        if label_langs:
            plots.append(("Entities labelled per language",
                          _bar(label_langs, "Entities with a label in each language", "entities", "language")))
        plots.append(("Entity types", _bar(Counter(entities.column("type").to_pylist()), "Entities per type",
                                           "entities", "type")))
    scored = ws.read("scored_edges").to_pylist() if ws.has("scored_edges") else []
    if scored:
        kept = [r for r in scored if r["kept"]]
        degree: Counter = Counter()
        for s, _, o in {(r["subject_id"], r["predicate"], r["object_id"]) for r in kept}:
            degree[s] += 1
            degree[o] += 1
        if degree:
            def degree_plot(ax):
                ax.hist(list(degree.values()), bins=range(1, max(degree.values()) + 2), color="#55A868", log=True)
                ax.set_title("Degree distribution (distinct kept facts)")
                ax.set_xlabel("degree (facts per entity)")
                ax.set_ylabel("entities (log scale)")

            plots.append(("Degree distribution", degree_plot))
            relations = Counter(p for _, p, _ in {(r["subject_id"], r["predicate"], r["object_id"]) for r in kept})
            plots.append(("Top relations", _bar(relations, "Top relations (distinct kept facts)", "facts", "relation")))
        threshold = summary.filter.threshold

        def score_plot(ax):
            for flag, color, name in ((True, "#55A868", "kept"), (False, "#C44E52", "dropped")):
                ax.hist([r["filter_score"] for r in scored if bool(r["kept"]) == flag], bins=30, range=(0, 1),
                        color=color, alpha=0.7, label=name)
            if threshold is not None:
                ax.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:.3f}")
            ax.legend()
            ax.set_title("Filter scores of candidate edges")
            ax.set_xlabel("filter score (0–1)")
            ax.set_ylabel("edges")

        plots.append(("Filter scores", score_plot))
    if ws.has("embedding_training_log") and ws.read("embedding_training_log").num_rows:
        log = ws.read("embedding_training_log").to_pylist()

        def loss_plot(ax):
            ax.plot([r["epoch"] for r in log], [r["loss"] for r in log], color="#8172B2")
            ax.set_title("Embedding training loss")
            ax.set_xlabel("epoch")
            ax.set_ylabel("loss (mean per batch)")

        plots.append(("Training curve", loss_plot))
    embeddings = ws.read("entity_embeddings") if ws.has("entity_embeddings") else None
    if embeddings is not None and embeddings.num_rows >= 3 and entities is not None:
        plots.append(("Entity vectors (PCA)", _projection_plot(embeddings, entities, ws)))
    return [(title, _figure_png(draw)) for title, draw in plots]


def _projection_plot(embeddings, entities, ws: Workspace):
    """Entity vectors on their first two principal components, coloured by type, the 8 most connected named."""
    import numpy as np

    vectors = np.asarray(embeddings.column("vector").to_pylist(), dtype=np.float32)
    centered = vectors - vectors.mean(axis=0)
    _, singular, components = np.linalg.svd(centered, full_matrices=False)
    explained = singular**2 / max(float((singular**2).sum()), 1e-12)
    xy = centered @ components[:2].T
    rows = {e["entity_id"]: e for e in entities.to_pylist()}
    ids = embeddings.column("entity_id").to_pylist()
    types = [rows.get(i, {}).get("type") or "?" for i in ids]
    frequent = sorted((i for i in ids if i in rows), key=lambda i: -(rows[i].get("frequency") or 0))[:8]

    def draw(ax):
        for name in sorted(set(types)):
            mask = np.array([t == name for t in types])
            ax.scatter(xy[mask, 0], xy[mask, 1], s=10, label=name, alpha=0.8)
        for i in frequent:
            at = ids.index(i)
            ax.annotate(display_name(rows[i]) or i, xy[at], fontsize=6, xytext=(3, 3), textcoords="offset points")
        ax.legend(fontsize=6, markerscale=1.5, title="type", title_fontsize=6)
        ax.set_title("Entity embeddings, 2-D PCA (most mentioned named)")
        ax.set_xlabel(f"PC1 ({explained[0]:.0%} of variance)")
        ax.set_ylabel(f"PC2 ({explained[1]:.0%} of variance)" if len(explained) > 1 else "PC2")

    return draw


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
        f"<code>{_GOLD_NAME}</code> (Bangla and English name per line) beside the corpus.</p>")
    quarantine_html = ("<table><tr><th>source</th><th>stage</th><th>reason</th></tr>" + "".join(
        f"<tr><td>{_e(r['source'])}</td><td>{_e(r['stage'])}</td><td>{_e(r['reason'])}</td></tr>" for r in k.quarantine
    ) + "</table>") if k.quarantine else "<p>No source was quarantined.</p>"
    run = "".join(f"<tr><th>{_e(key)}</th><td>{_e(value)}</td></tr>" for key, value in _run_rows(summary))
    figures = "".join(
        f'<figure><img alt="{_e(t)}" src="data:image/png;base64,{png}"><figcaption>{_e(t)}</figcaption></figure>'
        for t, png in _plots(ws, summary)
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
