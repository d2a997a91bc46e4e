"""Entities from spaCy NER and proper-noun phrases; relations from the dependency parse.

Works for any language whose spaCy pipeline has a parser and NER. The
patterns are deliberately general (subject/verb/object, prepositional
attachments, passives with agents, copulas, conjunctions); the English
extraction issue deepens them.
"""

from __future__ import annotations

from typing import Iterable

from pipeline.extract.base import Extraction, Extractor, extractors
from pipeline.extract.models import load_spacy
from pipeline.schema import coarse_type

SUBJECTS = {"nsubj", "nsubjpass", "csubj"}
OBJECTS = {"dobj", "obj", "attr", "oprd", "dative"}
NOMINAL = {"PROPN", "NUM"}

CONFIDENCE = {"verb_object": 0.8, "verb_prep": 0.75, "passive_agent": 0.8, "copula": 0.7}


@extractors.register("spacy")
class SpacyExtractor(Extractor):
    """Dependency-pattern extraction over a spaCy pipeline."""

    name = "spacy"

    def __init__(self, lang: str = "en", models: list[str] | tuple[str, ...] = (), batch_size: int = 32) -> None:
        self.lang = lang
        self.nlp = load_spacy(lang, tuple(models))
        self.batch_size = batch_size

    def extract(self, documents: Iterable[dict]) -> Iterable[Extraction]:
        pairs = ((d["text"], d["doc_id"]) for d in documents)
        for doc, doc_id in self.nlp.pipe(pairs, as_tuples=True, batch_size=self.batch_size):
            yield self._extract_doc(doc, doc_id)

    def _extract_doc(self, doc, doc_id: str) -> Extraction:
        out = Extraction(doc_id)
        for index, sent in enumerate(doc.sents):
            for token in sent:
                if token.pos_ in ("VERB", "AUX"):
                    for subj, predicate, obj, pattern in _verb_relations(token):
                        self._relate(out, index, sent, subj, predicate, obj, pattern)
            for ent in sent.ents:  # entities with no relation are still nodes
                self._mention(out, index, ent[0])
        return out

    def _mention(self, out: Extraction, sentence: int, token) -> str | None:
        span = mention_span(token)
        if span is None:
            return None
        ent_label = span.root.ent_type_ or (span[0].ent_type_ if len(span) else "")
        label = coarse_type(ent_label) if ent_label else ("QUANTITY" if span.root.pos_ == "NUM" else "THING")
        return out.add_mention(sentence=sentence, start=span.start_char, end=span.end_char, text=span.text,
                               label=label, lang=self.lang, extractor=self.name, confidence=0.9 if ent_label else 0.6)

    def _relate(self, out: Extraction, sentence: int, sent, subj, predicate: str, obj, pattern: str) -> None:
        for s in [subj, *subj.conjuncts]:
            for o in [obj, *obj.conjuncts]:
                s_id, o_id = self._mention(out, sentence, s), self._mention(out, sentence, o)
                if s_id and o_id:
                    out.add_relation(subject=s_id, predicate=predicate, obj=o_id, sentence=sentence,
                                     start=sent.start_char, end=sent.end_char, extractor=self.name,
                                     confidence=CONFIDENCE[pattern])


def mention_span(token):
    """The entity or proper-noun/number phrase containing ``token``, else None.

    An entity span grows to the left over compound proper nouns the NER
    left out ("Satyajit" + "Ray"). Leading determiners are trimmed, so
    "The University of Dhaka" and "University of Dhaka" are one mention text.
    """
    doc = token.doc
    ent = next((e for e in doc.ents if e.start <= token.i < e.end), None)
    if ent is None and token.pos_ not in NOMINAL:
        return None
    start, end = (ent.start, ent.end) if ent is not None else (token.i, token.i + 1)
    while start > 0 and doc[start - 1].dep_ in ("compound", "flat") and doc[start - 1].pos_ in NOMINAL \
            and start <= doc[start - 1].head.i < end:
        start -= 1
    return _trim(doc[start:end])


def _trim(span):
    start = span.start
    while start < span.end and span.doc[start].pos_ in ("DET", "PUNCT"):
        start += 1
    end = span.end
    while end > start and span.doc[end - 1].pos_ == "PUNCT":
        end -= 1
    return span.doc[start:end] if end > start else None


def _verb_relations(verb):
    """Yield (subject, predicate, object, pattern) around one verb."""
    children = list(verb.children)
    subjects = [c for c in children if c.dep_ in SUBJECTS]
    passive = any(c.dep_ in ("auxpass", "nsubjpass") for c in children)
    is_copula = verb.lemma_ == "be"
    agent = next((g for c in children if c.dep_ == "agent" for g in c.children if g.dep_ == "pobj"), None)
    if passive and agent is not None:
        for subj in subjects:
            yield agent, verb.lemma_.lower(), subj, "passive_agent"
    verb_word = verb.text.lower() if passive else verb.lemma_.lower()
    for subj in subjects:
        for child in children:
            if child.dep_ in OBJECTS:
                if is_copula and child.pos_ == "NOUN":
                    # "X is the capital of Y" -> (X, capital of, Y)
                    for prep in (c for c in child.children if c.dep_ == "prep"):
                        for pobj in (g for g in prep.children if g.dep_ == "pobj"):
                            yield subj, f"{child.lemma_.lower()} {prep.text.lower()}", pobj, "copula"
                elif is_copula:
                    yield subj, "be", child, "copula"
                else:
                    yield subj, verb_word, child, "verb_object"
            elif child.dep_ == "prep":
                for pobj in (g for g in child.children if g.dep_ == "pobj"):
                    yield subj, f"{verb_word} {child.text.lower()}", pobj, "verb_prep"
