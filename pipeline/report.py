"""A one-page HTML report of a run, for people who would rather look than read.

Plots (embedded PNGs): documents per language, entity types, degree
distribution, top relations, filter-score distribution with the threshold,
and the embedding training curve.
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


def _plots(ws: Workspace, summary: dict) -> list[tuple[str, str]]:
    plots = []
    documents = ws.read("documents")
    plots.append(("Documents per language", _figure_png(_bar(Counter(documents.column("lang").to_pylist()), "Documents per language"))))
    entities = ws.read("entities")
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
    if ws.has("embedding_training_log"):
        log = ws.read("embedding_training_log").to_pylist()

        def loss_plot(ax):
            ax.plot([r["epoch"] for r in log], [r["loss"] for r in log], color="#8172B2")
            ax.set_title("Embedding training loss")
            ax.set_xlabel("epoch")

        plots.append(("Training curve", _figure_png(loss_plot)))
    return plots


def write_report(ws: Workspace, summary: dict) -> Path:
    """Write ``report.html`` into the workspace and return its path."""
    rows = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in summary.items() if k != "report"
    )
    figures = "".join(
        f'<figure><img alt="{html.escape(t)}" src="data:image/png;base64,{png}"><figcaption>{html.escape(t)}</figcaption></figure>'
        for t, png in _plots(ws, summary)
    )
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>kg-pipeline report</title>
<style>body{{font-family:sans-serif;margin:2em}} figure{{display:inline-block;margin:1em}} th{{text-align:left;padding-right:1em}}</style>
</head><body><h1>kg-pipeline run</h1><p>Workspace: {html.escape(str(ws.root))}</p><table>{rows}</table>{figures}</body></html>"""
    path = ws.root / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
