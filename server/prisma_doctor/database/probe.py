"""Ask the database in the background, and hand out the latest answer without ever blocking an event loop.

A project's probe is shared (one per database URL), so the facts gathered after every static check reuse it. The
database is asked only when an answer is wanted: `inspection()` starts a refresh when the last answer is older than
`FRESH_SECONDS`, in a daemon thread bounded as a whole by `DEADLINE_SECONDS`. The caller says whether it may
wait for it (`wait=True`: the CLI, or the language server's worker thread, which asks before diagnosing an error
the database can decide); on an event loop it passes `wait=False` and gets the latest answer at once.
`refresh()` starts one ahead of need (`run` does when it starts the dev server). Nothing is asked while a person
only types.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from prisma_doctor.database.catalog import NO_ANSWER, PENDING, READ_FAILED, Inspection, InspectionFailed
from prisma_doctor.database.deadline import Deadline
from prisma_doctor.database.readers import AppRun, Reader
from prisma_doctor.database.target import DatabaseTarget, NoDatabase, UnusableUrl, locate_database

if TYPE_CHECKING:
    from prisma_doctor.schema.locate import LoadedSchema

FRESH_SECONDS = 2.0
# One inspection's whole time (connect, every statement, the answer), not each read's: a server that trickles its
# answer passes every read's timeout. Past it, the question is given up on and its connection cut (deadline.py).
DEADLINE_SECONDS = 10.0
# After a question that got no answer, the next one is asked no sooner than this: a server that does not answer is
# not asked again for each error of a burst, each costing a deadline.
RETRY_SECONDS = 10.0
MAX_PROBES = 16
# Why a database is not asked for a workspace its user has not trusted.
UNTRUSTED = (
    "the workspace is not trusted: its URL comes from the project's files, and asking would send the credentials "
    "it holds (with any environment variable its ${...} expand) to the host it names"
)


def inspect_now(target: DatabaseTarget, deadline: Deadline | None = None) -> Inspection:
    """Ask the database once, here and now (a thread of its own is the caller's business), within `deadline`."""
    try:
        if target.provider == "sqlite":
            from prisma_doctor.database.sqlite import inspect_sqlite

            return inspect_sqlite(target)
        if target.provider == "mysql":
            from prisma_doctor.database.mysql import inspect_mysql

            return inspect_mysql(target, deadline)
        from prisma_doctor.database.postgres import inspect_postgres

        return inspect_postgres(target, deadline=deadline)
    except Exception as error:  # an unexpected answer must cost a fallback ranking, never the diagnosis
        return InspectionFailed(
            target.mask(f"reading the catalog failed: {type(error).__name__}: {error}"), kind=READ_FAILED
        )


class DatabaseProbe:
    def __init__(
        self,
        target: DatabaseTarget | None,
        unavailable: str | None = None,
        *,
        said: bool = False,
        deadline: float = DEADLINE_SECONDS,
    ) -> None:
        self.target = target
        self.deadline = deadline
        # Without a target: why the database is not asked, and whether the check says so (`said`: the project names
        # one that cannot be used, or may not be asked) or stays silent (the project names none).
        self.unavailable = unavailable
        self.said = said
        self._latest: Inspection | None = InspectionFailed(unavailable) if unavailable else None
        self._lock = threading.Lock()
        self._running: threading.Thread | None = None
        self._started = 0.0
        # What a waiter heard when it stopped waiting for the running question: no one waits for it again.
        self._given_up: InspectionFailed | None = None
        # How many questions were started (each one connection).
        self.questions = 0
        # Counts `forget`s: an answer is kept only when none came while its question ran.
        self._generation = 0
        self._running_generation = 0

    @property
    def shown(self) -> str | None:
        return self.target.shown if self.target else None

    @property
    def pending(self) -> bool:
        """Whether a question is under way."""
        running = self._running
        return running is not None and running.is_alive()

    def refresh(self) -> None:
        """Start asking again unless an answer is fresh, a question is under way (however long it has run: a stuck
        one is never doubled), or the last one got no answer too recently."""
        if self.target is None:
            return
        with self._lock:
            if self._running is not None and self._running.is_alive() and self._running_generation == self._generation:
                return
            latest = self._latest
            if latest is not None:
                age = _age(latest.taken_at)
                if age < FRESH_SECONDS:
                    return
                if isinstance(latest, InspectionFailed) and latest.kind == NO_ANSWER and age < RETRY_SECONDS:
                    return
            self._started, self._given_up = time.monotonic(), None
            self.questions += 1
            self._running_generation = self._generation
            self._running = threading.Thread(
                target=self._ask, args=(self._generation,), name="prisma-doctor-database", daemon=True
            )
            self._running.start()

    def forget(self) -> None:
        """Drop the latest answer, and that of a question under way: the database may have changed since they were
        asked (a repair's command ran), so the next caller asks again rather than hear the answer of before."""
        with self._lock:
            if self.target is not None:
                self._generation += 1
                self._latest, self._given_up = None, None

    def _ask(self, generation: int) -> None:
        assert self.target is not None
        answer = inspect_now(self.target, Deadline(self.deadline))
        with self._lock:
            if generation == self._generation:
                self._latest = answer

    def inspection(self, wait: bool, within: float | None = None) -> Inspection:
        """The latest answer; with `wait`, after waiting for one taken now: at most `within` seconds, and never past
        the question's deadline. A question still under way at its deadline is given up on and not waited for again:
        the next caller hears at once that it got no answer. Never wait on an event loop."""
        self.refresh()
        with self._lock:
            running, started, given_up = self._running, self._started, self._given_up
        if wait and running is not None and running.is_alive():
            left = self.deadline - (time.monotonic() - started)
            if given_up is None and left > 0:
                running.join(left if within is None else min(within, left))
            if running.is_alive():
                if within is not None and time.monotonic() - started < self.deadline:
                    # This caller's own bound (a check waits less): the question goes on, and later callers wait
                    # for the rest of its deadline.
                    return InspectionFailed(f"no whole answer within {within:g} s ({self.shown})", kind=NO_ANSWER)
                with self._lock:
                    # Past the deadline: every later caller hears the same at once, so one error's findings stay one.
                    self._given_up = self._given_up or InspectionFailed(
                        f"no whole answer within {self.deadline:.0f} s ({self.shown})", kind=NO_ANSWER
                    )
                    return self._given_up
        if given_up is not None and running is not None and running.is_alive():
            return given_up
        latest = self._latest
        if latest is not None:
            return latest
        return InspectionFailed("its answer had not come yet when the error arrived", kind=PENDING)


def _age(moment: datetime) -> float:
    return (datetime.now(timezone.utc) - moment).total_seconds()


_probes: OrderedDict[tuple[str, str, tuple[Path, ...], Reader | None], DatabaseProbe] = OrderedDict()
_probes_lock = threading.Lock()


def forget_answers() -> None:
    """Every shared probe forgets its answer (`DatabaseProbe.forget`): after a command that may change a database,
    and before a check that promises to ask now."""
    with _probes_lock:
        probes = list(_probes.values())
    for probe in probes:
        probe.forget()


def probe_for(
    root: Path, schema: LoadedSchema | None, *, may_ask: bool = True, apps: Sequence[AppRun] | None = None
) -> DatabaseProbe:
    """The shared probe of a project's database (found from its datasource and .env files); it asks nothing yet.
    `may_ask` False (an untrusted workspace): a probe that never asks, and says why. `apps`: how the app runs
    (`readers.app_runs`: the running dev servers' own environments), by default each app folder with the doctor's
    environment. Probes are shared by the URL asked, so a server started with another URL gets a probe of its own."""
    try:
        target = locate_database(root, schema, apps=apps)
    except NoDatabase as reason:
        return DatabaseProbe(None, f"{reason}", said=isinstance(reason, UnusableUrl))
    if not may_ask:
        return DatabaseProbe(None, UNTRUSTED, said=True)
    key = (target.provider, target.url, target.search_dirs, target.app)
    with _probes_lock:
        probe = _probes.pop(key, None) or DatabaseProbe(target)
        # The same database, read by a CLI that may reach it otherwise now (a config that loads .env since): what
        # the target says of the CLI is today's, the answer asked of the database stays shared.
        probe.target = target
        _probes[key] = probe
        while len(_probes) > MAX_PROBES:
            _probes.popitem(last=False)
    return probe
