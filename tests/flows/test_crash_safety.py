"""Issue 17: a build that dies at any stage boundary, then runs again, ends where a clean build ends.

Each case takes a workspace holding a finished build, starts a new build
(changed inputs, or the same inputs with ``force``), makes it die at one
point, runs the build again without ``force`` and compares the store's
quads with a clean build's. The fault is raised in-process where the next
stage begins (or inside the store load, between dropping the documents'
graphs and loading them again): the workspace is left as a kill there
would leave it, since no stage cleans up after a failure. The real
SIGKILL, with Prefect's server outliving nothing, is
``test_incremental.py::test_kill_9_midway_then_rerun_equals_a_clean_build``.
"""

from __future__ import annotations

import importlib
import json
import shutil

import pytest

from flows.build_kg import run_build
from pipeline.config import PipelineConfig
from pipeline.workspace import Workspace
from tests.conftest import EXAMPLE_CORPUS, store_quads

pytestmark = pytest.mark.slow

SMALL = PipelineConfig.model_validate({"filter": {"method": "none"}, "embed": {"epochs": 2, "dim": 4}})
NEW_DOCUMENT = {"id": "en-new", "text": "Lalon Shah was born in Kushtia. Lalon Shah wrote many songs."}

#: Where the build dies: the point, and the function whose call it dies at.
FAULTS = {
    "after-ingest": "pipeline.incremental:check_removals",
    "after-check-removals": "pipeline.incremental:plan_extraction",
    "after-plan-extract": "pipeline.extract.api:run_extract",
    "after-extract": "pipeline.incremental:record_extraction",
    "mid-collect-extraction": "pipeline.workspace:Workspace.collect_parts:relations",  # mentions are rewritten
    "after-collect-extraction": "pipeline.link.api:run_link",
    "after-link": "pipeline.featurize.api:run_featurize",
    "after-featurize": "pipeline.filter.api:run_filter",
    "after-filter": "pipeline.embed.api:run_embed",
    "after-embed": "kg_store.api:run_store",
    "mid-store": "kg_store.oxigraph:OxigraphStore.load_nquads",  # the graphs were dropped, not yet reloaded
    "after-store": "pipeline.export.api:run_export",
    "after-export": "pipeline.report:write_report",
    "after-report": "pipeline.workspace:Workspace.write_json:run.json",  # all done but the run marker
}


class InjectedFault(Exception):
    pass


def _inject(monkeypatch, where: str) -> None:
    """Make the call named by ``where`` ("module:attr[.method][:first argument]") raise."""
    module_name, attribute, *only = where.split(":")
    owner = importlib.import_module(module_name)
    *path, name = attribute.split(".")
    for part in path:
        owner = getattr(owner, part)
    original = getattr(owner, name)

    def failing(*args, **kwargs):
        named = args[1] if path else (args[0] if args else None)  # a method's first argument follows self
        if not only or named == only[0]:
            raise InjectedFault(where)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, failing)


def _head(name: str, lines: int) -> str:
    return "".join((EXAMPLE_CORPUS / name).read_text(encoding="utf-8").splitlines(keepends=True)[:lines])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    (folder / "english.jsonl").write_text(_head("english.jsonl", 3), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def changed_corpus(tmp_path_factory, corpus):
    folder = tmp_path_factory.mktemp("changed")
    shutil.copytree(corpus, folder, dirs_exist_ok=True)
    with (folder / "english.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(NEW_DOCUMENT) + "\n")
    return folder


@pytest.fixture(scope="module")
def previous(tmp_path_factory, corpus, prefect_harness):
    """A workspace holding a finished build of ``corpus``: the state every case starts from."""
    workspace = tmp_path_factory.mktemp("previous")
    run_build([str(corpus)], workspace=str(workspace), config=SMALL)
    return workspace


@pytest.fixture(scope="module")
def clean(tmp_path_factory, previous, changed_corpus, prefect_harness):
    """Quads of clean builds, by mode: the forced rebuild's inputs are the previous build's."""
    workspace = tmp_path_factory.mktemp("clean")
    run_build([str(changed_corpus)], workspace=str(workspace), config=SMALL)
    return {"force": store_quads(previous), "changed": store_quads(workspace)}


# A forced rebuild of unchanged inputs reuses every extraction: no batch runs, so "after-plan-extract" is
# "after-extract" there.
CASES = [(fault, mode) for fault in FAULTS for mode in ("force", "changed")
         if (fault, mode) != ("after-plan-extract", "force")]


@pytest.mark.parametrize(("fault", "mode"), CASES, ids=[f"{fault}-{mode}" for fault, mode in CASES])
def test_issue17_a_fault_then_a_rerun_equals_a_clean_build(fault, mode, corpus, changed_corpus, previous, clean,
                                                           tmp_path, monkeypatch, prefect_harness) -> None:
    workspace = tmp_path / "ws"
    shutil.copytree(previous, workspace)
    inputs = [str(corpus if mode == "force" else changed_corpus)]
    with monkeypatch.context() as patch:
        _inject(patch, FAULTS[fault])
        with pytest.raises(InjectedFault):
            run_build(inputs, workspace=str(workspace), config=SMALL, force=mode == "force")
    assert not (workspace / "run.json").exists(), "a dead build left a marker claiming a finished run"

    rerun = run_build(inputs, workspace=str(workspace), config=SMALL)
    assert not rerun.up_to_date
    assert store_quads(workspace) == clean[mode]
    assert run_build(inputs, workspace=str(workspace), config=SMALL).up_to_date is True
    assert Workspace(workspace).read("documents").num_rows == (3 if mode == "force" else 4)
