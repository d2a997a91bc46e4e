"""Incremental `kg build`: a full build, an unchanged re-run, and a re-run after adding one document.

Each is a fresh `kg build` process, as a scheduled run would be, so the
figures include interpreter start-up. The corpus is copied to a temporary
folder so that one document can be added. Prints one JSON line.

Usage: python bench/incremental.py [CORPUS_DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NEW_DOCUMENT = {"id": "en-new", "text": "Lalon Shah was born in Kushtia. Lalon Shah wrote many songs."}


def timed_build(corpus: Path, workspace: Path) -> tuple[float, dict]:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pipeline.cli", "build", str(corpus), "--workspace", str(workspace)],
                            cwd=ROOT, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="?", default=str(ROOT / "examples" / "corpus"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus, workspace = Path(tmp) / "corpus", Path(tmp) / "ws"
        shutil.copytree(args.corpus, corpus)
        full_s, full = timed_build(corpus, workspace)
        unchanged_s, unchanged = timed_build(corpus, workspace)
        (corpus / "added.jsonl").write_text(json.dumps(NEW_DOCUMENT) + "\n", encoding="utf-8")
        one_new_s, one_new = timed_build(corpus, workspace)
    print(json.dumps({
        "documents": full["documents"], "full_s": round(full_s, 1),
        "unchanged_s": round(unchanged_s, 1), "unchanged_ratio": round(unchanged_s / full_s, 3),
        "unchanged_up_to_date": unchanged.get("up_to_date", False),
        "one_new_s": round(one_new_s, 1), "one_new_ratio": round(one_new_s / full_s, 3),
        "one_new_extracted": one_new["extracted"],
    }))


if __name__ == "__main__":
    main()
