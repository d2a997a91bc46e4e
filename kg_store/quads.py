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
        kg:evidence "Rahim was born in Dhaka." ;             # text[start:end] of the document
        kg:subjectStart 0 ; kg:subjectEnd 5 ; kg:objectStart 18 ; kg:objectEnd 23 ;   # offsets into kg:evidence
        kg:extractor "spacy" ; kg:confidence 0.9e0 ; kg:filterScore 0.75e0 ; kg:kept true .
    <{base}entity/…> <{base}relation/…> <{base}entity/…> .    # only when kept

``kg:start``/``kg:end`` are character offsets of the evidence (the
sentence) in the document as given; ``kg:evidence`` is that text, so a
provenance query answers a sentence without ``[store] include_text``. The
``kg:subject*``/``kg:object*`` offsets (into the evidence) are there when
the mention of that entity in the sentence is known (:func:`with_evidence`).

Every edge keeps an assertion node, so dropped edges stay auditable; only
kept edges become plain triples. Queries see the union of all graphs as the
default graph: ``SELECT ?s ?o { ?s rel:wasBornIn ?o }`` lists kept facts,
and ``?a kg:subject ?s ; kg:document ?d ; kg:confidence ?c`` their
provenance. Re-loading a document means dropping its graph first
(``run_store`` drops them, then loads). Named graphs beat RDF-star here: Oxigraph has
no triple-term indexes.

How: every table batch is turned into N-Quads text by Arrow string
kernels, column by column, not row by row in Python: 1M quads take about a
second this way against ten through ``pyoxigraph.Quad`` objects, so the
store loads at close to raw ``Store.bulk_load`` speed. Only the few unique
predicates, types and odd (non-hash) ids go through Python. The ``*_quads``
functions parse that text back into ``pyoxigraph.Quad`` objects for callers
that want terms.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from itertools import chain

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyoxigraph import Literal, Quad, RdfFormat, parse, serialize

from kg_store.iri import encode_segment, relation_iri, slug
from kg_store.vocab import (
    DEFAULT_BASE_IRI,
    RDF_PROPERTY,
    RDF_TYPE,
    RDFS_LABEL,
    SKOS_ALT_LABEL,
    XSD,
    Vocab,
)

#: Rows turned into text at a time (about 150 MB of N-Quads for edges).
BATCH_ROWS = 50_000
_LANG_TAG = r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$"
_PLAIN_ID = r"^[A-Za-z0-9_~-]([A-Za-z0-9._~-]*[A-Za-z0-9_~-])?$"  # encode_segment leaves these as they are
_BENGALI = "[\u0980-\u09FF]"
_LATIN = "[A-Za-z\u00C0-\u024F]"
_SURROGATE = re.compile("[\ud800-\udfff]")
_INTEGER, _DOUBLE, _BOOLEAN = (f"^^<{XSD}{t}>" for t in ("integer", "double", "boolean"))
_TRUE, _FALSE = f'"true"{_BOOLEAN}', f'"false"{_BOOLEAN}'


def _iri(node) -> str:
    return f"<{node.value}>"


def _text(value: str) -> str:
    """Lone surrogates cannot be UTF-8 (pyoxigraph refuses them): replace them with U+FFFD."""
    return _SURROGATE.sub("\ufffd", value) if value else value


def _join(*parts, null_handling: str = "emit_null") -> pa.Array:
    """Element-wise concatenation of string arrays and str scalars (null in, null out)."""
    return pc.binary_join_element_wise(*parts, "", null_handling=null_handling)


def _quoted(column: pa.Array) -> pa.Array:
    """``"text"`` with the N-Quads ECHAR escapes; every other character stays raw."""
    for raw, escaped in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r")):
        column = pc.replace_substring(column, raw, escaped)
    return _join('"', column, '"')


def _nonblank(column: pa.Array) -> pa.Array:
    return pc.if_else(pc.not_equal(pc.utf8_trim_whitespace(column), ""), column, None)


def _lang_literal(text: pa.Array, lang: pa.Array | str) -> pa.Array:
    """``"text"@tag``, or a plain literal when ``lang`` is not a language tag; null for blank text."""
    if isinstance(lang, str):
        lang = pa.array([lang] * len(text), pa.string())
    tag = pc.utf8_lower(pc.replace_substring(pc.fill_null(lang, ""), "_", "-"))
    quoted = _quoted(_nonblank(text))
    return pc.if_else(pc.match_substring_regex(tag, _LANG_TAG), _join(quoted, "@", tag), quoted)


