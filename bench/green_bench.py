"""Time to green: from the app answering 500 because its client lacks a new field, to the app answering 200 with it.

    .venv/bin/python bench/green_bench.py [--rounds N] [--projects example,tsx] [--cases floor,doctor,...] [--json]

Two projects, as a user runs them with `npm run dev`: the bundled example (Next 16, `next dev --turbopack`, route
`/`) and a plain node server under `tsx watch` (`tests/watch_servers.py`, route `/users`). Each case of each round
gets a fresh copy (`tests/example_app.py`, `tests/watch_servers.py`, packages from `tests/npm_cache.py`), whose dev
server is started, answers 200, and is then broken the way the incident was: `nickname` added to the schema and to
the code, the client not generated (the example's database gains the column, as after `prisma migrate`). The clock
starts when a request to the route has answered 500, and stops when the same route answers 200 with the new field.

- floor: the dev server stopped, a bare `prisma generate`, the same command started again;
- cold floor (the example only): the same with `.next` deleted, as a full reset sets it aside, so that what the
  reset costs beyond the floor can be told apart from the compile it starts from nothing;
- doctor: the fix `prisma-doctor explain --json` offers first for the dev server's output, run as its command
  (`--yes`); if the app is not green after it, the first fix a fresh `check --json` offers, and so on, at most
  three repairs. Asking is on the clock;
- reset: `prisma-doctor reset --yes`, the full repair (stop, set aside, generate, start, verify) in one step;
- incident script + reinstall (FIELD-NOTES section 1, npm flavour): the project's node processes stopped, `.next`,
  `.turbo`, `node_modules/.cache`, `node_modules/.prisma` and `node_modules/@prisma` deleted, `npm install`, `prisma
  generate`, the same command started again. Its copy has real files, not links to the cache, since npm rewrites
  what it reinstalls.

The cases run interleaved, round by round, so that the machine's load falls on each alike. Only processes whose
working folder is in a copy are stopped. Prints JSON (`--json`) or a table, with the median seconds of each step
of the doctor's repairs (their `--json` results); asserts nothing.
"""

from __future__ import annotations

import argparse
import compileall
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "server"), str(REPO)]

from common import CACHED_BYTECODE  # noqa: E402
from tests.example_app import copy_example, installed_example_packages, run_script  # noqa: E402
from tests.helpers import doctor  # noqa: E402
from tests.npm_cache import run, tool_environment  # noqa: E402
from tests.watch_servers import NpmRunDev, add_nickname, project_copy, template  # noqa: E402

from prisma_doctor.cli.migrate import ACTIONS as MIGRATE_ACTIONS  # noqa: E402
from prisma_doctor.lsp.features.commands import REPAIR_FOR_FIX  # noqa: E402
from prisma_doctor.repair.processes import find_project_processes, stop_processes  # noqa: E402

CASES = ("floor", "cold-floor", "doctor", "reset", "incident")
CASE_TITLES = {
    "floor": "floor: stop, bare `prisma generate`, start",
    "cold-floor": "the floor with the build cache deleted (`.next`)",
    "doctor": "the doctor's fix",
    "reset": "prisma-doctor reset",
    "incident": "incident script + reinstall",
}
GREEN_TIMEOUT = 300.0
# Issue 13: the doctor's way to green at most this many times the floor's.
GREEN_TARGET = 1.2
MAX_REPAIRS = 3
# The command line of each repair kind the doctor's fixes name (`REPAIR_FOR_FIX`): its own name, or `migrate ACTION`.
REPAIR_ARGUMENTS = {kind: ["migrate", action] for action, kind in MIGRATE_ACTIONS.items()}


@dataclass(frozen=True)
class Project:
    """One kind of project: how a copy is made and broken, the route that fails, and what its 200 shows."""

    name: str
    title: str
    route: str
    shows_field: str
    make: Callable[[Path, bool], Path]
    break_it: Callable[[NpmRunDev], None]
    build_cache: str | None = None  # the dev server's build cache, which a full reset sets aside


def _make_example(destination: Path, link: bool) -> Path:
    project = copy_example(destination, installed_example_packages(), link=link)
    run_script(project, "setup.sh")
    return project


def _break_example(server: NpmRunDev) -> None:
    run_script(server.project, "break.sh", "--db")


def _make_tsx(destination: Path, link: bool) -> Path:
    return project_copy(template(), destination, "tsx", link=link)


def _break_tsx(server: NpmRunDev) -> None:
    add_nickname(server.project)
    # tsx watch restarts the server for the code change; the old client then rejects the new field.
    server.wait_for_status(500)


PROJECTS = {
    "example": Project(
        "example", "bundled example, next dev", "/", 'class="user-nickname"', _make_example, _break_example, ".next"
    ),
    "tsx": Project("tsx", "tsx watch server", "/users", '"nickname":"countess"', _make_tsx, _break_tsx),
}


