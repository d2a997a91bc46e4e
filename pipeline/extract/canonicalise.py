"""Canonical names for mentions: one module for `kg extract` and the link stage of `kg build`.

* :func:`clean_surface`: articles, titles and a possessive 's are trimmed
  ("the Dr. Marie Curie's" -> "Marie Curie", "President Kennedy" -> "Kennedy");
  digit grouping goes ("1,873" -> "1873").
* :func:`canonical_key`: the case-folded clean form, which mints entity ids.
* :func:`person_merges`: variants of one person's name meet: a middle initial
  does not make another person ("Sirhan B. Sirhan" / "Sirhan Sirhan",
  "John F. Kennedy" / "John Kennedy": the longer form wins), and a one-word
  name takes the unique longer person name that starts or ends with it
  ("Kennedy" -> "John F. Kennedy"). Only person-like names merge: "Dhaka"
  must not become "University of Dhaka".
* :class:`Canonicaliser` applies them within a document and, over a whole
  JSONL run, across documents (a one-word name with no full name in its own
  document takes the unique full name seen earlier in the run).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable

#: Words dropped before a name: articles, honorifics and offices ("President Kennedy" is Kennedy).
TITLES = {"the", "a", "an", "dr", "dr.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "sir", "dame", "prof", "prof.",
          "professor", "lord", "lady", "saint", "st.", "president", "vice", "senator", "sen.", "gov.", "governor",
          "rep.", "representative", "gen.", "general", "judge", "justice", "mayor", "rev.", "reverend", "capt.",
          "captain", "sgt.", "lt.", "col.", "chancellor", "premier", "prime", "minister"}
_POSSESSIVE = re.compile(r"\s*['’]s?$")
_GROUPED_NUMBER = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_INITIAL = re.compile(r"^[^\W\d_]\.?$")
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


def canonical_key(text: str) -> str:
    """Case-folded NFC clean form: "The University of Dhaka" -> "university of dhaka"."""
    return " ".join(clean_surface(unicodedata.normalize("NFC", text)).casefold().split())


def _without_initials(name: str) -> tuple[str, ...]:
    words = name.casefold().split()
    return tuple(w for n, w in enumerate(words) if not (0 < n < len(words) - 1 and _INITIAL.match(w)))


def person_merges(names: Iterable[str], is_person: Callable[[str], bool],
                  is_full_person: Callable[[str], bool] | None = None) -> dict[str, str]:
    """``name -> fuller name`` for person names that are variants or parts of one other name.

    ``is_person(name)`` says a name may be a person (a one-word name or a variant that merges);
    ``is_full_person`` (default: the same) says a longer name is surely one (what others merge into).
    """
    names = set(names)
    full = is_full_person or is_person
    merged: dict[str, str] = {}
    by_shape: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for name in names:
        if len(name.split()) > 1 and is_person(name):
            by_shape[_without_initials(name)].add(name)
    for group in by_shape.values():
        if len(group) > 1:
            longest = max(group, key=lambda n: (len(n), n))
            merged.update({n: longest for n in group if n != longest})
    by_word: dict[str, set[str]] = defaultdict(set)
    for name in names:
        words = name.casefold().split()
        if len(words) > 1 and full(name):
            by_word[words[0]].add(merged.get(name, name))
            by_word[words[-1]].add(merged.get(name, name))
    for name in names:
        if " " not in name and is_person(name):
            candidates = by_word.get(name.casefold(), set())
            if len(candidates) == 1:
                merged[name] = next(iter(candidates))
    return merged


class Canonicaliser:
    """Maps each mention of a document to its canonical surface string."""

    def __init__(self, across_documents: bool = True) -> None:
        self.across_documents = across_documents
        self._full_names: dict[str, set[str]] = defaultdict(set)  # first/last word -> full person names seen

    def document(self, mentions: list[dict]) -> dict[str, str]:
        """mention_id -> canonical text, for the mentions of one document."""
        surface = {m["mention_id"]: clean_surface(m["text"]) for m in mentions}
        labels: dict[str, set[str]] = defaultdict(set)
        for m in mentions:
            labels[surface[m["mention_id"]]].add(m["label"])

        def is_person(name: str) -> bool:
            return name[:1].isupper() and labels[name] <= PERSONLIKE and ("PERSON" in labels[name] or " " not in name)

        merged = person_merges(surface.values(), is_person, lambda name: labels[name] == {"PERSON"})
        canonical = {mid: merged.get(text, text) for mid, text in surface.items()}
        if self.across_documents:
            for mid, text in surface.items():
                if text not in merged and " " not in text and labels[text] == {"PERSON"}:
                    seen = self._full_names.get(text.casefold(), set())
                    if len(seen) == 1:
                        canonical[mid] = next(iter(seen))
            for name in set(canonical.values()):
                words = name.split()
                if len(words) > 1 and labels.get(name) == {"PERSON"}:
                    self._full_names[words[0].casefold()].add(name)
                    self._full_names[words[-1].casefold()].add(name)
        return canonical
