"""The contract every registered edge filter must meet, plus GAE ablations."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from pipeline.filter.base import EdgeFilter
from pipeline.filter.config import GAE_COMPONENTS, FilterConfig
from pipeline.filter.filters import edge_filters
from pipeline.filter.graph import CandidateGraph
from pipeline.schema import NODE_FEATURES
from tests.filter._graphs import community_graph, edges_table

#: Few epochs: the contract is about shapes and determinism, not quality.
FAST = dict(epochs=15, patience=5, hidden_dim=16)


@pytest.fixture(scope="module")
def graph() -> CandidateGraph:
    edges, features, _ = community_graph(seed=1, size=8, p_in=0.5, num_noise=3, dim=8)
    return CandidateGraph.from_tables(edges, features)


def make(name: str, **overrides) -> EdgeFilter:
    return edge_filters.make(name, config=FilterConfig(method=name, **{**FAST, **overrides}))


@pytest.mark.parametrize("name", edge_filters.names())
class TestEdgeFilterContract:
    def test_is_an_edge_filter(self, name):
        scorer = make(name)
        assert isinstance(scorer, EdgeFilter) and scorer.name == name

    def test_one_score_in_unit_interval_per_unique_edge(self, name, graph):
        scores = make(name).score(graph)
        assert isinstance(scores, np.ndarray) and scores.dtype == np.float32
        assert scores.shape == (graph.num_edges,)
        assert np.isfinite(scores).all() and (scores >= 0).all() and (scores <= 1).all()

    def test_same_seed_same_scores(self, name, graph):
        np.testing.assert_array_equal(make(name, seed=3).score(graph), make(name, seed=3).score(graph))

    def test_no_edges_no_scores(self, name):
        empty = CandidateGraph.from_tables(edges_table([]), NODE_FEATURES.empty_table())
        assert make(name).score(empty).shape == (0,)


def test_gae_depends_on_the_seed(graph):
    assert not np.array_equal(make("gae", seed=1).score(graph), make("gae", seed=2).score(graph))


def test_gae_leaves_global_rng_alone(graph):
    import random

    import torch

    random.seed(0)
    torch.manual_seed(0)
    expected = (random.random(), torch.rand(1))
    random.seed(0)
    torch.manual_seed(0)
    make("gae").score(graph)
    assert (random.random(), torch.rand(1)) == expected


@pytest.mark.parametrize(
    "components",
    [(), *[(c,) for c in GAE_COMPONENTS], ("topological", "local")],
    ids=lambda c: "+".join(c) or "mlp-only",
)
@pytest.mark.parametrize("decoder", ["distmult", "cosine", "dot", "mlp"])
def test_gae_ablations_run(graph, components, decoder):
    scorer = make("gae", components=components, decoder=decoder, epochs=3)
    scores = scorer.score(graph)
    assert scores.shape == (graph.num_edges,) and ((scores >= 0) & (scores <= 1)).all()
    assert set(scorer.model.components) == set(components)
    assert [epoch for epoch, _ in scorer.training_log] == list(range(1, len(scorer.training_log) + 1))


def test_confidence_blend(graph):
    scores = make("gae", confidence_weight=1.0, prior="max").score(graph)
    np.testing.assert_allclose(scores, graph.confidence, rtol=1e-6)
    gnn = make("gae", confidence_weight=0.0).score(graph)
    half = make("gae", confidence_weight=0.5).score(graph)  # the default prior: sentence-shared noisy-OR
    np.testing.assert_allclose(half, np.sqrt(gnn * graph.prior("shared", "pair")), rtol=1e-5)


def test_gcn_baseline_encoder(graph):
    scorer = make("gae", encoder="gcn")
    assert scorer.score(graph).shape == (graph.num_edges,)
    assert type(scorer.model.encoder).__name__ == "GCNEncoder"


def test_large_graphs_train_a_smaller_model_for_fewer_epochs(graph):
    scorer = make("gae", large_graph_edges=graph.num_edges, large_graph_hidden_dim=4, large_graph_epochs=2,
                  epochs=50, patience=50, eval_every=1)
    scorer.score(graph)
    assert scorer.stats["hidden_dim"] == 4 and scorer.stats["max_epochs"] == 2
    assert len(scorer.training_log) == 2


def test_validation_every_n_epochs_still_stops_early(graph):
    scorer = make("gae", epochs=500, patience=10, eval_every=5, lr=0.05, folds=1)
    scorer.score(graph)
    assert scorer.stats["best_epoch"] % 5 == 0
    assert len(scorer.training_log) < 500


def test_negatives_avoid_self_loops_and_observed_pairs():
    import torch

    from pipeline.filter.sampling import pair_keys, sample_negatives

    torch.manual_seed(0)
    observed_pairs = torch.tensor([[0, 1, 2, 3, 4], [1, 2, 3, 4, 0]])
    observed = pair_keys(observed_pairs, 6)
    neg = sample_negatives(6, 200, observed)
    assert 150 < neg.size(1) <= 200
    assert (neg[0] != neg[1]).all()
    assert not torch.isin(neg[0] * 6 + neg[1], observed).any()
    assert sample_negatives(1, 10, observed).shape == (2, 0)


def test_evidence_attributes_reach_the_semantic_attention():
    import torch

    from pipeline.filter.inputs import (
        NUM_EDGE_ATTRIBUTES,
        evidence_attributes,
        pair_attributes,
    )

    edges = edges_table([("a", "b"), ("b", "a"), ("b", "c"), ("c", "d"), ("a", "d")], confidence=[0.2, 0.9, 0.5, 0.7, 0.4])
    small = CandidateGraph.from_tables(edges, NODE_FEATURES.empty_table())
    attributes = evidence_attributes(small)
    assert attributes.shape == (5, NUM_EDGE_ATTRIBUTES)
    # An undirected pair takes the max over both directions: (a, b) has confidences 0.2 and 0.9.
    pairs = torch.tensor([[0, 1, 0], [1, 2, 3]])  # (a, b), (b, c), (a, d)
    assert pair_attributes(small, attributes, pairs)[:, 0].tolist() == pytest.approx([0.9, 0.5, 0.4])

    # Same seed, same graph: only the edge attributes differ, so do the GNN's scores.
    edges, features, _ = community_graph(seed=1, size=8, p_in=0.5, num_noise=3, dim=8)
    rng = np.random.default_rng(0)
    other = edges.set_column(edges.schema.get_field_index("confidence"), "confidence",
                             pa.array(rng.uniform(0.1, 1.0, edges.num_rows).astype(np.float32)))
    with_evidence = make("gae", confidence_weight=0.0)
    scores = [with_evidence.score(CandidateGraph.from_tables(t, features)) for t in (edges, other)]
    assert with_evidence.model.encoder.semantic.lin_edge is not None and not np.allclose(scores[0], scores[1])
    blind = make("gae", confidence_weight=0.0, components=tuple(c for c in GAE_COMPONENTS if c != "evidence"))
    blind_scores = [blind.score(CandidateGraph.from_tables(t, features)) for t in (edges, other)]
    assert blind.model.encoder.semantic.lin_edge is None and blind.model.relational.gate is None
    np.testing.assert_allclose(blind_scores[0], blind_scores[1], rtol=1e-6)
