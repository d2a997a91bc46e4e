"""Export: the built graph and its vectors in the formats downstream tools read.

Written to ``WORKSPACE/exports/``:

* ``triples.tsv`` (head, relation, tail by entity id; PyKEEN
  ``TriplesFactory.from_path`` reads it) and ``entities.tsv`` (id map with
  labels and types; fields holding tabs, quotes or newlines are quoted as
  CSV does);
* OpenKE: ``entity2id.txt``, ``relation2id.txt``, ``train2id.txt``;
* RDF: ``graph.nq`` (every named graph, with provenance), ``graph.nt`` and
  ``graph.ttl`` (entity descriptions and kept facts, no provenance);
* vectors: ``entity_emb.txt`` / ``rel_emb.txt`` (DKPLM/EasyNLP: one
  comma-separated vector per line, line index = id in entity2id /
  relation2id), ``entity_embeddings.npy`` / ``relation_embeddings.npy`` in
  the same order, and ``entity_vectors.w2v.txt`` (word2vec text format);
* DKPLM: ``dkplm_long_tail.tsv``, ``dkplm_triples.tsv``,
  ``dkplm_corpus.jsonl`` (see :mod:`pipeline.export.dkplm`);
* ``datacard.json``: sources and their licences, software versions and
  licences, models, counts and metrics (:mod:`pipeline.export.card`);
* ``README.md``: every file, its format, how the ids tie them together and
  how EasyNLP/DKPLM reads them.

Entities without a learned vector (no kept edge) get a zero row so that line
numbers stay equal to ids; ``entities_without_vector.tsv`` lists them and
the data card counts them. ``kg export`` (no flow summary) takes the model
details from the last build's ``run.json``, so the card keeps them.
"""

from __future__ import annotations

import csv
import json
import logging
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.export import card as provenance
from pipeline.export import dkplm
from pipeline.export.config import ExportConfig
from pipeline.workspace import Workspace

log = logging.getLogger(__name__)


def _facts(scored_edges: pa.Table, include_dropped: bool) -> list[tuple[str, str, str]]:
    """Unique (subject, predicate, object) facts in first-seen order."""
    rows = scored_edges.select(["subject_id", "predicate", "object_id", "kept"]).to_pylist()
    seen = {(r["subject_id"], r["predicate"], r["object_id"]): None for r in rows if include_dropped or r["kept"]}
    return list(seen)


