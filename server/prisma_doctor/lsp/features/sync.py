"""Keeps each project's sync state current: re-checks on change, publishes diagnostics and `prismaDoctor/syncState`.

A change is checked at once when no check of its project is running; while one runs, the project is only marked
changed, and one more check follows when it ends, with the text as it is then (at most one check running and one
waiting per project, however fast a person types). Checks run in a worker thread, so that a large schema never
blocks the event loop, and one at a time per project: a check reads the open documents' text only once it holds the
project's lock, so an older check can never publish after a newer one (which would show diagnostics for text that
is no longer there).

What else a project has to show (its runtime findings) comes from the features that keep it, through
`add_findings`; they learn of each check through `when_checked`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from prisma_doctor.findings import Finding, Report, SyncState
from prisma_doctor.lsp.convert import diagnostics_by_file, uri_of
from prisma_doctor.lsp.features.base import LanguageFeature
from prisma_doctor.lsp.projects import ProjectSession
from prisma_doctor.lsp.protocol import SYNC_STATE
from prisma_doctor.status import Status

if TYPE_CHECKING:
    from prisma_doctor.check import ProjectState
    from prisma_doctor.full_check import Surroundings
    from prisma_doctor.lsp.settings import ServerSettings, WorkspaceSettings
    from prisma_doctor.schema.locate import LoadedSchema

log = logging.getLogger(__name__)
# While the database gives no answer, how often its project is checked again: the status bar says "in sync" once it
# answers, without waiting for a file to change.
DATABASE_RECHECK_SECONDS = 15.0
# How old the facts kept between edits (running dev servers, the workspace's apps, the dev command) may grow before
# they are read again, after a check and off its path: a dev server started or stopped while a person types is shown
# within about this long. A watched file that changes, a repair or new settings make them be read at once.
FACTS_MAX_AGE_SECONDS = 5.0


class SyncFeature(LanguageFeature):
    def __init__(self, server) -> None:
        super().__init__(server)
        # Per project: the task checking it after changes, and whether it changed again since that check began.
        self._rechecks: dict[Path, asyncio.Task[None]] = {}
        self._changed_again: set[Path] = set()
        self._locks: dict[Path, asyncio.Lock] = {}
        self._check_listeners: list[Callable[[ProjectSession], None]] = []
        self._finding_sources: list[Callable[[ProjectSession], Iterable[Finding]]] = []
        # Per project: the files diagnostics were published for (cleared when their findings go), the last state
        # sent, whether a repair holds the state at "repairing", and the dev command found by the last check.
        self._published: dict[Path, set[str]] = {}
        self._dev_commands: dict[Path, str] = {}
        self._sent: dict[Path, dict[str, Any]] = {}
        self._repairing: set[Path] = set()
        self._database_rechecks: dict[Path, asyncio.TimerHandle] = {}
        # Per project: the facts its schema's text does not change, kept between checks, and whether they are being
        # read again.
        self._facts: dict[Path, _KeptFacts] = {}
        self._refreshing: set[Path] = set()
        # Per project: how many times it was scheduled (a check after changes stops at its next stage once this
        # moves on: newer text has come), and whether its last such check stopped (then the next one runs to its
        # end, so that typing faster than a check takes still shows diagnostics, if of older text).
        self._scheduled: dict[Path, int] = {}
        self._stopped: set[Path] = set()

    def when_checked(self, listener: Callable[[ProjectSession], None]) -> None:
        """Call `listener(session)` after every static check (`session.state` is new), before anything is published."""
        self._check_listeners.append(listener)

    def add_findings(self, source: Callable[[ProjectSession], Iterable[Finding]]) -> None:
        """Publish the findings `source(session)` gives beside the static check's."""
        self._finding_sources.append(source)

    def report(self, session: ProjectSession) -> Report:
        """Everything known of the project now: its static check and every other source's findings."""
        static = session.state.report if session.state is not None else None
        findings = [*(static.findings if static else ())]
        for source in self._finding_sources:
            findings.extend(source(session))
        known = static is not None and static.state is not SyncState.UNKNOWN
        return Report.from_findings(str(session.root), findings, known=known)

    async def initialized(self) -> None:
        for session in list(self.server.projects.sessions.values()):
            await self.check_now(session)

    def document_changed(self, path: Path) -> None:
        if path.suffix == ".prisma":
            session = self.server.projects.session_for(path)
            if session is not None:
                self.schedule(session)

    def files_changed(self, paths: list[Path]) -> None:
        for session in {id(s): s for p in paths if (s := self.server.projects.session_for(p)) is not None}.values():
            # A package.json, a lock file, an env file or Next's lock: what the kept facts came from may have changed.
            self.surroundings_changed(session)

    def surroundings_changed(self, session: ProjectSession) -> None:
        """Check the project again with its kept facts read afresh (a file they came from changed, a dev server
        restarted as its output shows)."""
        self._facts_of(session).forget()
        self.schedule(session)

    def schedule(self, session: ProjectSession) -> None:
        """Check the project now, or once more when its running check ends (or stops for this newer state)."""
        self._scheduled[session.root] = self._scheduled.get(session.root, 0) + 1
        if session.root in self._rechecks:
            self._changed_again.add(session.root)
            return
        self._rechecks[session.root] = asyncio.get_running_loop().create_task(self._recheck(session))

    async def _recheck(self, session: ProjectSession) -> None:
        try:
            while True:
                async with self._lock(session):
                    # The check about to start reads the text as it is now: every change so far is in it.
                    self._changed_again.discard(session.root)
                    await self._check(session, stoppable=session.root not in self._stopped)
                if session.root not in self._changed_again:
                    return
        finally:
            self._rechecks.pop(session.root, None)

    async def check_now(self, session: ProjectSession) -> None:
        """Check with every fact read afresh: the first check, new settings or folders, the check after a repair."""
        self._facts_of(session).forget()
        async with self._lock(session):
            await self._check(session)

    def _lock(self, session: ProjectSession) -> asyncio.Lock:
        return self._locks.setdefault(session.root, asyncio.Lock())

    async def _check(self, session: ProjectSession, *, stoppable: bool = False) -> None:
        """Check with the open documents' current text and publish; the caller holds the project's lock.
        `stoppable`: the check stops between its stages once the project is scheduled again, and publishes nothing
        (`_recheck` checks the newer text next)."""
        overrides = self.server.open_schema_texts()
        facts = self._facts_of(session)
        # The last check's reading of the schema: the blocks above a person's edit are not read again.
        earlier = session.state.schema if session.state is not None else None
        stop = self._stop_once_scheduled(session.root) if stoppable else None
        try:
            trusted = self.server.trusted
            checked = await asyncio.to_thread(_inspect, session.root, overrides, facts, trusted, earlier, stop)
            if checked is None:
                self._stopped.add(session.root)
                return
            self._stopped.discard(session.root)
            session.state, dev = checked
            self._dev_commands[session.root] = dev
        except Exception as error:  # a bug of ours must not take the server down; say so and keep serving
            log.exception("check of %s failed", session.root)
            self._fail(session, f"Prisma Doctor could not check this project: {error}")
            return
        for listener in self._check_listeners:
            listener(session)
        self.publish(session)
        self._ask_database_again(session)
        if facts.stale() and session.root not in self._refreshing:
            self._refreshing.add(session.root)
            asyncio.get_running_loop().create_task(self._refresh_facts(session, facts))

    def _stop_once_scheduled(self, root: Path) -> Callable[[], bool]:
        """Whether the project was scheduled again since now: read from the check's worker thread, between stages
        (one dictionary read: the event loop alone writes it)."""
        scheduled, now = self._scheduled, self._scheduled.get(root, 0)
        return lambda: scheduled.get(root, 0) != now

    def _facts_of(self, session: ProjectSession) -> _KeptFacts:
        facts = self._facts.get(session.root)
        if facts is None:
            facts = self._facts[session.root] = _KeptFacts(session.root, lambda: self.server.settings)
        return facts

    async def _refresh_facts(self, session: ProjectSession, facts: _KeptFacts) -> None:
        """Read the kept facts again, off the checks' path (one at a time with the project's checks), and check the
        project again when they changed."""
        try:
            async with self._lock(session):
                changed = await asyncio.to_thread(facts.refresh)
        except Exception:  # a bug of ours must not take the server down: the next check reads them again
            log.exception("reading the surroundings of %s failed", session.root)
            facts.forget()
            return
        finally:
            self._refreshing.discard(session.root)
        if changed:
            self.schedule(session)

    def _ask_database_again(self, session: ProjectSession) -> None:
        """Check once more later while the project's database gives no answer (its server may be starting)."""
        from prisma_doctor.database_state import may_answer_later

        waiting = self._database_rechecks.pop(session.root, None)
        if waiting is not None:
            waiting.cancel()
        if session.state is not None and may_answer_later(session.state.report.findings):
            loop = asyncio.get_running_loop()
            self._database_rechecks[session.root] = loop.call_later(DATABASE_RECHECK_SECONDS, self.schedule, session)

    def publish(self, session: ProjectSession) -> None:
        """Diagnostics for every file with findings, cleared where findings went away, then the sync state."""
        report = self.report(session)
        shown = self.server.settings.for_path(session.root).shown_findings(report.findings)
        by_file = diagnostics_by_file(tuple(shown), str(session.root))
        for file in self._published.get(session.root, set()) - set(by_file):
            self.server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri_of(file), diagnostics=[])
            )
        for file, diagnostics in by_file.items():
            self.server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri_of(file), diagnostics=diagnostics)
            )
        self._published[session.root] = set(by_file)
        if session.root not in self._repairing:
            self._send_state(session, Status.of(report), report)

    # A repair's course, as the client shows it: "repairing" from the start, until the check after it (or a failure).
    def show_repair(self, session: ProjectSession, message: str) -> None:
        self._repairing.add(session.root)
        report = self.report(session)
        self._send_state(session, Status.repairing(report, message), report)

    def show_repair_failure(self, session: ProjectSession, message: str) -> None:
        self._repairing.discard(session.root)
        self._fail(session, message)

    def _fail(self, session: ProjectSession, message: str) -> None:
        report = self.report(session)
        self._send_state(session, Status.failed(report, message), report)

    async def check_after_repair(self, session: ProjectSession) -> None:
        """Check the repaired project and publish its state again, even when it is the one sent before the repair:
        the client has shown "repairing" since."""
        self._repairing.discard(session.root)
        self._sent.pop(session.root, None)
        await self.check_now(session)

    def _send_state(self, session: ProjectSession, status: Status, report: Report) -> None:
        payload = {
            "project": str(session.root),
            **status.to_json(),
            "findings": [f.to_json() for f in report.findings],
            # Empty until a check found it.
            "devCommand": self._dev_commands.get(session.root, ""),
        }
        if payload != self._sent.get(session.root):
            self._sent[session.root] = payload
            self.server.protocol.notify(SYNC_STATE, payload)

    def shutdown(self) -> None:
        for task in self._rechecks.values():
            task.cancel()
        for timer in self._database_rechecks.values():
            timer.cancel()


