"""The stage tasks through ``task.fn()``: read, run, write, return counts and stats (issue 20), no Prefect run."""

from __future__ import annotations

import pytest

from flows import tasks
from pipeline.config import PipelineConfig
from pipeline.incremental import code_version
from pipeline.summary import BuildSummary, ExtractPlan, StageStats
from pipeline.workspace import Workspace
from tests.conftest import EXAMPLE_CORPUS

SMALL = PipelineConfig.model_validate({"extract": {"batch_size": 1}, "filter": {"method": "none"},
                                       "embed": {"epochs": 2, "dim": 4}})


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    lines = (EXAMPLE_CORPUS / "english.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)[:3]
    (folder / "english.jsonl").write_text("".join(lines), encoding="utf-8")
    return folder


def test_issue20_every_task_returns_its_counts_and_stage_stats(corpus, tmp_path) -> None:
    workspace = str(tmp_path / "ws")
    stages: dict[str, StageStats] = {}
    ingested, stages["ingest"] = tasks.ingest_task.fn([str(corpus)], workspace, SMALL)
    assert ingested.documents == 3 and stages["ingest"].rows_out == 3
    assert tasks.check_removals_task.fn(workspace, SMALL, False) == 0
    plan = tasks.plan_extract_task.fn(workspace, SMALL)
    assert plan == ExtractPlan.of(3, 1) and [(b.start, b.stop) for b in plan.batches] == [(0, 1), (1, 2), (2, 3)]
    batches = [tasks.extract_task.fn(workspace, batch, SMALL) for batch in plan.batches]
    extraction, stages["extract"] = tasks.collect_extraction_task.fn(workspace, SMALL, plan, batches)
    assert extraction.routes == {"en:learned": 3} and extraction.batches == 3 and extraction.relations > 0
    entities, stages["link"] = tasks.link_task.fn(workspace, SMALL)
    features, stages["featurize"] = tasks.featurize_task.fn(workspace, SMALL)
    assert entities == features > 0
    filtered, stages["filter"] = tasks.filter_task.fn(workspace, SMALL)
    embedded, stages["embed"] = tasks.embed_task.fn(workspace, SMALL)
    stored, stages["store"] = tasks.store_task.fn(workspace, SMALL)
    assert filtered.edges >= filtered.kept and embedded.dim == 4 and stored.quads == stored.quads_added > 0
    summary = BuildSummary.of_run(SMALL, code=code_version(), fingerprint="f", ingest=ingested, extraction=extraction, entities=entities,
                                  features=features, filter=filtered, embed=embedded, store=stored)
    card, stages["export"] = tasks.export_task.fn(workspace, SMALL, summary.models())
    assert card["models"]["filter"] == filtered.model_dump() and card["quads"] > 0
    report, stages["report"] = tasks.report_task.fn(workspace, summary.model_copy(update={"stages": stages}))
    assert report.endswith("report.html") and "stage extract" in Workspace(workspace).root.joinpath(
        "report.html").read_text(encoding="utf-8")
    assert all(s.seconds >= 0 and s.peak_rss_mib > 0 for s in stages.values())
    assert stages["extract"].rows_in == 3 and stages["store"].rows_out == stored.quads
    assert summary.code.startswith(summary.version + "+") and summary.config["embed"]["dim"] == 4


def test_issue20_a_summary_survives_run_json(tmp_path) -> None:
    summary = BuildSummary.model_validate({"documents": 2, "extraction": {"documents": 2, "routes": {"en:spacy": 2}},
                                           "stages": {"ingest": {"seconds": 0.5, "rows_in": 2, "rows_out": 2}}})
    ws = Workspace(tmp_path / "ws")
    ws.write_json("run.json", summary.model_dump(mode="json"))
    again = BuildSummary.model_validate(ws.read_json("run.json"))
    assert again == summary and ws.read_json("run.json")["routes"] == {"en:spacy": 2}  # the key kg build printed