def _write_tsv(path: Path, rows, header: list[str] | None = None) -> None:
    """Tab-separated, CSV quoting for fields with tabs, quotes or line breaks."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        # QUOTE_MINIMAL does not quote a lone "\r" (it is not in the line terminator), yet readers
        # split lines on it: such rows are written fully quoted.
        quoted = csv.writer(handle, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_ALL)
        if header:
            writer.writerow(header)
        for row in rows:
            (quoted if any(isinstance(v, str) and "\r" in v for v in row) else writer).writerow(row)


def _vector_matrix(ids: list[str], table: pa.Table, key: str) -> tuple[np.ndarray, list[int]]:
    """Rows aligned with ``ids``; missing ids get zeros. Returns (matrix, rows of the missing ids)."""
    vectors = dict(zip(table.column(key).to_pylist(), table.column("vector").to_pylist()))
    dim = len(next(iter(vectors.values()))) if vectors else 0
    matrix = np.zeros((len(ids), dim), dtype=np.float32)
    missing = []
    for i, name in enumerate(ids):
        if name in vectors:
            matrix[i] = vectors[name]
        else:
            missing.append(i)
    return matrix, missing


def _write_vectors(out: Path, npy_name: str, txt_name: str, matrix: np.ndarray) -> None:
    np.save(out / npy_name, matrix)
    with (out / txt_name).open("w", encoding="utf-8") as handle:
        for row in matrix:
            handle.write(",".join(f"{v:.6g}" for v in row) + "\n")


def _w2v_key(entity_id: str) -> str:
    """word2vec keys end at whitespace: such ids (never minted by link) are percent-encoded."""
    return quote(entity_id, safe="") if any(ch.isspace() for ch in entity_id) or not entity_id else entity_id


def _write_rdf(out: Path, entities: pa.Table, scored: pa.Table, documents: pa.Table, base_iri: str) -> int:
    """graph.nq (everything), graph.nt and graph.ttl (no provenance nodes); returns the quad count."""
    import pyoxigraph as ox

    from kg_store.quads import tables_to_nquads
    from kg_store.vocab import Vocab

    vocab = Vocab(base_iri)
    dataset = ox.Store()  # in memory, a throwaway: set semantics drop duplicates
    dataset.load(b"".join(tables_to_nquads(entities, scored, documents, base_iri=base_iri)),
                 format=ox.RdfFormat.N_QUADS)
    dataset.dump(str(out / "graph.nq"), ox.RdfFormat.N_QUADS)
    rows = dataset.query(
        f"""SELECT DISTINCT ?s ?p ?o {{ ?s ?p ?o
            FILTER(!STRSTARTS(STR(?s), "{vocab.assertion_ns}") && !STRSTARTS(STR(?s), "{vocab.document_ns}")) }}
            ORDER BY ?s ?p ?o""",
        use_default_graph_as_union=True,
    )
    triples = [ox.Triple(r["s"], r["p"], r["o"]) for r in rows]
    ox.serialize(triples, str(out / "graph.nt"), ox.RdfFormat.N_TRIPLES)
    ox.serialize(triples, str(out / "graph.ttl"), ox.RdfFormat.TURTLE, prefixes=vocab.prefixes())
    return len(dataset)


def _metrics(scored: pa.Table, training_log: pa.Table | None) -> dict:
    kept = pc.fill_null(scored.column("kept"), False)
    metrics: dict = {"edges": scored.num_rows, "edges_kept": int(pc.sum(kept.cast(pa.int64())).as_py() or 0)}
    if scored.num_rows:
        metrics["kept_ratio"] = round(metrics["edges_kept"] / scored.num_rows, 4)
        metrics["mean_confidence"] = round(float(pc.mean(scored.column("confidence")).as_py() or 0), 4)
        metrics["mean_filter_score"] = round(float(pc.mean(scored.column("filter_score")).as_py() or 0), 4)
    losses = training_log.column("loss").to_pylist() if training_log is not None else []
    if losses:
        metrics["embedding_epochs"], metrics["embedding_final_loss"] = len(losses), round(losses[-1], 6)
    return metrics


@dataclass(frozen=True)
class ExportResult:
    """What :func:`run_export` wrote: the data card (also ``datacard.json``) and the file names."""

    card: dict
    files: list[str]


_OPTIONAL = ("entity_embeddings", "relation_embeddings", "mentions", "mention_links", "embedding_training_log")


def export_inputs(workspace: Workspace) -> dict:
    """The keyword arguments of :func:`run_export` from a workspace: its tables, artefacts and folders.

    The models of the last build come from its ``run.json`` (``kg export``
    runs without a flow to ask).
    """
    from pipeline.summary import BuildSummary

    inputs: dict = {name: workspace.read(name) for name in ("entities", "scored_edges", "documents")}
    inputs.update({name: workspace.read(name) if workspace.has(name) else None for name in _OPTIONAL})
    fasttext = workspace.artefact("fasttext")
    inputs.update(out_dir=workspace.exports_dir, fasttext_path=fasttext if fasttext.exists() else None,
                  model_files=sorted(p.name for p in workspace.models_dir.iterdir()))
    if (workspace.root / "run.json").exists():
        inputs["models"] = BuildSummary.model_validate(workspace.read_json("run.json")).models()
    return inputs


def export_workspace(workspace: Workspace, *, config: ExportConfig = ExportConfig(),
                     base_iri: str = "https://kg-pipeline.example.org/", models: dict | None = None) -> ExportResult:
    """:func:`run_export` over a workspace's tables into its ``exports/`` (``kg export``, the export stage).

    ``models`` (what the build used) defaults to the last build's, from ``run.json``.
    """
    inputs = export_inputs(workspace)
    if models is not None:
        inputs["models"] = models
    return run_export(**inputs, config=config, base_iri=base_iri)


def run_export(entities: pa.Table, scored_edges: pa.Table, documents: pa.Table, *, out_dir: Path,
               config: ExportConfig = ExportConfig(), base_iri: str = "https://kg-pipeline.example.org/",
               entity_embeddings: pa.Table | None = None, relation_embeddings: pa.Table | None = None,
               mentions: pa.Table | None = None, mention_links: pa.Table | None = None,
               embedding_training_log: pa.Table | None = None, fasttext_path: Path | None = None,
               model_files: list[str] = (), models: dict | None = None) -> ExportResult:
    """Write every export format into ``out_dir``; returns the data card.

    ``models``: what the build used (:meth:`BuildSummary.models`), copied into
    the card; ``model_files``: the names of the workspace's trained artefacts;
    ``fasttext_path``: the corpus FastText model, for DKPLM's semantic importance.
    """
    out, scored = Path(out_dir), scored_edges
    out.mkdir(parents=True, exist_ok=True)
    facts = _facts(scored, config.include_dropped)
    entity_ids = entities.column("entity_id").to_pylist()
    relations = sorted({p for _, p, _ in facts} | set(scored.column("predicate").to_pylist()))
    entity_index = {e: i for i, e in enumerate(entity_ids)}
    relation_index = {r: i for i, r in enumerate(relations)}
    _write_id_files(out, entities, facts, entity_ids, relations, entity_index, relation_index)
    quads = _write_rdf(out, entities, scored, documents, base_iri)
    card: dict = {"entities": len(entity_ids), "relations": len(relations), "facts": len(facts),
                  "documents": documents.num_rows, "quads": quads,
                  "languages": dict(Counter(documents.column("lang").to_pylist())),
                  "entity_types": dict(Counter(entities.column("type").to_pylist())),
                  "models": {"extractors": dict(Counter(scored.column("extractor").to_pylist())),
                             "files": sorted(model_files), **(models or {})},
                  "metrics": _metrics(scored, embedding_training_log)}
    if entity_embeddings is not None:
        card.update(_write_embeddings(out, entities, entity_ids, relations, entity_embeddings, relation_embeddings))
    linked = dkplm.linked_mentions(mentions, mention_links) if mentions is not None and mention_links is not None \
        else None
    card["dkplm"] = _write_dkplm(out, linked, fasttext_path, entities, scored, documents, facts, entity_index,
                                 relation_index, config)
    card["sources"] = provenance.sources(documents.select(["source", "lang"]).to_pylist(), config.source_licence)
    card["software"] = provenance.software()
    card["trained_models"] = provenance.trained_models(set(card["models"]["extractors"]))
    _write_json(out / "datacard.json", card)
    (out / "README.md").write_text(provenance.readme(out, card), encoding="utf-8")
    log.info("exported %d facts, %d entities to %s%s", len(facts), len(entity_ids), out,
             f" ({card['entities_without_vector']} without a vector: entities_without_vector.tsv)"
             if card.get("entities_without_vector") else "")
    return ExportResult(card=card, files=sorted(p.name for p in out.iterdir()))


def _write_json(path: Path, data: dict) -> None:
    """Atomically, as the workspace writes its own files."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, path)


