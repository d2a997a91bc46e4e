"""The filter evaluation (AP, kept precision/recall, PR curves) on a hand-made candidate graph."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.evaluate.filter_eval import (
    Candidates,
    average_precision,
    measure,
    precision_recall_curve,
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


def test_measure_runs_the_gnn_and_drops_a_percentile(candidates):
    out = measure(candidates, FilterConfig(min_edges=1, epochs=5, drop_percentile=40))
    assert out["method"] == "gae" and out["kept"] < out["candidates"]
    assert 0.0 <= out["ap_filter"] <= 1.0


def test_report_draws_both_precision_recall_curves(candidates):
    from pipeline.report import precision_recall_png

    png = precision_recall_png(measure(candidates, FilterConfig(method="none"), curves=True))
    assert png.startswith(b"\x89PNG") and len(png) > 1000
