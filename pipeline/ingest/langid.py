"""Offline language identification: Unicode script first, stop words second.

Bangla, Hindi, Arabic, Russian... are told apart by their script. Latin-script
languages are told apart by how many of their tokens are stop words of each
candidate language (spaCy ships stop-word lists for ~70 languages, offline).
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from functools import lru_cache

#: Script name as printed by ``unicodedata.name`` -> language when unique.
SCRIPT_LANGS = {
    "BENGALI": "bn",
    "DEVANAGARI": "hi",
    "ARABIC": "ar",
    "CYRILLIC": "ru",
    "GREEK": "el",
    "HEBREW": "he",
    "THAI": "th",
    "HANGUL": "ko",
    "HIRAGANA": "ja",
    "KATAKANA": "ja",
    "CJK": "zh",
    "TAMIL": "ta",
    "GURMUKHI": "pa",
    "GUJARATI": "gu",
}

#: Latin-script languages compared by stop words (spaCy module names).
LATIN_LANGS = ("en", "de", "fr", "es", "it", "pt", "nl", "sv", "da", "nb", "fi", "pl", "cs", "tr", "id", "ro")

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@lru_cache(maxsize=None)
def _stop_words(lang: str) -> frozenset[str]:
    try:
        module = importlib.import_module(f"spacy.lang.{lang}.stop_words")
    except ImportError:
        return frozenset()
    return frozenset(module.STOP_WORDS)


def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    return name.split(" ")[0] if name else ""


def detect_language(text: str, *, sample: int = 2000) -> str:
    """Return an ISO 639-1 code for ``text`` ("und" when there are no letters)."""
    counts: dict[str, int] = {}
    for char in text[:sample]:
        if char.isalpha():
            script = _script(char)
            counts[script] = counts.get(script, 0) + 1
    if not counts:
        return "und"
    script = max(counts, key=counts.get)
    if script != "LATIN":
        return SCRIPT_LANGS.get(script, "und")
    words = [w.lower() for w in _WORD.findall(text[:sample])]
    if not words:
        return "und"
    scores = {lang: sum(w in _stop_words(lang) for w in words) for lang in LATIN_LANGS}
    best = max(scores, key=scores.get)
    # Text with no stop words at all (lists, titles) is most likely English here.
    return best if scores[best] > 0 else "en"
