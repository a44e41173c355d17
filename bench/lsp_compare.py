"""The language server's edit latency, this checkout's server against another revision's, alternated in one run.

    .venv/bin/python bench/lsp_compare.py REVISION [--rounds N]

REVISION's `server/` is taken with `git archive` into a temporary folder; each round runs `lsp_bench.change_latency`
(60 single edits, then 10 bursts of typing) on the largest corpus project with that server, then with this
checkout's. On a busy machine the load falls on both alike; the server's CPU per edit is what it disturbs least.
Prints one JSON line per run and a summary; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import tempfile
from pathlib import Path

import common
import lsp_bench
from schema_bench import generated_project, largest_schemas


def server_of(revision: str, into: Path) -> Path:
    archive = subprocess.run(["git", "archive", revision, "server"], cwd=common.REPO, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "server"


def measure(server: Path, project: Path) -> dict[str, float]:
    # Both modules read the server's folder when they start it: the PYTHONPATH and the working folder.
    common.SERVER = lsp_bench.SERVER = server
    result = asyncio.run(lsp_bench.change_latency(project, 60, pause=0.05))
    typing = result["typing"]
    return {
        "edit_p50_ms": result["median_ms"],
        "edit_p95_ms": result["p95_ms"],
        "server_cpu_ms_per_edit": result["server_cpu_ms_per_edit"],
        "burst_p50_ms": typing["median_ms"],
        "burst_p95_ms": typing["p95_ms"],
        "older_text_published_after_newer": typing["older_text_published_after_newer"],
        "load_average_1m": os.getloadavg()[0],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    project = generated_project(largest_schemas(1)[0])
    runs: dict[str, list[dict[str, float]]] = {args.revision: [], "this checkout": []}
    with tempfile.TemporaryDirectory(prefix="lsp-compare-") as temporary:
        servers = {args.revision: server_of(args.revision, Path(temporary)), "this checkout": common.SERVER}
        for _ in range(args.rounds):
            for name, server in servers.items():
                runs[name].append(measure(server, project))
                print(json.dumps({"server": name, **runs[name][-1]}), flush=True)
    for name, measured in runs.items():
        medians = {key: round(statistics.median(r[key] for r in measured), 1) for key in measured[0]}
        print(f"{name}: median of {len(measured)} runs {json.dumps(medians)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
