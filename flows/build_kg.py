"""The ``build-kg`` Prefect flow: it runs the stage tasks (flows.tasks) in order and nothing else.

Each task reads its inputs from the run workspace and writes its outputs
there (pipeline.workspace), so tasks pass paths, not data, and every stage
can be inspected or re-run alone. Extraction is mapped over document
batches. Each task's stats go into the :class:`~pipeline.summary.BuildSummary`
the flow returns and writes to ``run.json``, last, to mark the run complete.
"""

from __future__ import annotations

import logging
from pathlib import Path

from prefect import flow, unmapped

from flows.tasks import (
    check_removals_task,
    collect_extraction_task,
    embed_task,
    export_task,
    extract_task,
    featurize_task,
    filter_task,
    ingest_task,
    link_task,
    plan_extract_task,
    report_task,
    store_task,
)
from pipeline.config import PipelineConfig
from pipeline.logs import stage_done
from pipeline.summary import BuildSummary, StageStats
from pipeline.workspace import Workspace

__all__ = ["build_kg", "run_build"]

log = logging.getLogger(__name__)


@flow(name="build-kg", log_prints=True)
def build_kg(
    inputs: list[str], workspace: str = "kg-workspace", config: PipelineConfig = PipelineConfig(), force: bool = False,
    allow_removals: bool = False,
) -> BuildSummary:
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
        if not force and (previous := _unchanged(inputs, workspace, config)):
            return previous
        return _stages(inputs, workspace, config, allow_removals)


def _stages(inputs: list[str], workspace: str, config: PipelineConfig, allow_removals: bool) -> BuildSummary:
    """The tasks in order, under the workspace lock; each stage's one line is logged as it ends."""
    from pipeline.incremental import build_fingerprint, code_version

    fingerprint = build_fingerprint(inputs, config)  # before ingest: the files as this run found them
    Workspace(workspace).remove("run.json")  # first: from here on the workspace is not a finished run
    stages: dict[str, StageStats] = {}

    def done(name: str, outcome: tuple):
        counts, stages[name] = outcome
        stage_done(name, counts, stages[name].seconds)
        return counts

    ingested = done("ingest", ingest_task(inputs, workspace, config))
    check_removals_task(workspace, config, allow_removals)
    plan = plan_extract_task(workspace, config)
    batches = extract_task.map(unmapped(workspace), plan.batches, unmapped(config)).result()  # raises a batch's error
    extraction = done("extract", collect_extraction_task(workspace, config, plan, batches))
    entities = done("link", link_task(workspace, config))
    features = done("featurize", featurize_task(workspace, config))
    filtered = done("filter", filter_task(workspace, config))
    embedded = done("embed", embed_task(workspace, config))
    stored = done("store", store_task(workspace, config))
    summary = BuildSummary.of_run(config, code=code_version(), fingerprint=fingerprint, ingest=ingested,
                                  extraction=extraction, entities=entities, features=features, filter=filtered,
                                  embed=embedded, store=stored)
    card = done("export", export_task(workspace, config, summary.models()))  # the data card names the models
    summary = summary.model_copy(update={"export": card, "stages": dict(stages)})
    report = done("report", report_task(workspace, summary))
    summary = summary.model_copy(update={"report": report, "stages": dict(stages)})
    Workspace(workspace).write_json("run.json", summary.model_dump(mode="json"))  # last: marks the run complete
    log.debug("build-kg finished: %s", summary)  # kg build prints it (once) on stdout
    return summary


def _unchanged(inputs: list[str], workspace: str, config: PipelineConfig) -> BuildSummary | None:
    """The up-to-date check (the one place it is made): the last summary, marked, when nothing changed."""
    from pipeline.incremental import build_fingerprint, up_to_date

    previous = up_to_date(Workspace(workspace), build_fingerprint(inputs, config),
                          embedded_store=config.store.backend == "oxigraph")
    if previous is None:
        return None
    log.info("build-kg: %s is up to date (inputs, config and code unchanged)", workspace)
    return previous.model_copy(update={"up_to_date": True})


def run_build(
    inputs: list[str], *, workspace: str = "kg-workspace", config: PipelineConfig = PipelineConfig(), force: bool = False,
    allow_removals: bool = False,
) -> BuildSummary:
    """Run ``build-kg`` with the configured task runner (what ``kg build`` calls).

    The preflight checks, the workspace lock and the up-to-date check come
    first, before Prefect starts: a wrong path, a busy workspace or an
    unchanged one costs nothing. The flow is then told to skip its own
    up-to-date check (``force``): under the same lock, nothing changed.
    """
    from flows.ephemeral import start_temporary_server
    from flows.task_runners import task_runner
    from pipeline.logs import quiet_console
    from pipeline.preflight import preflight

    preflight(inputs, config)
    workspace = str(Path(workspace).resolve())
    runner = task_runner(config.orchestration)
    with Workspace(workspace).lock():  # the flow takes it again: same process, so it passes
        if not force and (previous := _unchanged(inputs, workspace, config)):
            return previous
        quiet_console()  # before Prefect's server announces itself
        start_temporary_server()
        return build_kg.with_options(task_runner=runner)(inputs=inputs, workspace=workspace, config=config,
                                                         force=True, allow_removals=allow_removals)
