"""Prefect's share of the build time on the example corpus.

Runs the same stage tasks twice into fresh workspaces, in one process:

1. through the ``build-kg`` flow (``run_build``), as ``kg build`` does;
2. as plain function calls (each task's ``.fn``) in the flow's order,
   without Prefect.

Both sides are warmed up first (one run each, not timed), so neither pays
for loading models or for Prefect's first task runs. Prints one JSON line: both wall times, Prefect's share
``(flow - plain) / flow``, and the share without the ephemeral server's
start-up, which a deployment on a running server does not pay.

Usage: python bench/orchestration_overhead.py [--task-runner threads|sequential] [INPUT ...]
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path

from flows import build_kg as flow_module
from flows import tasks
from pipeline.config import PipelineConfig

ROOT = Path(__file__).resolve().parents[1]


def plain_build(inputs: list[str], workspace: str, config: PipelineConfig) -> None:
    """The flow's tasks as plain calls (``task.fn()``), in the flow's order."""
    from pipeline.incremental import code_version
    from pipeline.summary import BuildSummary

    t = tasks
    ingested, _ = t.ingest_task.fn(inputs, workspace, config)
    plan = t.plan_extract_task.fn(workspace, config)
    batches = [t.extract_task.fn(workspace, batch, config) for batch in plan.batches]
    extraction, _ = t.collect_extraction_task.fn(workspace, config, plan, batches)
    counts = {name: stage.fn(workspace, config)[0] for name, stage in (
        ("entities", t.link_task), ("features", t.featurize_task), ("filter", t.filter_task),
        ("embed", t.embed_task), ("store", t.store_task))}
    summary = BuildSummary.of_run(config, code=code_version(), fingerprint="", ingest=ingested, extraction=extraction, **counts)
    t.export_task.fn(workspace, config, summary.models())
    t.report_task.fn(workspace, summary)


def _timed_flow(inputs: list[str], workspace: str, config: PipelineConfig) -> float:
    start = time.perf_counter()
    flow_module.run_build(inputs, workspace=workspace, config=config, force=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="*", default=[str(ROOT / "examples" / "corpus")])
    parser.add_argument("--task-runner", default="threads", help="threads (default) or sequential")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    config = PipelineConfig.model_validate({"orchestration": {"task_runner": args.task_runner}})
    with tempfile.TemporaryDirectory() as tmp:
        plain_build(args.inputs, f"{tmp}/warm-up", config)
        start = time.perf_counter()
        plain_build(args.inputs, f"{tmp}/plain", config)
        plain_s = time.perf_counter() - start

        from prefect.testing.utilities import prefect_test_harness

        start = time.perf_counter()
        with prefect_test_harness(server_startup_timeout=120):
            server_s = time.perf_counter() - start
            first_flow_s = _timed_flow(args.inputs, f"{tmp}/flow-warm-up", config)
            flow_s = _timed_flow(args.inputs, f"{tmp}/flow", config)
    print(json.dumps({
        "task_runner": args.task_runner, "plain_s": round(plain_s, 2), "flow_s": round(flow_s, 2), "first_flow_s": round(first_flow_s, 2), "server_start_s": round(server_s, 2),
        "prefect_share": round((flow_s - plain_s) / flow_s, 3),
        "prefect_share_with_server_start": round((flow_s + server_s - plain_s) / (flow_s + server_s), 3),
    }))


if __name__ == "__main__":
    main()
