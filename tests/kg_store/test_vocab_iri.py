"""IRI minting and vocabulary: readable slugs, always-valid IRIs."""

from __future__ import annotations

import pytest
import rdflib
from hypothesis import given, settings
from hypothesis import strategies as st
from pyoxigraph import NamedNode, RdfFormat, Triple, parse, serialize

from kg_store.config import StoreConfig
from kg_store.iri import MAX_SLUG_CHARS, assertion_iri, document_iri, entity_iri, relation_iri, slug
from kg_store.vocab import SCHEMA, Vocab

NASTY = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from(list('"<>\n\r\t\\{}|^` \u202e\u200b\u200d\ufeffকখা্ 😀👍🏽é%#?/.')), max_size=30),
)


@pytest.mark.parametrize(
    ("predicate", "expected"),
    [
        ("was born in", "wasBornIn"),
        ("isPartOf", "isPartOf"),
        ("CEO of", "ceoOf"),
        ("located_in", "locatedIn"),
        ('say "hi" <now>', "sayHiNow"),
        ("bo\u200brn\u202e in", "bornIn"),  # zero-width and RTL marks vanish
        ("জন্ম নেন", "জন্ম_নেন"),  # Bangla stays readable (IRIs allow it)
        ("born in ঢাকা", "born_in_ঢাকা"),
        ("👍", "%F0%9F%91%8D"),
    ],
)
def test_slug_examples(predicate: str, expected: str) -> None:
    assert slug(predicate) == expected


@pytest.mark.parametrize("predicate", ["", "   ", "!!", "\u200b", "\n"])
def test_slug_never_empty(predicate: str) -> None:
    assert slug(predicate).startswith("rel-") and len(slug(predicate)) > 4


def test_long_predicates_are_cut_but_stay_distinct() -> None:
    a, b = "x" * 200 + " a", "x" * 200 + " b"
    assert len(slug(a)) <= MAX_SLUG_CHARS and slug(a) != slug(b)


@settings(max_examples=150, deadline=None, database=None)
@given(NASTY)
def test_any_predicate_mints_a_valid_iri(predicate: str) -> None:
    iri = relation_iri(predicate)  # pyoxigraph validates the IRI
    assert iri.value.startswith("https://kg-pipeline.example.org/relation/") and slug(predicate)
    assert slug(predicate) == slug(predicate)
    data = serialize([Triple(iri, iri, iri)], format=RdfFormat.N_TRIPLES)
    assert [q.subject for q in parse(data, format=RdfFormat.N_TRIPLES)] == [iri]
    graph = rdflib.Graph().parse(data=data.decode("utf-8"), format="nt")
    assert [str(s) for s in graph.subjects()] == [iri.value]


@settings(max_examples=60, deadline=None, database=None)
@given(st.text(min_size=1))
def test_any_id_mints_a_valid_iri(value: str) -> None:
    for mint in (entity_iri, document_iri, assertion_iri):
        assert isinstance(mint(value), NamedNode)


def test_hash_ids_stay_verbatim_and_empty_ids_fail() -> None:
    assert entity_iri("3f2a9c").value == "https://kg-pipeline.example.org/entity/3f2a9c"
    assert document_iri("..").value.endswith("/document/%2E%2E")
    with pytest.raises(ValueError, match="empty entity id"):
        entity_iri("")


def test_base_iri_from_config() -> None:
    config = StoreConfig(base_iri="http://example.org/kg")
    assert config.base_iri == "http://example.org/kg/"
    vocab = Vocab(config.base_iri)
    assert entity_iri("e1", vocab).value == "http://example.org/kg/entity/e1"
    assert vocab.kg.Assertion.value == "http://example.org/kg/ontology#Assertion"
    with pytest.raises(ValueError):
        StoreConfig(base_iri="not an iri")


def test_type_classes() -> None:
    vocab = Vocab()
    assert vocab.type_class("PERSON").value == SCHEMA + "Person"
    assert vocab.type_class("WORK").value == SCHEMA + "CreativeWork"
    assert vocab.type_class("LAW").value == SCHEMA + "Legislation"
    assert vocab.type_class("DATE") == vocab.kg.Date  # schema:Date is a datatype, not a class
    assert vocab.type_class("NOT_A_TYPE").value == SCHEMA + "Thing"
    with pytest.raises(AttributeError, match="not a term"):
        vocab.kg.Asertion
