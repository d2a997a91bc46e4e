"""CandidateGraph: aggregation of evidence rows, missing features, validation errors."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from pipeline.filter.graph import CandidateGraph, CandidateGraphError
from pipeline.schema import EDGES, NODE_FEATURES
from tests.filter._graphs import edge_rows, edges_table, features_table


def test_evidence_rows_collapse_onto_unique_edges():
    rows = edge_rows([("a", "b"), ("a", "b"), ("b", "a"), ("a", "b"), ("c", "a")], confidence=[0.2, 0.9, 0.5, 0.4, 0.7])
    rows[0]["predicate"] = rows[1]["predicate"] = "born_in"
    rows[3]["predicate"] = "lives_in"
    table = pa.Table.from_pylist(rows, schema=EDGES)
    graph = CandidateGraph.from_tables(table, features_table({"a": [1, 2]}), unit="pair")

    assert graph.node_ids.tolist() == ["a", "b", "c"]
    assert graph.edge_pairs() == [("a", "b"), ("b", "a"), ("c", "a")]  # direction is kept
    assert graph.confidence.tolist() == pytest.approx([0.9, 0.5, 0.7])
    assert graph.evidence_count.tolist() == [3, 1, 1]
    # noisy-OR: 1 - (0.8 * 0.1 * 0.6) for the three (a, b) rows
    assert graph.corroboration.tolist() == pytest.approx([1 - 0.8 * 0.1 * 0.6, 0.5, 0.7], abs=1e-6)
    assert graph.predicate.tolist() == ["born_in", "related_to", "related_to"]
    assert graph.row_edge.tolist() == [0, 0, 1, 0, 2]
    assert graph.num_rows == 5 and graph.num_edges == 3


    # Fact level (the default): each predicate of (a, b) is its own edge with its own evidence.
    facts = CandidateGraph.from_tables(table, features_table({"a": [1, 2]}))
    assert facts.unit == "fact" and facts.relation_names.tolist() == ["born_in", "lives_in", "related_to"]
    assert list(zip(facts.edge_pairs(), facts.predicate.tolist())) == [
        (("a", "b"), "born_in"), (("a", "b"), "lives_in"), (("b", "a"), "related_to"), (("c", "a"), "related_to")]
    assert facts.confidence.tolist() == pytest.approx([0.9, 0.4, 0.5, 0.7])
    assert facts.corroboration.tolist() == pytest.approx([1 - 0.8 * 0.1, 0.4, 0.5, 0.7], abs=1e-6)
    assert facts.row_edge.tolist() == [0, 0, 2, 1, 3]
    with pytest.raises(CandidateGraphError, match=r"unit must be one of \['fact', 'pair'\] \(got 'triple'\)"):
        CandidateGraph.from_tables(table, features_table({}), unit="triple")


def test_sentence_load_documents_and_extractor_per_edge():
    rows = edge_rows([("a", "b"), ("a", "c"), ("b", "c"), ("a", "b"), ("c", "d")], confidence=[0.8, 0.5, 0.6, 0.8, 0.9])
    for row, doc, sentence in zip(rows, ["d1", "d1", "d1", "d2", "d2"], [0, 0, 0, 3, None]):
        row["doc_id"], row["sentence"] = doc, sentence
    rows[2]["extractor"] = "cooccurrence"
    graph = CandidateGraph.from_tables(pa.Table.from_pylist(rows, schema=EDGES), features_table({}))

    assert graph.edge_pairs() == [("a", "b"), ("a", "c"), ("b", "c"), ("c", "d")]
    assert graph.doc_count.tolist() == [2, 1, 1, 1] and graph.evidence_count.tolist() == [2, 1, 1, 1]
    assert graph.extractor.tolist() == ["test", "test", "cooccurrence", "test"]

    def shared(c, k):  # odds divided by the sentence's number of candidate rows
        return c / (c + (1 - c) * k)

    # d1 sentence 0 yields 3 rows; d2 sentence 3 yields 1; a null sentence counts as alone.
    expected = [1 - (1 - shared(0.8, 3)) * (1 - 0.8), shared(0.5, 3), shared(0.6, 3), 0.9]
    assert graph.shared_corroboration.tolist() == pytest.approx(expected, abs=1e-6)
    assert (graph.shared_corroboration <= graph.corroboration + 1e-7).all()


def test_entities_without_features_get_zeros_and_a_flag():
    features = pa.Table.from_pylist(
        [{"entity_id": "a", "vector": [1.0, 2.0]}, {"entity_id": "b", "vector": None}, {"entity_id": "z", "vector": [3.0, 4.0]}],
        schema=NODE_FEATURES,
    )
    graph = CandidateGraph.from_tables(edges_table([("a", "b"), ("b", "c")]), features)
    assert graph.node_ids.tolist() == ["a", "b", "c", "z"]  # feature-only entities are nodes too
    assert graph.has_features.tolist() == [True, False, False, True]
    np.testing.assert_array_equal(graph.x, [[1, 2], [0, 0], [0, 0], [3, 4]])
    assert graph.x.dtype == np.float32


def test_no_features_at_all_gives_zero_width_x():
    graph = CandidateGraph.from_tables(edges_table([("a", "b")]), NODE_FEATURES.empty_table())
    assert graph.x.shape == (2, 0) and not graph.has_features.any()


def test_unequal_vector_lengths_name_the_odd_entity():
    features = features_table({"a": [1, 2], "b": [1, 2], "c": [1, 2, 3]})
    with pytest.raises(CandidateGraphError, match=r"KG060.*'c'.*\[3\]"):
        CandidateGraph.from_tables(edges_table([("a", "b")]), features)


def test_duplicate_feature_rows_name_the_entity():
    features = pa.Table.from_pylist(
        [{"entity_id": "a", "vector": [1.0]}, {"entity_id": "a", "vector": [2.0]}], schema=NODE_FEATURES
    )
    with pytest.raises(CandidateGraphError, match="'a'.*more than one feature row"):
        CandidateGraph.from_tables(edges_table([("a", "b")]), features)


def test_nan_features_name_the_entity():
    with pytest.raises(CandidateGraphError, match="'b'.*NaN"):
        CandidateGraph.from_tables(edges_table([("a", "b")]), features_table({"a": [1.0], "b": [np.nan]}))


def test_bad_confidence_names_the_edge_id():
    with pytest.raises(CandidateGraphError, match=r"'e1'.*outside \[0, 1\].*1\.5"):
        CandidateGraph.from_tables(edges_table([("a", "b"), ("b", "c")], confidence=[0.5, 1.5]), NODE_FEATURES.empty_table())


def test_null_subject_names_the_edge_id():
    rows = edge_rows([("a", "b"), ("b", "c")])
    rows[1]["subject_id"] = None
    with pytest.raises(CandidateGraphError, match="'e1'.*null subject_id"):
        CandidateGraph.from_tables(pa.Table.from_pylist(rows, schema=EDGES), NODE_FEATURES.empty_table())


def test_missing_column_is_named():
    with pytest.raises(CandidateGraphError, match=r"lacks columns \['confidence'\]"):
        CandidateGraph.from_tables(edges_table([("a", "b")]).drop_columns(["confidence"]), NODE_FEATURES.empty_table())


def test_validate_reports_a_corrupted_graph():
    graph = CandidateGraph.from_tables(edges_table([("a", "b"), ("b", "c")]), NODE_FEATURES.empty_table())
    assert graph.validate()
    graph.edge_index[1, 1] = 7
    assert not graph.validate(raise_on_error=False)
    with pytest.raises(CandidateGraphError, match=r"outside \[0, 3\).*\[1, 7\]"):
        graph.validate()
