"""Canonical surface forms for mentions, within a document and across documents.

* Articles, titles and a possessive 's are trimmed ("the Dr. Marie Curie's" ->
  "Marie Curie"); digit grouping goes ("1,873" -> "1873").
* A one-word person-like mention that is the first or last word of exactly
  one longer person name in the same document takes that name
  ("Curie" -> "Marie Curie").
* Across documents (one :class:`Canonicaliser` over a whole JSONL run), a
  one-word person-like mention with no full name in its own document takes
  the unique full name seen earlier in the run that starts or ends with it.

Only person-like names merge: "Dhaka" must not become "University of Dhaka".
"""

from __future__ import annotations

import re
from collections import defaultdict

TITLES = {"the", "a", "an", "dr", "dr.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "sir", "dame", "prof", "prof.",
          "professor", "lord", "lady", "saint", "st."}
_POSSESSIVE = re.compile(r"\s*['’]s?$")
_GROUPED_NUMBER = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
PERSONLIKE = {"PERSON", "THING"}


def clean_surface(text: str) -> str:
    """The surface form without leading articles/titles, possessive 's or outer punctuation."""
    words = text.strip().strip("\"'“”‘’()[],;:").split()
    while len(words) > 1 and words[0].casefold() in TITLES:
        words = words[1:]
    cleaned = " ".join(words)
    cleaned = _POSSESSIVE.sub("", cleaned) if len(cleaned) > 3 else cleaned
    if _GROUPED_NUMBER.match(cleaned):
        cleaned = cleaned.replace(",", "")  # "1,873" -> "1873": one spelling per number
    return cleaned or text.strip()


class Canonicaliser:
    """Maps each mention of a document to its canonical surface string."""

    def __init__(self, across_documents: bool = True) -> None:
        self.across_documents = across_documents
        self._full_names: dict[str, set[str]] = defaultdict(set)  # first/last word -> full person names seen

    def document(self, mentions: list[dict]) -> dict[str, str]:
        """mention_id -> canonical text, for the mentions of one document."""
        surface = {m["mention_id"]: clean_surface(m["text"]) for m in mentions}
        label = {m["mention_id"]: m["label"] for m in mentions}
        long_names: dict[str, set[str]] = defaultdict(set)
        for mid, text in surface.items():
            words = text.split()
            if len(words) > 1 and label[mid] == "PERSON":
                long_names[words[0].casefold()].add(text)
                long_names[words[-1].casefold()].add(text)
        canonical = {}
        for mid, text in surface.items():
            canonical[mid] = text
            if " " in text or label[mid] not in PERSONLIKE or not text[:1].isupper():
                continue
            here = long_names.get(text.casefold(), set())
            if len(here) == 1:
                canonical[mid] = next(iter(here))
            elif not here and self.across_documents and label[mid] == "PERSON":
                seen = self._full_names.get(text.casefold(), set())
                if len(seen) == 1:
                    canonical[mid] = next(iter(seen))
        if self.across_documents:
            for word, names in long_names.items():
                self._full_names[word] |= names
        return canonical
