"""Fallback extraction for any language: candidates plus co-occurrence edges.

Used for languages without a spaCy pipeline. Mentions come from the
gazetteer (the bilingual lexicon), capitalised token runs in cased scripts,
and numbers. As in BanglaAutoKG, every pair of mentions in a sentence
becomes a weak ``related_to`` edge, and every pair of named mentions in the
same paragraph (blank-line separated; a whole document otherwise) a weaker
one; both weighted by the entity types of the pair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from pipeline.extract.base import Extraction, Extractor, extractors
from pipeline.lexicon import BANGLA_SUFFIXES, Lexicon

NUMBER = re.compile(r"^[0-9০-৯]+([.,:/-][0-9০-৯]+)*$")
NUMBER_JOINERS = {",", ".", ":", "/", "-", "–"}
COOCCURRENCE = "related_to"
LITERALS = {"DATE", "QUANTITY"}


@dataclass(frozen=True)
class Candidate:
    """A mention candidate: its tokens, type, and the case ending on its last word."""

    span: object  # spacy Span
    label: str
    suffix: str = ""
    confidence: float | None = None  # None: 0.8 for typed candidates, 0.5 for untyped ones

    @property
    def text(self) -> str:
        """The surface form without the case ending ("বাংলাদেশের" -> "বাংলাদেশ")."""
        text = self.span.text
        return text[: len(text) - len(self.suffix)] if self.suffix else text


def line_breaks(doc):
    """A line break also ends a sentence (headings, list items, poems)."""
    for token in doc[1:]:
        if "\n" in doc[token.i - 1].whitespace_ or doc[token.i - 1].is_space:
            token.is_sent_start = True
    return doc


def add_sentence_splitting(nlp) -> None:
    """Sentencizer, then line breaks as extra boundaries."""
    from spacy.language import Language

    if not Language.has_factory("line_breaks"):
        Language.component("line_breaks", func=line_breaks)
    nlp.add_pipe("sentencizer", first=True)
    nlp.add_pipe("line_breaks", after="sentencizer")


@lru_cache(maxsize=16)
def blank_pipeline(lang: str):
    """A tokenizer + sentence splitter for ``lang`` (multilingual "xx" when spaCy lacks it)."""
    import spacy

    try:
        nlp = spacy.blank(lang)
    except ImportError:
        nlp = spacy.blank("xx")
    add_sentence_splitting(nlp)
    return nlp


#: How much a mention of each type says about its neighbours (names most, numbers least).
TYPE_WEIGHT = {"PERSON": 1.0, "ORGANIZATION": 0.9, "PLACE": 0.8, "EVENT": 0.8, "WORK": 0.8, "LAW": 0.6,
               "DATE": 0.5, "QUANTITY": 0.3, "THING": 0.4}
#: Types that pair across sentences of a paragraph; literals and untyped tokens would flood it.
PARAGRAPH_TYPES = {"PERSON", "ORGANIZATION", "PLACE", "EVENT", "WORK", "LAW"}
#: Named mentions per paragraph that pair up (keeps long paragraphs from making n^2 edges).
PARAGRAPH_MAX_MENTIONS = 12


def cooccurrence_confidence(type_a: str, type_b: str, distance: int, *, paragraph: bool = False) -> float:
    """Typed pairs that are close together are more likely related; sentence beats paragraph.

    ``distance`` counts mentions between the pair (sentence) or sentences between them (paragraph).
    """
    weight = TYPE_WEIGHT.get(type_a, 0.4) * TYPE_WEIGHT.get(type_b, 0.4)
    return round((0.12 if paragraph else 0.2) + 0.15 * weight + (0.05 if paragraph else 0.1) / (1 + distance), 3)


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
            named: list[tuple[int, int, Candidate, str]] = []  # (paragraph, sentence, candidate, mention id)
            for index, sent in enumerate(doc.sents):
                out.sentences.append((sent.start_char, sent.end_char))
                found = self.find_mentions(sent)
                ids = [self._add(out, index, candidate) for candidate in found]
                self.relate(out, index, sent, found, ids)
                first_letter = sent.start_char + len(sent.text) - len(sent.text.lstrip())
                paragraph = doc.text.count("\n\n", 0, first_letter)
                named.extend((paragraph, index, c, i) for c, i in zip(found, ids) if c.label in PARAGRAPH_TYPES)
            self.relate_paragraphs(out, named)
            yield out

    def relate_paragraphs(self, out: Extraction, named: list[tuple[int, int, Candidate, str]]) -> None:
        """Weak edges between named mentions of different sentences in one paragraph."""
        by_paragraph: dict[int, list] = {}
        for item in named:
            group = by_paragraph.setdefault(item[0], [])
            if len(group) < PARAGRAPH_MAX_MENTIONS and all(g[2].text != item[2].text for g in group):
                group.append(item)
        for group in by_paragraph.values():
            for a in range(len(group)):
                for b in range(a + 1, len(group)):
                    (_, sa, ca, ia), (_, sb, cb, ib) = group[a], group[b]
                    if sa == sb:
                        continue
                    first, last = min(ca.span.start_char, cb.span.start_char), max(ca.span.end_char, cb.span.end_char)
                    out.add_relation(subject=ia, predicate=COOCCURRENCE, obj=ib, sentence=sa, start=first, end=last,
                                     extractor=self.name,
                                     confidence=cooccurrence_confidence(ca.label, cb.label, sb - sa - 1, paragraph=True))

    def _add(self, out: Extraction, sentence: int, candidate: Candidate) -> str:
        # The span keeps the case ending (it is what the reader sees, and what NER data annotates);
        # the text is the name without it, so "বাংলাদেশের" and "বাংলাদেশে" meet in the link stage.
        span = candidate.span
        return out.add_mention(sentence=sentence, start=span.start_char, end=span.end_char, text=candidate.text,
                               surface=span.text,
                               label=candidate.label, lang=self.lang, extractor=self.name,
                               confidence=candidate.confidence or (0.8 if candidate.label != "THING" else 0.5))

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
                end = i + 1  # "৩৬,০০০" and "২–২" are one number, though the tokenizer splits them
                while (end + 1 < sent.end and doc[end].text in NUMBER_JOINERS and not doc[end - 1].whitespace_
                       and not doc[end].whitespace_ and NUMBER.match(doc[end + 1].text)):
                    end += 2
                kind = "DATE" if end == i + 1 and len(token.text) == 4 else "QUANTITY"
                found.append(Candidate(doc[i:end], kind))
                i = end
                continue
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
                if found[a].text == found[b].text or {found[a].label, found[b].label} <= LITERALS:
                    continue  # a name with itself, or two numbers, say nothing
                confidence = cooccurrence_confidence(found[a].label, found[b].label, b - a - 1)
                out.add_relation(subject=ids[a], predicate=COOCCURRENCE, obj=ids[b], sentence=sentence,
                                 start=sent.start_char, end=sent.end_char, extractor=self.name, confidence=confidence)
