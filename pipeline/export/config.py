"""Settings of the export stage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ExportConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Include edges the filter dropped in triples.tsv (they stay in the store's audit graph).
    include_dropped: bool = False
    #: DKPLM's R_freq: entities mentioned this often or more are not long-tail.
    #: None: the mean entity frequency.
    long_tail_max_frequency: float | None = Field(default=None, gt=0)
    #: Kept facts exported per long-tail entity for its pseudo token (best filter score first).
    max_triples_per_entity: int = Field(default=16, gt=0)
    #: Licence of the source texts, for the data card (e.g. "CC BY-SA 4.0"). None: a LICENSE file or a
    #: README sentence about the licence beside the sources is quoted, else the card says "unknown".
    source_licence: str | None = None