@dataclass
class Outcome:
    seconds: float | None  # None: never green within GREEN_TIMEOUT
    steps: list[str] = field(default_factory=list)
    # Each repair step's own seconds (its `--json` result), as "kind step": where the doctor's time went.
    step_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def green(self) -> bool:
        return self.seconds is not None


def status(server: NpmRunDev, route: str, timeout: float = 60.0) -> tuple[int, str] | None:
    """The route's status and body, None when nothing answers."""
    try:
        answer = server.get(route, timeout=timeout)
    except OSError:
        return None
    return answer.status, answer.body


def wait_green(server: NpmRunDev, project: Project, started: float, limit: float = GREEN_TIMEOUT) -> float | None:
    """Seconds from `started` until the route answers 200 with the new field (a request waits through a compile)."""
    deadline = started + limit
    while time.monotonic() < deadline:
        if server.process is not None and server.process.poll() is not None:
            return None  # the server we started exited
        answer = status(server, project.route, timeout=max(1.0, deadline - time.monotonic()))
        if answer is not None and answer[0] == 200 and project.shows_field in answer[1]:
            return time.monotonic() - started
        time.sleep(0.1)
    return None


def start_again(server: NpmRunDev) -> NpmRunDev:
    """The same command started again on the same port (the old one stopped first); returns without waiting."""
    server.stop()
    return NpmRunDev(server.project, server.log_file, port=server.port).start(wait=False)


def floor(server: NpmRunDev, project: Project, started: float, cold: bool = False) -> tuple[Outcome, NpmRunDev]:
    server.stop()
    if cold and project.build_cache:
        # What the full reset costs beyond the floor when the server must compile from nothing.
        shutil.rmtree(server.project / project.build_cache)
    run(["npx", "--no-install", "prisma", "generate"], server.project, env=server.environment)
    again = start_again(server)
    return Outcome(wait_green(again, project, started), ["stop", "prisma generate", "npm run dev"]), again


def incident(server: NpmRunDev, project: Project, started: float) -> tuple[Outcome, NpmRunDev]:
    root = server.project
    stop_processes(find_project_processes(root))  # "kill every node.exe", narrowed to the copy's own processes
    for folder in (".next", ".turbo", "node_modules/.cache", "node_modules/.prisma", "node_modules/@prisma"):
        shutil.rmtree(root / folder, ignore_errors=True)
    run(["npm", "install", "--prefer-offline", "--no-audit", "--no-fund"], root, env=server.environment)
    run(["npx", "--no-install", "prisma", "generate"], root, env=server.environment)
    again = start_again(server)
    steps = ["stop node", "delete caches and @prisma", "npm install", "prisma generate", "npm run dev"]
    return Outcome(wait_green(again, project, started), steps), again


def offered_repair(report: object) -> str | None:
    """The first fix of the report's first finding that offers a repair, as its repair kind."""
    reports = report if isinstance(report, list) else [report]
    for each in reports:
        for finding in each.get("findings", []) if isinstance(each, dict) else []:
            for fix in finding.get("fixes", []):
                if fix["id"] in REPAIR_FOR_FIX:
                    return REPAIR_FOR_FIX[fix["id"]]
    return None


def doctor_environment(server: NpmRunDev) -> dict[str, str]:
    """The environment the floor's commands run in (`npm_cache.run`: the dev server's, with no Prisma telemetry child
    and no npm update check), so that the doctor's own `prisma generate` runs as the floor's does; and our bytecode
    cached, as once installed."""
    return {**tool_environment(server.environment), **CACHED_BYTECODE}


def ask(*args: str, env: dict[str, str]) -> object:
    done = doctor(*args, "--json", env=env)
    try:
        return json.loads(done.stdout)
    except ValueError:
        return {}


def repair(kind: str, server: NpmRunDev, project: Project, started: float, outcome: Outcome) -> bool:
    """Run the doctor's repair `kind` (`--yes`); note its closing line, and the time if the app is green after it."""
    root = str(server.project)
    arguments = REPAIR_ARGUMENTS.get(kind, [kind])
    done = doctor(*arguments, "--yes", "--json", "--project", root, env=doctor_environment(server))
    try:
        result = json.loads(done.stdout)
    except ValueError:
        result = {}
    outcome.steps.append(f"{kind}: {result.get('verdict') or f'exit {done.returncode}'}")
    outcome.step_seconds.update({f"{kind} {step['name']}": step["seconds"] for step in result.get("steps", [])})
    answer = status(server, project.route)
    if answer is not None and answer[0] == 200 and project.shows_field in answer[1]:
        outcome.seconds = time.monotonic() - started
    return outcome.green


