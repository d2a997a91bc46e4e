"""Fuzzy matching of entity strings and relation names, shared by evaluations."""

from __future__ import annotations

import re
import unicodedata

from pipeline.extract.schema_mapping import relation_words

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def _fold_latin_accents(text: str) -> str:
    """"Gérard" -> "Gerard"; marks on other scripts (Bangla vowel signs) are letters and stay."""
    out = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch) and out and out[-1].isascii():
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


#: "A.C.", "U.S.", "F.C" (a sentence's full stop taken): one word, as a tokenizer has it.
_INITIALISM = re.compile(r"\b(?:[^\W\d_]\.)+[^\W\d_]\b\.?", re.UNICODE)


def _words(text: str) -> list[str]:
    text = _INITIALISM.sub(lambda m: m.group().replace(".", ""), unicodedata.normalize("NFC", text))
    return _WORD.findall(_fold_latin_accents(text).casefold())


def entity_match(a: str, b: str, *, jaccard: float = 0.5) -> bool:
    """Containment of one word sequence in the other, or token Jaccard >= ``jaccard``.

    Words are case- and Latin-accent-folded ("Gerard Larcher" is "Gérard Larcher").

    Containment is by whole words: "Aarhus" is in "Aarhus Airport", "Aar" is
    not (a plain substring test would let any fragment match)."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return False
    na, nb = f" {' '.join(wa)} ", f" {' '.join(wb)} "
    if na in nb or nb in na:
        return True
    ta, tb = set(wa), set(wb)
    return len(ta & tb) / len(ta | tb) >= jaccard


STOP = {"of", "the", "in", "a", "an", "to", "by", "for", "at", "on", "is", "be"}


def relation_match(predicted: str, gold: str) -> bool:
    """True when the relation names share a content word."""
    return bool((set(relation_words(predicted).split()) & set(relation_words(gold).split())) - STOP)
