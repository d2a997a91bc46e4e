"""run_filter: the stage entry, end to end on tiny graphs."""

from __future__ import annotations

import logging
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest
from pydantic import ValidationError

from pipeline.filter import (
    FilterConfig,
    FilterResult,
    expected_f1_threshold,
    percentile_threshold,
    run_filter,
)
from pipeline.schema import EDGES, NODE_FEATURES, SCORED_EDGES
from tests.filter._graphs import community_graph, edges_table

NO_FEATURES = NODE_FEATURES.empty_table()


def scores_by_pair(result: FilterResult) -> tuple[list[tuple[str, str]], np.ndarray]:
    table = result.scored_edges
    pairs = list(zip(table["subject_id"].to_pylist(), table["object_id"].to_pylist()))
    return pairs, table["filter_score"].to_numpy()


@pytest.mark.parametrize("seed", [0, 1])
def test_gae_scores_noise_edges_below_community_edges(seed):
    # Two dense communities, community-correlated features, a few random cross edges,
    # confidences drawn alike for all: only the GNN can tell the noise apart.
    edges, features, noise = community_graph(seed=seed)
    result = run_filter(edges, features, config=FilterConfig())

    assert result.method == "gae" and result.fallback_reason is None
    pairs, scores = scores_by_pair(result)
    is_noise = np.array([pair in noise for pair in pairs])
    assert is_noise.sum() == len(noise)
    assert scores[is_noise].mean() < scores[~is_noise].mean()
    # ... which extractor confidence alone does not do here:
    confidence = result.scored_edges["confidence"].to_numpy()
    assert scores[~is_noise].mean() - scores[is_noise].mean() > confidence[~is_noise].mean() - confidence[is_noise].mean()
    assert result.training_log and result.training_log[0][0] == 1
    assert all(np.isfinite(loss) for _, loss in result.training_log)


def test_output_keeps_every_evidence_row_in_order_with_its_edge_score():
    edges, features, _ = community_graph(seed=2)
    doubled = pa.concat_tables([edges, edges.slice(0, 5)])  # repeated evidence for 5 edges
    result = run_filter(doubled, features, config=FilterConfig(epochs=20))

    table = result.scored_edges
    assert table.schema == SCORED_EDGES
    assert table["edge_id"].to_pylist() == doubled["edge_id"].to_pylist()
    pairs, scores = scores_by_pair(result)
    by_pair: dict = {}
    for pair, score in zip(pairs, scores):
        assert by_pair.setdefault(pair, score) == score
    kept = table["kept"].to_numpy(zero_copy_only=False)
    np.testing.assert_array_equal(kept, scores.astype(np.float64) >= result.threshold)
    assert result.stats["num_rows"] == doubled.num_rows and result.stats["num_edges"] == edges.num_rows


@pytest.mark.parametrize("drop", [0.0, 10.0, 25.0, 50.0, 100.0])
def test_percentile_threshold_keeps_the_right_fraction(drop):
    edges, features, _ = community_graph(seed=3)
    # confidence_weight=1: the GNN runs but the scores are the (distinct, uniform) confidences.
    config = FilterConfig(cut="percentile", drop_percentile=drop, confidence_weight=1.0, epochs=1, folds=1)
    result = run_filter(edges, features, config=config)
    _, scores = scores_by_pair(result)
    assert result.method == "gae" and len(np.unique(scores)) == len(scores)  # one row per edge
    kept = result.scored_edges["kept"].to_numpy(zero_copy_only=False).mean()
    assert kept == pytest.approx(1 - drop / 100, abs=1 / len(scores))
    assert result.threshold == pytest.approx(np.percentile(scores, drop))


def test_min_score_overrides_the_percentile():
    edges, features, _ = community_graph(seed=3)
    config = FilterConfig(min_score=0.75, drop_percentile=90, confidence_weight=1.0, prior="max", epochs=1)
    result = run_filter(edges, features, config=config)
    _, scores = scores_by_pair(result)
    assert result.threshold == 0.75
    np.testing.assert_array_equal(result.scored_edges["kept"].to_numpy(zero_copy_only=False), scores >= 0.75)


def test_percentile_threshold_function():
    scores = np.linspace(0, 1, 101, dtype=np.float32)
    assert percentile_threshold(scores, 10.0) == pytest.approx(0.1)
    assert (scores >= percentile_threshold(scores, 25.0)).sum() == 76
    with pytest.raises(ValueError, match=r"\(got 101\)"):
        percentile_threshold(scores, 101)


def test_expected_f1_threshold_cuts_where_expected_f1_peaks():
    # Ranked by score; p says how likely each edge is true. Expected F1 of the top k:
    # 2 * sum(p[:k]) / (k + sum(p)), sum(p) = 2.9 -> k=1: 0.51, 2: 0.78, 3: 0.88, 4: 0.81, 5: 0.73.
    scores = np.array([0.2, 0.9, 0.5, 0.8, 0.7])
    p = np.array([0.1, 1.0, 0.2, 0.9, 0.7])
    assert expected_f1_threshold(scores, p) == 0.7
    # Certain edges only: keep them all; weak evidence everywhere: the cut moves up.
    assert expected_f1_threshold(scores, np.ones(5)) == 0.2
    assert expected_f1_threshold(scores, np.array([0.05, 0.9, 0.05, 0.05, 0.05])) == 0.9


