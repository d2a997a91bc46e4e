"""Tables -> quads: the documented RDF shape, and serialisation round-trips."""

from __future__ import annotations

import rdflib
from hypothesis import given, settings
from hypothesis import strategies as st
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, parse, serialize

from kg_store.iri import assertion_iri, document_iri, entity_iri, relation_iri
from kg_store.quads import relation_quads, tables_to_quads
from kg_store.vocab import RDF_TYPE, RDFS, SCHEMA, SKOS, XSD, Vocab
from pipeline.schema import DOCUMENTS, ENTITIES, SCORED_EDGES, from_rows

V = Vocab()
KG = V.kg
ENT = V.entities_graph
LABEL, ALT = NamedNode(RDFS + "label"), NamedNode(SKOS + "altLabel")


def test_entity_graph_shape(tables) -> None:
    quads = set(tables_to_quads(*tables))
    dhaka = entity_iri("dhaka")
    assert Quad(dhaka, RDF_TYPE, NamedNode(SCHEMA + "Place"), ENT) in quads
    assert Quad(dhaka, LABEL, Literal("ঢাকা", language="bn"), ENT) in quads
    assert Quad(dhaka, LABEL, Literal("Dhaka", language="en"), ENT) in quads
    assert Quad(dhaka, ALT, Literal("Dacca", language="en"), ENT) in quads
    assert Quad(dhaka, ALT, Literal("ঢাকা শহর", language="bn"), ENT) in quads
    assert Quad(dhaka, KG.frequency, Literal(5), ENT) in quads
    assert Quad(entity_iri("y1971"), RDF_TYPE, KG.Date, ENT) in quads
    assert Quad(relation_iri("was born in"), LABEL, Literal("was born in"), ENT) in quads
    labels = [q for q in quads if q.subject == dhaka and q.predicate == LABEL]
    assert len(labels) == 2  # duplicates between label, label_en and labels[] collapse


def test_document_graph_shape(tables) -> None:
    quads = set(tables_to_quads(*tables))
    d1, a1 = document_iri("d1"), assertion_iri("x1")
    rahim, dhaka, born = entity_iri("rahim"), entity_iri("dhaka"), relation_iri("was born in")
    assert Quad(d1, KG.source, Literal("corpus.jsonl:1"), d1) in quads
    assert Quad(d1, KG.lang, Literal("en"), d1) in quads
    expected = {
        (RDF_TYPE, KG.Assertion),
        (KG.subject, rahim),
        (KG.predicate, born),
        (KG.object, dhaka),
        (KG.document, d1),
        (KG.sentence, Literal(0)),
        (KG.start, Literal(0)),
        (KG.end, Literal(24)),
        (KG.extractor, Literal("spacy")),
        (KG.evidence, Literal("Rahim was born in Dhaka.")),  # text[start:end]: the sentence, by default
        (KG.confidence, Literal("0.9", datatype=NamedNode(XSD + "double"))),  # float32 shown short
        (KG.filterScore, Literal(0.8)),
        (KG.kept, Literal(True)),
    }
    assert {(q.predicate, q.object) for q in quads if q.subject == a1} == expected
    assert all(q.graph_name == d1 for q in quads if q.subject == a1)
    assert Quad(rahim, born, dhaka, d1) in quads


def test_dropped_edge_is_only_an_assertion(tables) -> None:
    quads = set(tables_to_quads(*tables))
    wrote = relation_iri("wrote")
    assert Quad(assertion_iri("x2"), KG.kept, Literal(False), document_iri("d1")) in quads
    assert not [q for q in quads if q.predicate == wrote]  # no plain triple
    assert Quad(assertion_iri("x2"), KG.predicate, wrote, document_iri("d1")) in quads


def test_document_text_is_opt_in(tables) -> None:
    assert not [q for q in tables_to_quads(*tables) if q.predicate == KG.text]
    texts = [q for q in tables_to_quads(*tables, include_text=True) if q.predicate == KG.text]
    assert len(texts) == 2


def test_odd_language_tags_and_surrogates() -> None:
    entities = from_rows(
        [dict(entity_id="e", label="a", lang="en_US", label_en=None, type="THING", aliases=["b"], labels=[{"lang": "not a tag", "text": "c"}], frequency=None)],
        ENTITIES,
    )
    objects = [q.object for q in tables_to_quads(entities, SCORED_EDGES.empty_table(), DOCUMENTS.empty_table())]
    assert Literal("a", language="en-us") in objects and Literal("c") in objects
    # Arrow refuses lone surrogates, but predicates may come from Python directly.
    assert Literal("a\ufffdb") in [q.object for q in relation_quads(["a\ud800b"])]


NASTY_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from(list('"\'<>\n\r\t\\\x00\x7f\u2028\u202e\u200bবাংলা ভাষা😀{}@^')), max_size=40),
    st.sampled_from(['"""', "'''", "\\u0041", "a\\", "\ufeff", "\U0010ffff", ".\n.", "@en"]),
)


def _rdflib_values(data: bytes, fmt: str, dataset: bool) -> set[tuple]:
    graph = rdflib.Dataset() if dataset else rdflib.Graph()
    graph.parse(data=data.decode("utf-8"), format=fmt)
    triples = (t[:3] for t in graph.quads((None, None, None, None))) if dataset else iter(graph)
    return {tuple(str(x) for x in t) for t in triples}


@settings(max_examples=40, deadline=None, database=None)
@given(label=NASTY_TEXT, alias=NASTY_TEXT, predicate=NASTY_TEXT, source=NASTY_TEXT, extractor=NASTY_TEXT)
def test_nasty_strings_round_trip(label, alias, predicate, source, extractor) -> None:
    entities = from_rows(
        [dict(entity_id="e1", label=label, lang="bn", label_en=alias, type="PERSON", aliases=[alias], labels=[{"lang": "en", "text": label}], frequency=1)],
        ENTITIES,
    )
    edges = from_rows(
        [dict(edge_id="x", subject_id="e1", predicate=predicate, object_id="e1", doc_id="d", sentence=0, start=0, end=1, extractor=extractor, confidence=0.5, filter_score=0.5, kept=True)],
        SCORED_EDGES,
    )
    docs = from_rows([dict(doc_id="d", source=source, lang="en", text=label)], DOCUMENTS)
    quads = list(tables_to_quads(entities, edges, docs, include_text=True))
    expected = {(q.subject.value, q.predicate.value, q.object.value) for q in quads}
    triples = [q.triple for q in quads]
    for fmt, rdflib_fmt, items, dataset in (
        (RdfFormat.N_QUADS, "nquads", quads, True),
        (RdfFormat.TRIG, "trig", quads, True),
        (RdfFormat.N_TRIPLES, "nt", triples, False),
        (RdfFormat.TURTLE, "turtle", triples, False),
    ):
        data = serialize(items, format=fmt)
        assert {(q.subject.value, q.predicate.value, q.object.value) for q in parse(data, format=fmt)} == expected
        assert _rdflib_values(data, rdflib_fmt, dataset) == expected, fmt
