"""The servers of the project that the last repair saw end and could not start again: a process it left running that
was gone when it restarted the others (a workspace runner that ends every task once one is stopped, a worker that
died with the client set aside). The repair names them in its verdict; its journal keeps them (`gone`), so that
`check` keeps saying so (`dev-server-gone`) while none runs again in its folder, until the user dismisses it
(`dismiss`, the fix `dismiss-gone-server`) or a new repair replaces the journal.

A server the repair stopped and could not bring back is not recorded here: its `restart-dev` failed, and
`repair-interrupted` names it (`interruption.py`), with a repair that starts it again. The record is only read to be
said, never run: its command is shown escaped, and only folders of the project count.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, cast

import psutil

from prisma_doctor.findings import Finding, Location, Severity
from prisma_doctor.json_values import is_array, is_object
from prisma_doctor.masking import shown_command
from prisma_doctor.repair import journal
from prisma_doctor.repair.interruption import shown
from prisma_doctor.repair.processes import ServingProcess
from prisma_doctor.repair.safe_fs import is_inside
from prisma_doctor.state_folder import StateFolder, UnsafeStateFolder

GONE = "gone"
# The most of a record that is read: a repair names a handful.
_MOST = 16


def record(serving: ServingProcess) -> dict[str, Any]:
    """What the journal keeps of a process the repair left running that is gone: no environment, the command masked."""
    process = serving.process
    return {"pid": process.pid, "command": process.command, "cwd": process.cwd, "port": serving.port}


def gone_findings(root: Path, where: Location | None = None) -> list[Finding]:
    """`dev-server-gone` for each server the last repair recorded gone that does not run again in its folder."""
    data = journal.Journal.previous(root)
    if data is None:
        return []
    listed = data.get(GONE)
    entries = [entry for entry in (listed if is_array(listed) else [])[:_MOST] if is_object(entry)]
    if not entries:
        return []  # the common case: no folder of the workspace is looked for
    from prisma_doctor.workspace import app_folders

    homes = app_folders(root)
    findings: list[Finding] = []
    for entry in entries:
        command, cwd, port = entry.get("command"), entry.get("cwd"), entry.get("port")
        if not isinstance(command, str) or not isinstance(cwd, str) or "\x00" in cwd:
            continue
        folder = Path(cwd)
        if not folder.is_absolute() or not any(is_inside(folder, home) for home in homes):
            continue  # a record naming a folder outside the project is not ours
        if _runs_again(folder, command):
            continue
        findings.append(_finding(data, shown(command), folder, port if isinstance(port, int) else None, where))
    return findings


def _finding(data: dict[str, Any], command: str, folder: Path, port: int | None, where: Location | None) -> Finding:
    kind = shown(str(data.get("kind", "repair")))[:40]
    started = data.get("started")
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)) if isinstance(started, (int, float)) else "?"
    on_port = f", port {port}" if port else ""
    return Finding(
        "dev-server-gone",
        Severity.WARNING,
        f"The server `{command}` (in {shown(str(folder))}{on_port}) ended while the {kind} of {when} ran (it was "
        f"left running, and was gone when the repair restarted the others) and does not run now: start it again; "
        "or dismiss this if it is not meant to run (`prisma-doctor check --dismiss-gone`)",
        where,
        fixes=("dismiss-gone-server",),
        data={"command": command, "cwd": str(folder), "port": port, "repair": kind},
    )


def _runs_again(folder: Path, command: str) -> bool:
    """Whether a process runs now in `folder` with the recorded command line (as it is shown), or a dev server of it."""
    from prisma_doctor.repair.devserver import find_dev_servers

    if any(Path(server.cwd) == folder for server in find_dev_servers(folder)):
        return True
    for process in psutil.process_iter(["cwd", "cmdline"]):
        info: dict[str, object] = process.info
        cmdline = info.get("cmdline")
        if info.get("cwd") != str(folder) or not isinstance(cmdline, list):
            continue
        words = [word.strip() for word in cast(list[str], cmdline) if word.strip()]
        if shown_command(words) == command:
            return True
    return False


def dismiss(root: Path) -> int:
    """Forget the servers the last repair recorded gone (the user does not mean them to run); how many there were."""
    data = journal.Journal.previous(root)
    entries = data.get(GONE) if data is not None else None
    if data is None or not is_array(entries) or not entries:
        return 0
    data[GONE] = []
    try:
        StateFolder(root).write_text(journal.JOURNAL, json.dumps(data, indent=2))
    except (UnsafeStateFolder, OSError):
        return 0
    return len(entries)