def _number(column: pa.Array, datatype: str) -> pa.Array:
    text = column.cast(pa.string())
    if pa.types.is_floating(column.type):  # xsd:double spells these NaN, INF, -INF
        for arrow, xsd in (("^nan$", "NaN"), ("^inf$", "INF"), ("^-inf$", "-INF")):
            text = pc.replace_substring_regex(text, arrow, xsd)
    return _join('"', text, '"', datatype)


def _mapped(column: pa.Array, fn: Callable[[str], str]) -> pa.Array:
    """``fn`` applied to each distinct value once, spread back over the column (nulls stay null)."""
    distinct = pc.unique(column).drop_null()
    images = pa.array([fn(v) for v in distinct.to_pylist()], pa.string())
    return pc.take(images, pc.index_in(column, value_set=distinct))


def _check_ids(column: pa.Array | pa.ChunkedArray, kind: str) -> None:
    if column.null_count or pc.any(pc.equal(column, "")).as_py():
        bad = next(v for v in column.to_pylist() if not v)
        raise ValueError(f"cannot mint a {kind} IRI from an empty {kind} id (got {bad!r})")


def _segments(column: pa.Array, kind: str) -> pa.Array:
    """IRI path segments for ids: hash-like ids as they are, others through encode_segment."""
    _check_ids(column, kind)
    plain = pc.match_substring_regex(column, _PLAIN_ID)
    if pc.all(plain).as_py():
        return column
    return pc.if_else(plain, column, _mapped(pc.if_else(plain, None, column), encode_segment))


def _nodes(column: pa.Array, namespace: str, kind: str) -> pa.Array:
    return _join("<" + namespace, _segments(column, kind), ">")


def _lines(subject, predicate, obj, graph) -> pa.Array:
    """One N-Quads line per row; null where the object is null (nothing to say)."""
    return _join(subject, " ", predicate, " ", obj, " ", graph, " .\n")


def _rows_text(*lines: pa.Array) -> pa.Array:
    """Each row's lines in one string, so a subject's quads stay together."""
    return _join(*lines, null_handling="skip")


def _to_bytes(blocks: Iterable[pa.Array]) -> bytes:
    parts = [b for b in blocks if len(b)]
    if not parts:
        return b""
    text = pa.concat_arrays([p.cast(pa.large_string()) for p in parts]).drop_null()
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)
    start, end = offsets[text.offset], offsets[text.offset + len(text)]
    return text.buffers()[2][start:end].to_pybytes()


def _batches(table: pa.Table) -> Iterator[pa.RecordBatch]:
    yield from table.to_batches(max_chunksize=BATCH_ROWS)


def _vocab(base_iri: str | Vocab) -> Vocab:
    return base_iri if isinstance(base_iri, Vocab) else Vocab(base_iri)


def _list_literals(items: pa.Array, subjects: pa.Array, predicate: str, graph: str, lang_of) -> pa.Array:
    """Lines for a list column: one per item, subject taken from the item's row."""
    values = pc.list_flatten(items)
    owners = pc.take(subjects, pc.list_parent_indices(items))
    return _lines(owners, predicate, lang_of(values), graph)


def entity_nquads(entities: pa.Table, *, base_iri: str | Vocab = DEFAULT_BASE_IRI) -> Iterator[bytes]:
    """N-Quads of every entity's type, labels, aliases and frequency, in the entities graph."""
    vocab = _vocab(base_iri)
    graph, label, alt = _iri(vocab.entities_graph), _iri(RDFS_LABEL), _iri(SKOS_ALT_LABEL)
    type_iri = lambda t: _iri(vocab.type_class(t))  # noqa: E731
    for batch in _batches(entities):
        col = batch.column
        node = _nodes(col("entity_id"), vocab.entity_ns, "entity")
        per_row = _rows_text(
            _lines(node, _iri(RDF_TYPE), _mapped(pc.fill_null(col("type"), ""), type_iri), graph),
            _lines(node, label, _lang_literal(col("label"), col("lang")), graph),
            _lines(node, label, _lang_literal(col("label_en"), "en"), graph),
            _lines(node, _iri(vocab.kg.frequency), _number(col("frequency"), _INTEGER), graph),
        )
        labels = pc.list_flatten(col("labels"))
        label_rows = pc.take(node, pc.list_parent_indices(col("labels")))
        label_lines = _lines(
            label_rows, label, _lang_literal(pc.struct_field(labels, "text"), pc.struct_field(labels, "lang")), graph
        )
        alias_lines = _list_literals(col("aliases"), node, alt, graph, _guessed_lang_literal)
        yield _to_bytes([per_row, label_lines, alias_lines])


