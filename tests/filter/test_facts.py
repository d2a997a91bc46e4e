"""Fact-level scoring (issue 16): relations in the network, corrupted facts, calibration, the registry."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from pipeline.filter.calibration import platt_to_evidence
from pipeline.filter.config import FilterConfig
from pipeline.filter.filters import edge_filters
from pipeline.filter.graph import CandidateGraph
from pipeline.schema import EDGES
from tests.filter._graphs import community_graph, edge_rows, features_table

FAST = dict(epochs=15, patience=5, hidden_dim=16)


def test_one_pair_with_two_predicates_gets_two_scores():
    # Regression (issue 16): ঢাকা riverOf বাংলাদেশ and ঢাকা capitalOf বাংলাদেশ used to share one pair score.
    edges, features, _ = community_graph(seed=1, size=8, p_in=0.5, num_noise=3, dim=8)
    rows = edges.to_pylist()
    extra = {**rows[0], "edge_id": "x", "predicate": "riverOf"}
    graph = CandidateGraph.from_tables(pa.Table.from_pylist([*rows, extra], schema=EDGES), features)
    scorer = edge_filters.make("gae", config=FilterConfig(**FAST))
    scores = scorer.score(graph)
    pair = [i for i, p in enumerate(graph.edge_pairs()) if p == (rows[0]["subject_id"], rows[0]["object_id"])]
    assert len(pair) == 2 and scores[pair[0]] != scores[pair[1]]
    assert scorer.model.relational is not None and scorer.model.decoder.relational


def test_corrupted_facts_follow_their_kind():
    import torch

    from pipeline.filter.sampling import FactCorruptor, document_membership

    rows = edge_rows([("a", "b"), ("c", "d"), ("a", "e"), ("f", "g")])
    for row, predicate, doc in zip(rows, ["born_in", "born_in", "works_for", "works_for"], ["d1", "d1", "d2", "d2"]):
        row["predicate"], row["doc_id"] = predicate, doc
    graph = CandidateGraph.from_tables(pa.Table.from_pylist(rows, schema=EDGES), features_table({}))
    ei, rel = torch.as_tensor(graph.edge_index), torch.as_tensor(graph.relation)
    n, r = graph.num_nodes, graph.num_relations
    observed = torch.unique((ei[0] * n + ei[1]) * r + rel)
    fact_doc, members = document_membership(graph)
    corruptor = FactCorruptor(ei, rel, observed, n, r, fact_doc, members)
    torch.manual_seed(0)
    for _ in range(20):
        pairs, relation = corruptor.corrupt(("typed",))
        for (u, v), p in zip(pairs.T.tolist(), relation.tolist()):  # heads and tails stay in their relation's slots
            assert u in ei[0][rel == p].tolist() and v in ei[1][rel == p].tolist()
        pairs, relation = corruptor.corrupt(("relation",))
        assert not torch.isin(corruptor.keys(pairs, relation), observed).any()
        pairs, _ = corruptor.corrupt(("document",))
        doc_nodes = {0: {0, 1, 2, 3}, 1: {0, 4, 5, 6}}  # a..d in d1; a, e, f, g in d2
        for u, v in pairs.T.tolist():
            assert {u, v} <= doc_nodes[0] or {u, v} <= doc_nodes[1]


def test_relation_tokens_share_words_across_open_predicates():
    from pipeline.filter.inputs import relation_tokens

    rows = edge_rows([("a", "b"), ("c", "d"), ("e", "f"), ("g", "h")])
    for row, predicate in zip(rows, ["born in", "was born in", "capital", "capital"]):
        row["predicate"] = predicate
    graph = CandidateGraph.from_tables(pa.Table.from_pylist(rows, schema=EDGES), features_table({}))
    tokens, owners, vocabulary, num_relations = relation_tokens(graph)
    bags = [set(tokens[owners == i].tolist()) for i in range(num_relations)]
    names = graph.relation_names.tolist()
    born, was_born = bags[names.index("born in")], bags[names.index("was born in")]
    assert born & was_born and len(born & was_born) == 2  # "born", "in"
    assert vocabulary == len(set(tokens.tolist())) and num_relations == 3


def test_calibration_is_monotone_and_matches_the_evidence_on_average():
    rng = np.random.default_rng(0)
    evidence = rng.uniform(0.1, 0.9, 500)
    scores = np.clip(evidence ** 3 + rng.normal(0, 0.02, 500), 0.01, 0.99)  # same order, wrong scale
    calibrated = platt_to_evidence(scores, evidence)
    order = np.argsort(scores)
    assert (np.diff(calibrated[order]) >= 0).all()
    assert calibrated.mean() == pytest.approx(evidence.mean(), abs=0.01)
    assert np.abs(calibrated - evidence).mean() < np.abs(scores - evidence).mean() / 2


def test_filters_are_registered_in_one_module():
    import pipeline.filter.base as base

    assert edge_filters.names() == ["confidence", "gae"]
    assert base.edge_filters is edge_filters and not hasattr(base, "ConfidenceFilter")
