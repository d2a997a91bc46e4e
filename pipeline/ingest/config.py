"""Settings of the ingest stage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class IngestConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Documents larger than this (characters) are quarantined, not read. The
    #: default is spaCy's ``max_length``: a longer English document could not be parsed.
    max_chars: int = Field(default=1_000_000, gt=0)
    #: Documents are yielded in batches of this size.
    batch_size: int = Field(default=64, gt=0)
    #: JSONL/CSV field holding the text, and an optional id field.
    text_field: str = "text"
    id_field: str = "id"
    #: Language to assume instead of detecting it ("auto" detects).
    lang: str = "auto"
