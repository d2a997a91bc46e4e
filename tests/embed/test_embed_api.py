"""run_embed on tiny hand-built SCORED_EDGES tables."""

from __future__ import annotations

import logging

import numpy as np
import pyarrow as pa
import pytest
import torch
from pydantic import ValidationError

from pipeline.embed.api import EmbedResult, run_embed
from pipeline.embed.config import EmbedConfig
from pipeline.schema import ENTITY_EMBEDDINGS, RELATION_EMBEDDINGS, SCORED_EDGES, TRAINING_LOG, empty

CONFIG = EmbedConfig(dim=4, epochs=3, negatives=2, device="cpu")


def edges(*facts: tuple[str, str, str, bool | None]) -> pa.Table:
    """A SCORED_EDGES table; every fact is one piece of evidence."""
    rows = [
        dict(
            edge_id=f"e{n}", subject_id=s, predicate=p, object_id=o, doc_id="d1", sentence=n, start=0, end=1,
            extractor="test", confidence=0.9, filter_score=0.5, kept=kept,
        )
        for n, (s, p, o, kept) in enumerate(facts)
    ]
    return pa.Table.from_pylist(rows, schema=SCORED_EDGES)


GRAPH = edges(
    ("dhaka", "capital_of", "bangladesh", True),
    ("dhaka", "capital_of", "bangladesh", True),  # same fact, second piece of evidence
    ("tagore", "born_in", "kolkata", True),
    ("kolkata", "located_in", "india", True),
    ("tagore", "wrote", "gitanjali", True),
    ("tagore", "born_in", "dhaka", False),  # trimmed by the filter
    ("padma", "flows_through", "bangladesh", None),  # unknown counts as not kept
)


@pytest.fixture(scope="module")
def result() -> EmbedResult:
    return run_embed(GRAPH, config=CONFIG)


def test_vectors_for_exactly_the_kept_entities(result: EmbedResult) -> None:
    assert result.entities.schema == ENTITY_EMBEDDINGS
    assert result.entities["entity_id"].to_pylist() == [
        "bangladesh", "dhaka", "gitanjali", "india", "kolkata", "tagore"
    ]
    assert {len(v) for v in result.entities["vector"].to_pylist()} == {4 * CONFIG.dim}
    assert result.relations.schema == RELATION_EMBEDDINGS
    assert result.relations["predicate"].to_pylist() == ["born_in", "capital_of", "located_in", "wrote"]
    assert {len(v) for v in result.relations["vector"].to_pylist()} == {4 * CONFIG.dim}


def test_loss_log_and_metadata(result: EmbedResult) -> None:
    assert result.training_log.schema == TRAINING_LOG
    assert result.training_log["epoch"].to_pylist() == [1, 2, 3]
    assert all(loss > 0 for loss in result.training_log["loss"].to_pylist())
    assert (result.model_name, result.dim, result.device, result.is_empty) == ("quaternion", 4, "cpu", False)


def test_is_deterministic(result: EmbedResult) -> None:
    again = run_embed(GRAPH, config=CONFIG)
    assert again.entities.equals(result.entities)
    assert again.training_log.equals(result.training_log)


def test_relations_are_unit_quaternions(result: EmbedResult) -> None:
    for vector in result.relations["vector"].to_pylist():
        for i in range(CONFIG.dim):
            assert sum(vector[c * CONFIG.dim + i] ** 2 for c in range(4)) == pytest.approx(1.0, abs=1e-5)


def test_reciprocal_dihedron_with_bias_exports_only_forward_relations() -> None:
    config = CONFIG.model_copy(update=dict(model="dihedron", reciprocal=True, model_kwargs={"bias": True}))
    out = run_embed(GRAPH, config=config)
    assert out.relations.num_rows == 4 and out.entities.num_rows == 6
    assert {len(v) for v in out.entities["vector"].to_pylist()} == {4 * CONFIG.dim}


