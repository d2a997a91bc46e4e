"""NFC-normalised text for matching, with offsets that map back to the text as given.

Extraction matches on NFC text: the lexicon, the NER and the romaniser all
expect it. But NFC changes lengths: the precomposed Bangla letters য় ড় ঢ়
(U+09DF, U+09DC, U+09DD) are composition exclusions, so NFC *decomposes*
them into consonant + nukta, while ে + া compose into ো. Offsets that leave
the extractor must index the user's text (DESIGN.md), so
:func:`normalise` returns the normalised text together with an
:class:`OffsetMap` back to the original.

How: NFC never composes or reorders across whitespace (a space is a
starter that composes with nothing), so the text is cut into runs of
whitespace and non-whitespace and each run is normalised alone. Inside a
run that NFC changed, an original boundary ``i`` is a *split point* when
``NFC(run[:i]) + NFC(run[i:]) == NFC(run)``; split points map exactly. A
normalised offset inside a composed character (no split point lands there)
is widened outwards: a start to the split point before it, an end to the
one after, so a mapped span always covers what was matched. Word
boundaries are always split points, so per-character segmentation
(wrong for ো = ে + া, two starters) is never needed.

Leading and trailing whitespace is stripped from the normalised text and
counted in the map, so ``strip()`` shifts nothing either.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field

_RUNS = re.compile(r"\s+|\S+")


@dataclass(frozen=True)
class _Run:
    """A run that NFC changed: where it starts on both sides, and its split points."""

    norm_start: int
    orig_start: int
    #: (normalised offset, original offset) of every split point within the run, ascending.
    points: tuple[tuple[int, int], ...]

    @property
    def norm_end(self) -> int:
        return self.norm_start + self.points[-1][0]

    @property
    def orig_end(self) -> int:
        return self.orig_start + self.points[-1][1]


@dataclass(frozen=True)
class OffsetMap:
    """Maps offsets into the normalised text back to offsets into the original."""

    #: Characters stripped off the front (the normalised text starts there).
    lead: int = 0
    runs: tuple[_Run, ...] = ()
    _starts: tuple[int, ...] = field(default=(), repr=False)

    def to_original(self, offset: int, *, end: bool = False) -> int:
        """The original offset of normalised ``offset``; ``end`` rounds up inside a composed character."""
        k = bisect_right(self._starts, offset) - 1
        if k < 0:
            return self.lead + offset
        run = self.runs[k]
        if offset >= run.norm_end:  # past the run: unchanged text keeps the run's shift
            return self.lead + offset - run.norm_end + run.orig_end
        local = offset - run.norm_start
        before = [o for n, o in run.points if n <= local]
        after = [o for n, o in run.points if n >= local]
        return self.lead + run.orig_start + (after[0] if end else before[-1])

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of normalised ``[start, end)``."""
        return self.to_original(start), self.to_original(end, end=True)


@dataclass(frozen=True)
class Normalised:
    """NFC text without outer whitespace (``text``), and how its offsets map to ``original``."""

    text: str
    original: str
    offsets: OffsetMap

    @property
    def changed(self) -> bool:
        return self.text != self.original


def _split_points(run: str, normal: str) -> tuple[tuple[int, int], ...]:
    points = []
    for i in range(len(run) + 1):
        head, tail = unicodedata.normalize("NFC", run[:i]), unicodedata.normalize("NFC", run[i:])
        if head + tail == normal:
            points.append((len(head), i))
    return tuple(points)


def normalise(text: str) -> Normalised:
    """NFC ``text``, stripped, with the offset map back to ``text``."""
    stripped = text.strip()
    lead = len(text) - len(text.lstrip())
    if unicodedata.is_normalized("NFC", stripped):  # the common case: nothing to map but the strip
        return Normalised(stripped, text, OffsetMap(lead))
    runs, parts, norm_at = [], [], 0
    for match in _RUNS.finditer(stripped):
        run = match.group()
        normal = unicodedata.normalize("NFC", run)
        if normal != run:
            runs.append(_Run(norm_at, match.start(), _split_points(run, normal)))
        parts.append(normal)
        norm_at += len(normal)
    return Normalised("".join(parts), text, OffsetMap(lead, tuple(runs), tuple(r.norm_start for r in runs)))
