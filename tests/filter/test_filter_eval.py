"""The filter evaluation (AP, kept precision/recall, PR curves) on a hand-made candidate graph."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.evaluate.filter_eval import (
    ABLATION_ROWS,
    Candidates,
    ablation,
    ablation_config,
    average_precision,
    filter_plots_png,
    measure,
    precision_recall_curve,
    reliability_curve,
)
from pipeline.filter.config import FilterConfig
from tests.filter._graphs import edges_table, features_table


def test_precision_recall_curve_matches_average_precision():
    scores, labels = np.array([0.9, 0.8, 0.7, 0.1]), np.array([True, False, True, False])
    recall, precision = precision_recall_curve(scores, labels)
    assert recall.tolist() == [0.5, 0.5, 1.0, 1.0]
    assert precision.tolist() == pytest.approx([1.0, 0.5, 2 / 3, 0.5])
    assert average_precision(scores, labels) == pytest.approx((1.0 + 2 / 3) / 2)
    recall, _ = precision_recall_curve(scores, labels, total_positives=4)  # recall over all gold pairs
    assert recall[-1] == 0.5


@pytest.fixture(scope="module")
def candidates() -> Candidates:
    # Text d0 states (Alice, Paris); (Alice, Bob) was extracted but is not gold. Paris is
    # also corroborated by a second sentence; the wrong pair has low confidence.
    edges = edges_table([("alice", "paris"), ("alice", "bob"), ("paris", "alice"), ("bob", "rome")],
                        confidence=[0.7, 0.3, 0.6, 0.8])
    features = features_table({"alice": [1, 0], "paris": [0.9, 0.1], "bob": [0, 1], "rome": [0.1, 0.9]})
    names = {"alice": ["Alice Smith"], "paris": ["Paris"], "bob": ["Bob"], "rome": ["Rome"]}
    return Candidates(edges, features, names, {"d0": [["Alice Smith", "birthPlace", "Paris"],
                                                      ["Bob", "livesIn", "Rome"], ["X", "y", "Z"]]}, texts=1)


def test_measure_labels_pairs_in_either_order_and_counts_recall_over_gold(candidates):
    out = measure(candidates, FilterConfig(method="none"), curves=True)
    assert out["candidates"] == 3 and out["positives"] == 2 and out["gold_pairs"] == 3
    assert out["precision_all"] == pytest.approx(2 / 3, abs=1e-4)
    assert out["recall_all"] == pytest.approx(2 / 3, abs=1e-4)
    assert out["ap_confidence"] == pytest.approx(1.0)  # 0.8 and 0.7 above the wrong 0.3
    assert out["kept"] == 3  # "none" keeps everything
    recall, precision = out["curves"]["filter"]
    assert len(recall) == len(precision) == 3 and recall[-1] == pytest.approx(2 / 3)
    # Fact level: the edges' predicate ("related_to") is no gold relation, so no fact is right.
    assert out["facts"] == 4 and out["fact_positives"] == 0


def test_fact_level_labels_need_the_gold_relation(candidates):
    assert candidates.is_gold("d0", "paris", "alice", "birth_place")  # either order, case and "_" ignored
    assert not candidates.is_gold("d0", "alice", "paris", "livesIn")


def test_measure_runs_the_gnn_and_drops_a_percentile(candidates):
    out = measure(candidates, FilterConfig(min_edges=1, epochs=5, cut="percentile", drop_percentile=40))
    assert out["method"] == "gae" and out["kept"] < out["candidates"]
    assert 0.0 <= out["ap_filter"] <= 1.0


def test_plot_draws_both_precision_recall_curves_and_the_reliability_curve(candidates):
    png = filter_plots_png(measure(candidates, FilterConfig(min_edges=1, epochs=3), curves=True))
    assert png.startswith(b"\x89PNG") and len(png) > 1000


def test_reliability_curve_bins_scores_against_the_share_of_gold():
    scores = np.array([0.05, 0.15, 0.12, 0.95, 0.91, 0.99])
    labels = np.array([False, False, True, True, True, False])
    curve = reliability_curve(scores, labels, bins=10)
    assert curve["count"] == [1, 2, 3]  # bins 0.0-0.1, 0.1-0.2, 0.9-1.0
    assert curve["gold"] == pytest.approx([0.0, 0.5, 2 / 3])
    assert curve["score"] == pytest.approx([0.05, 0.135, 0.95])
    assert curve["ece"] == pytest.approx((0.05 + 2 * 0.365 + 3 * abs(2 / 3 - 0.95)) / 6, abs=1e-4)


def test_ablation_rows_remove_one_component_each(candidates):
    base = FilterConfig()
    assert ablation_config(base, ABLATION_ROWS["-relational"]).components == tuple(
        c for c in base.components if c != "relational")
    assert ablation_config(base, ABLATION_ROWS["prior alone (no network)"]).confidence_weight == 1.0
    rows = {"full": {}, "confidence only": {"method": "confidence"}}
    out = list(ablation(candidates, FilterConfig(min_edges=1, epochs=3), rows))
    assert [r["row"] for r in out] == ["full", "confidence only"]
    assert out[1]["ap_filter"] == pytest.approx(1.0) and out[1]["kept"] == 3
