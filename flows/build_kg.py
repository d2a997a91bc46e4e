"""The ``build-kg`` Prefect flow: one task per stage, no logic of its own.

Each task reads its inputs from the run workspace and writes its outputs
there (pipeline.workspace), so tasks pass paths, not data, and every stage
can be inspected or re-run alone. Extraction is mapped over document
batches. Only the store stage retries, and only when a remote endpoint did
not answer: local failures are deterministic and would fail the same way.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from prefect import flow, get_run_logger, task, unmapped

from pipeline.config import PipelineConfig
from pipeline.logs import stage_done
from pipeline.schema import (
    DOCUMENTS,
    EXTRACT_FAILURES,
    MENTIONS,
    QUARANTINE,
    RELATIONS,
    from_rows,
)
from pipeline.workspace import Workspace


def _remote_failure(task, task_run, state) -> bool:
    """Retry only what another attempt can fix: a remote service that did not answer."""
    from pipeline.errors import EndpointError

    return isinstance(state.result(raise_on_failure=False), EndpointError)


IO_RETRIES = dict(retries=3, retry_delay_seconds=[2, 5, 15], retry_condition_fn=_remote_failure)


@task(name="ingest")
def ingest_task(inputs: list[str], workspace: str, config: PipelineConfig) -> dict[str, int]:
    """Read sources into the documents table; bad sources go to the quarantine table.

    Sources that fail to read keep their documents of the last build (see
    :func:`pipeline.incremental.keep_unread`).
    """
    from pipeline.incremental import keep_unread
    from pipeline.ingest.api import run_ingest

    ws, quarantined = Workspace(workspace), []
    ws.clear_parts("documents")  # left by an interrupted run
    previous = ws.read("documents") if ws.has("documents") else None

    def quarantine(error) -> None:
        get_run_logger().warning("quarantined %s", error)
        quarantined.append({"source": error.source, "stage": "ingest", "reason": error.reason})

    for index, batch in enumerate(run_ingest(inputs, config=config.ingest, on_error=quarantine)):
        ws.write_part("documents", index, batch, DOCUMENTS)
    documents = keep_unread(previous, ws.collect_parts("documents", DOCUMENTS), [q["source"] for q in quarantined])
    ws.write("documents", documents, DOCUMENTS)
    ws.write("quarantine", from_rows(quarantined, QUARANTINE), QUARANTINE)
    get_run_logger().info("ingested %d documents, quarantined %d sources", documents.num_rows, len(quarantined))
    return {"documents": documents.num_rows, "quarantined": len(quarantined)}


@task(name="check-removals")
def check_removals_task(workspace: str, config: PipelineConfig, allow_removals: bool) -> int:
    """Stop before any further work when too many of the graph's documents would go."""
    from pipeline.incremental import check_removals

    return check_removals(Workspace(workspace), config, allow=allow_removals)


@task(name="plan-extract")
def plan_extract_task(workspace: str, config: PipelineConfig) -> int:
    """Queue only new or changed documents for extraction; returns how many."""
    from pipeline.incremental import plan_extraction

    ws = Workspace(workspace)
    pending = plan_extraction(ws, config)
    ws.write("pending_documents", pending, DOCUMENTS)
    return pending.num_rows


@task(name="extract-batch")
def extract_task(workspace: str, index: int, start: int, stop: int, config: PipelineConfig) -> dict[str, int]:
    """Extract one batch of pending documents (rows start..stop)."""
    from pipeline.extract.api import run_extract

    ws = Workspace(workspace)
    documents = ws.read("pending_documents").slice(start, stop - start)
    result = run_extract(documents, config=config.extract)
    ws.write_part("mentions", index + 1, result.mentions, MENTIONS)  # part 0: rows reused from the last run
    ws.write_part("relations", index + 1, result.relations, RELATIONS)
    ws.write_part("extract_failures", index + 1, result.failures, EXTRACT_FAILURES)
    return result.routes


@task(name="collect-extraction")
def collect_extraction_task(workspace: str, config: PipelineConfig) -> dict[str, int]:
    from pipeline.incremental import record_extraction

    mentions, relations, failures = record_extraction(Workspace(workspace), config)
    if failures.num_rows:
        get_run_logger().warning("extraction failed on %d documents (listed in the quarantine table); "
                                 "the next build retries them", failures.num_rows)
    return {"mentions": mentions.num_rows, "relations": relations.num_rows, "failed": failures.num_rows}


@task(name="link")
def link_task(workspace: str, config: PipelineConfig) -> int:
    from pipeline.link.api import run_link
    from pipeline.schema import EDGES, ENTITIES, MENTION_LINKS

    ws = Workspace(workspace)
    result = run_link(ws.read("mentions"), ws.read("relations"), config=config.link, lexicon_path=config.extract.lexicon_path)
    ws.write("entities", result.entities, ENTITIES)
    ws.write("mention_links", result.mention_links, MENTION_LINKS)
    ws.write("edges", result.edges, EDGES)
    return result.entities.num_rows


