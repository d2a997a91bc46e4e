"""Frozen text vectors of entities at three granularities, for text-enhanced KGE (Nayyeri et al., 2023).

* ``word``: gensim FastText trained on the entity descriptions, averaged over
  the tokens of each description (subwords cover unseen inflections);
* ``sentence``: the packaged MiniLM sentence encoder on each description;
* ``document``: gensim Doc2Vec (PV-DBOW) trained on one document per entity,
  inferred deterministically; or, for the pipeline's own graphs, the mean
  MiniLM vector of the sentences of the documents that mention the entity
  (:func:`mean_sentence_vectors`).

Entity descriptions of a dataset folder come from ``entity2text.tsv``
(:func:`read_entity_texts`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from pipeline.featurize.encoders import (
    encode_sentences,
    fasttext_vectors,
    tokenize,
    train_fasttext,
)

__all__ = ["MODALITIES", "entity_text_features", "mean_sentence_vectors", "read_entity_texts", "split_sentences"]

log = logging.getLogger(__name__)

#: The text modalities, in the order of the hypercomplex components i, j, k.
MODALITIES = ("word", "sentence", "document")

_QID = re.compile(r"^Q\d+$")
_SENTENCE_END = re.compile(r"(?<=[.!?।])\s+")


def read_entity_texts(path: str | Path, entity_ids: Iterable[str] | None = None) -> dict[str, str]:
    """Read ``id<TAB>name[<TAB>description…]`` lines into ``{id: "name. description"}``.

    Extra columns (FB15k-237's Wikidata label and description) are joined in
    order, skipping duplicates and bare Wikidata ids (``Q42``). With
    ``entity_ids``, lines of other ids (a header line, say) are ignored;
    entities without a line are simply absent.
    """
    wanted = set(entity_ids) if entity_ids is not None else None
    texts: dict[str, str] = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            entity, *columns = line.rstrip("\n").split("\t")
            if not entity or (wanted is not None and entity not in wanted):
                continue
            parts: list[str] = []
            for column in (c.strip() for c in columns):
                if column and not _QID.match(column) and column.casefold() not in {p.casefold() for p in parts}:
                    parts.append(column)
            if parts:
                texts[entity] = ". ".join(parts)
    return texts


def split_sentences(text: str) -> list[str]:
    """Split at sentence-final punctuation (Latin and Bangla dari) followed by space."""
    return [s for s in (part.strip() for part in _SENTENCE_END.split(text)) if s]


def mean_sentence_vectors(documents: Sequence[Sequence[str]], *, model_name: str = "packaged") -> np.ndarray:
    """Mean MiniLM vector of the sentences of each entity's documents; zeros where an entity has none.

    :param documents: per entity, the texts of the documents that mention it.
    """
    sentences = [[s for doc in docs for s in split_sentences(doc)] for docs in documents]
    unique = sorted({s for group in sentences for s in group})
    vectors = encode_sentences(unique, model_name=model_name)
    index = {s: i for i, s in enumerate(unique)}
    out = np.zeros((len(documents), vectors.shape[1]), dtype=np.float32)
    for row, group in enumerate(sentences):
        if group:
            out[row] = vectors[[index[s] for s in group]].mean(axis=0)
    return out


def _doc2vec_vectors(documents: Sequence[str], *, dim: int, epochs: int, seed: int) -> np.ndarray:
    """Doc2Vec (PV-DBOW) vectors of ``documents``, one per document, re-inferred with a fixed seed."""
    from gensim.models.doc2vec import Doc2Vec, TaggedDocument

    corpus = [TaggedDocument(tokenize(doc), [i]) for i, doc in enumerate(documents)]
    # workers=1: deterministic for a fixed seed; dm=0 (PV-DBOW) is the stronger variant on short texts
    model = Doc2Vec(corpus, vector_size=dim, dm=0, min_count=1, epochs=epochs, seed=seed, workers=1)
    return np.stack([model.dv[i] for i in range(len(documents))]).astype(np.float32)


def entity_text_features(
    texts: Sequence[str],
    *,
    documents: Sequence[str] | np.ndarray | None = None,
    word_dim: int = 100,
    doc_dim: int = 100,
    epochs: int = 20,
    seed: int = 42,
    sentence_model: str = "packaged",
) -> dict[str, np.ndarray]:
    """Word, sentence and document vectors of each entity, ``{modality: (n, dim) float32}``.

    :param texts: one description per entity ("" where none is known: its vectors are zeros).
    :param documents: the document-level source: one longer text per entity
        (Doc2Vec is trained on them), a ready ``(n, dim)`` matrix (e.g.
        :func:`mean_sentence_vectors`), or None to train Doc2Vec on ``texts``.
    :param word_dim: FastText vector size.
    :param doc_dim: Doc2Vec vector size.
    :param epochs: FastText and Doc2Vec epochs.
    :param seed: their seed.
    :param sentence_model: ``"packaged"`` (MiniLM from PyPI) or a SentenceTransformer name or path.
    """
    texts = [t or "" for t in texts]
    known = [t for t in texts if tokenize(t)]
    if not known:
        raise ValueError(f"none of the {len(texts)} entity texts has a word: nothing to train word vectors on")
    # 20k subword buckets instead of 200k: descriptions are short, and the table is allocated up front
    fasttext = train_fasttext(known, dim=word_dim, epochs=epochs, seed=seed, buckets=20_000)
    features = {
        "word": fasttext_vectors(fasttext, texts),
        "sentence": encode_sentences(texts, model_name=sentence_model),
    }
    if isinstance(documents, np.ndarray):
        features["document"] = documents.astype(np.float32)
    else:
        source = [d or "" for d in documents] if documents is not None else texts
        features["document"] = _doc2vec_vectors(source, dim=doc_dim, epochs=epochs, seed=seed)
    empty = np.array([not t for t in texts])
    for name in ("word", "sentence"):
        features[name][empty] = 0.0  # MiniLM embeds "" as a constant vector; no text means no signal
    for name, matrix in features.items():
        if matrix.shape[0] != len(texts):
            raise ValueError(f"{name} features have {matrix.shape[0]} rows for {len(texts)} entities")
    log.info("entity text features: %s", {k: v.shape[1] for k, v in features.items()})
    return features
