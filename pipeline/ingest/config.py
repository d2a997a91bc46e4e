"""Settings of the ingest stage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class IngestConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Documents larger than this (characters) are quarantined, not read.
    max_chars: int = 2_000_000
    #: Documents are yielded in batches of this size.
    batch_size: int = 64
    #: JSONL/CSV field holding the text, and an optional id field.
    text_field: str = "text"
    id_field: str = "id"
    #: Language to assume instead of detecting it ("auto" detects).
    lang: str = "auto"
