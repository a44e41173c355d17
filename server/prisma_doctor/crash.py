"""Whether a running dev server's app crashed: its watcher (`tsx watch`, nodemon, `node --watch`) still runs, so the
server is found, but no process of its tree listens and its recorded output ends in a crash. Such a server loaded
nothing since, so it is neither stale nor in sync, and a watcher that waits for a change of a file it saw never sees
a client generated anew (trial 7: `ERR_MODULE_NOT_FOUND` after the generated folder was removed; tsx waited).

Only the output a `prisma-doctor run` or a repair's restart records is read (`staleness.output_of`): a server whose
output nobody recorded is not said crashed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from prisma_doctor import project_files
from prisma_doctor.findings import Finding, Location, Severity
from prisma_doctor.repair import listeners
from prisma_doctor.repair.devserver import RESTART_MARK, DevServer
from prisma_doctor.staleness import output_of

# The last line a crashed server's process tree prints: Node's after an uncaught error (Node 18+), nodemon's, and
# `node --watch`'s once its script exited with an error.
_CRASH_END = re.compile(r"^(?:Node\.js v\d+\.\d+\.\d+|\[nodemon\] app crashed\b.*|Failed running '.+')$")
# The error Node names before its stack: `Error [ERR_MODULE_NOT_FOUND]: Cannot find module ...`, `TypeError: ...`.
_ERROR = re.compile(r"^(?:\w+:\s)?(?:\w*Error|Exception)(?: \[\w+\])?: .+")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
TAIL_BYTES = 16 * 1024


@dataclass(frozen=True)
class Crash:
    """A dev server whose app crashed: the error its output ends with (as printed, when one is named)."""

    error: str


def crash_of(server: DevServer) -> Crash | None:
    """The crash of `server`'s app, when no process of its tree listens and its recorded output's last line is a
    crash's; None otherwise (it serves, its output is not recorded, or the output ends otherwise)."""
    if not server.launcher_pids or listeners.listeners(listeners.tree(server.launcher_pids[0])):
        return None
    record = output_of(server)
    return recorded_crash(record) if record is not None else None


def recorded_crash(record: Path) -> Crash | None:
    """The crash a server's recorded output ends with, since its last restart mark: what a watcher that stays alive
    (`tsx watch`, `node --watch`, nodemon) printed when its app died, before it went on waiting for a change. None
    when the output ends otherwise, or cannot be read. Whether anything of the server listens is the caller's."""
    try:
        tail, _ = project_files.read_tail(record, TAIL_BYTES)
    except OSError:
        return None
    text = tail.decode("utf-8", "replace")
    lines = [_ANSI.sub("", line).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines or not _CRASH_END.match(lines[-1]):
        return None
    start = max((i for i, line in enumerate(lines) if line.startswith(RESTART_MARK.strip())), default=-1)
    errors = [line for line in lines[start + 1 :] if _ERROR.match(line)]
    return Crash(errors[-1] if errors else lines[-1])


def crashed_dev_server(location: Location | None, which: str, crash: Crash) -> Finding:
    """`dev-server-crashed` for the server `which` names (`in apps/api (pid 12238)`)."""
    return Finding(
        "dev-server-crashed",
        Severity.ERROR,
        f"The dev server {which} runs no app: it crashed ({crash.error}), nothing of it listens, and its watcher "
        "waits for a change of a file it loaded: it loads no new client by itself. Restart the dev server.",
        location,
        ("restart-dev-server",),
        data={"error": crash.error},
    )
