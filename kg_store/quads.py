"""Typed tables -> RDF quads. This is the graph's shape; README quotes it.

Prefixes: ``kg: <{base}ontology#>``, ``schema: <https://schema.org/>``,
``skos:``, ``rdfs:``, ``xsd:``. ``{base}`` is ``StoreConfig.base_iri``.

Graph ``<{base}graph/entities>`` describes entities and relations::

    <{base}entity/{entity_id}> a schema:Person ;        # type via vocab.TYPE_CLASSES
        rdfs:label "ঢাকা"@bn, "Dhaka"@en ;             # label@lang, label_en@en, every labels[] struct
        skos:altLabel "Dacca"@en ;                      # aliases: @bn if Bengali script, @en if Latin
        kg:frequency 12 .
    <{base}relation/{slug}> a rdf:Property ; rdfs:label "was born in" .

One named graph per document, ``<{base}document/{doc_id}>``, holds its
provenance and its kept facts::

    <{base}document/{doc_id}> a kg:Document ; kg:source "corpus.jsonl:3" ; kg:lang "en" .
    <{base}assertion/{edge_id}> a kg:Assertion ;
        kg:subject <{base}entity/…> ; kg:predicate <{base}relation/…> ; kg:object <{base}entity/…> ;
        kg:document <{base}document/{doc_id}> ; kg:sentence 0 ; kg:start 0 ; kg:end 31 ;
        kg:extractor "spacy" ; kg:confidence 0.9e0 ; kg:filterScore 0.75e0 ; kg:kept true .
    <{base}entity/…> <{base}relation/…> <{base}entity/…> .    # only when kept

Every edge keeps an assertion node, so dropped edges stay auditable; only
kept edges become plain triples. Queries see the union of all graphs as the
default graph: ``SELECT ?s ?o { ?s rel:wasBornIn ?o }`` lists kept facts,
and ``?a kg:subject ?s ; kg:document ?d ; kg:confidence ?c`` their
provenance. Re-loading a document means dropping its graph first
(``Store.replace_documents``). Named graphs beat RDF-star here: Oxigraph has
no triple-term indexes.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable, Iterator
from itertools import chain

import pyarrow as pa
from pyoxigraph import Literal, NamedNode, Quad

from kg_store.iri import assertion_iri, document_iri, entity_iri, relation_iri
from kg_store.vocab import DEFAULT_BASE_IRI, RDF_PROPERTY, RDF_TYPE, RDFS_LABEL, SKOS_ALT_LABEL, Vocab

_BATCH_ROWS = 10_000
_LANG_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_BENGALI = re.compile(r"[\u0980-\u09FF]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")


def _rows(table: pa.Table) -> Iterator[dict]:
    """Rows in batches, so a large table is never turned into Python whole."""
    for batch in table.to_batches(max_chunksize=_BATCH_ROWS):
        yield from batch.to_pylist()


def _text(value: str) -> str:
    """Lone surrogates cannot be UTF-8 (pyoxigraph refuses them): replace them with U+FFFD."""
    return _SURROGATE.sub("\ufffd", value) if value else value


def _lang_literal(text: str | None, lang: str | None) -> Literal | None:
    if text is None or not text.strip():
        return None
    tag = (lang or "").replace("_", "-")
    return Literal(_text(text), language=tag) if _LANG_TAG.match(tag) else Literal(_text(text))


def _guess_lang(text: str) -> str | None:
    """Aliases carry no language: Bengali script -> bn, Latin -> en, else none."""
    if _BENGALI.search(text):
        return "bn"
    return "en" if _LATIN.search(text) else None


def _f32(value: float) -> float:
    """The shortest decimal that is the same float32 (0.9, not 0.8999999761)."""
    packed = struct.pack("f", value)
    for digits in range(6, 10):
        short = float(f"{value:.{digits}g}")
        if struct.pack("f", short) == packed:
            return short
    return value


def _double(value: float | None) -> Literal | None:
    return None if value is None else Literal(_f32(float(value)))


def entity_quads(entities: pa.Table, *, base_iri: str | Vocab = DEFAULT_BASE_IRI) -> Iterator[Quad]:
    """Type, labels, aliases and frequency of every entity, in the entities graph."""
    vocab = base_iri if isinstance(base_iri, Vocab) else Vocab(base_iri)
    graph, kg = vocab.entities_graph, vocab.kg
    for row in _rows(entities):
        node = entity_iri(row["entity_id"], vocab)
        yield Quad(node, RDF_TYPE, vocab.type_class(row.get("type")), graph)
        labels = [(row.get("label"), row.get("lang")), (row.get("label_en"), "en")]
        labels += [(item.get("text"), item.get("lang")) for item in row.get("labels") or ()]
        names = [(RDFS_LABEL, _lang_literal(text, lang)) for text, lang in labels]
        names += [(SKOS_ALT_LABEL, _lang_literal(a, _guess_lang(a or ""))) for a in row.get("aliases") or ()]
        for predicate, literal in dict.fromkeys(names):  # each label once, in order
            if literal is not None:
                yield Quad(node, predicate, literal, graph)
        if row.get("frequency") is not None:
            yield Quad(node, kg.frequency, Literal(int(row["frequency"])), graph)


def relation_quads(predicates: Iterable[str], *, base_iri: str | Vocab = DEFAULT_BASE_IRI) -> Iterator[Quad]:
    """Each relation once, labelled with every predicate string that maps to it."""
    vocab = base_iri if isinstance(base_iri, Vocab) else Vocab(base_iri)
    graph, seen = vocab.entities_graph, set()
    for predicate in predicates:
        predicate = predicate or ""
        if predicate in seen:
            continue
        seen.add(predicate)
        node = relation_iri(predicate, vocab)
        yield Quad(node, RDF_TYPE, RDF_PROPERTY, graph)
        if predicate.strip():
            yield Quad(node, RDFS_LABEL, Literal(_text(predicate)), graph)


def document_quads(
    documents: pa.Table,
    scored_edges: pa.Table,
    *,
    base_iri: str | Vocab = DEFAULT_BASE_IRI,
    include_text: bool = False,
) -> Iterator[Quad]:
    """Document nodes, assertion nodes and kept facts, each in its document's graph."""
    vocab = base_iri if isinstance(base_iri, Vocab) else Vocab(base_iri)
    kg = vocab.kg
    for row in _rows(documents):
        doc = document_iri(row["doc_id"], vocab)
        yield Quad(doc, RDF_TYPE, kg.Document, doc)
        for term, key in ((kg.source, "source"), (kg.lang, "lang")) + (((kg.text, "text"),) if include_text else ()):
            if row.get(key) is not None:
                yield Quad(doc, term, Literal(_text(row[key])), doc)
    for row in _rows(scored_edges):
        yield from _edge_quads(row, vocab)


