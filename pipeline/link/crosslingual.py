"""Match Bangla names to English names by how they sound.

The lexicon merges the names it knows. For the rest, a Bangla name is
romanised and compared with the English names of a compatible type on a
spelling-blind key (:func:`pipeline.transliterate.name_key`):
"সত্যজিৎ রায়" -> "Satyajit Ray" -> "satajat ra" == key("Satyajit Ray").

A pair merges only when each is the other's best match, the score clears the
threshold, and no other English name scores as high (a margin), so an
ambiguous name stays apart rather than joining the wrong entity.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from difflib import SequenceMatcher

from pipeline.transliterate import has_bangla, name_key

#: Types that never merge by sound: numbers and dates are not names.
UNNAMED = {"DATE", "QUANTITY"}
#: NER often confuses places and organisations ("Dhaka" the city / the division); people are never places.
EXCHANGEABLE = {"PLACE", "ORGANIZATION"}
MIN_KEY_LETTERS = 4
#: Up to this many key letters a name merges only on an equal key: one letter more of six
#: already scores 0.91 ("ক্যারাল" Caral -> "karal" against Kerala "karala"; "ফিল্ড" against Feluda).
SHORT_KEY_LETTERS = 6


@dataclass(frozen=True)
class Match:
    bangla: str  # canonical key of the Bangla group
    english: str  # canonical key of the English group
    confidence: float


def compatible(type_a: str, type_b: str) -> bool:
    if type_a in UNNAMED or type_b in UNNAMED:
        return False
    return type_a == type_b or "THING" in (type_a, type_b) or {type_a, type_b} <= EXCHANGEABLE


def similarity(key_a: str, key_b: str) -> float:
    """Sound-alike score in [0, 1]; names with a different word count lose a little; short names
    score 0 unless their keys are equal."""
    a, b = key_a.replace(" ", ""), key_b.replace(" ", "")
    if min(len(a), len(b)) <= SHORT_KEY_LETTERS and a != b:
        return 0.0
    joined = SequenceMatcher(None, a, b).ratio()
    return joined if key_a.count(" ") == key_b.count(" ") else joined * 0.92


def match_by_transliteration(bangla: dict[str, str], english: dict[str, str], *, threshold: float = 0.86,
                             margin: float = 0.04) -> list[Match]:
    """Pair Bangla group keys with English group keys (both map key -> type); best first."""
    en_keys = {k: name_key(k) for k in english}
    by_initial: dict[str, list[str]] = defaultdict(list)  # blocking: compare only names with one initial sound
    for key, nk in en_keys.items():
        if len(nk.replace(" ", "")) >= MIN_KEY_LETTERS:
            by_initial[nk[0]].append(key)
    scores: dict[str, list[tuple[float, str]]] = {}
    for key, kind in bangla.items():
        if not has_bangla(key) or kind in UNNAMED:
            continue
        nk = name_key(key)
        if len(nk.replace(" ", "")) < MIN_KEY_LETTERS:
            continue
        ranked = sorted(((round(similarity(nk, en_keys[e]), 4), e) for e in by_initial.get(nk[0], ())
                         if compatible(kind, english[e])), reverse=True)
        if ranked:
            scores[key] = ranked
    best_for_en: dict[str, float] = defaultdict(float)
    for ranked in scores.values():
        for score, e in ranked:
            best_for_en[e] = max(best_for_en[e], score)
    # How many Bangla names reach each English name's best score: more than one is a tie, so no merge.
    claims = defaultdict(int)
    for ranked in scores.values():
        score, e = ranked[0]
        claims[e] += score == best_for_en[e]
    matches = []
    for key, ranked in scores.items():
        score, e = ranked[0]
        runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
        if score >= threshold and score - runner_up >= margin and score == best_for_en[e] and claims[e] == 1:
            matches.append(Match(key, e, score))
    return sorted(matches, key=lambda m: (-m.confidence, m.bangla))
