"""The embed stage: kept edges in, entity and relation vectors out.

``run_embed(edges, config=...)`` trains a KGE model on the distinct kept
facts of a :data:`~pipeline.schema.SCORED_EDGES` table and returns its
vectors as :data:`~pipeline.schema.ENTITY_EMBEDDINGS`,
:data:`~pipeline.schema.RELATION_EMBEDDINGS` and a
:data:`~pipeline.schema.TRAINING_LOG`. It does not evaluate: the graph is
usually too small to hold out a test split.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import torch
from pykeen.models import Model
from pykeen.nn.representation import Representation
from pykeen.triples import TriplesFactory
from pykeen.utils import set_random_seed

from pipeline.embed.config import EmbedConfig
from pipeline.embed.models import TEXT_MODELS, build_model
from pipeline.embed.train import fit, resolve_device
from pipeline.schema import ENTITY_EMBEDDINGS, RELATION_EMBEDDINGS, TRAINING_LOG, empty

__all__ = ["MIN_TRIPLES", "EmbedResult", "graph_text_features", "run_embed"]

logger = logging.getLogger(__name__)

#: Fewer distinct kept facts than this and the stage returns empty tables.
MIN_TRIPLES = 2

_COLUMNS = ("subject_id", "predicate", "object_id", "kept")


@dataclass(frozen=True)
class EmbedResult:
    """What :func:`run_embed` returns.

    :param entities: :data:`~pipeline.schema.ENTITY_EMBEDDINGS`, one row per
        entity of a kept edge, sorted by ``entity_id``. For ``quaternion`` and
        ``dihedron`` a vector is ``4 * dim`` floats: the real, i, j and k
        components, ``dim`` each. PyKEEN models give their own flattened
        shape (complex numbers as (real, imaginary) pairs). Entity biases
        (``model_kwargs={"bias": True}``) are not exported.
    :param relations: :data:`~pipeline.schema.RELATION_EMBEDDINGS`, one row per
        predicate of a kept edge, as the model uses it (unit-normalised for
        the hypercomplex models); inverse relations are not exported.
    :param training_log: :data:`~pipeline.schema.TRAINING_LOG`, mean loss per epoch (from 1).
    :param model_name: the model that was trained.
    :param dim: ``config.dim``.
    :param device: the device it trained on (``"cpu"``, ``"cuda"``, …).
    """

    entities: pa.Table
    relations: pa.Table
    training_log: pa.Table
    model_name: str
    dim: int
    device: str

    @property
    def is_empty(self) -> bool:
        """True when nothing was trained (too few kept facts)."""
        return self.entities.num_rows == 0


def _model(config: EmbedConfig, factory: TriplesFactory, **tables: pa.Table | None):
    """The untrained model ``config`` names; text-enhanced models get the graph's text features."""
    kwargs = dict(config.model_kwargs)
    if config.model.lower() in TEXT_MODELS:
        ids = sorted(factory.entity_to_id, key=factory.entity_to_id.__getitem__)
        kwargs["text_features"] = graph_text_features(ids, **tables, seed=config.seed)
    return build_model(config.model, triples_factory=factory, embedding_dim=config.dim, random_seed=config.seed,
                       **kwargs)


def run_embed(
    edges: pa.Table,
    *,
    config: EmbedConfig,
    entities: pa.Table | None = None,
    documents: pa.Table | None = None,
    mentions: pa.Table | None = None,
    mention_links: pa.Table | None = None,
) -> EmbedResult:
    """Train ``config.model`` on the kept facts of ``edges``; return its vectors.

    The text-enhanced models (``tetra``, ``robin``, ``lion``) also read the
    graph's text, see :func:`graph_text_features`; the other tables are
    ignored by the structure-only models.

    Rows with ``kept`` true (null counts as false) and no null id are used;
    a fact seen in several rows (several pieces of evidence) is trained on
    once. Entities that occur in no kept edge get no vector. With fewer than
    :data:`MIN_TRIPLES` distinct facts the stage logs a warning and returns
    empty tables instead of failing the build.

    Training is seeded (``config.seed``) and deterministic on CPU.

    :param edges: a :data:`~pipeline.schema.SCORED_EDGES` table (extra columns are ignored).
    :param config: the stage settings.
    :param entities: :data:`~pipeline.schema.ENTITIES` (labels: word and sentence level).
    :param documents: :data:`~pipeline.schema.DOCUMENTS`, with ``mentions``
        (:data:`~pipeline.schema.MENTIONS`) and ``mention_links``
        (:data:`~pipeline.schema.MENTION_LINKS`): the document level.
    :raises ValueError: if ``edges`` lacks one of ``subject_id``, ``predicate``, ``object_id``, ``kept``.
    """
    device = resolve_device(config.device)
    triples = _kept_triples(edges)
    if len(triples) < MIN_TRIPLES:
        logger.warning("embed: %d distinct kept fact(s), at least %d are needed to train %r; returning empty "
                       "embeddings.", len(triples), MIN_TRIPLES, config.model)
        return _result(config, device, empty(ENTITY_EMBEDDINGS), empty(RELATION_EMBEDDINGS), empty(TRAINING_LOG))

    set_random_seed(config.seed)
    factory = TriplesFactory.from_labeled_triples(triples, create_inverse_triples=config.reciprocal)
    model = _model(config, factory, entities=entities, documents=documents, mentions=mentions,
                   mention_links=mention_links).to(device)
    losses = fit(
        model, factory, epochs=config.epochs, batch_size=config.batch_size, lr=config.lr, negatives=config.negatives
    )
    logger.info("embed: trained %s on %d facts, final loss %.4f", config.model, len(triples), losses[-1])
    return _result(
        config,
        device,
        _vector_table(ENTITY_EMBEDDINGS, factory.entity_to_id, model.entity_representations[0]),
        _vector_table(RELATION_EMBEDDINGS, factory.relation_to_id, model.relation_representations[0], model),
        pa.table(
            {"epoch": pa.array(range(1, len(losses) + 1), pa.int32()), "loss": pa.array(losses, pa.float32())},
            schema=TRAINING_LOG,
        ),
    )