def doctor_fix(server: NpmRunDev, project: Project, started: float) -> tuple[Outcome, NpmRunDev]:
    root, env = str(server.project), doctor_environment(server)
    outcome = Outcome(None)
    kind = offered_repair(ask("explain", str(server.log_file), "--project", root, env=env))
    for _ in range(MAX_REPAIRS):
        if kind is None:
            outcome.steps.append("no repair offered")
            break
        if repair(kind, server, project, started, outcome):
            break
        kind = offered_repair(ask("check", root, env=env))
    return outcome, server


def full_reset(server: NpmRunDev, project: Project, started: float) -> tuple[Outcome, NpmRunDev]:
    outcome = Outcome(None)
    repair("reset", server, project, started, outcome)
    return outcome, server


def cold_floor(server: NpmRunDev, project: Project, started: float) -> tuple[Outcome, NpmRunDev]:
    return floor(server, project, started, cold=True)


RUNNERS = {"floor": floor, "cold-floor": cold_floor, "doctor": doctor_fix, "reset": full_reset, "incident": incident}


def one_case(base: Path, project: Project, case: str) -> Outcome:
    root = project.make(base / f"{project.name}-{case}", case != "incident")
    server = NpmRunDev(root, base / f"{project.name}-{case}.log")
    try:
        server.start()
        project.break_it(server)
        failing = status(server, project.route)
        if failing is None or failing[0] != 500:
            return Outcome(None, [f"not broken: {project.route} answered {failing and failing[0]}"])
        started = time.monotonic()
        outcome, server = RUNNERS[case](server, project, started)
        return outcome
    finally:
        server.stop()
        # What the doctor started again is not our child: stop every process whose working folder is in the copy.
        stop_processes(find_project_processes(root))
        shutil.rmtree(root, ignore_errors=True)


def measure(projects: list[str], rounds: int, cases: tuple[str, ...] = CASES) -> dict[str, object]:
    results: dict[str, dict[str, list[dict[str, object]]]] = {
        name: {c: [] for c in cases if c != "cold-floor" or PROJECTS[name].build_cache} for name in projects
    }
    # Our modules compiled once, as pip compiles them at install (the doctor's processes then run from the cache).
    compileall.compile_dir(REPO / "server", quiet=1)
    with tempfile.TemporaryDirectory(prefix="green-bench-") as temporary:
        for round_number in range(rounds):
            for name in projects:
                for case in cases:
                    if case == "cold-floor" and not PROJECTS[name].build_cache:
                        continue
                    base = Path(temporary) / f"round-{round_number}"
                    base.mkdir(exist_ok=True)
                    outcome = one_case(base, PROJECTS[name], case)
                    print(f"{name} {case} round {round_number + 1}: {outcome.seconds} {outcome.steps}", file=sys.stderr)
                    results[name][case].append({**asdict(outcome), "green": outcome.green})
    return {
        "rounds": rounds,
        "projects": {
            name: {"title": PROJECTS[name].title, "route": PROJECTS[name].route, "cases": results[name]}
            for name in projects
        },
    }


def summary(runs: list[dict[str, object]]) -> dict[str, float | int | None]:
    seconds = sorted(float(r["seconds"]) for r in runs if r["seconds"] is not None)  # type: ignore[arg-type]
    if not seconds:
        return {"median_s": None, "min_s": None, "max_s": None, "green": 0, "runs": len(runs)}
    return {
        "median_s": statistics.median(seconds),
        "min_s": seconds[0],
        "max_s": seconds[-1],
        "green": len(seconds),
        "runs": len(runs),
    }


def step_medians(runs: list[dict[str, object]]) -> dict[str, float]:
    """The median seconds of each repair step over the rounds that ran it."""
    seen: dict[str, list[float]] = {}
    for each in runs:
        for step, seconds in dict(each.get("step_seconds") or {}).items():  # type: ignore[call-overload]
            seen.setdefault(step, []).append(float(seconds))
    return {step: statistics.median(values) for step, values in seen.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--projects", default=",".join(PROJECTS))
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = measure([p for p in args.projects.split(",") if p], args.rounds, tuple(args.cases.split(",")))
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for name, entry in results["projects"].items():  # type: ignore[union-attr]
        for case, runs in entry["cases"].items():
            f = summary(runs)
            shown = (
                "never green"
                if f["median_s"] is None
                else f"{f['median_s']:.1f} s median ({f['min_s']:.1f}-{f['max_s']:.1f})"
            )
            print(f"{name:8} {CASE_TITLES[case]:48} {shown}, green {f['green']} of {f['runs']}; {runs[0]['steps']}")
            where = step_medians(runs)
            if where:
                print(f"{'':8} {'':48} steps (median s): " + ", ".join(f"{k} {v:.2f}" for k, v in where.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