def test_default_threshold_drops_more_of_a_weak_graph_than_of_a_strong_one():
    # Same graph and features; only the extractor confidences differ.
    edges, features, _ = community_graph(seed=3)
    rng = np.random.default_rng(0)
    kept = {}
    for name, low, high in (("strong", 0.85, 1.0), ("weak", 0.05, 0.95)):
        confidence = pa.array(rng.uniform(low, high, edges.num_rows).astype(np.float32))
        table = edges.set_column(edges.schema.get_field_index("confidence"), "confidence", confidence)
        result = run_filter(table, features, config=FilterConfig(confidence_weight=1.0, epochs=1))
        kept[name] = result.scored_edges["kept"].to_numpy(zero_copy_only=False).mean()
    assert kept["strong"] > 0.95 and kept["weak"] < 0.9


def test_confidence_ranker_scores_by_confidence_and_keeps_everything():
    edges = edges_table([("a", "b"), ("b", "c"), ("c", "d"), ("a", "b")], confidence=[0.3, 0.9, 0.1, 0.6])
    result = run_filter(edges, NO_FEATURES, config=FilterConfig(method="confidence", cut="percentile", drop_percentile=50))
    assert result.method == "confidence" and result.fallback_reason is None and result.training_log == []
    assert result.scored_edges["filter_score"].to_pylist() == pytest.approx([0.6, 0.9, 0.1, 0.6])
    assert all(result.scored_edges["kept"].to_pylist()) and result.threshold == 0.0


def test_empty_input_gives_empty_table():
    result = run_filter(EDGES.empty_table(), NO_FEATURES, config=FilterConfig())
    assert result.scored_edges.schema == SCORED_EDGES and result.scored_edges.num_rows == 0
    assert result.threshold is None and result.training_log == []


def test_tiny_graph_falls_back_to_confidence_with_a_warning(caplog):
    edges = edges_table([("a", "b"), ("b", "c")], confidence=[0.4, 0.8])
    with caplog.at_level(logging.WARNING, logger="pipeline.filter"):
        result = run_filter(edges, NO_FEATURES, config=FilterConfig())
    assert result.method == "confidence" and "only 2 unique edges" in result.fallback_reason
    assert "falls back" in caplog.text
    assert result.scored_edges["filter_score"].to_pylist() == pytest.approx([0.4, 0.8])
    assert all(result.scored_edges["kept"].to_pylist())


def test_failing_gnn_falls_back_to_confidence_with_a_warning(monkeypatch, caplog):
    from pipeline.filter.gae import GAEFilter

    def boom(self, graph):
        raise RuntimeError("CUDA out of memory")

    monkeypatch.setattr(GAEFilter, "score", boom)
    edges, features, _ = community_graph(seed=0)
    with caplog.at_level(logging.WARNING, logger="pipeline.filter"):
        result = run_filter(edges, features, config=FilterConfig())
    assert result.method == "confidence" and "CUDA out of memory" in result.fallback_reason
    assert "falls back" in caplog.text
    np.testing.assert_array_equal(result.scored_edges["filter_score"], edges["confidence"])


def test_featureless_graph_still_runs():
    edges, _, _ = community_graph(seed=0)
    result = run_filter(edges, NO_FEATURES, config=FilterConfig(epochs=5))
    assert result.method == "gae" and result.stats["nodes_without_features"] == result.stats["num_nodes"]


def test_config_errors_list_the_options():
    with pytest.raises(ValidationError, match=r"unknown edge filter 'gnn'.*\['confidence', 'gae'\]"):
        FilterConfig(method="gnn")
    with pytest.raises(ValidationError, match=r"unknown components \['attention'\]"):
        FilterConfig(components=["denoise", "attention"])
    with pytest.raises(ValidationError, match="drop_percentile"):
        FilterConfig(drop_percentile=120)
    with pytest.raises(ValidationError, match=r"\(got 'gpu'\)"):
        FilterConfig(device="gpu")
    assert FilterConfig(components=["local"]).components == ("local",)  # TOML lists work


def test_old_config_names_still_load_with_a_warning(caplog):
    # Regression (issue 20): `method = "none"` named the confidence ranker; `threshold` named the cut rule.
    with caplog.at_level(logging.WARNING, logger="pipeline.filter"):
        config = FilterConfig.model_validate({"method": "none", "threshold": "percentile"})
    assert config.method == "confidence" and config.cut == "percentile"
    assert "now called 'confidence'" in caplog.text and "now called cut" in caplog.text
    with pytest.raises(ValidationError, match="give `cut` only"):
        FilterConfig(threshold="percentile", cut="expected_f1")


def test_package_import_does_not_import_torch():
    code = "import sys, pipeline.filter; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
