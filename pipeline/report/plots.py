"""The report's plots: each with a title, axes and units, as embedded PNGs; none drawn without data."""

from __future__ import annotations

import base64
import io
from collections import Counter

from pipeline.report.contents import display_name
from pipeline.summary import BuildSummary
from pipeline.workspace import Workspace

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


def all_plots(ws: Workspace, summary: BuildSummary) -> list[tuple[str, str]]:
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