def _edge_quads(row: dict, vocab: Vocab) -> Iterator[Quad]:
    kg, doc = vocab.kg, document_iri(row["doc_id"], vocab)
    node = assertion_iri(row["edge_id"], vocab)
    subject, obj = entity_iri(row["subject_id"], vocab), entity_iri(row["object_id"], vocab)
    relation = relation_iri(row["predicate"] or "", vocab)
    kept = bool(row.get("kept"))
    values: list[tuple[NamedNode, object]] = [
        (RDF_TYPE, kg.Assertion),
        (kg.subject, subject),
        (kg.predicate, relation),
        (kg.object, obj),
        (kg.document, doc),
        (kg.confidence, _double(row.get("confidence"))),
        (kg.filterScore, _double(row.get("filter_score"))),
        (kg.kept, Literal(kept)),
    ]
    for key in ("sentence", "start", "end"):
        if row.get(key) is not None:
            values.append((kg[key], Literal(int(row[key]))))
    if row.get("extractor") is not None:
        values.append((kg.extractor, Literal(_text(row["extractor"]))))
    for predicate, value in values:
        if value is not None:
            yield Quad(node, predicate, value, doc)
    if kept:
        yield Quad(subject, relation, obj, doc)


def edge_doc_ids(scored_edges: pa.Table) -> set[str]:
    """Documents that edges point into (their graphs must be replaced too)."""
    return {d for d in scored_edges.column("doc_id").to_pylist() if d is not None}


def tables_to_quads(
    entities: pa.Table,
    scored_edges: pa.Table,
    documents: pa.Table,
    *,
    base_iri: str = DEFAULT_BASE_IRI,
    include_text: bool = False,
) -> Iterator[Quad]:
    """Every quad of the graph: entities graph first, then one graph per document."""
    vocab = Vocab(base_iri)
    predicates = (p for batch in scored_edges.column("predicate").chunks for p in batch.to_pylist())
    return chain(
        entity_quads(entities, base_iri=vocab),
        relation_quads(predicates, base_iri=vocab),
        document_quads(documents, scored_edges, base_iri=vocab, include_text=include_text),
    )
