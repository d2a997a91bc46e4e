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
    #: Merge a Bangla name with the English name the multilingual encoder finds closest (translations such as
    #: "বাংলাদেশ সরকার" = "Government of Bangladesh", names spelled apart), when both are each other's best.
    encoder_linking: bool = True
    #: Lowest encoder score, cosine + up to 0.1 for a sound match, for such a merge: the mean cosine of the
    #: gold pairs of examples/alignment_gold.tsv (0.897), so a merge must look like a typical true pair.
    encoder_threshold: float = 0.90
    #: Types that never become graph nodes on their own.
    drop_types: list[str] = []
    #: Languages whose numbers and dates (DATE, QUANTITY) stay values: no entity is minted for them.
    #: Bangla ones only ever got co-occurrence edges, and were half the Bangla nodes of a bnwiki graph.
    value_langs: list[str] = ["bn"]
