"""A process of the project that is no dev server (a `node worker.js`, a queue consumer, a script left running) and
started before the newest client was generated: Node keeps the modules it loaded, so if it uses the client it runs
the old one until it is restarted (`process-stale`).

What decides whether it loaded the client: a native query engine (`*.node`, Prisma 5 and 6's library engine) of a
client folder mapped into it (Linux `/proc/<pid>/maps`) proves it. A client without one (`engineType = "client"`,
Prisma 7) leaves no trace in the process once its files are read: then it is said as likely, with what decides. A
repair never restarts such a process as if it were the dev server (`repair/plan.py` names it and leaves it running):
it cannot tell how it was started, nor what stopping it would lose.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import psutil

from prisma_doctor.findings import Finding, Location, Severity
from prisma_doctor.process_start import now_key
from prisma_doctor.repair.devserver import DevServer
from prisma_doctor.repair.processes import ProjectProcess, find_project_processes, maps_engine


def other_processes(root: Path, servers: Sequence[DevServer]) -> list[ProjectProcess]:
    """The project's runtime processes that belong to no dev server's tree, the innermost of each chain only
    (`npm run worker` runs `node worker.js`: the latter is the one that loaded the code)."""
    chain = {pid for server in servers for pid in (*server.launcher_pids, *server.tree_pids)}
    rest = [p for p in find_project_processes(root) if not _descends_from(p, chain) and not _prisma_cli(p)]
    parents = {p.ppid for p in rest}
    return [p for p in rest if p.pid not in parents]


def _prisma_cli(process: ProjectProcess) -> bool:
    """Prisma's CLI itself (a `prisma generate`, or the update check it leaves running a few seconds:
    `node node_modules/prisma/build/child {...}`): it loads no generated client."""
    from prisma_doctor.repair.devserver_kinds import runtime_script, script_package

    script = runtime_script(process.cmdline)
    return script is not None and script_package(script) in ("prisma", "@prisma/cli")


def _descends_from(process: ProjectProcess, chain: set[int]) -> bool:
    """Whether `process` is in a dev server's tree: a child the server started after its tree was read (Next's
    workers, a compile's helper) is the server's, not a process of its own on an older client."""
    if process.pid in chain or process.ppid in chain:
        return True
    try:
        return any(parent.pid in chain for parent in psutil.Process(process.pid).parents())
    except psutil.Error:
        return False


def stale_processes(
    processes: Sequence[ProjectProcess], generated: datetime, clients: Sequence[Path], where: Location | None
) -> list[Finding]:
    findings: list[Finding] = []
    # `started` is on the clock of `now_key` (since boot on Linux): moved to the epoch to compare with the client's.
    offset = time.time() - now_key()
    for process in processes:
        started = datetime.fromtimestamp(process.started + offset).astimezone()
        if started >= generated:
            continue
        decided = maps_engine(process.pid, clients)
        which = f"pid {process.pid} (`{process.command}`, in {process.cwd})"
        if decided:
            said = (
                f"{which} started at {started:%H:%M:%S}, before the client was generated ({generated:%H:%M:%S}), "
                "and has the old client's query engine loaded: it runs the old client until it is restarted."
            )
        else:
            said = (
                f"{which} started at {started:%H:%M:%S}, before the client was generated ({generated:%H:%M:%S}): "
                "if it uses Prisma Client, it still runs the old one (a process keeps the modules it loaded). What "
                "decides: whether it imports the client; restarting it settles it either way."
            )
        findings.append(
            Finding(
                "process-stale",
                Severity.WARNING,
                f"{said} It is no dev server: a repair leaves it running; restart it yourself.",
                where,
                data={
                    "pid": process.pid,
                    "command": process.command,
                    "cwd": process.cwd,
                    "startedAt": started.isoformat(),
                    "generatedAt": generated.isoformat(),
                    "decided": decided,
                },
            )
        )
    return findings
