"""Cost of ``kg build`` against corpus size, stage by stage (issue 19).

The corpus is the first N distinct texts of WebNLG train (public sentences, not the examples),
one JSONL file. One build runs in a fresh workspace; the per-stage seconds come from its
``run.json``. Prints one JSON line: total seconds (``kg build`` as a user waits for it, Prefect's
start-up included), the stages' seconds, extraction against the rest, and docs/s.

    nice -n 10 .venv/bin/python bench/build_scale.py --docs 1000 [--task-runner dask --workers 2]
        [--config kg.toml] [--workspace DIR] [--source F.jsonl]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SOURCE = ROOT.parent / "shared" / "data" / "train" / "webnlg_train.jsonl"
#: Stages whose cost is the NLP itself; the issue's target is the rest against these.
NLP_STAGES = ("extract",)


def write_corpus(source: Path, docs: int, folder: Path) -> Path:
    """The first ``docs`` distinct texts of ``source`` as ``folder/corpus.jsonl``."""
    seen: dict[str, None] = {}
    with source.open(encoding="utf-8") as lines:
        for line in lines:
            text = json.loads(line)["text"].strip()
            seen.setdefault(text)
            if len(seen) == docs:
                break
    if len(seen) < docs:
        raise SystemExit(f"{source} has only {len(seen)} distinct texts (asked for {docs})")
    path = folder / "corpus.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for number, text in enumerate(seen):
            out.write(json.dumps({"id": f"doc{number}", "text": text}, ensure_ascii=False) + "\n")
    return path


def build(corpus: Path, workspace: Path, config) -> dict:
    """Run one build; its total seconds and the run.json of the workspace."""
    from flows.build_kg import run_build

    started = time.perf_counter()
    run_build([str(corpus)], workspace=str(workspace), config=config, force=True)
    total = time.perf_counter() - started
    return {"total_s": total, "run": json.loads((workspace / "run.json").read_text(encoding="utf-8"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, required=True)
    parser.add_argument("--source", type=Path, default=SOURCE, help="JSONL with a text field (default: WebNLG train)")
    parser.add_argument("--config", type=Path, help="TOML config (default: the defaults)")
    parser.add_argument("--task-runner", choices=["threads", "dask", "ray", "sequential"])
    parser.add_argument("--workers", type=int, help="orchestration.max_workers")
    parser.add_argument("--workspace", type=Path, help="default: a temporary folder, removed afterwards")
    args = parser.parse_args()
    # On a loaded machine Prefect's temporary server takes longer than its default 20 s to answer.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    from pipeline.config import PipelineConfig

    config = PipelineConfig.from_file(args.config) if args.config else PipelineConfig()
    orchestration = {k: v for k, v in (("task_runner", args.task_runner), ("max_workers", args.workers)) if v}
    if orchestration:
        config = config.model_copy(update={"orchestration": config.orchestration.model_copy(update=orchestration)})
    with tempfile.TemporaryDirectory(prefix="build_scale_") as tmp:
        corpus = write_corpus(args.source, args.docs, Path(tmp))
        result = build(corpus, args.workspace or Path(tmp) / "workspace", config)
    run = result["run"]
    stages = {name: stats["seconds"] for name, stats in run.get("stages", {}).items()}
    nlp = sum(stages.get(name, 0.0) for name in NLP_STAGES)
    other = sum(stages.values()) - nlp
    print(json.dumps({
        "docs": args.docs, "documents_built": run.get("documents"), "entities": run.get("entities"),
        "task_runner": config.orchestration.task_runner, "workers": config.orchestration.max_workers,
        "total_s": round(result["total_s"], 1), "stages_s": stages, "extract_s": round(nlp, 1),
        "other_stages_s": round(other, 1), "other_over_extract": round(other / nlp, 2) if nlp else None,
        "docs_per_s": round(args.docs / result["total_s"], 2),
        "peak_rss_mib": max((s.get("peak_rss_mib") or 0 for s in run.get("stages", {}).values()), default=None),
    }))


if __name__ == "__main__":
    main()
