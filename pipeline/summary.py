"""The typed record of one build: what each stage did, how long it took, and what made it.

:class:`BuildSummary` is what the ``build-kg`` flow returns, what ``kg
build`` prints (as JSON), what ``run.json`` holds, and what the report, the
data card and the incremental check read. Each stage's task returns its
counts and a :class:`StageStats` (seconds, rows in and out, peak memory),
measured by :func:`measure`.
"""

from __future__ import annotations

import contextlib
import resource
import sys
import time
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StageStats(_Frozen):
    """Cost and size of one stage.

    ``rows_in`` and ``rows_out`` count the stage's main input and output
    table (documents for ingest and extract, entities for link and
    featurize, candidate edges for the filter, quads for the store, facts
    for the export). ``peak_rss_mib`` is the resident high-water mark of the
    process that ran the stage, read when it ended: it never falls, so a
    stage's own peak is at most this.
    """

    seconds: float
    rows_in: int = 0
    rows_out: int = 0
    peak_rss_mib: int | None = None


class _Meter:
    """What :func:`measure` yields: the stage sets its row counts on it."""

    def __init__(self) -> None:
        self.rows_in = self.rows_out = 0
        self.stats: StageStats | None = None

    def rows(self, rows_in: int, rows_out: int) -> None:
        self.rows_in, self.rows_out = int(rows_in), int(rows_out)


def peak_rss_mib() -> int:
    """This process's peak resident memory (getrusage: free to read)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10))  # bytes on macOS, KiB on Linux


@contextlib.contextmanager
def measure() -> Iterator[_Meter]:
    """Time a block; afterwards ``meter.stats`` holds its :class:`StageStats`."""
    meter, started = _Meter(), time.perf_counter()
    yield meter
    meter.stats = StageStats(seconds=round(time.perf_counter() - started, 3), rows_in=meter.rows_in,
                             rows_out=meter.rows_out, peak_rss_mib=peak_rss_mib())


class IngestStats(_Frozen):
    documents: int = 0
    quarantined: int = 0


class ExtractBatch(_Frozen):
    """One extraction task's share: rows ``start..stop`` of the pending documents, as part ``index``."""

    index: int
    start: int
    stop: int


class ExtractPlan(_Frozen):
    pending: int = 0
    batches: list[ExtractBatch] = Field(default_factory=list)

    @classmethod
    def of(cls, pending: int, batch_size: int) -> "ExtractPlan":
        starts = range(0, pending, batch_size)
        return cls(pending=pending, batches=[ExtractBatch(index=i, start=s, stop=min(s + batch_size, pending))
                                             for i, s in enumerate(starts)])


class ExtractBatchResult(_Frozen):
    """What one extraction task did; wall-clock ``started``/``ended`` let the collection tell the stage's span."""

    routes: dict[str, int] = Field(default_factory=dict)
    started: float
    ended: float


class ExtractionStats(_Frozen):
    """Extraction over this run's pending documents; ``routes`` counts documents per ``lang:extractor``."""

    mentions: int = 0
    relations: int = 0
    failed: int = 0
    documents: int = 0
    batches: int = 0
    routes: dict[str, int] = Field(default_factory=dict)


class FilterStats(_Frozen):
    edges: int = 0
    kept: int = 0
    threshold: float | None = None
    method: str = "?"


class EmbedStats(_Frozen):
    model: str = "?"
    dim: int = 0
    device: str = "?"
    entities: int = 0


class StoreStats(_Frozen):
    """What the store stage did; ``quads_added`` is 0 on a re-run."""

    quads: int = 0
    quads_added: int = 0
    entities: int = 0
    relations: int = 0
    documents: int = 0
    documents_removed: int = 0
    facts_kept: int = 0
    facts_dropped: int = 0


class BuildSummary(_Frozen):
    """One build, as ``run.json`` keeps it.

    The counts of the first fields keep the names ``kg build`` always
    printed; ``stages`` holds each stage's :class:`StageStats` in run order;
    ``version`` and ``code`` name the software, ``config`` the settings.
    ``export`` is the data card (``exports/datacard.json``).
    """

    model_config = ConfigDict(frozen=True, extra="ignore")  # a run.json from a newer build still reads

    documents: int = 0
    quarantined: int = 0
    fingerprint: str = ""
    extraction: ExtractionStats = Field(default_factory=ExtractionStats)
    entities: int = 0
    features: int = 0
    filter: FilterStats = Field(default_factory=FilterStats)
    embed: EmbedStats = Field(default_factory=EmbedStats)
    store: StoreStats = Field(default_factory=StoreStats)
    export: dict[str, Any] = Field(default_factory=dict)
    report: str = ""
    up_to_date: bool = False
    version: str = ""
    code: str = ""
    config: dict[str, Any] = Field(default_factory=dict)
    stages: dict[str, StageStats] = Field(default_factory=dict)

    @classmethod
    def of_run(cls, config, *, code: str, fingerprint: str, ingest: IngestStats, **stages: Any) -> "BuildSummary":
        """The summary of a run so far: the stage counts, the software (``code``: version+source hash) and the
        config (a PipelineConfig)."""
        return cls(documents=ingest.documents, quarantined=ingest.quarantined, fingerprint=fingerprint,
                   version=code.partition("+")[0], code=code, config=config.model_dump(mode="json"), **stages)

    @computed_field
    @property
    def extracted(self) -> int:
        """Documents extracted this run (the others' extraction was reused)."""
        return self.extraction.documents

    @computed_field
    @property
    def routes(self) -> dict[str, int]:
        return self.extraction.routes

    def models(self) -> dict[str, dict]:
        """What the data card records of the models this build used."""
        return {"embed": self.embed.model_dump(), "filter": self.filter.model_dump()}

    def stage_rows(self) -> list[tuple[str, str]]:
        """Each stage's cost as (stage, text), for the report and the Prefect artifact."""
        return [(name, f"{s.seconds:.1f} s, {s.rows_in} rows in, {s.rows_out} out"
                 + (f", peak {s.peak_rss_mib} MiB" if s.peak_rss_mib is not None else ""))
                for name, s in self.stages.items()]
