"""Stable ids: the same canonical label and type always mint the same id.

A re-run therefore mints the same IRIs, and loading it again adds nothing.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

LEADING_WORDS = {"the", "a", "an", "dr", "dr.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "sir", "prof", "prof.", "professor"}
_SPACE = re.compile(r"\s+")


def _hash(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def normalise_key(text: str) -> str:
    """Case-folded, NFC, without leading articles/titles or a possessive 's."""
    text = unicodedata.normalize("NFC", text).strip()
    text = re.sub(r"['’]s$", "", text)
    words = _SPACE.split(text.casefold())
    while len(words) > 1 and words[0] in LEADING_WORDS:
        words = words[1:]
    return " ".join(words)


def entity_id(key: str, entity_type: str) -> str:
    return _hash("entity", entity_type, key)


def edge_id(doc_id: str, start: int, end: int, subject_id: str, predicate: str, object_id: str) -> str:
    return _hash("edge", doc_id, str(start), str(end), subject_id, predicate, object_id)
