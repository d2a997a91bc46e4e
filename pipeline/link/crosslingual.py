"""Match Bangla names to English names by how they sound.

The lexicon merges the names it knows. For the rest, a Bangla name is
romanised and compared with the English names of a compatible type on a
spelling-blind key (:func:`pipeline.transliterate.name_key`):
"সত্যজিৎ রায়" -> "Satyajit Ray" -> "satajat ra" == key("Satyajit Ray").

A pair merges only when each is the other's best match, the score clears the
threshold, and no other English name scores as high (a margin), so an
ambiguous name stays apart rather than joining the wrong entity.

:func:`match_by_encoder` adds what sound cannot find: translations
("বাংলাদেশ সরকার" = "Government of Bangladesh") and names spelled apart
("হাওড়া" = "Howrah"). It scores pairs by the cosine of the multilingual
encoder's label vectors plus a small weight on the sound-alike score, and
merges under the same rules: mutual best, a margin, a threshold.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher

import torch

from pipeline.transliterate import has_bangla, name_key

#: Types that never merge by sound: numbers and dates are not names.
UNNAMED = {"DATE", "QUANTITY"}
#: NER often confuses places and organisations ("Dhaka" the city / the division); people are never places.
EXCHANGEABLE = {"PLACE", "ORGANIZATION"}
MIN_KEY_LETTERS = 4
#: Up to this many key letters a name merges only on an equal key: one letter more of six
#: already scores 0.91 ("ক্যারাল" Caral -> "karal" against Kerala "karala"; "ফিল্ড" against Feluda).
SHORT_KEY_LETTERS = 6


#: Sound backs the encoder only from this score on (method "encoder+transliteration"): a partial overlap
#: ("daka basbadala" / "daka madakal kalaj", 0.55) pushed Dhaka Medical College over University of Dhaka.
#: Below it the encoder alone must carry the merge, and then the types must be equal and known.
SOUND_FLOOR = 0.7
#: A full sound match adds this much to the cosine: about three times the gap between a gold pair's cosine
#: and the best wrong name's (0.90 vs 0.87 on examples/alignment_gold.tsv).
SOUND_WEIGHT = 0.1
#: Blocking: each name is scored against only its nearest names by cosine, on both sides.
ENCODER_CANDIDATES = 10


@dataclass(frozen=True)
class Match:
    bangla: str  # canonical key of the Bangla group
    english: str  # canonical key of the English group
    confidence: float
    method: str = "transliteration"
    cosine: float | None = None  # encoder matches: label cosine and sound-alike score
    transliteration: float | None = None


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


def _score(cosine: float, sound: float) -> float:
    return round(cosine + SOUND_WEIGHT * max(0.0, sound - SOUND_FLOOR) / (1 - SOUND_FLOOR), 4)


def _encoder_allowed(bangla_type: str, english_type: str, sound: float) -> bool:
    """Without sound backing, a cosine alone must not join a country with its government: equal, known types."""
    if not compatible(bangla_type, english_type):
        return False
    return sound >= SOUND_FLOOR or (bangla_type == english_type and bangla_type != "THING")


def _word_alike(a: str, b: str) -> bool:
    """Loose on purpose ("kalaj" / "kalaga" college): it only ever stops a merge."""
    return a == b or (min(len(a), len(b)) >= MIN_KEY_LETTERS and SequenceMatcher(None, a, b).ratio() >= 0.7)


def _longer_name(key_a: str, key_b: str) -> bool:
    """Every word of one name sounds like a word of the other, which has more: another, longer name
    ("ঢাকা কলেজ" / Dhaka Medical College, "সাখাওয়াত হোসেন" / Rokeya Sakhawat Hossain), however close the vectors."""
    a, b = key_a.split(), key_b.split()
    if len(a) > len(b):
        a, b = b, a
    return len(a) < len(b) and all(any(_word_alike(x, y) for y in b) for x in a)


def match_by_encoder(bangla: dict[str, str], english: dict[str, str], *,
                     embed: Callable[[list[str]], torch.Tensor], labels: dict[str, str] | None = None,
                     known: dict[str, list[str]] | None = None, threshold: float = 0.90,
                     margin: float = 0.02) -> list[Match]:
    """Pair Bangla group keys with English group keys (both map key -> type) by encoder similarity; best first.

    ``embed`` maps texts to L2-normalised vectors; ``labels`` gives the text to embed for a key (default: the
    key); ``known`` lists the Bangla names an English group already has: an English name takes a new Bangla
    name only when no Bangla name it has is closer (a country keeps its own name, not its government's).
    Score (``confidence``, capped at 1; ``threshold`` applies to it): cosine + SOUND_WEIGHT x the sound score's
    part above SOUND_FLOOR, rescaled to [0, 1]; ``margin`` is the least lead of the best over the runner-up.
    """
    labels, known = labels or {}, known or {}
    bn = [k for k, kind in bangla.items() if has_bangla(k) and kind not in UNNAMED]
    en = [k for k, kind in english.items() if kind not in UNNAMED]
    if not bn or not en:
        return []
    own = [(j, name) for j, e in enumerate(en) for name in known.get(e, ())]
    vectors = embed([labels.get(k, k) for k in bn] + [labels.get(k, k) for k in en] + [name for _, name in own])
    vb, ve, vk = vectors[:len(bn)], vectors[len(bn):len(bn) + len(en)], vectors[len(bn) + len(en):]
    keys: dict[str, str] = {}

    def sound(a: str, b: str) -> float:
        ka, kb = (keys.setdefault(x, name_key(x)) for x in (a, b))
        return similarity(ka, kb) if ka and kb and ka[0] == kb[0] else 0.0

    # Blocking keeps it near-linear: each Bangla name's nearest English names and each English name's nearest
    # Bangla names by cosine (chunked matrix products); only those pairs get the slower sound score.
    k = min(ENCODER_CANDIDATES, len(en))
    pairs: set[tuple[int, int]] = set()
    column_best = torch.full((len(en), min(ENCODER_CANDIDATES, len(bn))), -2.0)
    column_rows = torch.zeros_like(column_best, dtype=torch.long)
    for start in range(0, len(bn), 2048):
        cos = vb[start:start + 2048] @ ve.T
        pairs.update((start + i, j) for i, row in enumerate(cos.topk(k, dim=1).indices.tolist()) for j in row)
        both = torch.cat([column_best, cos.T], dim=1)
        rows = torch.cat([column_rows, torch.arange(start, start + cos.shape[0]).expand(len(en), -1)], dim=1)
        column_best, at = both.topk(column_best.shape[1], dim=1)
        column_rows = rows.gather(1, at)
    pairs.update((i, j) for j, row in enumerate(column_rows.tolist()) for i in row)

    scored: dict[int, list[tuple[float, int, float, float]]] = defaultdict(list)  # bangla -> (score, en, cos, sound)
    for i, j in pairs:
        s = sound(bn[i], en[j])
        if _encoder_allowed(bangla[bn[i]], english[en[j]], s) and not _longer_name(keys[bn[i]], keys[en[j]]):
            c = float(vb[i] @ ve[j])
            scored[i].append((_score(c, s), j, c, s))
    best_for_en: dict[int, float] = defaultdict(lambda: -2.0)
    for (j, name), v in zip(own, vk):
        best_for_en[j] = max(best_for_en[j], _score(float(v @ ve[j]), sound(name, en[j])))
    for ranked in scored.values():
        ranked.sort(reverse=True)
        for score, j, _, _ in ranked:
            best_for_en[j] = max(best_for_en[j], score)
    claims: dict[int, int] = defaultdict(int)  # ties for an English name's best: no merge
    for ranked in scored.values():
        claims[ranked[0][1]] += ranked[0][0] == best_for_en[ranked[0][1]]
    matches = []
    for i, ranked in scored.items():
        score, j, c, s = ranked[0]
        runner_up = ranked[1][0] if len(ranked) > 1 else -2.0
        confidence = min(1.0, score)
        if confidence >= threshold and score - runner_up >= margin and score == best_for_en[j] and claims[j] == 1:
            method = "encoder+transliteration" if s >= SOUND_FLOOR else "encoder"
            matches.append(Match(bn[i], en[j], confidence, method, round(c, 4), round(s, 4)))
    return sorted(matches, key=lambda m: (-m.confidence, m.bangla))
