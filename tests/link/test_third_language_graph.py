"""A language with neither a spaCy pipeline nor a trained NER still yields a graph (the fallback route)."""

import logging

from pipeline.extract.api import route, run_extract
from pipeline.extract.config import ExtractConfig
from pipeline.link.api import run_link
from pipeline.schema import DOCUMENTS, from_rows

# German: spaCy has a tokenizer for it but no pipeline is installed here (French would do too, its
# tokenizer just takes far longer to build).
GERMAN = [
    "Johann Wolfgang von Goethe wurde 1749 in Frankfurt geboren. Goethe schrieb Faust in Weimar.",
    "Marie Curie arbeitete in Paris mit Pierre Curie.\n\nMarie Curie erhielt 1911 den Nobelpreis.",
]


def test_german_text_builds_a_small_graph_through_the_fallback():
    assert route("de", ExtractConfig()) == "cooccurrence"
    docs = from_rows([{"doc_id": f"de{i}", "source": "test", "lang": "de", "text": t} for i, t in enumerate(GERMAN)],
                     DOCUMENTS)
    extracted = run_extract(docs)
    assert extracted.routes == {"de:cooccurrence": 2}
    linked = run_link(extracted.mentions, extracted.relations)
    labels = {e["label"]: e for e in linked.entities.to_pylist()}
    assert {"Frankfurt", "Faust", "Weimar", "Marie Curie", "Paris", "Pierre Curie", "1749"} <= set(labels)
    assert labels["Marie Curie"]["frequency"] == 2  # one entity for both mentions
    pairs = {(e["subject_id"], e["object_id"]) for e in linked.edges.to_pylist()}
    assert (labels["Marie Curie"]["entity_id"], labels["Pierre Curie"]["entity_id"]) in pairs  # sentence
    assert (labels["Marie Curie"]["entity_id"], labels["Paris"]["entity_id"]) in pairs
    assert all(0 < e["confidence"] < 1 for e in linked.edges.to_pylist())


def test_an_empty_route_is_reported_not_silent(caplog):
    docs = from_rows([{"doc_id": "x", "source": "t", "lang": "de", "text": "es regnet und es ist kalt."}], DOCUMENTS)
    with caplog.at_level(logging.WARNING, logger="pipeline.extract.api"):
        result = run_extract(docs)
    assert result.routes == {"de:cooccurrence": 1}
    assert "de:cooccurrence found no entities in 1 documents" in caplog.text
