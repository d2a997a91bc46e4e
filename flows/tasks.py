"""The ``build-kg`` tasks: each reads its tables from the workspace, runs one stage, writes, returns stats.

Tasks pass paths, not data (Prefect parameters are capped, and a Dask
worker reads the same shared workspace). Each returns its counts and a
:class:`~pipeline.summary.StageStats`. Only the store task retries, and
only when a remote endpoint did not answer: local failures are
deterministic and would fail the same way again. The tasks' logic is
tested through ``task.fn()`` (tests/flows/test_tasks.py).
"""

from __future__ import annotations

import logging
import time

from prefect import task

from pipeline.config import PipelineConfig
from pipeline.schema import (
    DOCUMENTS,
    EXTRACT_FAILURES,
    MENTIONS,
    QUARANTINE,
    RELATIONS,
    from_rows,
)
from pipeline.summary import (
    BuildSummary,
    EmbedStats,
    ExtractBatch,
    ExtractBatchResult,
    ExtractionStats,
    ExtractPlan,
    FilterStats,
    IngestStats,
    StageStats,
    StoreStats,
    measure,
    peak_rss_mib,
)
from pipeline.workspace import Workspace


def _remote_failure(task, task_run, state) -> bool:
    """Retry only what another attempt can fix: a remote service that did not answer."""
    from pipeline.errors import EndpointError

    return isinstance(state.result(raise_on_failure=False), EndpointError)


IO_RETRIES = dict(retries=3, retry_delay_seconds=[2, 5, 15], retry_condition_fn=_remote_failure)


def _logger() -> logging.Logger | logging.LoggerAdapter:
    """The Prefect run logger inside a run (its lines reach the UI), else the module's (``task.fn()``)."""
    from prefect import get_run_logger
    from prefect.exceptions import MissingContextError

    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger(__name__)


@task(name="ingest")
def ingest_task(inputs: list[str], workspace: str, config: PipelineConfig) -> tuple[IngestStats, StageStats]:
    """Read sources into the documents table; bad sources go to the quarantine table.

    Sources that fail to read keep their documents of the last build (see
    :func:`pipeline.incremental.keep_unread`).
    """
    from pipeline.incremental import keep_unread
    from pipeline.ingest.api import run_ingest

    with measure() as meter:
        ws, quarantined = Workspace(workspace), []
        ws.clear_parts("documents")  # left by an interrupted run
        previous = ws.read("documents") if ws.has("documents") else None

        def quarantine(error) -> None:
            _logger().warning("quarantined %s", error)
            quarantined.append({"source": error.source, "stage": "ingest", "reason": error.reason})

        for index, batch in enumerate(run_ingest(inputs, config=config.ingest, on_error=quarantine)):
            ws.write_part("documents", index, batch, DOCUMENTS)
        documents = keep_unread(previous, ws.collect_parts("documents", DOCUMENTS), [q["source"] for q in quarantined])
        ws.write("documents", documents, DOCUMENTS)
        ws.write("quarantine", from_rows(quarantined, QUARANTINE), QUARANTINE)
        meter.rows(documents.num_rows + len(quarantined), documents.num_rows)
    return IngestStats(documents=documents.num_rows, quarantined=len(quarantined)), meter.stats


@task(name="check-removals")
def check_removals_task(workspace: str, config: PipelineConfig, allow_removals: bool) -> int:
    """Stop before any further work when too many of the graph's documents would go."""
    from pipeline.incremental import check_removals

    return check_removals(Workspace(workspace), config, allow=allow_removals)


@task(name="plan-extract")
def plan_extract_task(workspace: str, config: PipelineConfig) -> ExtractPlan:
    """Queue only new or changed documents for extraction, cut into batches of ``[extract] batch_size``."""
    from pipeline.incremental import plan_extraction

    ws = Workspace(workspace)
    pending = plan_extraction(ws, config)
    ws.write("pending_documents", pending, DOCUMENTS)
    return ExtractPlan.of(pending.num_rows, config.extract.batch_size)


@task(name="extract-batch")
def extract_task(workspace: str, batch: ExtractBatch, config: PipelineConfig) -> ExtractBatchResult:
    """Extract one batch of pending documents into part ``batch.index + 1`` of each extraction table."""
    from pipeline.extract.api import run_extract

    started = time.time()  # wall clock: batches on other workers compare with it
    ws = Workspace(workspace)
    documents = ws.read("pending_documents").slice(batch.start, batch.stop - batch.start)
    result = run_extract(documents, config=config.extract)
    part = batch.index + 1  # part 0: rows reused from the last run
    ws.write_part("mentions", part, result.mentions, MENTIONS)
    ws.write_part("relations", part, result.relations, RELATIONS)
    ws.write_part("extract_failures", part, result.failures, EXTRACT_FAILURES)
    return ExtractBatchResult(routes=result.routes, started=started, ended=time.time())


@task(name="collect-extraction")
def collect_extraction_task(workspace: str, config: PipelineConfig, plan: ExtractPlan,
                            batches: list[ExtractBatchResult]) -> tuple[ExtractionStats, StageStats]:
    """Join the batches' parts into the extraction tables; the stage's span runs from the first batch's start."""
    from pipeline.incremental import record_extraction

    started = min((b.started for b in batches), default=time.time())
    mentions, relations, failures = record_extraction(Workspace(workspace), config)
    if failures.num_rows:
        _logger().warning("extraction failed on %d documents (listed in the quarantine table); "
                          "the next build retries them", failures.num_rows)
    routes: dict[str, int] = {}
    for batch in batches:
        for key, count in batch.routes.items():
            routes[key] = routes.get(key, 0) + count
    stats = StageStats(seconds=round(time.time() - started, 3), rows_in=plan.pending, rows_out=relations.num_rows,
                       peak_rss_mib=peak_rss_mib())
    return ExtractionStats(documents=plan.pending, batches=len(batches), routes=dict(sorted(routes.items())),
                           mentions=mentions.num_rows, relations=relations.num_rows,
                           failed=failures.num_rows), stats


