"""Quiet logs (issue 18): a build prints one line per stage with counts and seconds, warnings, the summary once."""

from __future__ import annotations

import json
import logging
import re
import sys
import time

import pytest

from pipeline.logs import describe, quiet_console, stage_done
from tests.tagore_build import tagore_build  # noqa: F401  (a fixture)

STAGES = ["ingest", "extract", "link", "featurize", "filter", "embed", "store", "export", "report"]


@pytest.fixture
def console():
    """Installs, when called in the test, the terminal handler `kg` has (a StreamHandler on the stderr of then)."""
    root, handlers = logging.getLogger(), []
    levels = {name: logging.getLogger(name).level for name in ("chatter", "pipeline", "flows")}

    def install() -> None:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        handlers.append(handler)

    yield install
    for handler in handlers:
        root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _chatter() -> None:
    """What a build logs. Prefect's and PyKEEN's lines come from stand-in loggers: the real "prefect" loggers
    carry Prefect's own handlers, which are not what is tested here."""
    for name in ("chatter", "flows"):
        logging.getLogger(name).setLevel(logging.INFO)
    logging.getLogger("chatter.prefect").info("Starting temporary server on http://127.0.0.1:8193\nSee https://www."
                                              "prefect.io/docs/v3/concepts/server#how-to-guides for more information")
    logging.getLogger("chatter.prefect.task_runs").info("Finished in state Completed()")
    logging.getLogger("chatter.pykeen").info("Inferred unique=False for Embedding()")
    logging.getLogger("pipeline.extract.api").info("extracted 388 mentions from 32 documents")
    stage_done("filter", {"kept": 5, "edges": 9, "method": "gae", "threshold": 0.25}, time.monotonic())
    logging.getLogger("pipeline.link.api").warning("2 mentions could not be linked")


def test_the_console_keeps_stage_lines_and_warnings(console, capsys) -> None:
    console()
    logging.getLogger("pipeline").setLevel(logging.INFO)  # what `kg` does without -v
    quiet_console()
    quiet_console()  # idempotent
    _chatter()
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2, "\n".join(lines)
    assert re.fullmatch(r"INFO flows\.build_kg\.stages: filter: kept 5 of 9 candidate edges \(gae, threshold "
                        r"0\.250\) \(\d+\.\d s\)", lines[0])
    assert lines[1] == "WARNING pipeline.link.api: 2 mentions could not be linked"


def test_verbose_shows_everything(console, capsys) -> None:
    console()
    logging.getLogger("pipeline").setLevel(logging.DEBUG)  # what `kg -v` does
    quiet_console()
    _chatter()
    err = capsys.readouterr().err
    assert "Finished in state Completed()" in err and "Inferred unique=False" in err and "how-to-guides" in err


def test_stage_descriptions_are_words_not_dict_reprs() -> None:
    assert describe("ingest", {"documents": 72, "quarantined": 0}) == "72 documents, 0 sources quarantined"
    assert describe("extract", {"documents": 72, "batches": 3, "routes": {"bn:bangla": 36, "en:spacy": 36},
                                "mentions": 915, "relations": 1548, "failed": 0}) == (
        "72 documents in 3 batches (bn:bangla 36, en:spacy 36): 915 mentions, 1548 relations, 0 failed")
    assert describe("link", 332) == "332 entities"
    assert "{" not in describe("export", {"facts": 1, "entities": 2, "relations": 1, "models": {"x": 1}})


def test_a_build_prints_a_line_per_stage_and_the_summary_once(tagore_build) -> None:
    lines = tagore_build.stderr.splitlines()
    assert len(lines) <= 25, "\n".join(lines)
    # A record starts with its time stamp; a warning's source line continues it.
    records = re.split(r"\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} )", tagore_build.stderr.strip())
    stage_lines = [r for r in records if " INFO flows.build_kg.stages: " in r]
    assert [r.split(": ", 2)[1].split(":")[0] for r in stage_lines] == STAGES, lines
    assert all(re.search(r"\(\d+\.\d s\)$", r) for r in stage_lines)
    noise = [r for r in records if r not in stage_lines and " WARNING " not in r.splitlines()[0]]
    assert noise == [], noise  # no Prefect banner, no "Finished in state", no PyKEEN, no progress bars
    summary = json.loads(tagore_build.stdout.strip().splitlines()[-1])
    assert summary["documents"] == 4 and "build-kg finished" not in tagore_build.stderr
