"""Bangla extraction: trained NER plus gazetteer mentions, pattern relations, typed co-occurrence.

Mentions come from the bilingual lexicon (longest match, after case-suffix
stripping) and from the project's own Bangla NER, a tagger fine-tuned on
multilingual-e5-small (:mod:`pipeline.ner.tagger`; ``kg train ner --lang bn``
reproduces the one shipped in ``pipeline/resources/bn_ner``). A mention's case ending is cut
off its text ("বাংলাদেশের" -> "বাংলাদেশ") so that inflected forms of one
name meet in the link stage.

Relations follow Bangla syntax (subject first, verb last, SOV):

* genitive ``A ... B-এর NOUN`` -> (A, gloss(NOUN) + " of", B)
  ("ঢাকা বাংলাদেশের রাজধানী" -> Dhaka, capital of, Bangladesh);
  with a copula too ("নজরুল ছিলেন বাংলাদেশের জাতীয় কবি" -> Nazrul, national poet of, Bangladesh);
* genitive of a place before a place ``B-এর C`` -> (C, located in, B);
* postpositions: ``B দ্বারা/কর্তৃক ... VERB`` (passive agent) -> (B, gloss(VERB), A);
  ``B থেকে/সাথে ... VERB`` -> (A, gloss(VERB) + " from/with", B);
* locative ``A ... B-তে/য় ... VERB`` -> (A, gloss(VERB) + " in", B), else ``A ... B ... VERB`` -> (A, gloss(VERB), B).

Pattern edges carry a confidence that falls with the number of mentions
between the pair; pairs that no pattern links fall back to co-occurrence.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from pipeline.extract.base import Extraction, extractors
from pipeline.extract.cooccurrence import (
    Candidate,
    CooccurrenceExtractor,
    add_sentence_splitting,
)
from pipeline.extract.models import sentence_ents
from pipeline.lexicon import (
    BANGLA_SUFFIXES,
    GENITIVE_SUFFIXES,
    LOCATIVE_SUFFIXES,
    strip_bangla_suffix,
    use_stem_norms,
)
from pipeline.ner.tagger import bundled_tagger_path
from pipeline.schema import coarse_type

log = logging.getLogger(__name__)

LITERAL_TYPES = {"DATE", "QUANTITY"}
#: Base confidence of each pattern; each mention between the pair costs PATTERN_DISTANCE_COST.
GENITIVE_CONFIDENCE = 0.7
POSTPOSITION_CONFIDENCE = 0.65
SOV_CONFIDENCE = 0.55
PATTERN_DISTANCE_COST = 0.05
NER_CONFIDENCE = 0.65
#: Postposition -> English preposition; None marks the passive agent ("by"), which swaps the roles.
POSTPOSITIONS = {"দ্বারা": None, "কর্তৃক": None, "থেকে": "from", "হতে": "from", "সাথে": "with", "সঙ্গে": "with",
                 "বিরুদ্ধে": "against", "জন্য": "for", "পক্ষে": "for"}
#: Endings that a name's last word hardly ever ends in by itself (cut without further evidence).
SAFE_ENDINGS = ("গুলোর", "গুলো", "দের", "এর", "কে", "তে")
#: Place names take locative endings ("কলকাতায়", "বাংলাদেশে") far more often than they end in them.
PLACE_ENDINGS = ("ের", "েতে", "য়", "ে")
#: Tokens that may sit between a genitive and its head noun ("মোহামেডানের মধ্যমাঠের খেলোয়াড়").
GENITIVE_REACH = 2
#: After ā the genitive is a bare "র": "আমেরিকার", "মালয়েশিয়ার". Places ending in "ার" themselves
#: ("মিয়ানমার", "কক্সবাজার") are kept by the gazetteer or by a further ending in the document ("বিহারের").
PLACE_GENITIVE_AFTER = "া"
#: Compass words: "দক্ষিণ-পূর্ব" is a direction, not a place ("দক্ষিণ আমেরিকা" keeps its name word).
DIRECTION_WORDS = frozenset({"উত্তর", "দক্ষিণ", "পূর্ব", "পশ্চিম", "ঈশান", "নৈর্ঋত", "অগ্নি", "বায়ু"})


def bundled_ner_path() -> str:
    return str(bundled_tagger_path())


@lru_cache(maxsize=4)
def load_bangla_pipeline(path: str | None = None):
    """spaCy's Bangla tokenizer with stem NORMs, sentence splitting, then the encoder NER tagger."""
    import spacy

    import pipeline.ner.component  # noqa: F401  (registers the kg_encoder_ner factory)

    nlp = spacy.blank("bn")
    use_stem_norms(nlp)  # gazetteer lookups meet inflected forms ("ঢাকার" -> "ঢাকা")
    add_sentence_splitting(nlp)
    nlp.add_pipe("kg_encoder_ner", config={"path": path})
    return nlp