@task(name="link")
def link_task(workspace: str, config: PipelineConfig) -> tuple[int, StageStats]:
    from pipeline.link.api import run_link
    from pipeline.schema import EDGES, ENTITIES, MENTION_LINKS

    with measure() as meter:
        ws = Workspace(workspace)
        mentions = ws.read("mentions")
        result = run_link(mentions, ws.read("relations"), config=config.link,
                          lexicon_path=config.extract.lexicon_path)
        ws.write("entities", result.entities, ENTITIES)
        ws.write("mention_links", result.mention_links, MENTION_LINKS)
        ws.write("edges", result.edges, EDGES)
        meter.rows(mentions.num_rows, result.entities.num_rows)
    return result.entities.num_rows, meter.stats


@task(name="featurize")
def featurize_task(workspace: str, config: PipelineConfig) -> tuple[int, StageStats]:
    from pipeline.featurize.api import run_featurize
    from pipeline.schema import NODE_FEATURES

    with measure() as meter:
        ws = Workspace(workspace)
        entities = ws.read("entities")
        result = run_featurize(entities, ws.read("documents"), config=config.featurize, models_dir=ws.models_dir,
                               mentions=ws.read("mentions"), mention_links=ws.read("mention_links"))
        ws.write("node_features", result.features, NODE_FEATURES)
        meter.rows(entities.num_rows, result.features.num_rows)
    return result.features.num_rows, meter.stats


@task(name="filter")
def filter_task(workspace: str, config: PipelineConfig) -> tuple[FilterStats, StageStats]:
    from pipeline.filter.api import run_filter
    from pipeline.schema import SCORED_EDGES

    with measure() as meter:
        ws = Workspace(workspace)
        edges = ws.read("edges")
        result = run_filter(edges, ws.read("node_features"), config=config.filter)
        ws.write("scored_edges", result.scored_edges, SCORED_EDGES)
        kept = sum(result.scored_edges.column("kept").to_pylist())
        meter.rows(edges.num_rows, kept)
    return FilterStats(edges=result.scored_edges.num_rows, kept=kept, threshold=result.threshold,
                       method=result.method), meter.stats


@task(name="embed")
def embed_task(workspace: str, config: PipelineConfig) -> tuple[EmbedStats, StageStats]:
    from pipeline.embed.api import run_embed
    from pipeline.embed.models import TEXT_MODELS
    from pipeline.schema import ENTITY_EMBEDDINGS, RELATION_EMBEDDINGS, TRAINING_LOG

    with measure() as meter:
        ws = Workspace(workspace)
        # text-enhanced models also read labels and the documents that mention each entity
        text = config.embed.model.lower() in TEXT_MODELS
        tables = {name: ws.read(name) for name in ("entities", "documents", "mentions", "mention_links")} \
            if text else {}
        edges = ws.read("scored_edges")
        result = run_embed(edges, config=config.embed, **tables)
        ws.write("entity_embeddings", result.entities, ENTITY_EMBEDDINGS)
        ws.write("relation_embeddings", result.relations, RELATION_EMBEDDINGS)
        ws.write("embedding_training_log", result.training_log, TRAINING_LOG)
        meter.rows(edges.num_rows, result.entities.num_rows)
    return EmbedStats(model=result.model_name, dim=result.dim, device=str(result.device),
                      entities=result.entities.num_rows), meter.stats


@task(name="store", **IO_RETRIES)
def store_task(workspace: str, config: PipelineConfig) -> tuple[StoreStats, StageStats]:
    from kg_store.api import run_store, store_inputs

    with measure() as meter:
        ws = Workspace(workspace)
        tables = store_inputs(ws, config.store)
        stored = run_store(**tables, config=config.store, store_dir=ws.store_dir)
        meter.rows(tables["scored_edges"].num_rows, stored.quads)
    return stored, meter.stats


@task(name="export")
def export_task(workspace: str, config: PipelineConfig, models: dict | None = None) -> tuple[dict, StageStats]:
    """Write the exports; ``models`` (what the build used) goes into the data card."""
    from pipeline.export.api import export_inputs, run_export

    with measure() as meter:
        inputs = export_inputs(Workspace(workspace))
        result = run_export(**{**inputs, "models": models}, config=config.export, base_iri=config.store.base_iri)
        meter.rows(inputs["scored_edges"].num_rows, result.card["facts"])
    return result.card, meter.stats


@task(name="report")
def report_task(workspace: str, summary: BuildSummary) -> tuple[str, StageStats]:
    """``report.html`` and the Prefect artifact (the latter only inside a flow run)."""
    from pipeline.report import summary_markdown, write_report

    with measure() as meter:
        ws = Workspace(workspace)
        path = str(write_report(ws, summary))
        _artifact(summary_markdown(summary.model_copy(update={"report": path}), ws))
        meter.rows(summary.filter.edges, 1)
    return path, meter.stats


def _artifact(markdown: str) -> None:
    from prefect.artifacts import create_markdown_artifact
    from prefect.context import TaskRunContext

    if TaskRunContext.get() is not None:  # task.fn() outside a run has nowhere to put it
        create_markdown_artifact(markdown, key="build-kg-summary", description="Counts and metrics of this build-kg run")
