"""Static word vectors for the NER, trained at train time with gensim FastText.

Bangla has no small, permissive pretrained vectors that work offline, so the
project trains its own on the NER training sentences plus any unlabelled text
the user gives (``--corpus``). FastText's character n-grams give rare words a
vector close to their frequent relatives. The table is keyed by NORM (the
stem), so "ঢাকার" and "ঢাকায়" share the vector of "ঢাকা"; words whose stem
is not in the table get a zero vector. Training is single-threaded with a
fixed seed and a fixed hash, so it is reproducible.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

from pipeline.errors import SourceError


def read_corpus(path: str | Path) -> list[str]:
    """Texts from a JSONL file (a "text" field per line) or a plain text file (one text per line)."""
    source = Path(path)
    if not source.is_file():
        raise SourceError(str(path), "no such corpus file (JSONL with a \"text\" field, or plain text)")
    texts = []
    with source.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.strip()
            if not line:
                continue
            if source.suffix == ".jsonl":
                try:
                    texts.append(str(json.loads(line)["text"]))
                except (ValueError, KeyError, TypeError) as err:
                    raise SourceError(f"{path}:{number}", f"expected a JSON object with \"text\": {err}") from None
            else:
                texts.append(line)
    return texts


def _stable_hash(word: str) -> int:
    # gensim seeds each word's initial vector with hash(word); Python's str hash changes per process.
    return zlib.crc32(word.encode("utf-8"))


def add_fasttext_vectors(nlp, texts: list[str], *, dim: int = 64, epochs: int = 10, seed: int = 42) -> int:
    """Train FastText on ``texts`` (spaCy tokens) and give ``nlp`` a NORM-keyed vector table; returns its rows."""
    import numpy
    from gensim.models import FastText
    from spacy.vectors import Vectors

    sentences = [[t.text for t in nlp.make_doc(text) if not t.is_space] for text in texts]
    model = FastText(sentences=sentences, vector_size=dim, window=5, min_count=1, sg=1, epochs=epochs,
                     min_n=2, max_n=5, bucket=200_000, seed=seed, workers=1, hashfxn=_stable_hash)
    stems = sorted({nlp.vocab[word].norm_ for sentence in sentences for word in sentence})
    table = numpy.asarray([model.wv[stem] for stem in stems], dtype="float32")
    nlp.vocab.vectors = Vectors(strings=nlp.vocab.strings, data=table, keys=[nlp.vocab.strings.add(s) for s in stems],
                                attr="NORM", name=f"kg_{nlp.lang}_fasttext")
    return len(stems)


def use_norm_keys(nlp) -> None:
    """Key a loaded FastText table by NORM again: spaCy 3.8 saves a default-mode table's ``attr`` nowhere."""
    from spacy.attrs import NORM
    from spacy.vectors import Vectors

    table = nlp.vocab.vectors
    if not str(table.name).endswith("_fasttext") or table.attr == NORM:
        return
    keys = list(table.key2row)
    nlp.vocab.vectors = Vectors(strings=nlp.vocab.strings, data=table.data[[table.key2row[k] for k in keys]], keys=keys,
                                attr="NORM", name=table.name)
