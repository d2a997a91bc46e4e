"""Prefect's share of the build time on the example corpus.

Runs the same stage tasks twice into fresh workspaces, in one process:

1. through the ``build-kg`` flow (``run_build``), as ``kg build`` does;
2. as plain function calls (each task's ``.fn``) in the flow's order,
   without Prefect.

Models are warmed up first (one plain run) so neither side pays for the
first load. Prints one JSON line: both wall times, Prefect's share
``(flow - plain) / flow``, and the share without the ephemeral server's
start-up, which a deployment on a running server does not pay.

Usage: python bench/orchestration_overhead.py [INPUT ...]
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path

from flows import build_kg as flow_module
from pipeline.config import PipelineConfig

ROOT = Path(__file__).resolve().parents[1]


def plain_build(inputs: list[str], workspace: str, config: PipelineConfig) -> None:
    """The flow's tasks as plain calls, in the flow's order."""
    m = flow_module
    m.ingest_task.fn(inputs, workspace, config)
    pending = m.plan_extract_task.fn(workspace, config)
    size = config.extract.batch_size
    for index, start in enumerate(range(0, pending, size)):
        m.extract_task.fn(workspace, index, start, min(start + size, pending), config)
    m.collect_extraction_task.fn(workspace, config)
    for stage in (m.link_task, m.featurize_task, m.filter_task, m.embed_task, m.store_task, m.export_task):
        stage.fn(workspace, config)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="*", default=[str(ROOT / "examples" / "corpus")])
    args = parser.parse_args()
    logging.disable(logging.INFO)
    config = PipelineConfig()
    with tempfile.TemporaryDirectory() as tmp:
        plain_build(args.inputs, f"{tmp}/warm-up", config)
        start = time.perf_counter()
        plain_build(args.inputs, f"{tmp}/plain", config)
        plain_s = time.perf_counter() - start

        from prefect.testing.utilities import prefect_test_harness

        start = time.perf_counter()
        with prefect_test_harness(server_startup_timeout=120):
            server_s = time.perf_counter() - start
            start = time.perf_counter()
            flow_module.run_build(args.inputs, workspace=f"{tmp}/flow", config=config, force=True)
            flow_s = time.perf_counter() - start
    print(json.dumps({
        "plain_s": round(plain_s, 2), "flow_s": round(flow_s, 2), "server_start_s": round(server_s, 2),
        "prefect_share": round((flow_s - plain_s) / flow_s, 3),
        "prefect_share_with_server_start": round((flow_s + server_s - plain_s) / (flow_s + server_s), 3),
    }))


if __name__ == "__main__":
    main()
