"""Fuzzy matching of entity strings and relation names, shared by evaluations."""

from __future__ import annotations

import re
import unicodedata

from pipeline.extract.schema_mapping import relation_words

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def tokens(text: str) -> set[str]:
    return set(_WORD.findall(unicodedata.normalize("NFC", text).casefold()))


def entity_match(a: str, b: str, *, jaccard: float = 0.5) -> bool:
    """Containment of one normalised string in the other, or token Jaccard >= ``jaccard``."""
    x, y = " ".join(sorted(tokens(a))), " ".join(sorted(tokens(b)))
    na, nb = " ".join(_WORD.findall(a.casefold())), " ".join(_WORD.findall(b.casefold()))
    if not na or not nb:
        return False
    if na in nb or nb in na:
        return True
    ta, tb = set(x.split()), set(y.split())
    return len(ta & tb) / len(ta | tb) >= jaccard


STOP = {"of", "the", "in", "a", "an", "to", "by", "for", "at", "on", "is", "be"}


def relation_match(predicted: str, gold: str) -> bool:
    """True when the relation names share a content word."""
    return bool((set(relation_words(predicted).split()) & set(relation_words(gold).split())) - STOP)