def _write_id_files(out: Path, entities: pa.Table, facts: list, entity_ids: list[str], relations: list[str],
                    entity_index: dict, relation_index: dict) -> None:
    """triples.tsv, entities.tsv and the OpenKE id files."""
    _write_tsv(out / "triples.tsv", facts)
    _write_tsv(out / "entities.tsv", ((r["entity_id"], r["label"], r["lang"], r["label_en"] or "", r["type"])
                                      for r in entities.select(["entity_id", "label", "lang", "label_en", "type"])
                                      .to_pylist()),
               header=["entity_id", "label", "lang", "label_en", "type"])
    # OpenKE: a count line, then "name<TAB>id"; train2id is "head tail relation".
    _write_tsv(out / "entity2id.txt", [[len(entity_ids)], *([e, i] for i, e in enumerate(entity_ids))])
    _write_tsv(out / "relation2id.txt", [[len(relations)], *([r, i] for i, r in enumerate(relations))])
    with (out / "train2id.txt").open("w", encoding="utf-8") as handle:
        handle.write(f"{len(facts)}\n")
        for s, p, o in facts:
            handle.write(f"{entity_index[s]} {entity_index[o]} {relation_index[p]}\n")


def _write_embeddings(out: Path, entities: pa.Table, entity_ids: list[str], relations: list[str],
                      entity_embeddings: pa.Table, relation_embeddings: pa.Table) -> dict:
    """The vector files; returns their data card fields."""
    ent_matrix, missing = _vector_matrix(entity_ids, entity_embeddings, "entity_id")
    rel_matrix, _ = _vector_matrix(relations, relation_embeddings, "predicate")
    _write_vectors(out, "entity_embeddings.npy", "entity_emb.txt", ent_matrix)
    _write_vectors(out, "relation_embeddings.npy", "rel_emb.txt", rel_matrix)
    with (out / "entity_vectors.w2v.txt").open("w", encoding="utf-8") as handle:
        handle.write(f"{len(entity_ids)} {ent_matrix.shape[1]}\n")
        for name, row in zip(entity_ids, ent_matrix):
            handle.write(_w2v_key(name) + " " + " ".join(f"{v:.6g}" for v in row) + "\n")
    labels = entities.column("label").to_pylist()
    _write_tsv(out / "entities_without_vector.tsv",
               ([entity_ids[i], i, labels[i], "no kept fact: embedding training never saw it"] for i in missing),
               header=["entity_id", "id", "label", "reason"])
    return {"embedding_dim": int(ent_matrix.shape[1]), "entities_without_vector": len(missing)}


