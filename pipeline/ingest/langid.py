"""Language routing: Unicode script first, lingua's models second, a prior last.

The dominant script settles most texts (Bangla, Hindi, Arabic, ...). Among the
configured languages that share a script (English, German, ... in Latin),
lingua-language-detector decides: offline n-gram models made for short text.
Lingua reads names as language evidence ("The leader of Aarhus is Jacob
Bundsgaard." is Danish to it), so capitalised words past a sentence start are
masked first. A text leaves the prior language (configured, else the majority
of the confident detections so far) only when lingua is at least
``min_confidence`` sure: short English lines stay English
(``bench/langid_routing.py`` measures it).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Iterable

from pipeline.errors import ConfigError

#: Script name as printed by ``unicodedata.name`` -> its language when no configured language uses it.
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
#: Languages not written in Latin script (the rest are); more than one per script goes to lingua.
LANG_SCRIPTS = {lang: script for script, lang in SCRIPT_LANGS.items() if script not in ("HIRAGANA", "KATAKANA")} | {
    "mr": "DEVANAGARI", "fa": "ARABIC", "ur": "ARABIC",
    "uk": "CYRILLIC", "bg": "CYRILLIC", "be": "CYRILLIC", "kk": "CYRILLIC", "mk": "CYRILLIC", "mn": "CYRILLIC",
}
#: Loaded on first need, about 0.4 s and 30 MB per Latin-script language (bench/langid_routing.py).
DEFAULT_LANGUAGES = ("en", "bn", "de", "fr", "es", "it", "pt", "nl")

_EVIDENCE = re.compile(r"(?<!\w)[^\W\d_A-Z]{2,}")  # lower-case words


_HEAD_START = 10


def mask_names(text: str, script: str) -> str:
    """The words of ``text`` in ``script``, less numbers and capitalised words past a sentence start:
    names and quoted foreign words carry no language."""
    kept, sentence_start = [], True
    for token in text.split():
        head = token.lstrip("\"'“‘([¿¡")[:1]
        if (not any(c.isdigit() for c in token) and not (head.isupper() and not sentence_start)
                and all(_script(c) == script for c in token if c.isalpha())):
            kept.append(token)
        sentence_start = token.rstrip("\"'”’)]")[-1:] in (".", "!", "?")
    return " ".join(kept)


@lru_cache(maxsize=1)
def known_languages() -> tuple[str, ...]:
    """ISO 639-1 codes that routing and extraction know: lingua's and spaCy's languages."""
    from importlib.util import find_spec
    from pathlib import Path

    # Read spaCy's language folders without importing spaCy (seconds): `kg extract --lang` checks first.
    spacy_lang = Path(find_spec("spacy").origin).parent / "lang"
    spacy_langs = {p.name for p in spacy_lang.iterdir() if p.is_dir() and len(p.name) == 2}
    return tuple(sorted((spacy_langs | set(lingua_languages())) - {"xx"}))


@lru_cache(maxsize=1)
def lingua_languages() -> frozenset[str]:
    from lingua import IsoCode639_1

    return frozenset(name.lower() for name in dir(IsoCode639_1) if len(name) == 2 and name.isupper())


def unknown_language(code: str, *, allow_auto: bool = True) -> str | None:
    """Why ``code`` is not a known language code (or "auto"), listing the known ones; None if it is."""
    if (allow_auto and code == "auto") or code in known_languages():
        return None
    return f"unknown language code {code!r}; known: {'auto, ' if allow_auto else ''}{', '.join(known_languages())}"


def check_language(code: str, *, allow_auto: bool = True) -> str:
    """Return ``code`` if it names a known language (or "auto"); raise a one-line ConfigError otherwise."""
    if problem := unknown_language(code, allow_auto=allow_auto):
        raise ConfigError(problem[0].upper() + problem[1:] + ".")
    return code


def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    return name.split(" ")[0] if name else ""


def dominant_script(text: str) -> str | None:
    """The script of most letters in ``text`` (vowel signs count: Bangla words are half marks)."""
    counts: Counter[str] = Counter(
        _script(c) for c in text if c.isalpha() or unicodedata.category(c).startswith("M"))
    counts.pop("", None)
    return counts.most_common(1)[0][0] if counts else None


class LanguageRouter:
    """Give each text of one run a language code; one instance per run (it learns the majority).

    Args:
        languages: ISO 639-1 codes to tell apart (default :data:`DEFAULT_LANGUAGES`).
        min_confidence: lingua's confidence needed to leave the prior language of a script.
        prior: the language to keep when lingua is unsure (Latin script); None: the majority so far.
        sample: characters of each text that are read.
    """

    def __init__(self, languages: Iterable[str] = DEFAULT_LANGUAGES, *, min_confidence: float = 0.5,
                 prior: str | None = None, sample: int = 2000) -> None:
        languages = tuple(dict.fromkeys(check_language(code, allow_auto=False) for code in languages))
        if prior is not None and prior not in languages:
            raise ConfigError(f"Prior language {prior!r} is not among the routed languages {', '.join(languages)}.")
        self.by_script: dict[str, tuple[str, ...]] = {}
        for code in languages:
            script = LANG_SCRIPTS.get(code, "LATIN")
            self.by_script[script] = self.by_script.get(script, ()) + (code,)
        for script, codes in self.by_script.items():
            if len(codes) > 1 and (missing := [c for c in codes if c not in lingua_languages()]):
                raise ConfigError(f"No language model tells {', '.join(missing)} apart from {', '.join(codes)}; "
                                  f"route fewer {script.lower()}-script languages or fix the codes.")
        self.min_confidence, self.prior, self.sample = min_confidence, prior, sample
        self._confident: dict[str, Counter[str]] = {}
        self._detectors: dict[str, object] = {}

    def __call__(self, text: str) -> str:
        text = text[: self.sample]
        script = dominant_script(text)
        if script is None:
            return "und"
        candidates = self.by_script.get(script, ())
        if len(candidates) <= 1:
            return candidates[0] if candidates else SCRIPT_LANGS.get(script, "en" if script == "LATIN" else "und")
        lang, confidence = self._detect(script, text)
        if lang is not None and confidence >= self.min_confidence:
            self._confident.setdefault(script, Counter())[lang] += 1
            return lang
        return self._prior(script)

    def release(self) -> None:
        """Free the loaded models (about 130 MB for the defaults); a later text loads them again."""
        for detector in self._detectors.values():
            detector.unload_language_models()

    def _prior(self, script: str) -> str:
        candidates = self.by_script[script]
        if self.prior in candidates:
            return self.prior
        # The majority of confident detections, the first configured language counting _HEAD_START
        # of them already: one early misdetection must not become the corpus's prior.
        counts = self._confident.get(script, Counter())
        return max(candidates, key=lambda code: counts[code] + (_HEAD_START if code == candidates[0] else 0))

    def _detect(self, script: str, text: str) -> tuple[str | None, float]:
        masked = mask_names(text, script)
        if len(_EVIDENCE.findall(masked)) < 2:  # names and numbers only: no evidence either way
            return None, 0.0
        detector = self._detectors.get(script)
        if detector is None:
            from lingua import IsoCode639_1, LanguageDetectorBuilder

            codes = [getattr(IsoCode639_1, code.upper()) for code in self.by_script[script]]
            detector = self._detectors[script] = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()
        best = detector.compute_language_confidence_values(masked)[0]
        return best.language.iso_code_639_1.name.lower(), best.value
