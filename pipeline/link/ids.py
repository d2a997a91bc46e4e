"""Stable ids: the same canonical label and type always mint the same id.

A re-run therefore mints the same IRIs, and loading it again adds nothing.
"""

from __future__ import annotations

import hashlib

from pipeline.extract.canonicalise import canonical_key as normalise_key  # noqa: F401  (one canonicaliser)


def _hash(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def entity_id(key: str, entity_type: str) -> str:
    return _hash("entity", entity_type, key)


def edge_id(doc_id: str, start: int, end: int, subject_id: str, predicate: str, object_id: str) -> str:
    return _hash("edge", doc_id, str(start), str(end), subject_id, predicate, object_id)