def _guessed_lang_literal(text: pa.Array) -> pa.Array:
    """Aliases carry no language: Bengali script -> bn, Latin -> en, else none."""
    lang = pc.if_else(
        pc.match_substring_regex(text, _BENGALI), "bn", pc.if_else(pc.match_substring_regex(text, _LATIN), "en", "")
    )
    return _lang_literal(text, lang)


def relation_quads(predicates: Iterable[str], *, base_iri: str | Vocab = DEFAULT_BASE_IRI) -> Iterator[Quad]:
    """Each relation once, labelled with every predicate string that maps to it."""
    vocab = _vocab(base_iri)
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


def document_nquads(
    documents: pa.Table,
    scored_edges: pa.Table,
    *,
    base_iri: str | Vocab = DEFAULT_BASE_IRI,
    include_text: bool = False,
) -> Iterator[bytes]:
    """N-Quads of document nodes, assertion nodes and kept facts, each in its document's graph."""
    vocab = _vocab(base_iri)
    kg = vocab.kg
    for batch in _batches(documents):
        col = batch.column
        doc = _nodes(col("doc_id"), vocab.document_ns, "document")
        fields = [(kg.source, "source"), (kg.lang, "lang")] + ([(kg.text, "text")] if include_text else [])
        yield _to_bytes([_rows_text(
            _lines(doc, _iri(RDF_TYPE), _iri(kg.Document), doc),
            *(_lines(doc, _iri(term), _quoted(col(key)), doc) for term, key in fields),
        )])
    for batch in _batches(scored_edges):
        yield _to_bytes([_edge_lines(batch, vocab)])


def _edge_lines(batch: pa.RecordBatch, vocab: Vocab) -> pa.Array:
    kg, col = vocab.kg, batch.column
    doc = _nodes(col("doc_id"), vocab.document_ns, "document")
    node = _nodes(col("edge_id"), vocab.assertion_ns, "edge")
    subject = _nodes(col("subject_id"), vocab.entity_ns, "entity")
    obj = _nodes(col("object_id"), vocab.entity_ns, "entity")
    relation = _mapped(pc.fill_null(col("predicate"), ""), lambda p: f"<{vocab.relation_ns}{slug(p)}>")
    kept = pc.fill_null(col("kept"), False)
    values = [
        (RDF_TYPE, _iri(kg.Assertion)),
        (kg.subject, subject),
        (kg.predicate, relation),
        (kg.object, obj),
        (kg.document, doc),
        (kg.confidence, _number(col("confidence"), _DOUBLE)),
        (kg.filterScore, _number(col("filter_score"), _DOUBLE)),
        (kg.kept, pc.if_else(kept, _TRUE, _FALSE)),
        *((kg[key], _number(col(key), _INTEGER)) for key in ("sentence", "start", "end")),
        (kg.extractor, _quoted(col("extractor"))),
    ]
    if "evidence" in batch.schema.names:  # null cells (unknown text or span) give no line
        values.append((kg.evidence, _quoted(col("evidence"))))
        values.extend((kg[term], _number(col(key), _INTEGER)) for key, term in _SPAN_COLUMNS.items())
    fact = _lines(subject, relation, pc.if_else(kept, obj, None), doc)
    return _rows_text(*(_lines(node, _iri(p), value, doc) for p, value in values), fact)


_SPAN_COLUMNS = {"subject_start": "subjectStart", "subject_end": "subjectEnd",
                 "object_start": "objectStart", "object_end": "objectEnd"}


