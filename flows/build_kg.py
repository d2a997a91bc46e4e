"""The ``build-kg`` Prefect flow: one task per stage, no logic of its own.

Each task reads its inputs from the run workspace and writes its outputs
there (pipeline.workspace), so tasks pass paths, not data, and every stage
can be inspected or re-run alone. Extraction is mapped over document
batches; IO-bound tasks retry with backoff.
"""

from __future__ import annotations

import logging
from pathlib import Path

from prefect import flow, get_run_logger, task, unmapped

from pipeline.config import PipelineConfig
from pipeline.schema import DOCUMENTS, MENTIONS, QUARANTINE, RELATIONS, from_rows
from pipeline.workspace import Workspace

IO_RETRIES = dict(retries=3, retry_delay_seconds=[2, 5, 15])


@task(name="ingest", **IO_RETRIES)
def ingest_task(inputs: list[str], workspace: str, config: PipelineConfig) -> int:
    """Read sources into document batches; returns the number of batches."""
    from pipeline.ingest.api import run_ingest

    ws, quarantined = Workspace(workspace), []

    def quarantine(error) -> None:
        get_run_logger().warning("quarantined %s", error)
        quarantined.append({"source": error.source, "stage": "ingest", "reason": error.reason})

    batches = 0
    for index, batch in enumerate(run_ingest(inputs, config=config.ingest, on_error=quarantine)):
        ws.write_part("documents", index, batch, DOCUMENTS)
        batches += 1
    documents = ws.collect_parts("documents", DOCUMENTS)
    ws.write("quarantine", from_rows(quarantined, QUARANTINE), QUARANTINE)
    get_run_logger().info("ingested %d documents, quarantined %d sources", documents.num_rows, len(quarantined))
    return documents.num_rows


@task(name="extract-batch")
def extract_task(workspace: str, index: int, start: int, stop: int, config: PipelineConfig) -> dict[str, int]:
    """Extract one batch of documents (rows start..stop of the documents table)."""
    from pipeline.extract.api import run_extract

    ws = Workspace(workspace)
    documents = ws.read("documents").slice(start, stop - start)
    result = run_extract(documents, config=config.extract)
    ws.write_part("mentions", index, result.mentions, MENTIONS)
    ws.write_part("relations", index, result.relations, RELATIONS)
    return result.routes


@task(name="link")
def link_task(workspace: str, config: PipelineConfig) -> int:
    from pipeline.link.api import run_link
    from pipeline.schema import EDGES, ENTITIES, MENTION_LINKS

    ws = Workspace(workspace)
    mentions = ws.collect_parts("mentions", MENTIONS)
    relations = ws.collect_parts("relations", RELATIONS)
    result = run_link(mentions, relations, config=config.link, lexicon_path=config.extract.lexicon_path)
    ws.write("entities", result.entities, ENTITIES)
    ws.write("mention_links", result.mention_links, MENTION_LINKS)
    ws.write("edges", result.edges, EDGES)
    return result.entities.num_rows


@task(name="featurize")
def featurize_task(workspace: str, config: PipelineConfig) -> int:
    from pipeline.featurize.api import run_featurize
    from pipeline.schema import NODE_FEATURES

    ws = Workspace(workspace)
    result = run_featurize(ws.read("entities"), ws.read("documents"), config=config.featurize, models_dir=ws.models_dir)
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
    from pipeline.schema import ENTITY_EMBEDDINGS, RELATION_EMBEDDINGS, TRAINING_LOG

    ws = Workspace(workspace)
    result = run_embed(ws.read("scored_edges"), config=config.embed)
    ws.write("entity_embeddings", result.entities, ENTITY_EMBEDDINGS)
    ws.write("relation_embeddings", result.relations, RELATION_EMBEDDINGS)
    ws.write("embedding_training_log", result.training_log, TRAINING_LOG)
    return {"model": result.model_name, "dim": result.dim, "device": str(result.device),
            "entities": result.entities.num_rows}


@task(name="store", **IO_RETRIES)
def store_task(workspace: str, config: PipelineConfig) -> dict:
    from kg_store.api import run_store

    return run_store(Workspace(workspace), config=config.store)


@task(name="export", **IO_RETRIES)
def export_task(workspace: str, config: PipelineConfig) -> dict:
    from pipeline.export.api import run_export

    return run_export(Workspace(workspace), config=config.export, base_iri=config.store.base_iri)


@task(name="report")
def report_task(workspace: str, summary: dict) -> str:
    from pipeline.report import write_report

    return str(write_report(Workspace(workspace), summary))


@flow(name="build-kg", log_prints=True)
def build_kg(inputs: list[str], workspace: str = "kg-workspace", config: PipelineConfig = PipelineConfig()) -> dict:
    """Build a knowledge graph from ``inputs`` (files or folders) into ``workspace``."""
    workspace = str(Path(workspace).resolve())
    documents = ingest_task(inputs, workspace, config)
    size = config.extract.batch_size
    batches = [(i, start, min(start + size, documents)) for i, start in enumerate(range(0, documents, size))]
    futures = extract_task.map(
        unmapped(workspace), [b[0] for b in batches], [b[1] for b in batches], [b[2] for b in batches], unmapped(config)
    )
    routes: dict[str, int] = {}
    for future in futures:
        for key, count in future.result().items():
            routes[key] = routes.get(key, 0) + count
    summary = {"documents": documents, "routes": routes}
    summary["entities"] = link_task(workspace, config)
    summary["features"] = featurize_task(workspace, config)
    summary["filter"] = filter_task(workspace, config)
    summary["embed"] = embed_task(workspace, config)
    summary["store"] = store_task(workspace, config)
    summary["export"] = export_task(workspace, config)
    summary["report"] = report_task(workspace, summary)
    Workspace(workspace).write_json("run.json", summary)
    logging.getLogger(__name__).info("build-kg finished: %s", summary)
    return summary


def _task_runner(config: PipelineConfig):
    """The Prefect task runner chosen in ``config.orchestration``."""
    from prefect.task_runners import ThreadPoolTaskRunner

    orchestration = config.orchestration
    if orchestration.task_runner == "dask":
        from prefect_dask import DaskTaskRunner

        if orchestration.dask_address:
            return DaskTaskRunner(address=orchestration.dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": orchestration.max_workers, "dashboard_address": "127.0.0.1:0"})
    if orchestration.task_runner == "sequential":
        return ThreadPoolTaskRunner(max_workers=1)
    if orchestration.task_runner == "threads":
        return ThreadPoolTaskRunner(max_workers=orchestration.max_workers)
    from pipeline.errors import ConfigError

    raise ConfigError(f"Unknown orchestration.task_runner {orchestration.task_runner!r}. Available: threads, dask, sequential.")


def run_build(inputs: list[str], *, workspace: str = "kg-workspace", config: PipelineConfig = PipelineConfig()) -> dict:
    """Run ``build-kg`` with the configured task runner (what ``kg build`` calls)."""
    return build_kg.with_options(task_runner=_task_runner(config))(inputs=inputs, workspace=workspace, config=config)
