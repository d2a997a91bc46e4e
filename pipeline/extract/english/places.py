"""Country names, so that a place can be told apart as a country ("located in Spain" -> country).

The names come from the ISO 3166 table that the ``tzdata`` package ships
(``iso3166.tab``: "Spain", "Korea (South)", "Britain (UK)"), plus the usual
English variants of a few of them. Without ``tzdata`` only the variants are known.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

#: Common English names that the ISO short names do not spell out (and the UK's constituent countries).
VARIANTS = {"united kingdom", "uk", "u.k.", "great britain", "england", "scotland", "wales", "northern ireland",
            "united states of america", "usa", "u.s.", "u.s.a.", "us", "america", "south korea", "north korea",
            "czechia", "turkey", "türkiye", "ivory coast", "holland", "the netherlands", "republic of ireland",
            "people's republic of china", "russian federation", "vatican", "burma", "east timor"}


@lru_cache(maxsize=1)
def country_names() -> frozenset[str]:
    names = set(VARIANTS)
    try:
        table = resources.files("tzdata").joinpath("zoneinfo", "iso3166.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return frozenset(names)
    for line in table.splitlines():
        if line.startswith("#") or "\t" not in line:
            continue
        name = line.split("\t")[1].replace("&", "and").replace("’", "'")
        names.add(name.casefold())
        names.add(re.sub(r"\s*\(.*\)$", "", name).casefold())  # "Britain (UK)" -> "britain"
    return frozenset(names)


def is_country(text: str) -> bool:
    return text.strip().replace("’", "'").casefold() in country_names()
