"""Typed tables that stages exchange: the only contract between stages.

Every stage reads and writes these Arrow tables (Parquet in the run
workspace, see :mod:`pipeline.workspace`). A stage never imports another
stage's internals; it imports this module.

Offsets are character offsets into ``documents.text`` (end exclusive).
Ids are strings so that they survive every export format unchanged.
"""

from __future__ import annotations

import pyarrow as pa

#: One row per ingested source document.
DOCUMENTS = pa.schema(
    [
        ("doc_id", pa.string()),  # content hash, see pipeline.ingest
        ("source", pa.string()),  # path (and line/row) it came from
        ("lang", pa.string()),  # ISO 639-1 code, or "und"
        ("text", pa.string()),  # as given: offsets index it; extraction normalises (pipeline.textnorm)
    ]
)

#: Inputs that could not be read, with a reason naming the source.
QUARANTINE = pa.schema(
    [
        ("source", pa.string()),
        ("stage", pa.string()),
        ("reason", pa.string()),
    ]
)

#: Documents an extractor failed on (retried by the next build).
EXTRACT_FAILURES = pa.schema([("doc_id", pa.string()), ("reason", pa.string())])

#: Entity mentions found by an extractor.
MENTIONS = pa.schema(
    [
        ("mention_id", pa.string()),  # f"{doc_id}:{start}-{end}"
        ("doc_id", pa.string()),
        ("sentence", pa.int32()),  # sentence index within the document
        ("start", pa.int32()),
        ("end", pa.int32()),
        ("text", pa.string()),  # canonical form: no article, no Bangla case ending ("বাংলাদেশ")
        ("surface", pa.string()),  # documents.text[start:end], as written ("বাংলাদেশের")
        ("label", pa.string()),  # coarse type, see ENTITY_TYPES
        ("lang", pa.string()),
        ("extractor", pa.string()),
        ("confidence", pa.float32()),
    ]
)

#: Relations between two mentions of the same document.
RELATIONS = pa.schema(
    [
        ("doc_id", pa.string()),
        ("sentence", pa.int32()),
        ("subject_mention", pa.string()),
        ("predicate", pa.string()),  # open predicate, lemmatised and short
        ("object_mention", pa.string()),
        ("start", pa.int32()),  # character span of the evidence
        ("end", pa.int32()),
        ("extractor", pa.string()),
        ("confidence", pa.float32()),
    ]
)

#: Canonical entities with stable ids (see pipeline.link.ids).
ENTITIES = pa.schema(
    [
        ("entity_id", pa.string()),
        ("label", pa.string()),  # canonical label in its own language
        ("lang", pa.string()),  # language of ``label``
        ("label_en", pa.string()),  # English equivalent, may be null
        ("type", pa.string()),  # coarse type, see ENTITY_TYPES
        ("aliases", pa.list_(pa.string())),  # other surface forms, any language
        ("labels", pa.list_(pa.struct([("lang", pa.string()), ("text", pa.string())]))),
        ("frequency", pa.int32()),  # number of mentions in the corpus
    ]
)

#: Which entity each mention resolved to.
MENTION_LINKS = pa.schema([("mention_id", pa.string()), ("entity_id", pa.string())])

#: Candidate edges between entities, one row per piece of evidence.
EDGES = pa.schema(
    [
        ("edge_id", pa.string()),  # stable hash of doc, offsets, predicate
        ("subject_id", pa.string()),
        ("predicate", pa.string()),
        ("object_id", pa.string()),
        ("doc_id", pa.string()),
        ("sentence", pa.int32()),
        ("start", pa.int32()),
        ("end", pa.int32()),
        ("extractor", pa.string()),
        ("confidence", pa.float32()),
    ]
)

#: Node features (one fixed-length vector per entity).
NODE_FEATURES = pa.schema([("entity_id", pa.string()), ("vector", pa.list_(pa.float32()))])

#: Candidate edges after the semantic filter.
SCORED_EDGES = EDGES.append(pa.field("filter_score", pa.float32())).append(pa.field("kept", pa.bool_()))

#: Learned embeddings, keyed by entity id or predicate.
ENTITY_EMBEDDINGS = pa.schema([("entity_id", pa.string()), ("vector", pa.list_(pa.float32()))])
RELATION_EMBEDDINGS = pa.schema([("predicate", pa.string()), ("vector", pa.list_(pa.float32()))])

#: One row per training epoch, for reports.
TRAINING_LOG = pa.schema([("epoch", pa.int32()), ("loss", pa.float32())])

#: Coarse entity types shared by every language; NER labels map onto them.
ENTITY_TYPES = ("PERSON", "PLACE", "ORGANIZATION", "EVENT", "WORK", "DATE", "QUANTITY", "LAW", "THING")

#: spaCy/OntoNotes and BanglaKit labels -> coarse types.
NER_TO_TYPE = {
    "PERSON": "PERSON",
    "PER": "PERSON",
    "NORP": "ORGANIZATION",
    "ORG": "ORGANIZATION",
    "GPE": "PLACE",
    "LOC": "PLACE",
    "FAC": "PLACE",
    "EVENT": "EVENT",
    "WORK_OF_ART": "WORK",
    "PRODUCT": "THING",
    "LANGUAGE": "THING",
    "LAW": "LAW",
    "DATE": "DATE",
    "TIME": "DATE",
    "CARDINAL": "QUANTITY",
    "QUANTITY": "QUANTITY",
    "MONEY": "QUANTITY",
    "PERCENT": "QUANTITY",
    "ORDINAL": "QUANTITY",
}


def coarse_type(ner_label: str) -> str:
    """Map any NER label onto :data:`ENTITY_TYPES` (unknown labels -> THING)."""
    upper = ner_label.upper()
    if upper in ENTITY_TYPES:
        return upper
    return NER_TO_TYPE.get(upper, "THING")


def empty(schema: pa.Schema) -> pa.Table:
    """An empty table of ``schema``: stages return it instead of None."""
    return schema.empty_table()


def from_rows(rows: list[dict], schema: pa.Schema) -> pa.Table:
    """Build a table from row dicts, checked against ``schema``."""
    return pa.Table.from_pylist(rows, schema=schema)