def graph_text_features(
    entity_ids: list[str],
    *,
    entities: pa.Table | None,
    documents: pa.Table | None,
    mentions: pa.Table | None,
    mention_links: pa.Table | None,
    seed: int,
) -> dict[str, np.ndarray]:
    """Word, sentence and document vectors of the pipeline's entities, in ``entity_ids`` order.

    An entity's text is its English label (else its own label) and aliases;
    without an ``entities`` table, its id. The document level is the mean
    MiniLM vector of the sentences of the documents that mention it, when
    all three of ``documents``, ``mentions`` and ``mention_links`` are given;
    else Doc2Vec on the entity texts.
    """
    from pipeline.featurize.text_features import entity_text_features, mean_sentence_vectors

    texts = dict.fromkeys(entity_ids, "")
    if entities is not None:
        for row in entities.select(["entity_id", "label", "label_en", "aliases"]).to_pylist():
            if row["entity_id"] in texts:
                names = [row["label_en"] or row["label"], *(row["aliases"] or [])]
                texts[row["entity_id"]] = ", ".join(dict.fromkeys(n for n in names if n))
    doc_level = None
    if documents is not None and mentions is not None and mention_links is not None:
        doc_of_mention = dict(zip(mentions["mention_id"].to_pylist(), mentions["doc_id"].to_pylist()))
        text_of_doc = dict(zip(documents["doc_id"].to_pylist(), documents["text"].to_pylist()))
        docs: dict[str, set[str]] = {e: set() for e in entity_ids}
        for mention, entity in zip(mention_links["mention_id"].to_pylist(), mention_links["entity_id"].to_pylist()):
            if entity in docs and doc_of_mention.get(mention) in text_of_doc:
                docs[entity].add(doc_of_mention[mention])
        doc_level = mean_sentence_vectors([[text_of_doc[d] for d in sorted(docs[e])] for e in entity_ids])
    return entity_text_features([texts[e] or e for e in entity_ids], documents=doc_level, seed=seed)


def _kept_triples(edges: pa.Table) -> np.ndarray:
    """Distinct ``(subject_id, predicate, object_id)`` of kept rows, sorted; shape ``(n, 3)``."""
    missing = [name for name in _COLUMNS if name not in edges.column_names]
    if missing:
        raise ValueError(
            f"run_embed needs a SCORED_EDGES table (pipeline.schema); missing column(s) {', '.join(missing)}. "
            f"Pass the filter stage's output."
        )
    ids = list(_COLUMNS[:3])
    kept = edges.filter(pc.fill_null(edges["kept"], False)).select(ids).drop_null()
    facts = sorted(set(zip(*(kept[name].to_pylist() for name in ids))))
    return np.array(facts, dtype=str).reshape(-1, 3)


def _vector_table(
    schema: pa.Schema, label_to_id: dict[str, int], representation: Representation, model: Model | None = None
) -> pa.Table:
    """One row per label with its flattened vector, sorted by label."""
    labels = sorted(label_to_id)
    ids = torch.as_tensor([label_to_id[label] for label in labels], dtype=torch.long)
    if model is not None and model.use_inverse_triples:
        # relation ids of the model interleave each relation with its inverse
        ids = model.relation_inverter.map(batch=ids.view(-1, 1), index=0, invert=False).view(-1)
    with torch.inference_mode():
        x = representation(indices=ids.to(representation.device)).detach().cpu()
    if x.is_complex():
        x = torch.view_as_real(x)
    x = x.reshape(len(labels), -1).to(torch.float32).numpy()
    offsets = pa.array(np.arange(len(labels) + 1, dtype=np.int32) * x.shape[1])
    vectors = pa.ListArray.from_arrays(offsets, pa.array(x.ravel(), pa.float32()))
    return pa.table([pa.array(labels, pa.string()), vectors], schema=schema)


def _result(
    config: EmbedConfig, device: torch.device, entities: pa.Table, relations: pa.Table, log: pa.Table
) -> EmbedResult:
    return EmbedResult(
        entities=entities,
        relations=relations,
        training_log=log,
        model_name=config.model,
        dim=config.dim,
        device=str(device),
    )
