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
    from prisma_doctor.lsp.settings import ServerSettings

log = logging.getLogger(__name__)
# While the database gives no answer, how often its project is checked again: the status bar says "in sync" once it
# answers, without waiting for a file to change.
DATABASE_RECHECK_SECONDS = 15.0


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
            self.schedule(session)

    def schedule(self, session: ProjectSession) -> None:
        """Check the project now, or once more when its running check ends."""
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
                    await self._check(session)
                if session.root not in self._changed_again:
                    return
        finally:
            self._rechecks.pop(session.root, None)

    async def check_now(self, session: ProjectSession) -> None:
        async with self._lock(session):
            await self._check(session)

    def _lock(self, session: ProjectSession) -> asyncio.Lock:
        return self._locks.setdefault(session.root, asyncio.Lock())

    async def _check(self, session: ProjectSession) -> None:
        """Check with the open documents' current text and publish; the caller holds the project's lock."""
        overrides = self.server.open_schema_texts()
        settings = self.server.settings.for_path(session.root)
        try:
            session.state, dev = await asyncio.to_thread(
                _inspect, session.root, overrides, settings, self.server.trusted
            )
            self._dev_commands[session.root] = dev
        except Exception as error:  # a bug of ours must not take the server down; say so and keep serving
            log.exception("check of %s failed", session.root)
            self._fail(session, f"Prisma Doctor could not check this project: {error}")
            return
        for listener in self._check_listeners:
            listener(session)
        self.publish(session)
        self._ask_database_again(session)

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


def _inspect(
    root: Path, overrides: dict[str, str], settings: ServerSettings, trusted: bool
) -> tuple[ProjectState, str]:
    """The project's check, and the command that starts its dev server (package files change it: they are watched,
    and a change of them is checked again). An untrusted workspace's database is not asked (full_check.py says so)."""
    # Imported here, in the worker thread, at the first check: start-up does not wait for the core.
    from prisma_doctor.full_check import inspect_whole
    from prisma_doctor.repair.package_manager import dev_command

    # In this worker thread the database's answer may be waited for (bounded): the event loop goes on meanwhile.
    state = inspect_whole(root, None, overrides, wait=True, may_ask=trusted)
    return state, dev_command(root, settings.dev_command, settings.package_manager)
