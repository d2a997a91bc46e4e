"""Fallback extraction for any language: candidates plus co-occurrence edges.

Used for languages without a spaCy pipeline. Mentions come from the
gazetteer (the bilingual lexicon), capitalised token runs in cased scripts,
and numbers; every pair of mentions in a sentence becomes a weak
``related_to`` edge, weighted by entity types as BanglaAutoKG does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from pipeline.extract.base import Extraction, Extractor, extractors
from pipeline.lexicon import BANGLA_SUFFIXES, Lexicon

NUMBER = re.compile(r"^[0-9০-৯]+([.,:/-][0-9০-৯]+)*$")
COOCCURRENCE = "related_to"


@dataclass(frozen=True)
class Candidate:
    """A mention candidate: its tokens, type, and the case ending on its last word."""

    span: object  # spacy Span
    label: str
    suffix: str = ""

    @property
    def text(self) -> str:
        """The surface form without the case ending ("বাংলাদেশের" -> "বাংলাদেশ")."""
        text = self.span.text
        return text[: len(text) - len(self.suffix)] if self.suffix else text


@lru_cache(maxsize=16)
def blank_pipeline(lang: str):
    """A tokenizer + sentencizer for ``lang`` (multilingual "xx" when spaCy lacks it)."""
    import spacy

    try:
        nlp = spacy.blank(lang)
    except ImportError:
        nlp = spacy.blank("xx")
    nlp.add_pipe("sentencizer")
    return nlp


def cooccurrence_confidence(type_a: str, type_b: str, distance: int) -> float:
    """Typed pairs that are close together are more likely related."""
    typed = (type_a != "THING") + (type_b != "THING")
    return round(0.2 + 0.05 * typed + 0.1 / (1 + distance), 3)


@extractors.register("cooccurrence")
class CooccurrenceExtractor(Extractor):
    """Gazetteer/capitalisation candidates and sentence co-occurrence edges."""

    name = "cooccurrence"

    def __init__(self, lang: str = "xx", lexicon_path: str | None = None, batch_size: int = 64, **_: object) -> None:
        self.lang = lang
        self.nlp = blank_pipeline(lang)
        self.lexicon = Lexicon.load(lexicon_path)
        self.gazetteer = {tuple(name.split()): kind for name, (_, kind) in self.lexicon.names.items()}
        self.max_len = max((len(k) for k in self.gazetteer), default=1)
        self.batch_size = batch_size

    def extract(self, documents: Iterable[dict]) -> Iterable[Extraction]:
        pairs = ((d["text"], d["doc_id"]) for d in documents)
        for doc, doc_id in self.nlp.pipe(pairs, as_tuples=True, batch_size=self.batch_size):
            out = Extraction(doc_id)
            for index, sent in enumerate(doc.sents):
                found = self.find_mentions(sent)
                ids = [self._add(out, index, candidate) for candidate in found]
                self.relate(out, index, sent, found, ids)
            yield out

    def _add(self, out: Extraction, sentence: int, candidate: Candidate) -> str:
        text = candidate.text
        start = candidate.span.start_char
        return out.add_mention(sentence=sentence, start=start, end=start + len(text), text=text,
                               label=candidate.label, lang=self.lang, extractor=self.name,
                               confidence=0.8 if candidate.label != "THING" else 0.5)

    def find_mentions(self, sent) -> list[Candidate]:
        """Longest gazetteer matches, then capitalised runs and numbers."""
        found, i = [], sent.start
        doc = sent.doc
        while i < sent.end:
            match = self._gazetteer_match(doc, i, sent.end)
            if match:
                length, label, suffix = match
                found.append(Candidate(doc[i : i + length], label, suffix))
                i += length
                continue
            token = doc[i]
            if NUMBER.match(token.text):
                found.append(Candidate(doc[i : i + 1], "DATE" if len(token.text) == 4 else "QUANTITY"))
            elif token.text[:1].isupper() and token.is_alpha and not (i == sent.start and token.is_stop):
                end = i + 1
                while end < sent.end and doc[end].text[:1].isupper() and doc[end].is_alpha:
                    end += 1
                found.append(Candidate(doc[i:end], "THING"))
                i = end
                continue
            i += 1
        return found

    def _gazetteer_match(self, doc, start: int, stop: int) -> tuple[int, str, str] | None:
        """(length in tokens, type, case ending) of the longest lexicon name at ``start``."""
        for length in range(min(self.max_len, stop - start), 0, -1):
            words = [t.text for t in doc[start : start + length]]
            key = tuple(words)
            if key in self.gazetteer:
                return length, self.gazetteer[key], ""
            for suffix in BANGLA_SUFFIXES if self.lang == "bn" else ():
                stemmed = (*words[:-1], words[-1][: -len(suffix)])
                if words[-1].endswith(suffix) and stemmed in self.gazetteer:
                    return length, self.gazetteer[stemmed], suffix
        return None

    def relate(self, out: Extraction, sentence: int, sent, found: list, ids: list[str]) -> None:
        """Link every pair of mentions in the sentence by co-occurrence."""
        for a in range(len(ids)):
            for b in range(a + 1, len(ids)):
                confidence = cooccurrence_confidence(found[a].label, found[b].label, b - a - 1)
                out.add_relation(subject=ids[a], predicate=COOCCURRENCE, obj=ids[b], sentence=sentence,
                                 start=sent.start_char, end=sent.end_char, extractor=self.name, confidence=confidence)