@extractors.register("bangla")
class BanglaExtractor(CooccurrenceExtractor):
    name = "bangla"

    def __init__(self, lang: str = "bn", lexicon_path: str | None = None, batch_size: int = 64,
                 ner_path: str | None = None, **_: object) -> None:
        super().__init__(lang="bn", lexicon_path=lexicon_path, batch_size=batch_size)
        self.nlp = load_bangla_pipeline(ner_path)
        self.relation_words = self.lexicon.relation_words
        self.relation_stems = frozenset(self.relation_words)
        self.name_words = frozenset(w for name in self.lexicon.names for w in name.split())

    # --- mentions --------------------------------------------------------------------------------

    def find_mentions(self, sent) -> list[Candidate]:
        """Gazetteer names first; NER entities fill the gaps and replace shorter candidates they contain."""
        found = super().find_mentions(sent)
        for ent in sentence_ents(sent):
            overlap = [c for c in found if c.span.start < ent.end and ent.start < c.span.end]
            inside = all(ent.start <= c.span.start and c.span.end <= ent.end for c in overlap)
            names = [c for c in overlap if c.label not in LITERAL_TYPES]
            if overlap and not (inside and len(names) <= 1 and len(ent) > max(len(c.span) for c in overlap)):
                continue  # the gazetteer knows this name (and its English equivalent)
            # A longer name swallows one name it contains: "কলকাতা মোহামেডান" (a club) beats "কলকাতা" (a city),
            # "১৯৭৩ সালের ২৬শে জুলাই" beats "১৯৭৩"; but two known names are never glued into one.
            found = [c for c in found if c not in overlap]
            kind = coarse_type(ent.label_)
            found.append(Candidate(ent, kind, self._ending(ent[-1], kind), NER_CONFIDENCE))
        return sorted((c for c in found if not _is_direction(c)), key=lambda c: c.span.start)

    def _ending(self, token, kind: str) -> str:
        """The case ending of a name's last word ("চট্টগ্রামের" -> "ের").

        Endings that names hardly ever end in are always cut (for people "ের" is not one of
        them: "আবদুল কাদের"); the others ("র", "য়": "ঠাকুর", "রায়") only when what remains
        is a lexicon name word or stands alone elsewhere in the document.
        """
        text = token.text
        if text in self.name_words:
            return ""
        safe = {"PERSON": SAFE_ENDINGS, "PLACE": SAFE_ENDINGS + PLACE_ENDINGS}.get(kind, SAFE_ENDINGS + ("ের",))
        in_doc = {t.text for t in token.doc} - {text}
        if any(t.text != text and t.text.startswith(text) and t.text[len(text):] in BANGLA_SUFFIXES
               for t in token.doc):
            return ""  # "বিহারের" elsewhere: "বিহার" is the name, its "র" no ending
        for suffix in BANGLA_SUFFIXES:
            stem = text[: -len(suffix)]
            if text.endswith(suffix) and len(stem) >= 2 and (
                    suffix in safe or stem in self.name_words or _attested(stem, in_doc)
                    or (kind == "PLACE" and suffix == "র" and stem.endswith(PLACE_GENITIVE_AFTER) and len(stem) >= 3)):
                return suffix
        return ""

    # --- relations -------------------------------------------------------------------------------

    def _gloss(self, token) -> str | None:
        stem, _ = strip_bangla_suffix(token.text, self.relation_stems)
        return self.relation_words.get(stem)

    def _verb(self, tokens) -> tuple[str, int] | None:
        """The clause-final relation word and its token index: Bangla puts the verb last."""
        clause = tokens
        for token in tokens:
            if token.text == ";":  # a clause ends here
                clause = tokens[: token.i - tokens.start]
                break
        return next(((g, t.i) for t in reversed(clause) if (g := self._gloss(t))), None)

    def relate(self, out: Extraction, sentence: int, sent, found: list, ids: list[str]) -> None:
        doc = sent.doc
        subject = _subject(found)
        linked: set[tuple[int, int]] = set()

        def add(s: int, predicate: str, o: int, base: float) -> None:
            confidence = round(max(0.3, base - PATTERN_DISTANCE_COST * max(0, abs(o - s) - 1)), 3)
            out.add_relation(subject=ids[s], predicate=predicate, obj=ids[o], sentence=sentence,
                             start=sent.start_char, end=sent.end_char, extractor=self.name, confidence=confidence)
            linked.add(tuple(sorted((s, o))))

        for b, candidate in enumerate(found):
            after = doc[candidate.span.end : sent.end]
            following = found[b + 1] if b + 1 < len(found) else None
            if candidate.suffix in GENITIVE_SUFFIXES:
                head = next(((k, g) for k, g in enumerate(map(self._gloss, after[: GENITIVE_REACH + 1])) if g), None)
                if head and following is not None and following.span.start == candidate.span.end + head[0] + 1:
                    add(b + 1, _genitive(head[1]), b, GENITIVE_CONFIDENCE)  # apposition: "X-এর NOUN Y"
                    continue
                if head and subject is not None and b != subject:
                    add(subject, _genitive(head[1]), b, GENITIVE_CONFIDENCE)
                    continue
                if (following is not None and following.span.start == candidate.span.end
                        and candidate.label == following.label == "PLACE"):
                    add(b + 1, "located in", b, GENITIVE_CONFIDENCE)
                    continue
            if subject is None or b == subject or candidate.label == "QUANTITY":
                continue
            postposition = after[0].text if len(after) else ""
            found_verb = self._verb(after[1:] if postposition in POSTPOSITIONS else after)
            if found_verb is None:
                continue
            verb, verb_at = found_verb
            if any(candidate.span.end <= c.span.start < verb_at for c in found if c.label not in LITERAL_TYPES):
                continue  # another name sits nearer the verb: it is that name's argument
            if postposition in POSTPOSITIONS:
                preposition = POSTPOSITIONS[postposition]
                if preposition is None:
                    add(b, verb, subject, POSTPOSITION_CONFIDENCE)
                else:
                    add(subject, f"{verb} {preposition}", b, POSTPOSITION_CONFIDENCE)
            elif candidate.suffix in LOCATIVE_SUFFIXES:
                add(subject, f"{verb} in", b, POSTPOSITION_CONFIDENCE)
            else:
                add(subject, verb, b, SOV_CONFIDENCE)
        for a in range(len(ids)):
            for b in range(a + 1, len(ids)):
                if (a, b) not in linked:
                    super().relate(out, sentence, sent, [found[a], found[b]], [ids[a], ids[b]])


