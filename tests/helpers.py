"""What many tests do the same way: run the command line as a person runs it, make a file nobody may delete, and
record a folder's state to show that nothing in it changed."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import redirect_stdout
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil
import pytest

from tests.repair_fixtures import repair_environment

if TYPE_CHECKING:
    from prisma_doctor.repair.journal import Journal

SERVER = Path(__file__).resolve().parents[1] / "server"
# `prisma-doctor`, run from this checkout's server/ (with `doctor_environment`).
DOCTOR = [sys.executable, "-m", "prisma_doctor"]


def doctor_environment(env: Mapping[str, str] | None = None, *, repair: bool = False) -> dict[str, str]:
    """This process's environment, then the repair tests' variables when `repair`, then `env`; PYTHONPATH names
    this checkout's server/ whatever the others say."""
    return {**os.environ, **(repair_environment() if repair else {}), **(env or {}), "PYTHONPATH": str(SERVER)}


def doctor(
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    repair: bool = False,
    text: bool = True,
    input: bytes | str | None = None,
    stdin: int | None = None,
    user: str | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[Any]:
    """`prisma-doctor ARGS` as a separate process, its output captured (text unless `text=False`).

    `env` adds variables to the environment (see `doctor_environment`; `repair` adds those every repair test runs
    with); `input` is written to its stdin, or `stdin` is given as is (`subprocess.DEVNULL`); `user` runs it as
    another user (root only).
    """
    return subprocess.run(
        [*DOCTOR, *args],
        cwd=cwd,
        env=doctor_environment(env, repair=repair),
        input=input,
        stdin=stdin,
        capture_output=True,
        text=text,
        timeout=timeout,
        user=user,
    )


def doctor_json(*args: str, env: Mapping[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """`prisma-doctor ARGS --yes --json`: a repair's exit code and JSON report (its output, when that is not JSON)."""
    done = doctor(*args, "--yes", "--json", env=env)
    try:
        return done.returncode, json.loads(done.stdout)
    except ValueError:
        return done.returncode, {"stdout": done.stdout, "stderr": done.stderr}


def repair_json(
    command: str, project: Path, *, restarted: list[int], env: Mapping[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """`prisma-doctor COMMAND --project PROJECT --yes --json` (see `doctor_json`). The process group of every dev
    server the repair started goes into `restarted` (the `restarted_groups` fixture, which stops them after the test:
    they are detached, so no dev-server fixture owns them)."""
    code, result = doctor_json(command, "--project", str(project), env=env)
    restarted.extend(s["pid"] for s in result.get("devServers", []))
    return code, result


def dry_run_plan(
    *command: str, project: Path, env: Mapping[str, str] | None = None, refused: bool = False
) -> dict[str, Any]:
    """The plan `prisma-doctor COMMAND --project PROJECT --dry-run --json` prints, which must exit 0 (2 for a plan
    that is `refused`)."""
    done = doctor(*command, "--project", str(project), "--dry-run", "--json", env=env)
    assert done.returncode == (2 if refused else 0), done.stdout + done.stderr
    return json.loads(done.stdout)


def refused_plan(*command: str, project: Path, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The plan `prisma-doctor COMMAND --project PROJECT --yes --json` prints when it refuses (exit 2) before it
    changes anything: what only the plan of a run asks (Prisma's own validate) is in it, which a dry run never
    runs."""
    done = doctor(*command, "--project", str(project), "--yes", "--json", env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    return json.loads(done.stdout)


def previews(plan: dict[str, Any]) -> dict[str, list[str]]:
    """Each step's preview in a plan `--dry-run --json` printed, by the step's name."""
    return {step["name"]: step["preview"] for step in plan["steps"]}


def step(result: dict[str, Any], name: str) -> dict[str, Any]:
    """The step `name` of a repair's JSON result."""
    return next(s for s in result["steps"] if s["name"] == name)


def check_json(root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """`prisma-doctor check --json ROOT ARGS`, run in this process (quicker than `doctor`): its exit code and
    report."""
    from prisma_doctor.cli import main  # here: importing this module costs no CLI import

    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["check", "--json", str(root), *args])
    return code, json.loads(out.getvalue())


def codes(report: dict[str, Any]) -> list[str]:
    """The codes of a JSON report's findings, in order."""
    return [f["code"] for f in report["findings"]]


def finding(report: dict[str, Any], code: str) -> dict[str, Any]:
    """The first finding of `code` in a JSON report."""
    return next(f for f in report["findings"] if f["code"] == code)


def set_immutable(path: Path, on: bool) -> None:
    """`chattr +i`: no user, root included, may then delete or rename the file, or change a folder's entries (as a
    file held open on Windows, or a root-owned folder for a user). `on=False` takes it back."""
    subprocess.run(["chattr", "+i" if on else "-i", str(path)], check=True)


def set_append_only(path: Path, on: bool) -> None:
    """`chattr +a`: the file may be added to but not removed, renamed or truncated, root included (as a file another
    process holds open on Windows, without delete sharing). `on=False` takes it back."""
    subprocess.run(["chattr", "+a" if on else "-a", str(path)], check=True)


def tree_contents(folder: Path, *, file_modes: bool = False) -> dict[str, str]:
    """Every entry under `folder`: a file's content hash (after its mode when `file_modes`), a link's target, a
    folder's mode. Links are not followed."""
    seen: dict[str, str] = {}
    for here, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(here, name)
            info = os.lstat(path)
            key = str(path.relative_to(folder))
            if stat.S_ISLNK(info.st_mode):
                seen[key] = "link:" + os.readlink(path)
            elif stat.S_ISREG(info.st_mode):
                mode = f"{stat.S_IMODE(info.st_mode):o}:" if file_modes else ""
                seen[key] = mode + hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                seen[key] = f"dir:{stat.S_IMODE(info.st_mode):o}"
    return seen


def tree_times(folder: Path, *, folders: bool = True) -> dict[str, tuple[int, int]]:
    """Every entry under `folder` (not its folders when `folders=False`) with its size and modification time, links
    not followed: cheap enough for a whole installed toolchain."""
    state: dict[str, tuple[int, int]] = {}
    for here, dirs, files in os.walk(folder):
        for name in (dirs + files) if folders else files:
            info = os.lstat(os.path.join(here, name))
            state[os.path.relpath(os.path.join(here, name), folder)] = (info.st_size, info.st_mtime_ns)
    return state


@pytest.fixture
def spawn() -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start a process in a session of its own (`spawn(args, cwd, user=None, env=None)`), returned once psutil reads
    its command line; at the end, each one still running is killed with everything it started."""
    started: list[subprocess.Popen[bytes]] = []

    def start(
        args: list[str], cwd: Path, user: str | None = None, env: Mapping[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(args, cwd=cwd, start_new_session=True, user=user, env=env)
        started.append(process)
        for _ in range(100):  # psutil reads the command line once the program has replaced the forked image
            try:
                if args[0] in " ".join(psutil.Process(process.pid).cmdline()):
                    break
            except psutil.Error:
                break
            time.sleep(0.05)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _dead_pid() -> int:
    """The pid of a process that has ended: a repair killed -9 left its journal with such a pid."""
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    return ended.pid


def dead_repair(
    project: Path, steps: dict[str, str], servers: list[dict[str, Any]], outcome: str | None = None
) -> Journal:
    """The real journal of a reset whose process is gone (killed), its steps at `steps`."""
    from prisma_doctor.repair.journal import Journal

    journal = Journal.start(project, "reset", ["stop", "set-aside", "generate", "discard", "restart-dev"])
    journal.data.update({"pid": _dead_pid(), "started": time.time(), "dev_servers": servers})
    for name, status in steps.items():
        journal.mark(name, status)  # pyright: ignore[reportArgumentType]
    if outcome is not None:
        journal.finish(outcome)
    return journal


def set_aside_as_repair(project: Path, journal: Journal, name: str, provider: str | None = None) -> Path:
    """`name` (a folder of the project) moved into the aside folder as SetAside moves it, recorded first;
    `provider`: the generator whose client it is (None: a cache)."""
    from prisma_doctor.repair.context import SetAsidePath
    from prisma_doctor.repair.interruption import aside_record

    aside = project / ".prisma-doctor" / "aside" / f"20261206-000000-1-0-{Path(name).name}"
    aside.parent.mkdir(parents=True, exist_ok=True)
    journal.record_aside(aside_record(SetAsidePath(project / name, provider), aside))
    (project / name).rename(aside)
    return aside


def own_prisma_run(project: Path, arguments: str) -> str:
    """The line a plan shows for a Prisma command: node straight at the project's own `prisma` package (as `npx
    prisma` would run it, without the package manager's start), in the project."""
    from prisma_doctor.repair.package_manager import local_prisma

    command = local_prisma(project)
    assert command is not None and "node_modules" in command[1], f"no prisma package resolves from {project}"
    return f"run: {' '.join([*command, *arguments.split()])} (in {project})"
