"""Whether a running dev server still serves a client older than the one on disk, decided by evidence: the one rule
behind `dev-server-stale` in `check` and the editor (full_check.py), which the runtime findings follow.

- The process that answers for the server (the one of its tree that listens on its port, or the child a watcher
  runs again: tsx watch, `node --watch`, nodemon, ts-node-dev, `nest start --watch`) started after the client was
  generated: it loaded the new one. Not stale.
- Bun (`bun --watch`, `bun --hot`) runs the app again inside the same process, whose start stays (`--watch` executes
  itself anew, the same pid), and prints nothing when it does: undecided, whatever else.
- Vite (and the frameworks on it: SvelteKit, React Router, Remix, Astro, Nuxt) reloads a server module whose file
  changes: its output (`.prisma-doctor/dev-output.log`, written by `prisma-doctor run` or by a repair's restart)
  shows it (`5:18:22 AM [vite] (ssr) page reload src/generated/prisma/internal/class.ts`, a whole line as Vite's
  logger writes it, from a server that is Vite's: another's words prove nothing), at or after the generation, or
  that it restarted its server (`[vite] server restarted.`, every module it serves loaded anew). Not stale, unless
  the app keeps its PrismaClient on `globalThis` (`client_singleton.py`): the instance made before the reload
  outlives it, and only a route that uses the new field decides. The time Vite printed is of the day, the server's
  local one, printed while the process that runs now ran (after the last restart's mark in the record, between its
  start and the output's last write): it counts when every day of that span it may be from puts it after the
  generation.
- Vite does not watch `node_modules`: a client there is never reloaded (nor one Vite does not serve, such as a
  package its config loads), and a restart of its server in the same process keeps the package Node loaded. Stale.
  A client elsewhere that the output does not show reloaded (no output of the server's is recorded, or it shows no
  reload of the client) may or may not be: undecided, and a route that uses the new field decides (or a restart
  settles it).
- Next keeps a client in `node_modules` (an external package) as it loaded it: stale. One generated elsewhere it
  bundles, and rebuilds when it changes (a real `next dev` then serves the new one): stale only when the app keeps
  its PrismaClient on `globalThis` (`client_singleton.py`), whose instance outlives the rebuild; else undecided,
  as Next prints nothing that shows the rebuild.
- Any other server keeps what it loaded at start: a plain `node server.js`, a watcher whose child did not run again
  (tsx ignores `node_modules`). Stale.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path, PurePath

import psutil

from prisma_doctor import project_files
from prisma_doctor.client_singleton import singleton_file
from prisma_doctor.logs.reloads import Reload, server_reloads
from prisma_doctor.logs.stream import read_lines
from prisma_doctor.repair.devserver import RESTART_MARK, DevServer, serving_since
from prisma_doctor.repair.devserver_kinds import on_vite, restarts_in_place
from prisma_doctor.state_folder import StateFolder

# How much of the end of a server's output is read for its reloads.
TAIL_BYTES = 1 << 20
# Bun runs the app again in the same process (`--watch` starts it anew in place, `--hot` reloads its modules), and
# prints nothing when it does: neither the process's start nor its output shows whether it loaded the new client.
_IN_PLACE = {
    "bun --watch": "Bun's --watch runs the app again in the same process when a file it imports changes (never one in "
    "node_modules), and neither the process's start nor its output shows whether it did since",
    "bun --hot": "Bun's --hot reloads the app's modules in the same process, and neither the process's start nor its "
    "output shows whether it did since",
}
# A time printed in whole seconds, against the written output's time: the clocks may differ by that much.
_SLACK = timedelta(seconds=1)
# How many days back a printed time of day is placed, at most: a server older than that decides nothing by it.
_MAX_DAYS = 366


@dataclass(frozen=True)
class Stale:
    """A server that started before the newest client. `decided` False: it may be stale; nothing shows which."""

    decided: bool
    why: str  # what says so, to be said in the finding ("" when the server simply keeps what it loaded at start)


def judge(server: DevServer, generated: datetime, clients: Sequence[Path]) -> Stale | None:
    """Whether `server` serves a client older than the one generated at `generated` into the folders `clients`;
    None when it does not, or when its processes cannot be read (no evidence)."""
    started = serving_since(server)
    if started is None or started >= generated.timestamp():
        return None
    if restarts_in_place(server.tool):
        return Stale(False, _IN_PLACE[server.tool])
    in_packages = bool(clients) and all("node_modules" in client.parts for client in clients)
    if server.tool == "next" and clients and not in_packages:
        return _bundled_by_next(server, clients)
    if not on_vite(server.tool):
        return Stale(True, "")
    # (Vite's restart of its server loads the app's modules anew, but not a package, which Node itself keeps.)
    if in_packages:
        return Stale(True, "Vite does not watch node_modules, where the client is")
    if _reload_after(server, generated, clients, started) is not None:
        search = singleton_file(Path(server.home or server.cwd), clients)
        if search.file is not None:
            where = _shown(search.file, Path(server.home or server.cwd))
            return Stale(
                False,
                f"Vite reloaded the client's files since, but {where} keeps its PrismaClient on globalThis, and the "
                "instance made before the reload outlives it",
            )
        if not search.whole:
            return Stale(
                False,
                "Vite reloaded the client's files since, but the app's code is too large to read whether it keeps "
                "its PrismaClient on globalThis, where the instance made before the reload would outlive it",
            )
        return None
    if output_of(server) is None:
        why = "Vite reloads a changed client it serves, but no output of this server is recorded to show it did"
    else:
        why = "Vite reloads a changed client it serves, but its output shows no reload of it since it was generated"
    return Stale(False, why)


# The watchers that run their app again, in a new process, when a file it imported changes, whatever its folder but
# node_modules: a regenerate alone reloads a client generated elsewhere (`prisma-client` into `src/generated`) in
# them. Not nodemon (it watches what its config names, by extension), nor Next, Vite or Bun (above).
_RERUN_ON_IMPORT = ("tsx", "node --watch")


def reloads_by_itself(server: DevServer, clients: Sequence[Path]) -> bool:
    """Whether `server` loads a client generated anew into `clients` by itself: a watcher of `_RERUN_ON_IMPORT`,
    and every client outside node_modules (which tsx ignores). A repair that regenerates then needs no restart; the
    app check after it waits for the re-run and says when there was none (`watchers.await_rerun`)."""
    return (
        server.tool in _RERUN_ON_IMPORT
        and bool(clients)
        and not any("node_modules" in client.parts for client in clients)
    )


def _bundled_by_next(server: DevServer, clients: Sequence[Path]) -> Stale:
    """Next bundles a client generated outside node_modules into the app, and rebuilds it when it changes; the
    modules that use it run again, and only an instance kept on globalThis outlives that."""
    folder = Path(server.home or server.cwd)
    search = singleton_file(folder, clients)
    if search.file is not None:
        return Stale(
            True,
            f"{_shown(search.file, folder)} keeps its PrismaClient on globalThis, which Next's rebuild "
            "of the client does not replace",
        )
    if not search.whole:
        why = "the app's code is too large to read whether a PrismaClient on globalThis would outlive that"
    else:
        why = "no PrismaClient kept on globalThis, which would outlive that, is in the app's code"
    return Stale(
        False,
        f"Next rebuilds a client it bundles from outside node_modules when it changes, and {why}; "
        "Next prints nothing that shows it rebuilt it",
    )


def _shown(file: Path, root: Path) -> str:
    with contextlib.suppress(ValueError):
        return file.relative_to(root).as_posix()
    return str(file)


def _reload_after(server: DevServer, generated: datetime, clients: Sequence[Path], started: float) -> Reload | None:
    """The server's last reload of a client file, when its output shows one at or after `generated` (the server's
    process started at `started`)."""
    output = output_of(server)
    if output is None or not clients:
        return None
    try:
        data, written = project_files.read_tail(output, TAIL_BYTES)
    except OSError:
        return None
    folders = [_real(client) for client in clients]
    last = last_reload(read_lines([data]), lambda reload: any(_inside(f, server.cwd, folders) for f in reload.files))
    if last is None or not printed_since(last.at, generated, started, written):
        return None
    return last


def last_reload(lines: Iterable[str], of_client: Callable[[Reload], bool]) -> Reload | None:
    """The last reload in a server's recorded output that reloaded everything or `of_client`, printed by the process
    that runs now: what came before a restart's mark in the record was printed by an older one."""
    last = None
    for line in lines:
        if line.startswith(RESTART_MARK):
            last = None
            continue
        for reload in server_reloads((line,)):
            if reload.everything or of_client(reload):
                last = reload
    return last


