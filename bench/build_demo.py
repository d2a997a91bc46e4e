"""Wall time and peak memory of the demo build (`kg build examples/corpus`).

Runs the build in a child process into a fresh temporary workspace, so the
figure includes interpreter start, model loading and Prefect's ephemeral
server, as a user sees it. Peak memory is the largest resident set of any
child process (Prefect's server runs in one). Prints one JSON line.

Usage: python bench/build_demo.py [--repeats 1] [INPUT ...]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build_once(inputs: list[str]) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp) / "ws"
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", "build", *inputs, "--workspace", str(workspace)],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )
        seconds = time.perf_counter() - start
        if result.returncode != 0:
            sys.exit(f"build failed:\n{result.stderr[-3000:]}")
        return seconds, json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="*", default=[str(ROOT / "examples" / "corpus")])
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    times, summary = [], {}
    for _ in range(args.repeats):
        seconds, summary = build_once(args.inputs)
        times.append(seconds)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    print(json.dumps({
        "inputs": args.inputs, "cpus": os.cpu_count(), "repeats": args.repeats,
        "wall_s_min": round(min(times), 1), "wall_s_all": [round(t, 1) for t in times],
        "peak_rss_mib": round(peak_kib / 1024), "documents": summary.get("documents"),
        "entities": summary.get("entities"), "filter": summary.get("filter"),
        "quads": (summary.get("store") or {}).get("quads"),
    }))


if __name__ == "__main__":
    main()