def _write_dkplm(out: Path, mentions: list | None, fasttext_path: Path | None, entities: pa.Table,
                 scored: pa.Table, documents: pa.Table, facts: list, entity_index: dict, relation_index: dict,
                 config: ExportConfig) -> dict:
    """The DKPLM files; returns their data card section. ``mentions``: :func:`dkplm.linked_mentions`, or None."""
    has_mentions = mentions is not None
    mentions = mentions or []
    model = dkplm.load_fasttext(fasttext_path) if mentions and fasttext_path is not None else None
    if model is not None:
        texts = dict(zip(documents.column("doc_id").to_pylist(), documents.column("text").to_pylist()))
        si = dkplm.semantic_importance(model, mentions, texts, entity_index, len(entity_index))
        source = "corpus FastText (models/fasttext.model)"
    else:
        si = np.ones(len(entity_index))
        source = "none (no FastText model or no mentions): SI = 1"
    kept_facts = facts if not config.include_dropped else _facts(scored, False)
    tail = dkplm.long_tail_entities(entities, kept_facts, entity_index, si, source, config.long_tail_max_frequency)
    labels, labels_en = entities.column("label").to_pylist(), entities.column("label_en").to_pylist()
    ids = list(entity_index)
    _write_tsv(out / "dkplm_long_tail.tsv",
               ([ids[i], i, labels[i], int(tail.frequency[i]), round(float(tail.semantic_importance[i]), 6),
                 int(tail.degree[i]), round(float(tail.klt[i]), 6), labels_en[i] or "",
                 ",".join(ids[j] for j in tail.merged.get(i, []))] for i in tail.chosen),
               header=["entity_id", "id", "label", "frequency", "semantic_importance", "degree", "klt", "label_en",
                       "merged_ids"])
    triples = dkplm.pseudo_token_triples(tail.chosen, scored, entity_index, relation_index,
                                         config.max_triples_per_entity)
    _write_tsv(out / "dkplm_triples.tsv", triples, header=["entity", "role", "head", "relation", "tail"])
    marked = 0
    if has_mentions:
        marked = dkplm.write_marked_corpus(out / "dkplm_corpus.jsonl", documents, mentions, entity_index,
                                           set(tail.chosen))
    return {"long_tail_entities": len(tail.chosen), "pseudo_token_triples": len(triples),
            "marked_mentions": marked, "frequency_threshold": round(tail.frequency_threshold, 4),
            "semantic_importance": source, "values_skipped": tail.values_skipped,
            "duplicates_merged": sum(len(rows) for rows in tail.merged.values()),
            "formula": "KLT(e) = 1[Freq(e) < R_freq] * SI(e) * KC(e); chosen: KLT(e) > mean KLT, named entities "
                       "only (no dates, numbers, measures), one per name up to case, spacing and punctuation"}
