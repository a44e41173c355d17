"""Ask the database in the background, and hand out the latest answer without ever blocking an event loop.

A project's probe is shared (one per database URL), so the facts gathered after every static check reuse it. The
database is asked only when an answer is wanted: `inspection()` starts a refresh when the last answer is older than
`FRESH_SECONDS`, in a daemon thread bounded by the connection and statement timeouts. The caller says whether it may
wait for it (`wait=True`: the CLI, or the language server's worker thread, which asks before diagnosing an error
the database can decide); on an event loop it passes `wait=False` and gets the latest answer at once.
`refresh()` starts one ahead of need (`run` does when it starts the dev server). Nothing is asked while a person
only types.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from prisma_doctor.database.catalog import Inspection, InspectionFailed
from prisma_doctor.database.target import DatabaseTarget, NoDatabase, UnusableUrl, locate_database

if TYPE_CHECKING:
    from prisma_doctor.schema.locate import LoadedSchema

FRESH_SECONDS = 2.0
# Past the inspection's own timeouts (connect + statement): a refresh that runs longer is given up on.
WAIT_SECONDS = 12.0
MAX_PROBES = 16
# Why a database is not asked for a workspace its user has not trusted.
UNTRUSTED = (
    "the workspace is not trusted: its URL comes from the project's files, and asking would send the credentials "
    "it holds (with any environment variable its ${...} expand) to the host it names"
)


def inspect_now(target: DatabaseTarget) -> Inspection:
    """Ask the database once, here and now (a thread of its own is the caller's business)."""
    try:
        if target.provider == "sqlite":
            from prisma_doctor.database.sqlite import inspect_sqlite

            return inspect_sqlite(target)
        if target.provider == "mysql":
            from prisma_doctor.database.mysql import inspect_mysql

            return inspect_mysql(target)
        from prisma_doctor.database.postgres import inspect_postgres

        return inspect_postgres(target)
    except Exception as error:  # an unexpected answer must cost a fallback ranking, never the diagnosis
        return InspectionFailed(target.mask(f"reading the catalog failed: {type(error).__name__}: {error}"))


class DatabaseProbe:
    def __init__(self, target: DatabaseTarget | None, unavailable: str | None = None, *, said: bool = False) -> None:
        self.target = target
        # Without a target: why the database is not asked, and whether the check says so (`said`: the project names
        # one that cannot be used, or may not be asked) or stays silent (the project names none).
        self.unavailable = unavailable
        self.said = said
        self._latest: Inspection | None = InspectionFailed(unavailable) if unavailable else None
        self._lock = threading.Lock()
        self._running: threading.Thread | None = None

    @property
    def shown(self) -> str | None:
        return self.target.shown if self.target else None

    def refresh(self) -> None:
        """Start asking again unless an answer is fresh or a question is under way."""
        if self.target is None:
            return
        with self._lock:
            if self._running is not None and self._running.is_alive():
                return
            latest = self._latest
            if latest is not None and _age(latest.taken_at) < FRESH_SECONDS:
                return
            self._running = threading.Thread(target=self._ask, name="prisma-doctor-database", daemon=True)
            self._running.start()

    def _ask(self) -> None:
        assert self.target is not None
        answer = inspect_now(self.target)
        with self._lock:
            self._latest = answer

    def inspection(self, wait: bool, within: float = WAIT_SECONDS) -> Inspection:
        """The latest answer; with `wait`, after waiting (at most `within` seconds) for one taken now. Never wait on
        an event loop. A question given up on goes on in its thread, and its answer is the next one handed out."""
        self.refresh()
        running = self._running
        if wait and running is not None:
            running.join(within)
            if running.is_alive():
                return InspectionFailed(f"no answer within {within:.0f} s")
        latest = self._latest
        return latest if latest is not None else InspectionFailed("its answer had not come yet when the error arrived")


def _age(moment: datetime) -> float:
    return (datetime.now(timezone.utc) - moment).total_seconds()


_probes: OrderedDict[tuple[str, str, tuple[Path, ...]], DatabaseProbe] = OrderedDict()
_probes_lock = threading.Lock()


def probe_for(root: Path, schema: LoadedSchema | None, *, may_ask: bool = True) -> DatabaseProbe:
    """The shared probe of a project's database (found from its datasource and .env files); it asks nothing yet.
    `may_ask` False (an untrusted workspace): a probe that never asks, and says why."""
    try:
        target = locate_database(root, schema)
    except NoDatabase as reason:
        return DatabaseProbe(None, f"{reason}", said=isinstance(reason, UnusableUrl))
    if not may_ask:
        return DatabaseProbe(None, UNTRUSTED, said=True)
    key = (target.provider, target.url, target.search_dirs)
    with _probes_lock:
        probe = _probes.pop(key, None) or DatabaseProbe(target)
        _probes[key] = probe
        while len(_probes) > MAX_PROBES:
            _probes.popitem(last=False)
    return probe
