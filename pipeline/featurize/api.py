"""Featurize: entities -> node feature vectors.

Each entity gets the concatenation of the configured parts (``FeaturizeConfig.parts``,
by default ``encoder``, ``fasttext``, ``types``):

* ``encoder``: multilingual-e5-small read over the entity's mentions in their text
  (labels in context, pooled per entity): it reads Bangla and English alike, so a
  Bangla name and its English equivalent land close (the paper's pretrained
  multilingual features);
* ``sentence``: MiniLM on the English equivalent of the label (the older route:
  MiniLM cannot read Bangla, a dictionary gloss it can);
* ``fasttext``: trained on this corpus, so it also covers Bangla words and their
  inflections through subwords;
* ``types``: a one-hot that lets the filter tell people from places.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from pipeline.featurize.config import FeaturizeConfig
from pipeline.featurize.encoders import (
    encode_sentences,
    fasttext_vectors,
    mention_context_vectors,
    train_fasttext,
)
from pipeline.schema import ENTITY_TYPES, MENTION_LINKS, MENTIONS, NODE_FEATURES

log = logging.getLogger(__name__)


@dataclass
class FeaturizeResult:
    features: pa.Table  # NODE_FEATURES
    fasttext_path: Path | None


def run_featurize(entities: pa.Table, documents: pa.Table, *, config: FeaturizeConfig = FeaturizeConfig(),
                  models_dir: Path | None = None, mentions: pa.Table | None = None,
                  mention_links: pa.Table | None = None) -> FeaturizeResult:
    """Compute one feature vector per entity.

    ``mentions`` (MENTIONS) and ``mention_links`` (MENTION_LINKS) let the encoder read each
    entity in context; without them it embeds the labels alone.
    """
    rows = entities.select(["entity_id", "label", "label_en", "type", "aliases"]).to_pylist()
    if not rows:
        return FeaturizeResult(NODE_FEATURES.empty_table(), None)
    parts, path = [], None
    if "encoder" in config.parts:
        ids, labels = [r["entity_id"] for r in rows], [r["label"] for r in rows]
        if mentions is None or mention_links is None:
            mentions, mention_links = MENTIONS.empty_table(), MENTION_LINKS.empty_table()
        parts.append(mention_context_vectors(ids, labels, documents, mentions, mention_links,
                                             encoder_name=config.encoder, per_entity=config.context_mentions))
    if "sentence" in config.parts:
        parts.append(encode_sentences([r["label_en"] or r["label"] for r in rows], model_name=config.sentence_model))
    if "fasttext" in config.parts:
        path = models_dir / "fasttext.model" if models_dir else None
        fasttext = train_fasttext(documents.column("text").to_pylist(), dim=config.fasttext_dim,
                                  epochs=config.fasttext_epochs, seed=config.seed, path=path)
        # Native labels and aliases: Bangla forms reach FastText even when no gloss exists.
        parts.append(fasttext_vectors(fasttext, [" ".join([r["label"], *r["aliases"]]) for r in rows]))
    if "types" in config.parts:
        types = np.zeros((len(rows), len(ENTITY_TYPES)), dtype=np.float32)
        for i, r in enumerate(rows):
            types[i, ENTITY_TYPES.index(r["type"]) if r["type"] in ENTITY_TYPES else -1] = 1.0
        parts.append(types)

    matrix = np.hstack(parts).astype(np.float32)
    log.info("featurized %d entities into %d-dim vectors", len(rows), matrix.shape[1])
    table = pa.table(
        {"entity_id": [r["entity_id"] for r in rows], "vector": pa.array(list(matrix), type=pa.list_(pa.float32()))},
        schema=NODE_FEATURES,
    )
    return FeaturizeResult(table, path)
