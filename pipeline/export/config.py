"""Settings of the export stage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ExportConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Include edges the filter dropped in triples.tsv (they stay in the store's audit graph).
    include_dropped: bool = False