class _KeptFacts:
    """One project's facts that its schema's text does not change, kept between checks (`kept_facts.KeptFact`): its
    surroundings (`full_check.Surroundings`) and the command that starts its dev server (package files change it:
    they are watched, and forget it)."""

    def __init__(self, root: Path, settings: Callable[[], WorkspaceSettings]) -> None:
        from prisma_doctor.kept_facts import KeptFact

        self.surroundings = KeptFact(lambda: _surroundings(root), FACTS_MAX_AGE_SECONDS)
        self.dev_command = KeptFact(lambda: _dev_command(root, settings().for_path(root)), FACTS_MAX_AGE_SECONDS)

    def stale(self) -> bool:
        return self.surroundings.stale() or self.dev_command.stale()

    def refresh(self) -> bool:
        """Read both again (in a worker thread); whether either changed."""
        return any([self.surroundings.refresh(), self.dev_command.refresh()])

    def forget(self) -> None:
        self.surroundings.forget()
        self.dev_command.forget()


def _surroundings(root: Path) -> Surroundings:
    from prisma_doctor.full_check import read_surroundings

    return read_surroundings(root)


def _dev_command(root: Path, settings: ServerSettings) -> str:
    from prisma_doctor.repair.package_manager import dev_command

    return dev_command(root, settings.dev_command, settings.package_manager)


def _inspect(
    root: Path,
    overrides: dict[str, str],
    facts: _KeptFacts,
    trusted: bool,
    earlier: LoadedSchema | None = None,
    stop: Callable[[], bool] | None = None,
) -> tuple[ProjectState, str] | None:
    """The project's check with its kept surroundings, and the command that starts its dev server; None when `stop`
    stopped it. An untrusted workspace's database is not asked (full_check.py says so). `earlier`: the schema as the
    last check read it."""
    # Imported here, in the worker thread, at the first check: start-up does not wait for the core.
    from prisma_doctor.check import CheckSuperseded
    from prisma_doctor.full_check import inspect_whole

    # In this worker thread the database's answer may be waited for (bounded): the event loop goes on meanwhile.
    try:
        state = inspect_whole(
            root, None, overrides, wait=True, may_ask=trusted, around=facts.surroundings.get, earlier=earlier, stop=stop
        )
    except CheckSuperseded:
        return None
    return state, facts.dev_command.get()