@task(name="featurize")
def featurize_task(workspace: str, config: PipelineConfig) -> int:
    from pipeline.featurize.api import run_featurize
    from pipeline.schema import NODE_FEATURES

    ws = Workspace(workspace)
    result = run_featurize(ws.read("entities"), ws.read("documents"), config=config.featurize, models_dir=ws.models_dir,
                           mentions=ws.read("mentions"), mention_links=ws.read("mention_links"))
    ws.write("node_features", result.features, NODE_FEATURES)
    return result.features.num_rows


@task(name="filter")
def filter_task(workspace: str, config: PipelineConfig) -> dict:
    from pipeline.filter.api import run_filter
    from pipeline.schema import SCORED_EDGES

    ws = Workspace(workspace)
    result = run_filter(ws.read("edges"), ws.read("node_features"), config=config.filter)
    ws.write("scored_edges", result.scored_edges, SCORED_EDGES)
    kept = sum(result.scored_edges.column("kept").to_pylist())
    return {"edges": result.scored_edges.num_rows, "kept": kept, "threshold": result.threshold, "method": result.method}


@task(name="embed")
def embed_task(workspace: str, config: PipelineConfig) -> dict:
    from pipeline.embed.api import run_embed
    from pipeline.embed.models import TEXT_MODELS
    from pipeline.schema import ENTITY_EMBEDDINGS, RELATION_EMBEDDINGS, TRAINING_LOG

    ws = Workspace(workspace)
    # text-enhanced models also read labels and the documents that mention each entity
    text = config.embed.model.lower() in TEXT_MODELS
    tables = {name: ws.read(name) for name in ("entities", "documents", "mentions", "mention_links")} if text else {}
    result = run_embed(ws.read("scored_edges"), config=config.embed, **tables)
    ws.write("entity_embeddings", result.entities, ENTITY_EMBEDDINGS)
    ws.write("relation_embeddings", result.relations, RELATION_EMBEDDINGS)
    ws.write("embedding_training_log", result.training_log, TRAINING_LOG)
    return {"model": result.model_name, "dim": result.dim, "device": str(result.device),
            "entities": result.entities.num_rows}


@task(name="store", **IO_RETRIES)
def store_task(workspace: str, config: PipelineConfig) -> dict:
    from kg_store.api import run_store

    return run_store(Workspace(workspace), config=config.store)


@task(name="export")
def export_task(workspace: str, config: PipelineConfig, summary: dict | None = None) -> dict:
    from pipeline.export.api import run_export

    return run_export(Workspace(workspace), config=config.export, base_iri=config.store.base_iri, summary=summary)


@task(name="report")
def report_task(workspace: str, summary: dict) -> str:
    from prefect.artifacts import create_markdown_artifact

    from pipeline.report import summary_markdown, write_report

    path = str(write_report(Workspace(workspace), summary))
    create_markdown_artifact(summary_markdown({**summary, "report": path}, Workspace(workspace)), key="build-kg-summary",
                             description="Counts and metrics of this build-kg run")
    return path


@flow(name="build-kg", log_prints=True)
def build_kg(
    inputs: list[str], workspace: str = "kg-workspace", config: PipelineConfig = PipelineConfig(), force: bool = False,
    allow_removals: bool = False,
) -> dict:
    """Build a knowledge graph from ``inputs`` (files or folders) into ``workspace``.

    Skips the work when nothing changed since the last completed run (same
    input files, config and code), unless ``force``. Fails before any work
    when an input is missing or a remote store does not answer, and before
    the store is touched when more than ``[build] max_removal_share`` of
    the graph's documents would go, unless ``allow_removals``. One build at
    a time per workspace.
    """
    from pipeline.preflight import preflight

    preflight(inputs, config)
    workspace = str(Path(workspace).resolve())
    with Workspace(workspace).lock():
        return _build(inputs, workspace, config, force, allow_removals)