def with_evidence(scored_edges: pa.Table, documents: pa.Table, mentions: pa.Table | None = None) -> pa.Table:
    """``scored_edges`` plus ``evidence`` (``text[start:end]`` of its document) and the subject's and
    object's span in it (``subject_start`` … ``object_end``, offsets into ``evidence``).

    ``mentions`` has ``doc_id``, ``entity_id``, ``start``, ``end`` (mentions joined with their
    links); an entity's span is its first mention inside the evidence. Unknown: null.
    """
    texts = dict(zip(documents.column("doc_id").to_pylist(), documents.column("text").to_pylist()))
    spans: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    if mentions is not None:
        for doc, entity, start, end in zip(*(mentions.column(c).to_pylist() for c in ("doc_id", "entity_id", "start", "end"))):
            if None not in (doc, entity, start, end):
                spans[doc, entity].append((start, end))
        for found in spans.values():
            found.sort()
    out: dict[str, list] = {"evidence": [], **{key: [] for key in _SPAN_COLUMNS}}
    rows = zip(*(scored_edges.column(c).to_pylist() for c in ("doc_id", "subject_id", "object_id", "start", "end")))
    for doc, subject, obj, start, end in rows:
        text = texts.get(doc)
        known = text is not None and start is not None and end is not None and 0 <= start <= end <= len(text)
        out["evidence"].append(_text(text[start:end]) if known else None)
        for entity, side in ((subject, "subject"), (obj, "object")):
            span = next(((a - start, b - start) for a, b in spans.get((doc, entity), ()) if start <= a and b <= end),
                        None) if known else None
            out[f"{side}_start"].append(span and span[0])
            out[f"{side}_end"].append(span and span[1])
    table = scored_edges
    for key, values in out.items():
        column = pa.array(values, pa.string() if key == "evidence" else pa.int32())
        table = table.set_column(table.schema.get_field_index(key), key, column) if key in table.schema.names \
            else table.append_column(key, column)
    return table


def parse_nquads(chunks: Iterable[bytes]) -> Iterator[Quad]:
    """Quads of N-Quads text given in chunks of whole lines."""
    for chunk in chunks:
        if chunk:
            yield from parse(chunk, format=RdfFormat.N_QUADS)


def document_quads(
    documents: pa.Table,
    scored_edges: pa.Table,
    *,
    base_iri: str | Vocab = DEFAULT_BASE_IRI,
    include_text: bool = False,
) -> Iterator[Quad]:
    """:func:`document_nquads` as ``Quad`` objects."""
    return parse_nquads(document_nquads(documents, scored_edges, base_iri=base_iri, include_text=include_text))


def relation_nquads(predicates: Iterable[str], *, base_iri: str | Vocab = DEFAULT_BASE_IRI) -> Iterator[bytes]:
    """:func:`relation_quads` as N-Quads (there are few relations: Python is fine)."""
    yield serialize(relation_quads(predicates, base_iri=base_iri), format=RdfFormat.N_QUADS) or b""


def edge_doc_ids(scored_edges: pa.Table) -> set[str]:
    """Documents that edges point into (their graphs must be replaced too)."""
    return {d for d in pc.unique(scored_edges.column("doc_id")).to_pylist() if d is not None}


def tables_to_nquads(
    entities: pa.Table,
    scored_edges: pa.Table,
    documents: pa.Table,
    *,
    base_iri: str = DEFAULT_BASE_IRI,
    include_text: bool = False,
    include_evidence: bool = True,
    mentions: pa.Table | None = None,
) -> Iterator[bytes]:
    """The whole graph as N-Quads chunks: entities graph first, then the document graphs.

    Ids are checked here, before any text is made, so a caller can drop old
    graphs knowing that the load will not fail half way on a bad id. With
    ``include_evidence``, assertions carry their sentence (:func:`with_evidence`,
    which reads ``mentions`` for the subject and object spans).
    """
    vocab = Vocab(base_iri)
    for table, columns in ((entities, {"entity_id": "entity"}), (documents, {"doc_id": "document"}),
                           (scored_edges, {"edge_id": "edge", "subject_id": "entity", "object_id": "entity",
                                           "doc_id": "document"})):
        for name, kind in columns.items():
            _check_ids(table.column(name), kind)
    predicates = pc.unique(scored_edges.column("predicate")).to_pylist()
    if include_evidence:
        scored_edges = with_evidence(scored_edges, documents, mentions)
    return chain(
        entity_nquads(entities, base_iri=vocab),
        relation_nquads(predicates, base_iri=vocab),
        document_nquads(documents, scored_edges, base_iri=vocab, include_text=include_text),
    )


def tables_to_quads(
    entities: pa.Table,
    scored_edges: pa.Table,
    documents: pa.Table,
    *,
    base_iri: str = DEFAULT_BASE_IRI,
    include_text: bool = False,
    include_evidence: bool = True,
    mentions: pa.Table | None = None,
) -> Iterator[Quad]:
    """Every quad of the graph (:func:`tables_to_nquads` parsed)."""
    return parse_nquads(tables_to_nquads(entities, scored_edges, documents, base_iri=base_iri, include_text=include_text,
                                         include_evidence=include_evidence, mentions=mentions))
