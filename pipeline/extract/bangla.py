"""Bangla extraction: gazetteer mentions, SOV and genitive patterns, co-occurrence.

spaCy has only a tokenizer for Bangla, so this first method leans on the
bilingual lexicon: names found in it (after case-suffix stripping) are
mentions, and relation words in it give predicates in English:

* SOV: ``A ... B-তে/য় ... VERB`` -> (A, gloss(VERB) + " in", B), and
  ``A ... B ... VERB`` -> (A, gloss(VERB), B);
* genitive: ``A B-এর NOUN`` -> (A, gloss(NOUN) + " of", B)
  ("ঢাকা বাংলাদেশের রাজধানী" -> Dhaka, capital of, Bangladesh).

Pairs that no pattern links fall back to weak co-occurrence edges.
"""

from __future__ import annotations

from pipeline.extract.base import Extraction, extractors
from pipeline.extract.cooccurrence import CooccurrenceExtractor
from pipeline.lexicon import GENITIVE_SUFFIXES, LOCATIVE_SUFFIXES, strip_bangla_suffix

PATTERN_CONFIDENCE = 0.65
LITERAL_TYPES = {"DATE", "QUANTITY"}


@extractors.register("bangla")
class BanglaExtractor(CooccurrenceExtractor):
    name = "bangla"

    def __init__(self, lang: str = "bn", lexicon_path: str | None = None, batch_size: int = 64, **_: object) -> None:
        super().__init__(lang="bn", lexicon_path=lexicon_path, batch_size=batch_size)
        self.relation_words = self.lexicon.relation_words
        self.relation_stems = frozenset(self.relation_words)

    def _gloss(self, token) -> str | None:
        stem, _ = strip_bangla_suffix(token.text, self.relation_stems)
        return self.relation_words.get(stem)

    def relate(self, out: Extraction, sentence: int, sent, found: list, ids: list[str]) -> None:
        # The subject is the first name that is not a date or number (SOV order).
        subject = next((i for i, c in enumerate(found) if c.label not in LITERAL_TYPES), None)
        linked: set[tuple[int, int]] = set()
        for b in range(len(found)):
            if subject is None or b == subject:
                continue
            after = sent.doc[found[b].span.end : sent.end]
            next_gloss = self._gloss(after[0]) if len(after) else None
            suffix = found[b].suffix
            if next_gloss and suffix in GENITIVE_SUFFIXES:
                predicate = f"{next_gloss} of"
            else:
                # The verb closes the clause: take the last relation word after the object.
                gloss = next((g for g in map(self._gloss, reversed(after)) if g), None)
                if gloss is None:
                    continue
                predicate = f"{gloss} in" if suffix in LOCATIVE_SUFFIXES else gloss
            out.add_relation(subject=ids[subject], predicate=predicate, obj=ids[b], sentence=sentence,
                             start=sent.start_char, end=sent.end_char, extractor=self.name,
                             confidence=PATTERN_CONFIDENCE)
            linked.add(tuple(sorted((subject, b))))
        for a in range(len(ids)):
            for b in range(a + 1, len(ids)):
                if (a, b) not in linked:
                    super().relate(out, sentence, sent, [found[a], found[b]], [ids[a], ids[b]])