def _build(inputs: list[str], workspace: str, config: PipelineConfig, force: bool, allow_removals: bool) -> dict:
    """The body of ``build_kg``, run under the workspace lock."""
    from pipeline.incremental import build_fingerprint

    fingerprint = build_fingerprint(inputs, config)
    if not force and (previous := _unchanged(workspace, fingerprint, config)):
        return previous
    Workspace(workspace).remove("run.json")  # first: from here on the workspace is not a finished run
    progress = _progress_bar()
    started = time.monotonic()
    ingested = ingest_task(inputs, workspace, config)
    stage_done("ingest", ingested, started)
    check_removals_task(workspace, config, allow_removals)
    pending = plan_extract_task(workspace, config)
    progress.update(2)
    started = time.monotonic()
    size = config.extract.batch_size
    batches = [(i, start, min(start + size, pending)) for i, start in enumerate(range(0, pending, size))]
    futures = extract_task.map(
        unmapped(workspace), [b[0] for b in batches], [b[1] for b in batches], [b[2] for b in batches], unmapped(config)
    )
    progress.total += len(batches)
    routes: dict[str, int] = {}
    for future in futures:
        for key, count in future.result().items():
            routes[key] = routes.get(key, 0) + count
        progress.update()
    summary = {**ingested, "extracted": pending, "routes": routes, "fingerprint": fingerprint}
    for key, stage in (("extraction", collect_extraction_task), ("entities", link_task),
                       ("features", featurize_task), ("filter", filter_task), ("embed", embed_task),
                       ("store", store_task)):
        progress.set_postfix_str(stage.name)
        summary[key] = stage(workspace, config)
        progress.update()
        if key == "extraction":  # one line for the mapped batches and their collection
            stage_done("extract", {**summary[key], "documents": pending, "batches": len(batches), "routes": routes},
                       started)
        else:
            stage_done(stage.name, summary[key], started)
        started = time.monotonic()
    summary["export"] = export_task(workspace, config, summary)  # the data card names the models used
    stage_done("export", summary["export"], started)
    progress.update()
    started = time.monotonic()
    summary["report"] = report_task(workspace, summary)
    stage_done("report", summary["report"], started)
    progress.update()
    progress.close()
    Workspace(workspace).write_json("run.json", summary)  # written last: it marks the run complete
    logging.getLogger(__name__).debug("build-kg finished: %s", summary)  # kg build prints it (once) on stdout
    return summary


def _progress_bar():
    """A bar over the stages (and extraction batches) when a person watches a terminal, else a silent one."""
    from tqdm import tqdm

    return tqdm(total=10, desc="build-kg", unit="step", disable=not sys.stderr.isatty(), leave=False)


def _unchanged(workspace: str, fingerprint: str, config: PipelineConfig) -> dict | None:
    """The previous summary, marked up to date, when nothing changed since it was built."""
    from pipeline.incremental import up_to_date

    previous = up_to_date(Workspace(workspace), fingerprint, embedded_store=config.store.backend == "oxigraph")
    if previous is not None:
        logging.getLogger(__name__).info("build-kg: %s is up to date (inputs, config and code unchanged)", workspace)
        return {**previous, "up_to_date": True}
    return None


def _task_runner(config: PipelineConfig):
    """The Prefect task runner chosen in ``config.orchestration``."""
    from prefect.task_runners import ThreadPoolTaskRunner

    from pipeline.errors import ConfigError

    orchestration = config.orchestration
    if orchestration.task_runner == "threads":
        return ThreadPoolTaskRunner(max_workers=orchestration.max_workers)
    if orchestration.task_runner == "sequential":
        return ThreadPoolTaskRunner(max_workers=1)
    if orchestration.task_runner == "dask":
        from prefect_dask import DaskTaskRunner

        if orchestration.dask_address:
            return DaskTaskRunner(address=orchestration.dask_address)
        # Worker processes, one thread each (spaCy and torch are not thread-friendly);
        # the dashboard binds loopback, not 0.0.0.0 as Dask would.
        return DaskTaskRunner(cluster_kwargs={"n_workers": orchestration.max_workers, "processes": True,
                                              "threads_per_worker": 1, "dashboard_address": "127.0.0.1:0"})
    if orchestration.task_runner == "ray":
        try:
            from prefect_ray import RayTaskRunner
        except ImportError:
            raise ConfigError("task_runner = 'ray' needs prefect-ray: pip install prefect-ray") from None
        return RayTaskRunner(address=orchestration.ray_address,
                             init_kwargs={"include_dashboard": False} if orchestration.ray_address is None else None)
    raise ConfigError(
        f"Unknown orchestration.task_runner {orchestration.task_runner!r}. Available: threads, dask, ray, sequential."
    )


def run_build(
    inputs: list[str], *, workspace: str = "kg-workspace", config: PipelineConfig = PipelineConfig(), force: bool = False,
    allow_removals: bool = False,
) -> dict:
    """Run ``build-kg`` with the configured task runner (what ``kg build`` calls).

    The preflight checks, the up-to-date check and the workspace lock come
    first, before Prefect starts: a wrong path or a busy workspace costs
    nothing and prints one line.
    """
    from flows.ephemeral import start_temporary_server
    from pipeline.incremental import build_fingerprint
    from pipeline.logs import quiet_console
    from pipeline.preflight import preflight

    preflight(inputs, config)
    workspace = str(Path(workspace).resolve())
    if not force and (previous := _unchanged(workspace, build_fingerprint(inputs, config), config)):
        return previous
    runner = _task_runner(config)
    quiet_console()  # before Prefect's server announces itself
    with Workspace(workspace).lock():  # the flow takes it again: same process, so it passes
        start_temporary_server()
        return build_kg.with_options(task_runner=runner)(inputs=inputs, workspace=workspace, config=config,
                                                         force=force, allow_removals=allow_removals)
