"""Featurize: entities -> node feature vectors.

Each entity gets ``[sentence vector | FastText vector | type one-hot]``:

* the sentence vector encodes the English equivalent of its label (the
  BanglaAutoKG route: MiniLM cannot read Bangla, a dictionary gloss it can);
* FastText is trained on this corpus, so it also covers Bangla words and
  their inflections through subwords;
* the type one-hot lets the filter tell people from places.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from pipeline.featurize.config import FeaturizeConfig
from pipeline.featurize.encoders import encode_sentences, fasttext_vectors, train_fasttext
from pipeline.schema import ENTITY_TYPES, NODE_FEATURES

log = logging.getLogger(__name__)


@dataclass
class FeaturizeResult:
    features: pa.Table  # NODE_FEATURES
    fasttext_path: Path | None


def run_featurize(entities: pa.Table, documents: pa.Table, *, config: FeaturizeConfig = FeaturizeConfig(),
                  models_dir: Path | None = None) -> FeaturizeResult:
    """Compute one feature vector per entity."""
    rows = entities.select(["entity_id", "label", "label_en", "type", "aliases"]).to_pylist()
    if not rows:
        return FeaturizeResult(NODE_FEATURES.empty_table(), None)
    english = [r["label_en"] or r["label"] for r in rows]
    sentence = encode_sentences(english, model_name=config.sentence_model)

    path = models_dir / "fasttext.model" if models_dir else None
    fasttext = train_fasttext(documents.column("text").to_pylist(), dim=config.fasttext_dim,
                              epochs=config.fasttext_epochs, seed=config.seed, path=path)
    # Native labels and aliases: Bangla forms reach FastText even when no gloss exists.
    word = fasttext_vectors(fasttext, [" ".join([r["label"], *r["aliases"]]) for r in rows])

    types = np.zeros((len(rows), len(ENTITY_TYPES)), dtype=np.float32)
    for i, r in enumerate(rows):
        types[i, ENTITY_TYPES.index(r["type"]) if r["type"] in ENTITY_TYPES else -1] = 1.0

    matrix = np.hstack([sentence, word, types]).astype(np.float32)
    log.info("featurized %d entities into %d-dim vectors", len(rows), matrix.shape[1])
    table = pa.table(
        {"entity_id": [r["entity_id"] for r in rows], "vector": pa.array(list(matrix), type=pa.list_(pa.float32()))},
        schema=NODE_FEATURES,
    )
    return FeaturizeResult(table, path)
