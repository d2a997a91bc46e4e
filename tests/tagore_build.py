"""One real `kg build` of the Tagore and Nazrul documents of examples/corpus (en-01, bn-01, en-04, bn-04), shared by the session.

Import the fixture where it is needed (``from tests.tagore_build import tagore_build``): the explorer's
browser test serves it, the log test reads what the build printed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Build:
    workspace: Path
    stdout: str
    stderr: str


def corpus_lines(*ids: str) -> list[str]:
    lines = [line for f in sorted((ROOT / "examples" / "corpus").glob("*.jsonl"))
             for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [line for line in lines if json.loads(line)["id"] in ids]


@pytest.fixture(scope="session")
def tagore_build(tmp_path_factory) -> Build:
    root = tmp_path_factory.mktemp("tagore")
    corpus = root / "tagore.jsonl"
    corpus.write_text("\n".join(corpus_lines("en-01", "bn-01", "en-04", "bn-04")) + "\n", encoding="utf-8")
    env = {**os.environ, "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120"}
    build = subprocess.run([sys.executable, "-m", "pipeline.cli", "build", str(corpus), "--workspace", str(root / "ws")],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert build.returncode == 0, build.stderr[-3000:]
    return Build(root / "ws", build.stdout, build.stderr)
