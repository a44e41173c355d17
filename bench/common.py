"""Shared pieces of the benchmarks: paths, the machine, installing npm packages once, hyperfine, statistics."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SERVER = REPO / "server"
CACHE = BENCH / ".cache"
RESULTS = BENCH / "results"
# CI and the helpers' worktrees keep the shared corpus beside the repository.
CORPUS = REPO.parent / "shared" / "corpus"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus")
SCHEMAS = CORPUS / "schemas"
PYTHON = sys.executable

# Prisma's own schema engine compiled to wasm. 6.17.1 is the build Prisma 6.17.1 ships (schemas with a datasource
# `url`); 8.1.0-2 is npm's `latest` tag, the build of the Prisma 7 line (schemas without `url`, which 7 requires).
WASM_PACKAGES = {
    "wasm6": "@prisma/prisma-schema-wasm@6.17.1-1.272a37d34178c2894197e17273bf937f25acdeac",
    "wasm7": "@prisma/prisma-schema-wasm@8.1.0-2.59be4fda12412a79eeb9c2ae727b6aa723593323",
}
PRISMA_VERSION = "6.17.1"


# Timed as an installed package runs, with its bytecode cached (pip compiles it at install): an inherited
# PYTHONDONTWRITEBYTECODE=1 would make every timed process compile our modules from source again.
CACHED_BYTECODE = {"PYTHONDONTWRITEBYTECODE": ""}


def python_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SERVER) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(CACHED_BYTECODE)
    return env


def npm_install(packages: dict[str, str]) -> Path:
    """Install `alias -> name@version` into a cache folder keyed by the exact set; return its node_modules."""
    key = hashlib.sha256(json.dumps(packages, sort_keys=True).encode()).hexdigest()[:12]
    folder = CACHE / f"npm-{key}"
    done = folder / ".installed"
    if done.exists():
        return folder / "node_modules"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text('{"private": true}\n', encoding="utf-8")
    specs = [spec if alias == spec.rsplit("@", 1)[0] else f"{alias}@npm:{spec}" for alias, spec in packages.items()]
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *specs],
        cwd=folder,
        check=True,
    )
    done.write_text("\n".join(specs) + "\n", encoding="utf-8")
    return folder / "node_modules"


def require_tool(name: str, apt_package: str | None = None) -> str:
    """The path of a command-line tool, installed from Debian when absent (the benchmarks never skip a part)."""
    found = shutil.which(name)
    if found:
        return found
    if apt_package and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", apt_package], check=False)
        found = shutil.which(name)
    if not found:
        raise SystemExit(f"bench: `{name}` is needed; install the Debian package `{apt_package or name}`")
    return found


def hyperfine(
    commands: dict[str, list[str]],
    runs: int = 30,
    warmup: int = 3,
    env: dict | None = None,
    ignore_failure: bool = False,
) -> dict:
    """Whole-process timings in milliseconds: {name: {mean, median, min, max, stddev, cpu, runs}}."""
    exe = require_tool("hyperfine", "hyperfine")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "h.json"
        args = [exe, "--style", "none", "--warmup", str(warmup), "--runs", str(runs), "--export-json", str(out), "-N"]
        # Output into a pipe that hyperfine drains, not /dev/null: GNU grep notices /dev/null and stops at the first
        # match, and every command should pay for writing what it prints.
        args += ["--output", "pipe"]
        if ignore_failure:
            args.append("--ignore-failure")
        for name, command in commands.items():
            args += ["--command-name", name, " ".join(_quote(c) for c in command)]
        subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL)
        data = json.loads(out.read_text())
    return {
        r["command"]: {
            "mean_ms": r["mean"] * 1000,
            "median_ms": r["median"] * 1000,
            "min_ms": r["min"] * 1000,
            "max_ms": r["max"] * 1000,
            "stddev_ms": (r["stddev"] or 0) * 1000,
            # CPU time (user + system) is what the machine's other load disturbs least.
            "cpu_ms": (r["user"] + r["system"]) * 1000,
            "runs": len(r["times"]),
        }
        for r in data["results"]
    }


def _quote(word: str) -> str:
    import shlex

    return shlex.quote(word)


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM). Unlike `ru_maxrss`, it starts afresh at `exec`, so a child
    does not report the peak of the process that started it."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def summary_ms(samples_s: list[float], cpu_s: list[float] | None = None) -> dict[str, float]:
    """Median, p95, min and mean of wall-clock samples given in seconds, in milliseconds; CPU median if given."""
    ms = sorted(s * 1000 for s in samples_s)
    result = {
        "median_ms": statistics.median(ms),
        "p95_ms": percentile(ms, 95),
        "min_ms": ms[0],
        "mean_ms": statistics.fmean(ms),
        "n": len(ms),
    }
    if cpu_s:
        result["cpu_median_ms"] = statistics.median(cpu_s) * 1000
    return result


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(p / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def machine() -> dict[str, object]:
    import psutil

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "unknown"
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"') + f" (kernel {platform.release()})"
    except OSError:
        pass
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu": cpu,
        "os": os_name,
        "python": platform.python_version(),
        "node": node,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
