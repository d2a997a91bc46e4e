"""Settings of the link stage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class LinkConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Link a short mention ("Curie") to a longer one of the same type in the document ("Marie Curie").
    merge_partial_names: bool = True
    #: Merge a Bangla name the lexicon lacks with the English name it sounds like (romanised).
    transliteration: bool = True
    #: Lowest sound-alike score (0-1) for such a merge; higher is stricter.
    transliteration_threshold: float = 0.86
    #: Types that never become graph nodes on their own.
    drop_types: list[str] = []
    #: Languages whose numbers and dates (DATE, QUANTITY) stay values: no entity is minted for them.
    #: Bangla ones only ever got co-occurrence edges, and were half the Bangla nodes of a bnwiki graph.
    value_langs: list[str] = ["bn"]