def printed_since(at: time, generated: datetime, started: float, written: float) -> bool:
    """Whether a time of day a server printed (its local one) was printed at or after `generated`, knowing it was
    printed while the server ran: after it `started`, before its output was last `written` (epoch seconds). The day
    is not printed: every day of that span with that time of day is a moment it may have been printed at, and each
    must be at or after the generation (a server that ran for days printed `15:00:02` on each of them)."""
    local_written = datetime.fromtimestamp(written).astimezone()
    moment = datetime.combine(local_written.date(), at, tzinfo=local_written.tzinfo)
    if moment > local_written + _SLACK:
        moment -= timedelta(days=1)
    earliest = datetime.fromtimestamp(started).astimezone() - _SLACK
    for _ in range(_MAX_DAYS):
        if moment - timedelta(days=1) < earliest:
            # (The time is printed in whole seconds: the generation's own second counts.)
            return moment >= generated.replace(microsecond=0)
        moment -= timedelta(days=1)
    return False


def output_of(server: DevServer) -> Path | None:
    """The file the server's output is recorded in: its `prisma-doctor run`'s record, or the one a repair's restart
    writes it to (a process of its tree holds it open); None when neither."""
    record = StateFolder(Path(server.run_folder or server.cwd)).path / "dev-output.log"
    if server.run_pid is not None:
        return record
    real = _real(record)
    for pid in server.tree_pids:
        with contextlib.suppress(psutil.Error, OSError):
            if any(_real(Path(f.path)) == real for f in psutil.Process(pid).open_files()):
                return record
    return None


def _inside(file: str, root: str, folders: Sequence[Path]) -> bool:
    """Whether a file Vite named (from its root, the server's folder, or absolute) lies in one of `folders`."""
    candidates = [Path(root) / file.lstrip("/\\")]
    if os.path.isabs(file):
        candidates.append(Path(file))
    return any(_real(c) == f or f in _real(c).parents for c in candidates for f in folders)


def _real(path: PurePath) -> Path:
    return Path(os.path.realpath(path))
