"""A watcher the repair left running (`tsx watch`, `node --watch`, nodemon) that runs its server again for the new
client: waited for as a restarted server is, until a process it started since listens, rather than judged at once.

A watcher re-runs its child when a file the app imports changes: a client generated inside the project (`src/generated`
of Prisma 7's `prisma-client`, a custom `output`) is one. The old child is stopped, a new one starts, loads the app
and the client, and only then listens. On a busy machine that takes longer than any fixed grace (user trial 29a: tsx
answered 200 a moment after the doctor said nothing listened). So its re-run is waited for on evidence: a process of
its tree younger than the repair, alive, not yet listening on its port, is the server coming back. A watcher that does
not re-run (tsx ignores `node_modules`) is asked as it is after a short grace.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import psutil

from prisma_doctor.process_start import started_at
from prisma_doctor.repair import listeners
from prisma_doctor.repair.devserver import RESTART_SECONDS

# How long a watcher is given to begin its re-run after the generate (it notices the change and stops its child).
GRACE_SECONDS = 3.0
# How often the tree is looked at meanwhile, unless the server's output grows first (it prints when it listens).
LOOK_SECONDS = 0.2


def await_rerun(
    tree_root: int,
    port: int,
    since: float,
    output: Path,
    should_stop: Callable[[], bool] = lambda: False,
    *,
    grace: float = GRACE_SECONDS,
    limit: float = RESTART_SECONDS,  # as long as a server the repair started again is waited for
) -> str | None:
    """Wait until a process of the tree of `tree_root` that started after `since` (epoch seconds: when the repair
    began) listens on `port`: while such a process runs (the watcher's new child), for at most `limit` seconds in all;
    with none, for `grace` seconds since one was last seen (the watcher may not have begun, or may begin again: a
    child that failed while the client was set aside is followed by another once the new client is written). Returns
    why the server does not listen when its re-run was waited for in vain, else None (it listens, or it did not
    re-run: it is asked as it is)."""
    begun = last_seen = time.monotonic()
    rerunning = False
    while not should_stop():
        processes = listeners.tree(tree_root)
        listener = listeners.listeners(processes).get(port)
        if listener is not None and listener.started >= since:
            return None
        now = time.monotonic()
        rerunning = _younger_process(processes, since)
        if rerunning:
            last_seen = now
        if not processes or now - last_seen >= grace or now - begun >= limit:
            break
        listeners.output_grew(output, LOOK_SECONDS)
    if rerunning and listeners.listener_on(tree_root, port) is None:
        return f"its watcher ran it again after the new client, and it did not listen within {limit:.0f}s"
    return None


def _younger_process(processes: list[psutil.Process], since: float) -> bool:
    """Whether one of `processes` started after `since` and still runs: a watcher's new child (or one starting it)."""
    for process in processes:
        try:
            if started_at(process) >= since and process.status() != psutil.STATUS_ZOMBIE:
                return True
        except (psutil.Error, OSError):
            continue
    return False
