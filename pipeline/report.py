"""A one-page HTML report of a run, for people who would rather look than read.

Plots (embedded PNGs): documents and entities per language, entity types,
degree distribution, top relations, filter-score distribution with the
threshold, the embedding training curve and a 2-D projection of the entity
vectors; plus the run summary and the quarantined sources.
"""

from __future__ import annotations

import base64
import html
import io
from collections import Counter
from pathlib import Path

from pipeline.workspace import Workspace


def _figure_png(draw) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2), dpi=90)
    draw(ax)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _bar(counts: Counter, title: str, xlabel: str = ""):
    def draw(ax):
        items = counts.most_common(15)
        ax.barh([str(k) for k, _ in items][::-1], [v for _, v in items][::-1], color="#4C72B0")
        ax.set_title(title)
        ax.set_xlabel(xlabel or "count")

    return draw


def precision_recall_plot(evaluation: dict):
    """Draw the precision-recall curves of a filter evaluation (``measure(..., curves=True)``): confidence vs filter."""

    def draw(ax):
        for name, color in (("confidence", "#4C72B0"), ("filter", "#C44E52")):
            recall, precision = evaluation["curves"][name]
            ap = evaluation.get(f"ap_{name}")
            ax.step(recall, precision, where="post", color=color, label=f"{name} (AP {ap})" if ap is not None else name)
        ax.set_title("Candidate edges vs gold pairs")
        ax.set_xlabel("recall (of gold pairs)")
        ax.set_ylabel("precision")
        ax.set_ylim(0, 1.02)
        ax.legend()

    return draw


def precision_recall_png(evaluation: dict) -> bytes:
    """The precision-recall plot of :func:`precision_recall_plot` as PNG bytes (``kg eval filter --plot``)."""
    return base64.b64decode(_figure_png(precision_recall_plot(evaluation)))


def _plots(ws: Workspace, summary: dict) -> list[tuple[str, str]]:
    plots = []
    documents = ws.read("documents")
    plots.append(("Documents per language", _figure_png(_bar(Counter(documents.column("lang").to_pylist()), "Documents per language"))))
    entities = ws.read("entities")
    label_langs = Counter(label["lang"] for labels in entities.column("labels").to_pylist() for label in labels or [])
    plots.append(("Entities per language", _figure_png(_bar(label_langs, "Entities labelled per language"))))
    plots.append(("Entity types", _figure_png(_bar(Counter(entities.column("type").to_pylist()), "Entities per type"))))
    if ws.has("scored_edges"):
        scored = ws.read("scored_edges").to_pylist()
        kept = [r for r in scored if r["kept"]]
        degree = Counter()
        for r in {(r["subject_id"], r["predicate"], r["object_id"]) for r in kept}:
            degree[r[0]] += 1
            degree[r[2]] += 1

        def degree_plot(ax):
            ax.hist(list(degree.values()) or [0], bins=20, color="#55A868", log=True)
            ax.set_title("Degree distribution (kept facts)")
            ax.set_xlabel("degree")

        plots.append(("Degree distribution", _figure_png(degree_plot)))
        plots.append(("Relations", _figure_png(_bar(Counter(r["predicate"] for r in kept), "Top relations (kept)"))))
        threshold = summary.get("filter", {}).get("threshold")

        def score_plot(ax):
            ax.hist([r["filter_score"] for r in scored], bins=30, color="#C44E52")
            if threshold is not None:
                ax.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:.3f}")
                ax.legend()
            ax.set_title("Filter scores of candidate edges")
            ax.set_xlabel("score")

        plots.append(("Filter scores", _figure_png(score_plot)))
    if summary.get("filter_eval", {}).get("curves"):  # from `kg eval filter` (gold pairs known)
        plots.append(("Filter precision-recall", _figure_png(precision_recall_plot(summary["filter_eval"]))))
    if ws.has("embedding_training_log"):
        log = ws.read("embedding_training_log").to_pylist()

        def loss_plot(ax):
            ax.plot([r["epoch"] for r in log], [r["loss"] for r in log], color="#8172B2")
            ax.set_title("Embedding training loss")
            ax.set_xlabel("epoch")

        plots.append(("Training curve", _figure_png(loss_plot)))
    embeddings = ws.read("entity_embeddings") if ws.has("entity_embeddings") else None
    if embeddings is not None and embeddings.num_rows >= 3:
        plots.append(("Entity vectors (PCA)", _figure_png(_projection_plot(embeddings, entities))))
    return plots


def _projection_plot(embeddings, entities):
    """Entity vectors projected on their first two principal components, coloured by type."""
    import numpy as np

    vectors = np.asarray(embeddings.column("vector").to_pylist(), dtype=np.float32)
    centered = vectors - vectors.mean(axis=0)
    _, _, components = np.linalg.svd(centered, full_matrices=False)
    xy = centered @ components[:2].T
    type_of = dict(zip(entities.column("entity_id").to_pylist(), entities.column("type").to_pylist()))
    types = [type_of.get(entity_id, "?") for entity_id in embeddings.column("entity_id").to_pylist()]

    def draw(ax):
        for name in sorted(set(types)):
            mask = np.array([t == name for t in types])
            ax.scatter(xy[mask, 0], xy[mask, 1], s=8, label=name)
        ax.legend(fontsize=6, markerscale=1.5)
        ax.set_title("Entity embeddings, 2-D PCA")

    return draw


def write_report(ws: Workspace, summary: dict) -> Path:
    """Write ``report.html`` into the workspace and return its path."""
    rows = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in summary.items() if k != "report"
    )
    figures = "".join(
        f'<figure><img alt="{html.escape(t)}" src="data:image/png;base64,{png}"><figcaption>{html.escape(t)}</figcaption></figure>'
        for t, png in _plots(ws, summary)
    )
    quarantined = ws.read("quarantine").to_pylist() if ws.has("quarantine") else []
    if quarantined:
        figures += "<h2>Quarantined sources</h2><table>" + "".join(
            f"<tr><td>{html.escape(r['source'])}</td><td>{html.escape(r['stage'])}</td><td>{html.escape(r['reason'])}</td></tr>"
            for r in quarantined
        ) + "</table>"
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>kg-pipeline report</title>
<style>body{{font-family:sans-serif;margin:2em}} figure{{display:inline-block;margin:1em}} th{{text-align:left;padding-right:1em}}</style>
</head><body><h1>kg-pipeline run</h1><p>Workspace: {html.escape(str(ws.root))}</p><table>{rows}</table>{figures}</body></html>"""
    path = ws.root / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def summary_markdown(summary: dict) -> str:
    """The run's key counts and metrics as Markdown (a Prefect artifact on the flow run)."""
    store, filtered, embed = summary.get("store", {}), summary.get("filter", {}), summary.get("embed", {})
    rows = [
        ("documents", summary.get("documents")),
        ("routes (language:extractor)", ", ".join(f"{k} {v}" for k, v in sorted(summary.get("routes", {}).items()))),
        ("quarantined sources", summary.get("quarantined", 0)),
        ("entities", summary.get("entities")),
        ("candidate edges / kept", f"{filtered.get('edges')} / {filtered.get('kept')} ({filtered.get('method')})"),
        ("embedding", f"{embed.get('model')} dim {embed.get('dim')} on {embed.get('device')}"),
        ("quads in store (added this run)", f"{store.get('quads')} ({store.get('quads_added')})"),
        ("report", summary.get("report")),
    ]
    return "# build-kg\n\n| | |\n|---|---|\n" + "".join(f"| {k} | {v} |\n" for k, v in rows)
