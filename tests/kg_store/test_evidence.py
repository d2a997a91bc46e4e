"""Evidence in RDF (issue 18): each assertion carries its sentence and where its entities are in it."""

from __future__ import annotations

import pyarrow as pa

from kg_store.oxigraph import OxigraphStore
from kg_store.quads import tables_to_quads, with_evidence
from pipeline.schema import DOCUMENTS, SCORED_EDGES, from_rows
from tests.kg_store.conftest import edge, make_tables

EVIDENCE = """SELECT ?evidence ?ss ?se ?os ?oe WHERE {
  ?a kg:evidence ?evidence . OPTIONAL { ?a kg:subjectStart ?ss ; kg:subjectEnd ?se ; kg:objectStart ?os ; kg:objectEnd ?oe }
} ORDER BY ?evidence"""


def test_evidence_spans_index_the_sentence_in_characters_not_bytes() -> None:
    text = "ভূমিকা। রবীন্দ্রনাথ ঠাকুর ১৮৬১ সালে কলকাতায় জন্মগ্রহণ করেন।"
    start = text.index("রবীন্দ্রনাথ")
    documents = from_rows([dict(doc_id="b", source="bn.jsonl:1", lang="bn", text=text)], DOCUMENTS)
    edges = from_rows([edge("e", "tagore", "born in", "kolkata", "b", True, start=start, end=len(text))], SCORED_EDGES)
    kolkata = text.index("কলকাতায়")
    mentions = pa.table({"doc_id": ["b", "b", "b"], "entity_id": ["tagore", "kolkata", "kolkata"],
                         "start": [start, 0, kolkata], "end": [start + 17, 6, kolkata + 8]})  # one mention outside
    row = with_evidence(edges, documents, mentions).to_pylist()[0]
    evidence = row["evidence"]
    assert evidence == text[start:]
    assert evidence[row["subject_start"]:row["subject_end"]] == "রবীন্দ্রনাথ ঠাকুর"
    assert evidence[row["object_start"]:row["object_end"]] == "কলকাতায়"  # the mention inside the sentence


def test_unknown_text_or_mentions_leave_no_evidence_triples_rather_than_wrong_ones(tmp_path) -> None:
    entities, _, documents = make_tables()
    edges = from_rows([
        edge("in", "rahim", "was born in", "dhaka", "d1", True, start=0, end=24),
        edge("past", "rahim", "wrote", "gitanjali", "d1", False, start=25, end=99),  # beyond the text
        edge("nodoc", "rahim", "wrote", "gitanjali", "gone", True, start=0, end=5),
    ], SCORED_EDGES)
    with OxigraphStore(tmp_path / "store") as store:
        store.load_quads(tables_to_quads(entities, edges, documents))  # no mentions: no spans
        assert store.query(EVIDENCE).values() == [("Rahim was born in Dhaka.", None, None, None, None)]
    with OxigraphStore(tmp_path / "without") as store:
        store.load_quads(tables_to_quads(entities, edges, documents, include_evidence=False))
        assert store.query(EVIDENCE).values() == []
