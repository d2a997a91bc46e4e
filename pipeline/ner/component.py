"""The encoder NER tagger as a spaCy pipeline component (``kg_encoder_ner``).

Extractors work on spaCy docs; this component sets ``doc.ents`` from
:class:`pipeline.ner.tagger.Tagger`. It tags sentence by sentence (after the
sentencizer; a sentence of more than ``max_words`` words is cut into pieces),
so a long document never runs past the encoder's window, and it batches the
sentences of many docs through the encoder in ``pipe``. Spans fall on the
tagger's word boundaries; one that does not match spaCy's tokens is widened
to them.
"""

from __future__ import annotations

from itertools import islice

from spacy.language import Language
from spacy.util import filter_spans

from pipeline.ner.tagger import Tagger, words

#: Words per tagged piece: ~2.5 tokens a Bangla word keeps a piece inside the tagger's 256-token window.
MAX_WORDS = 90


class EncoderNER:
    def __init__(self, tagger: Tagger, batch_size: int = 32, max_words: int = MAX_WORDS) -> None:
        self.tagger = tagger
        self.batch_size = batch_size
        self.max_words = max_words

    def __call__(self, doc):
        return next(self.pipe([doc]))

    def pipe(self, docs, batch_size: int | None = None):
        docs = iter(docs)
        while chunk := list(islice(docs, batch_size or self.batch_size)):
            pieces = [(d, start, text) for d, doc in enumerate(chunk) for start, text in self._pieces(doc)]
            found: list[list] = [[] for _ in chunk]
            for (d, start, _), ents in zip(pieces, self.tagger.predict([p[2] for p in pieces]), strict=True):
                found[d].extend((start + s, start + e, label) for s, e, label in ents)
            for doc, ents in zip(chunk, found, strict=True):
                spans = [doc.char_span(s, e, label=label, alignment_mode="expand") for s, e, label in ents]
                doc.ents = filter_spans([s for s in spans if s is not None])
                yield doc

    def _pieces(self, doc):
        """(offset, text) of each sentence, or of runs of ``max_words`` words of a longer one."""
        sentences = doc.sents if doc.has_annotation("SENT_START") else [doc[:]]
        for sent in sentences:
            text, base = sent.text, sent.start_char
            spans = words(text)
            for at in range(0, len(spans), self.max_words):
                a, b = spans[at][0], spans[min(at + self.max_words, len(spans)) - 1][1]
                yield base + a, text[a:b]


@Language.factory("kg_encoder_ner", default_config={"path": None, "device": "auto", "precision": "auto"})
def make_encoder_ner(nlp: Language, name: str, path: str | None, device: str, precision: str):
    from pipeline.ner.tagger import load_tagger

    return EncoderNER(load_tagger(path, device=device, precision=precision))
