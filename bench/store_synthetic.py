"""Synthetic ``entities``/``scored_edges``/``documents`` tables of a chosen size.

Shared by ``bench/store_load.py``, ``bench/sparql_load.py`` and the kill -9
test. The shape follows what the pipeline writes (pipeline.schema): hash
ids, Bangla and English labels, ~1 in 5 edges dropped by the filter. One
kept edge becomes 13 quads, a dropped one 12, an entity about 5, a document
3, so ``quads_target`` is met within a few percent.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa

from pipeline.schema import DOCUMENTS, ENTITIES, SCORED_EDGES

_PREDICATES = ["born in", "wrote", "lives in", "member of", "capital of", "জন্ম নেন", "লিখেছেন", "part of",
               "founded", "located in", "studied at", "married to"]
_TYPES = ["PERSON", "PLACE", "ORGANIZATION", "WORK", "EVENT", "THING"]


def _ids(prefix: str, n: int) -> list[str]:
    return [hashlib.sha1(f"{prefix}{i}".encode()).hexdigest()[:16] for i in range(n)]


def synthetic_tables(quads_target: int = 1_000_000, seed: int = 0) -> tuple[pa.Table, pa.Table, pa.Table]:
    """(entities, scored_edges, documents) that store as about ``quads_target`` quads."""
    rng = np.random.default_rng(seed)
    n_edges = max(1, int(quads_target * 0.85 / 12.8))
    n_entities = max(2, int(quads_target * 0.12 / 5))
    n_docs = max(1, n_edges // 12)
    entity_ids, doc_ids, edge_ids = _ids("e", n_entities), _ids("d", n_docs), _ids("x", n_edges)
    bangla = rng.random(n_entities) < 0.5
    # Zipf-like popularity: a few hubs and a long tail, as real graphs have.
    popularity = np.minimum(rng.zipf(1.6, size=2 * n_edges) - 1, n_entities - 1)
    subjects, objects = popularity[:n_edges], popularity[n_edges:]
    entities = pa.table(
        {
            "entity_id": entity_ids,
            "label": [f"নাম {i}" if b else f"Name {i}" for i, b in enumerate(bangla)],
            "lang": ["bn" if b else "en" for b in bangla],
            "label_en": [f"Name {i}" for i in range(n_entities)],
            "type": [_TYPES[i % len(_TYPES)] for i in range(n_entities)],
            "aliases": [[f"N{i}"] if i % 3 == 0 else [] for i in range(n_entities)],
            "labels": [[] for _ in range(n_entities)],
            "frequency": rng.integers(1, 50, n_entities).astype(np.int32),
        },
        schema=ENTITIES,
    )
    starts = rng.integers(0, 2000, n_edges).astype(np.int32)
    edges = pa.table(
        {
            "edge_id": edge_ids,
            "subject_id": [entity_ids[i] for i in subjects],
            "predicate": [_PREDICATES[i] for i in rng.integers(0, len(_PREDICATES), n_edges)],
            "object_id": [entity_ids[i] for i in objects],
            "doc_id": [doc_ids[i % n_docs] for i in range(n_edges)],
            "sentence": rng.integers(0, 30, n_edges).astype(np.int32),
            "start": starts,
            "end": starts + rng.integers(5, 120, n_edges).astype(np.int32),
            "extractor": np.where(rng.random(n_edges) < 0.7, "spacy", "llm"),
            "confidence": rng.random(n_edges).astype(np.float32),
            "filter_score": rng.random(n_edges).astype(np.float32),
            "kept": rng.random(n_edges) < 0.8,
        },
        schema=SCORED_EDGES,
    )
    documents = pa.table(
        {
            "doc_id": doc_ids,
            "source": [f"corpus.jsonl:{i + 1}" for i in range(n_docs)],
            "lang": ["bn" if i % 2 else "en" for i in range(n_docs)],
            "text": [""] * n_docs,
        },
        schema=DOCUMENTS,
    )
    return entities, edges, documents


def synthetic_workspace(folder, quads_target: int, seed: int = 0):
    """A workspace at ``folder`` holding :func:`synthetic_tables` and a store loaded from them.

    Returns the workspace, the entities table (for lookups by entity id) and the store's quad count.
    """
    from kg_store.api import store_workspace
    from pipeline.workspace import Workspace

    workspace = Workspace(folder)
    tables = synthetic_tables(quads_target, seed)
    for name, table, schema in zip(("entities", "scored_edges", "documents"), tables,
                                   (ENTITIES, SCORED_EDGES, DOCUMENTS), strict=True):
        workspace.write(name, table, schema)
    return workspace, tables[0], store_workspace(workspace).quads