def _attested(stem: str, words: set[str]) -> bool:
    """``stem`` stands alone in the document, or with another ending ("আমেরিকায়" attests "আমেরিকা")."""
    return stem in words or any(stem + suffix in words for suffix in BANGLA_SUFFIXES)


def _is_direction(candidate: Candidate) -> bool:
    """Every word of the mention is a compass word, with or without an ending ("দক্ষিণ-পূর্বে")."""
    parts = [p for word in candidate.text.split() for p in word.split("-") if p]
    return bool(parts) and all(strip_bangla_suffix(p, DIRECTION_WORDS)[0] in DIRECTION_WORDS for p in parts)


def _genitive(gloss: str) -> str:
    """"capital" -> "capital of"; glosses that are participles or carry a preposition stay as they are."""
    if gloss in ("located", "situated"):
        return f"{gloss} in"
    if gloss.endswith(("ed", " as", " after", " of", " in")):
        return gloss
    return f"{gloss} of"


def _subject(found: list[Candidate]) -> int | None:
    """The first typed mention without a case ending (nominative), else the first untyped one; None if all are inflected."""
    nominative = [i for i, c in enumerate(found) if c.label not in LITERAL_TYPES and not c.suffix]
    return next((i for i in nominative if found[i].label != "THING"), nominative[0] if nominative else None)
