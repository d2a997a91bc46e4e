"""Export: the built graph and its vectors in the formats downstream tools read.

Written to ``WORKSPACE/exports/``:

* ``triples.tsv`` (head, relation, tail by entity id; PyKEEN
  ``TriplesFactory.from_path`` reads it) and ``entities.tsv`` (id map with
  labels and types);
* OpenKE: ``entity2id.txt``, ``relation2id.txt``, ``train2id.txt``;
* RDF: ``graph.nq`` (every named graph, with provenance) and ``graph.nt``
  (entity descriptions and kept facts);
* vectors: ``entity_emb.txt`` / ``rel_emb.txt`` (DKPLM/EasyNLP: one
  comma-separated vector per line, line index = id in entity2id /
  relation2id), ``entity_embeddings.npy`` / ``relation_embeddings.npy`` in
  the same order, and ``entity_vectors.w2v.txt`` (word2vec text format);
* ``datacard.json``: counts, languages, models and metrics.

Entities without a learned vector (no kept edge) get a zero row so that line
numbers stay equal to ids; the data card counts them.
"""

from __future__ import annotations

import csv
import logging
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa

from pipeline.export.config import ExportConfig
from pipeline.workspace import Workspace

log = logging.getLogger(__name__)


def _facts(scored_edges: pa.Table, include_dropped: bool) -> list[tuple[str, str, str]]:
    """Unique (subject, predicate, object) facts in first-seen order."""
    rows = scored_edges.select(["subject_id", "predicate", "object_id", "kept"]).to_pylist()
    seen = {(r["subject_id"], r["predicate"], r["object_id"]): None for r in rows if include_dropped or r["kept"]}
    return list(seen)


def _write_tsv(path: Path, rows, header: list[str] | None = None) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        if header:
            writer.writerow(header)
        writer.writerows(rows)


def _vector_matrix(ids: list[str], table: pa.Table, key: str) -> tuple[np.ndarray, int]:
    """Rows aligned with ``ids``; missing ids get zeros. Returns (matrix, missing)."""
    vectors = dict(zip(table.column(key).to_pylist(), table.column("vector").to_pylist()))
    dim = len(next(iter(vectors.values()))) if vectors else 0
    matrix = np.zeros((len(ids), dim), dtype=np.float32)
    missing = 0
    for i, name in enumerate(ids):
        if name in vectors:
            matrix[i] = vectors[name]
        else:
            missing += 1
    return matrix, missing


def _write_vectors(out: Path, npy_name: str, txt_name: str, matrix: np.ndarray) -> None:
    np.save(out / npy_name, matrix)
    with (out / txt_name).open("w", encoding="utf-8") as handle:
        for row in matrix:
            handle.write(",".join(f"{v:.6g}" for v in row) + "\n")


def run_export(workspace: Workspace, *, config: ExportConfig = ExportConfig(),
               base_iri: str = "https://kg-pipeline.example.org/") -> dict:
    """Write every export format from the workspace tables; returns counts and paths."""
    import pyoxigraph

    from kg_store.quads import tables_to_quads

    out = workspace.exports_dir
    entities = workspace.read("entities")
    scored = workspace.read("scored_edges")
    documents = workspace.read("documents")
    facts = _facts(scored, config.include_dropped)

    entity_ids = entities.column("entity_id").to_pylist()
    relations = sorted({p for _, p, _ in facts} | set(scored.column("predicate").to_pylist()))
    entity_index = {e: i for i, e in enumerate(entity_ids)}
    relation_index = {r: i for i, r in enumerate(relations)}

    _write_tsv(out / "triples.tsv", facts)
    _write_tsv(out / "entities.tsv", ((r["entity_id"], r["label"], r["lang"], r["label_en"] or "", r["type"])
                                      for r in entities.to_pylist()),
               header=["entity_id", "label", "lang", "label_en", "type"])
    # OpenKE: a count line, then "name<TAB>id"; train2id is "head tail relation".
    _write_tsv(out / "entity2id.txt", [[len(entity_ids)], *([e, i] for i, e in enumerate(entity_ids))])
    _write_tsv(out / "relation2id.txt", [[len(relations)], *([r, i] for i, r in enumerate(relations))])
    with (out / "train2id.txt").open("w", encoding="utf-8") as handle:
        handle.write(f"{len(facts)}\n")
        for s, p, o in facts:
            handle.write(f"{entity_index[s]} {entity_index[o]} {relation_index[p]}\n")

    quads = list(dict.fromkeys(tables_to_quads(entities, scored, documents, base_iri=base_iri)))
    (out / "graph.nq").write_bytes(pyoxigraph.serialize(quads, format=pyoxigraph.RdfFormat.N_QUADS) or b"")
    triples = {pyoxigraph.Triple(q.subject, q.predicate, q.object) for q in quads
               if not _is_assertion(q, base_iri) and not _is_document(q, base_iri)}
    (out / "graph.nt").write_bytes(pyoxigraph.serialize(sorted(triples, key=str), format=pyoxigraph.RdfFormat.N_TRIPLES) or b"")

    card: dict = {"entities": len(entity_ids), "relations": len(relations), "facts": len(facts),
                  "documents": documents.num_rows, "quads": len(quads),
                  "languages": dict(Counter(documents.column("lang").to_pylist())),
                  "entity_types": dict(Counter(entities.column("type").to_pylist()))}
    if workspace.has("entity_embeddings"):
        ent_matrix, missing = _vector_matrix(entity_ids, workspace.read("entity_embeddings"), "entity_id")
        rel_matrix, _ = _vector_matrix(relations, workspace.read("relation_embeddings"), "predicate")
        _write_vectors(out, "entity_embeddings.npy", "entity_emb.txt", ent_matrix)
        _write_vectors(out, "relation_embeddings.npy", "rel_emb.txt", rel_matrix)
        with (out / "entity_vectors.w2v.txt").open("w", encoding="utf-8") as handle:
            handle.write(f"{len(entity_ids)} {ent_matrix.shape[1]}\n")
            for name, row in zip(entity_ids, ent_matrix):
                handle.write(name + " " + " ".join(f"{v:.6g}" for v in row) + "\n")
        card.update(embedding_dim=int(ent_matrix.shape[1]), entities_without_vector=missing)
    workspace.write_json("exports/datacard.json", card)
    log.info("exported %d facts, %d entities to %s", len(facts), len(entity_ids), out)
    return card


def _is_assertion(quad, base_iri: str) -> bool:
    return str(quad.subject.value if hasattr(quad.subject, "value") else "").startswith(f"{base_iri}assertion/")


def _is_document(quad, base_iri: str) -> bool:
    return str(quad.subject.value if hasattr(quad.subject, "value") else "").startswith(f"{base_iri}document/")
