"""Bangla -> Latin romanisation of names, and a spelling-blind key to compare names across scripts.

``romanise("রবীন্দ্রনাথ ঠাকুর") == "Rabindranath Thakur"``. Rules: consonants carry
an inherent "a" unless a vowel sign or hasanta follows; the word-final
inherent vowel is dropped; ya-phala is "y", ba-phala after a consonant is
silent. English spellings of Bangla names vary (Nazrul / Najrul, Bose / Basu),
so matching uses :func:`name_key`, which keeps consonant classes and folds
vowels, on both the romanised Bangla and the English name.
"""

from __future__ import annotations

import re
import unicodedata

CONSONANTS = {
    "ক": "k", "খ": "kh", "গ": "g", "ঘ": "gh", "ঙ": "ng", "চ": "ch", "ছ": "chh", "জ": "j", "ঝ": "jh", "ঞ": "n",
    "ট": "t", "ঠ": "th", "ড": "d", "ঢ": "dh", "ণ": "n", "ত": "t", "থ": "th", "দ": "d", "ধ": "dh", "ন": "n",
    "প": "p", "ফ": "ph", "ব": "b", "ভ": "bh", "ম": "m", "য": "j", "র": "r", "ল": "l", "শ": "sh", "ষ": "sh",
    "স": "s", "হ": "h", "\u09dc": "r", "\u09dd": "rh", "\u09df": "y",
}
VOWELS = {"অ": "a", "আ": "a", "ই": "i", "ঈ": "i", "উ": "u", "ঊ": "u", "ঋ": "ri", "এ": "e", "ঐ": "oi", "ও": "o", "ঔ": "ou"}
VOWEL_SIGNS = {"া": "a", "ি": "i", "ী": "i", "ু": "u", "ূ": "u", "ৃ": "ri", "ে": "e", "ৈ": "oi", "ো": "o", "ৌ": "ou"}
#: Signs that close a syllable: anusvara, chandrabindu, visarga, khanda ta.
CODAS = {"ং": "ng", "ঁ": "n", "ঃ": "h", "ৎ": "t"}
HASANTA = "্"
#: NFC keeps ড় ঢ় য় decomposed (consonant + nukta); fold them to single letters.
_NUKTA = {"ড\u09bc": "\u09dc", "ঢ\u09bc": "\u09dd", "য\u09bc": "\u09df"}
_BANGLA = re.compile(r"[\u0980-\u09FF]")


def has_bangla(text: str) -> bool:
    return bool(_BANGLA.search(text))


def _syllables(word: str) -> list[list]:
    """[consonants, vowel, kind, coda] per syllable; kind is "sign", "inherent" or "none"."""
    units: list[list] = []
    for ch in word:
        last = units[-1] if units else None
        if ch in CONSONANTS:
            if last is not None and last[2] == "hasanta":
                # ya-phala is "y"; ba-phala after a consonant is silent ("বিশ্ব" -> "bishw" -> "bish").
                sound = {"য": "y", "ব": ""}.get(ch, CONSONANTS[ch])
                last[0].append(sound)
                last[1], last[2] = "a", "inherent"
            else:
                units.append([[CONSONANTS[ch]], "a", "inherent", ""])
        elif ch in VOWEL_SIGNS and last is not None and last[2] == "inherent" and not last[3]:
            last[1], last[2] = VOWEL_SIGNS[ch], "sign"
        elif ch == HASANTA and last is not None and last[0]:
            last[1], last[2] = "", "hasanta"
        elif ch in VOWELS:
            units.append([[], VOWELS[ch], "sign", ""])
        elif ch in CODAS and last is not None:
            last[3] += CODAS[ch]
        elif ch in VOWEL_SIGNS:
            units.append([[], VOWEL_SIGNS[ch], "sign", ""])
        else:
            units.append([[], "", "none", {"।": "."}.get(ch, str(int(ch)) if ch.isdigit() else ch)])
    return units


def _romanise_word(word: str) -> str:
    units = _syllables(word)
    for unit in units:
        if unit[2] == "hasanta":
            unit[1], unit[2] = "", "none"
    simple = [len([c for c in unit[0] if c]) == 1 for unit in units]
    last = units[-1] if units else None
    if last and last[2] == "inherent" and not last[3] and len(units) > 1 and simple[-1]:
        last[1] = ""  # the final inherent vowel is silent, except after a conjunct ("Padma", "Surya")
    for i in range(1, len(units) - 1):
        unit, before, after = units[i], units[i - 1], units[i + 1]
        if unit[2] == "inherent" and not unit[3] and simple[i] and before[1] and simple[i + 1] and after[1]:
            unit[1] = ""  # medial schwa deletion V C a C V -> V C C V ("Kolkata", "Abdul", "Rahman")
    return "".join("".join(c) + v + coda for c, v, _, coda in units)


def romanise(text: str) -> str:
    """Latin spelling of Bangla ``text``; other characters pass through. Words are capitalised."""
    text = unicodedata.normalize("NFC", text)
    for pair, letter in _NUKTA.items():
        text = text.replace(pair, letter)
    words = [_romanise_word(w) if has_bangla(w) else w for w in text.split()]
    return " ".join(w[:1].upper() + w[1:] for w in words)


#: Digraphs and letters that sound alike in names, folded to one consonant class.
_FOLDS = [("chh", "c"), ("ch", "c"), ("sh", "s"), ("kh", "k"), ("gh", "g"), ("th", "t"), ("dh", "d"),
          ("ph", "f"), ("bh", "b"), ("jh", "j"), ("rh", "r"), ("ck", "k"), ("z", "j"), ("q", "k"), ("v", "b"),
          ("w", "b"), ("x", "ks"), ("y", "i"), ("c", "k")]
_VOWEL_RUN = re.compile(r"[aeiou]+")
_REPEAT = re.compile(r"(.)\1+")


def name_key(text: str) -> str:
    """A spelling-blind key: romanised, ASCII, consonant classes folded, vowel runs -> "a", doubles collapsed."""
    if has_bangla(text):
        text = romanise(text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z ]+", "", text)
    for source, target in _FOLDS:
        text = text.replace(source, target)
    text = _REPEAT.sub(r"\1", text)
    text = _VOWEL_RUN.sub("a", text)
    return " ".join(text.split())
