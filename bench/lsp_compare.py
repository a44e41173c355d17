"""The language server's edit latency and start-up, this checkout's server against other revisions', alternated in
one run.

    .venv/bin/python bench/lsp_compare.py REVISION [REVISION...] [--rounds N] [--startups N]

Each REVISION's `server/` is taken with `git archive` into a temporary folder; each round runs, with each revision's
server and then this checkout's, `lsp_bench.change_latency` (60 single edits, then 10 bursts of typing) on the
largest corpus project and `--startups` start-ups to the `initialize` answer (`lsp_bench.startup_and_idle`). On a
busy machine the load falls on all alike; the server's CPU (per edit, and until it answers `initialize`) is what it
disturbs least. Prints one JSON line per run and a summary; asserts nothing.
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
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", revision, "server"], cwd=common.REPO, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "server"


def measure(server: Path, project: Path, startups: int) -> dict[str, float]:
    # Both modules read the server's folder when they start it: the PYTHONPATH and the working folder.
    common.SERVER = lsp_bench.SERVER = server
    result = asyncio.run(lsp_bench.change_latency(project, 60, pause=0.05))
    typing = result["typing"]
    started = asyncio.run(lsp_bench.startup_and_idle(project, startups)) if startups else {}
    startup = started.get("startup_empty_workspace", {})
    return {
        "edit_p50_ms": result["median_ms"],
        "edit_p95_ms": result["p95_ms"],
        "server_cpu_ms_per_edit": result["server_cpu_ms_per_edit"],
        "burst_p50_ms": typing["median_ms"],
        "burst_p95_ms": typing["p95_ms"],
        "older_text_published_after_newer": typing["older_text_published_after_newer"],
        **({"startup_p50_ms": startup["median_ms"]} if startup else {}),
        **({"startup_cpu_ms": started["startup_cpu_ms_empty_workspace"]} if started else {}),
        "load_average_1m": os.getloadavg()[0],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revisions", nargs="+")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--startups", type=int, default=5, help="start-ups per run (0: none)")
    args = parser.parse_args()
    project = generated_project(largest_schemas(1)[0])
    with tempfile.TemporaryDirectory(prefix="lsp-compare-") as temporary:
        servers = {rev: server_of(rev, Path(temporary) / str(i)) for i, rev in enumerate(args.revisions)}
        servers["this checkout"] = common.SERVER
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in servers}
        for _ in range(args.rounds):
            for name, server in servers.items():
                runs[name].append(measure(server, project, args.startups))
                print(json.dumps({"server": name, **runs[name][-1]}), flush=True)
    for name, measured in runs.items():
        medians = {key: round(statistics.median(r[key] for r in measured), 1) for key in measured[0]}
        print(f"{name}: median of {len(measured)} runs {json.dumps(medians)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
