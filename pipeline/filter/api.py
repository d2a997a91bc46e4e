"""The filter stage: score candidate facts, keep those above a cut.

``run_filter(edges, features, config=...)`` builds a
:class:`~pipeline.filter.graph.CandidateGraph`, scores its unique facts with
the configured :class:`~pipeline.filter.base.EdgeFilter`, calibrates the
scores (:func:`~pipeline.filter.calibration.platt_to_evidence`), cuts, and
returns every evidence row with its fact's score and a keep flag (schema
``SCORED_EDGES``). It never imports Prefect and imports torch only when the
GNN runs.

The default cut (``cut = "expected_f1"``) adapts to the graph: it keeps the
top k facts where the expected F1 of the kept set, each fact counting as true
with its calibrated score, peaks. A graph of weak evidence loses more facts
than a clean one; a fixed percentile would drop the same share of both.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from pipeline.filter.base import EdgeFilter
from pipeline.filter.calibration import platt_to_evidence
from pipeline.filter.confidence import ConfidenceFilter
from pipeline.filter.config import FilterConfig
from pipeline.filter.filters import edge_filters
from pipeline.filter.graph import CandidateGraph
from pipeline.schema import EDGES, SCORED_EDGES, empty

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FilterResult:
    """What :func:`run_filter` returns.

    Attributes:
        scored_edges: every input evidence row (input order) plus
            ``filter_score`` (its unique edge's score) and ``kept``; schema
            ``SCORED_EDGES``.
        threshold: the score cut: rows with ``filter_score >= threshold`` are
            kept; ``None`` when there are no edges.
        training_log: ``(epoch, training loss)`` pairs; empty for untrained filters.
        method: the filter that produced the scores (``"confidence"`` after a fallback).
        fallback_reason: why the configured method was not used, else ``None``.
        stats: counts and filter details (nodes, edges, kept edges, device, seconds ...).
        config: the settings of the run.
    """

    scored_edges: pa.Table
    threshold: float | None
    training_log: list[tuple[int, float]]
    method: str
    fallback_reason: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    config: FilterConfig = field(default_factory=FilterConfig)


def run_filter(edges: pa.Table, features: pa.Table, *, config: FilterConfig) -> FilterResult:
    """Score every candidate fact and keep those at or above the cut: the expected-F1 cut
    (:func:`expected_f1_threshold`), the ``drop_percentile`` of the scores, or ``min_score`` when it is set.

    Args:
        edges: candidate edges, one row per evidence (schema ``EDGES``).
        features: one vector per entity (schema ``NODE_FEATURES``); entities
            without one get zero features and a "missing" flag.
        config: the stage settings.

    Raises:
        CandidateGraphError: the tables are malformed (the message names the
            offending ids). A filter that fails while scoring does not raise:
            the stage falls back to extractor confidence and logs a warning.
    """
    graph = CandidateGraph.from_tables(edges, features, unit=config.unit)
    if graph.num_rows == 0:
        return FilterResult(empty(SCORED_EDGES), None, [], config.method, config=config, stats=_stats(graph, 0))

    scorer, scores, reason = _score(graph, config)
    calibrated = config.calibrate and not scorer.keeps_all
    # The sentence-shared noisy-OR: the best-calibrated extractor evidence on both dev sets
    # (ECE 0.077 vs 0.109 for the plain noisy-OR on WebNLG, 0.155 vs 0.473 on CoNLL04).
    evidence = graph.prior("shared", "edge" if config.prior_scope == "fact" else "pair")
    if calibrated:
        scores = platt_to_evidence(scores, evidence)
    if scorer.keeps_all:
        threshold = 0.0
    elif config.min_score is not None:
        threshold = config.min_score
    elif config.cut == "expected_f1":
        threshold = expected_f1_threshold(scores, scores if calibrated else evidence)
    else:
        threshold = percentile_threshold(scores, config.drop_percentile)
    kept_edges = scores.astype(np.float64) >= threshold
    stats = _stats(graph, int(kept_edges.sum())) | scorer.stats
    table = _scored_table(edges, graph, scores, kept_edges)
    logger.info(
        "filter %s kept %d of %d unique edges (threshold %.4f)", scorer.name, stats["kept_edges"], graph.num_edges, threshold
    )
    return FilterResult(table, threshold, list(scorer.training_log), scorer.name, reason, stats, config)


def expected_f1_threshold(scores: np.ndarray, probabilities: np.ndarray) -> float:
    r"""The score cut that maximises the expected F1 of the kept edges.

    Edges are ranked by ``scores``; edge :math:`i` is true with probability
    :math:`p_i` (calibrated, e.g. the extractor's noisy-OR evidence). Keeping
    the top :math:`k` has expected F1 about

    .. math::
        \mathrm{F1}(k) = \frac{2 \sum_{i \le k} p_i}{k + \sum_i p_i}

    and the cut is the score of the last edge of the best :math:`k` (ties at
    it are kept). With calibrated scores this is the known optimum "keep
    :math:`p \ge \mathrm{F1}^* / 2`" (Lipton et al., 2014). It adapts to the
    graph: a graph of weak evidence loses more edges than a clean one, where
    a fixed percentile drops the same share of both.
    """
    scores = np.asarray(scores, dtype=np.float64)
    order = np.argsort(-scores, kind="stable")
    p = np.clip(np.asarray(probabilities, dtype=np.float64)[order], 0.0, 1.0)
    f1 = 2.0 * np.cumsum(p) / (np.arange(1, len(p) + 1) + p.sum())
    return float(scores[order][int(np.argmax(f1))])


def percentile_threshold(scores: np.ndarray, drop_percentile: float) -> float:
    """The ``drop_percentile``-th percentile of ``scores`` (linear interpolation).

    Keeping ``scores >= threshold`` keeps about ``1 - drop_percentile / 100`` of
    distinct scores; ties at the threshold are all kept.
    """
    if not 0.0 <= drop_percentile <= 100.0:
        raise ValueError(f"drop_percentile must lie in [0, 100] (got {drop_percentile})")
    return float(np.percentile(scores.astype(np.float64), drop_percentile))


# ------------------------------------------------------------------ steps
def _score(graph: CandidateGraph, config: FilterConfig) -> tuple[EdgeFilter, np.ndarray, str | None]:
    """Run the configured filter; fall back to confidence on tiny graphs or failures."""
    failed = False
    if config.method != ConfidenceFilter.name and graph.num_edges < config.min_edges:
        reason = f"only {graph.num_edges} unique edges (min_edges={config.min_edges})"
    else:
        scorer = edge_filters.make(config.method, config=config)
        try:
            scores = _checked(scorer.score(graph), graph.num_edges)
            return scorer, scores, None
        except Exception as err:  # a failing filter must not sink the build
            failed = True
            reason = f"{config.method} failed: {type(err).__name__}: {err}"
    logger.warning("filter falls back to extractor confidence: %s", reason, exc_info=failed)
    scorer = ConfidenceFilter(config)
    return scorer, scorer.score(graph), reason


def _checked(scores: np.ndarray, num_edges: int) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float32)
    if scores.shape != (num_edges,):
        raise ValueError(f"scores must have shape ({num_edges},) (got {scores.shape})")
    if not (np.isfinite(scores).all() and (scores >= 0).all() and (scores <= 1).all()):
        raise ValueError(f"scores must be finite and in [0, 1] (got min {scores.min()}, max {scores.max()})")
    return scores


def _scored_table(edges: pa.Table, graph: CandidateGraph, scores: np.ndarray, kept_edges: np.ndarray) -> pa.Table:
    base = edges.select(EDGES.names).cast(EDGES)
    base = base.append_column(SCORED_EDGES.field("filter_score"), pa.array(scores[graph.row_edge], pa.float32()))
    return base.append_column(SCORED_EDGES.field("kept"), pa.array(kept_edges[graph.row_edge], pa.bool_()))


def _stats(graph: CandidateGraph, kept: int) -> dict[str, Any]:
    return {
        "unit": graph.unit,
        "num_nodes": graph.num_nodes,
        "num_edges": graph.num_edges,
        "num_relations": graph.num_relations,
        "num_rows": graph.num_rows,
        "nodes_without_features": int((~graph.has_features).sum()),
        "kept_edges": kept,
    }