def test_pykeen_baseline_flattens_complex_vectors() -> None:
    out = run_embed(GRAPH, config=CONFIG.model_copy(update=dict(model="rotate")))
    assert {len(v) for v in out.entities["vector"].to_pylist()} == {2 * CONFIG.dim}


@pytest.mark.parametrize(
    "table",
    [
        empty(SCORED_EDGES),
        edges(("a", "r", "b", False)),
        edges(("a", "r", "b", True), ("a", "r", "b", True)),  # one distinct fact
    ],
    ids=["empty", "nothing-kept", "one-fact"],
)
def test_too_small_graph_gives_empty_tables(table: pa.Table, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="pipeline.embed.api"):
        out = run_embed(table, config=CONFIG)
    assert out.is_empty
    assert out.entities.equals(empty(ENTITY_EMBEDDINGS))
    assert out.relations.equals(empty(RELATION_EMBEDDINGS))
    assert out.training_log.equals(empty(TRAINING_LOG))
    assert "returning empty embeddings" in caplog.text


def test_missing_column_is_named() -> None:
    with pytest.raises(ValueError, match="missing column.*kept"):
        run_embed(GRAPH.drop_columns(["kept"]), config=CONFIG)


def test_config_rejects_bad_values() -> None:
    with pytest.raises(ValidationError):
        EmbedConfig(dim=0)
    with pytest.raises(ValidationError):
        EmbedConfig(epochs=10, colour="blue")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_run_embed_on_cuda() -> None:
    out = run_embed(GRAPH, config=CONFIG.model_copy(update=dict(model="dihedron", device="auto")))
    assert out.device.startswith("cuda") and out.entities.num_rows == 6


def test_tetra_reads_labels_and_the_documents_that_mention_each_entity() -> None:
    from pipeline.embed.api import graph_text_features
    from pipeline.schema import DOCUMENTS, ENTITIES, MENTION_LINKS, MENTIONS

    labels = {"dhaka": "ঢাকা", "bangladesh": "বাংলাদেশ", "tagore": "Rabindranath Tagore", "kolkata": "Kolkata",
              "india": "India", "gitanjali": "Gitanjali"}
    entities = pa.Table.from_pylist(
        [dict(entity_id=e, label=label, lang="en", label_en="Dhaka" if e == "dhaka" else None, type="THING",
              aliases=[], labels=[], frequency=1) for e, label in labels.items()],
        schema=ENTITIES,
    )
    documents = pa.Table.from_pylist(
        [dict(doc_id="d1", source="x", lang="en", text="Tagore was born in Kolkata. He wrote Gitanjali."),
         dict(doc_id="d2", source="y", lang="en", text="Dhaka is the capital of Bangladesh.")],
        schema=DOCUMENTS,
    )
    mentions = pa.Table.from_pylist(
        [dict(mention_id=f"m{e}", doc_id="d2" if e in {"dhaka", "bangladesh"} else "d1", sentence=0, start=0, end=1,
              text=e, label="THING", lang="en", extractor="test", confidence=1.0) for e in labels if e != "india"],
        schema=MENTIONS,
    )
    links = pa.Table.from_pylist([dict(mention_id=f"m{e}", entity_id=e) for e in labels if e != "india"],
                                 schema=MENTION_LINKS)
    tables = dict(entities=entities, documents=documents, mentions=mentions, mention_links=links)

    ids = ["dhaka", "bangladesh", "kolkata", "india"]  # india: no mention, so no document vector
    features = graph_text_features(ids, seed=1, **tables)
    assert {k: v.shape[0] for k, v in features.items()} == dict.fromkeys(("word", "sentence", "document"), 4)
    assert np.allclose(features["document"][0], features["document"][1])  # both only in d2
    assert features["document"][2].any() and not features["document"][3].any()

    config = CONFIG.model_copy(update=dict(model="tetra", model_kwargs={"algebra": "dihedron"}))
    out = run_embed(GRAPH, config=config, **tables)
    assert out.entities.num_rows == 6 and {len(v) for v in out.entities["vector"].to_pylist()} == {4 * CONFIG.dim}
