"""Keeps each project's sync state current: re-checks on change, publishes diagnostics and `prismaDoctor/syncState`.

A change is checked at once when no check of its project is running; while one runs, the project is only marked
changed, and one more check follows when it ends, with the text as it is then (at most one check running and one
waiting per project, however fast a person types). Checks run in a worker thread, so that a large schema never
blocks the event loop, and one at a time per project: a check reads the open documents' text only once it holds the
project's lock, so an older check can never publish after a newer one (which would show diagnostics for text that
is no longer there).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from prisma_doctor.findings import Severity
from prisma_doctor.lsp.convert import diagnostics_by_file, uri_of
from prisma_doctor.lsp.features.base import LanguageFeature
from prisma_doctor.lsp.projects import ProjectSession
from prisma_doctor.lsp.protocol import SYNC_STATE

if TYPE_CHECKING:
    from prisma_doctor.check import ProjectState

log = logging.getLogger(__name__)


class SyncFeature(LanguageFeature):
    def __init__(self, server) -> None:
        super().__init__(server)
        # Per project: the task checking it after changes, and whether it changed again since that check began.
        self._rechecks: dict[Path, asyncio.Task[None]] = {}
        self._changed_again: set[Path] = set()
        self._locks: dict[Path, asyncio.Lock] = {}

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
        try:
            session.state = await asyncio.to_thread(_inspect, session.root, overrides)
        except Exception as error:  # a bug of ours must not take the server down; say so and keep serving
            log.exception("check of %s failed", session.root)
            self.send_state(session, "error", f"Prisma Doctor could not check this project: {error}")
            return
        for feature in self.server.features:
            feature.checked(session)
        self.publish(session)

    def publish(self, session: ProjectSession) -> None:
        """Diagnostics for every file with findings, cleared where findings went away, then the sync state."""
        report = session.report
        shown = self.server.settings.shown_findings(report.findings)
        by_file = diagnostics_by_file(tuple(shown), str(session.root))
        for file in session.published - set(by_file):
            self.server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri_of(file), diagnostics=[])
            )
        for file, diagnostics in by_file.items():
            self.server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri_of(file), diagnostics=diagnostics)
            )
        session.published = set(by_file)
        if not session.repairing:
            self.send_state(session, report.state.value, summarize(session))

    def send_state(self, session: ProjectSession, state: str, summary: str) -> None:
        report = session.report
        payload = {
            "project": str(session.root),
            "state": state,
            "summary": summary,
            "findings": [f.to_json() for f in report.findings],
        }
        if payload != session.last_sync_state:
            session.last_sync_state = payload
            self.server.protocol.notify(SYNC_STATE, payload)

    def shutdown(self) -> None:
        for task in self._rechecks.values():
            task.cancel()


def _inspect(root: Path, overrides: dict[str, str]) -> ProjectState:
    # Imported here, in the worker thread, at the first check: start-up does not wait for the core.
    from prisma_doctor.check import inspect_project

    return inspect_project(root, None, overrides)


def summarize(session: ProjectSession) -> str:
    report = session.report
    problems = [f for f in report.findings if f.severity in (Severity.ERROR, Severity.WARNING)]
    if report.state.value == "unknown":
        return "Prisma: state unknown" + (f" ({problems[0].message})" if problems else "")
    if not problems:
        return "Prisma: in sync"
    codes = {f.code for f in problems}
    if codes & {"db-missing-column", "db-missing-table", "migrations-pending", "db-drift"}:
        return f"Prisma: database behind ({len(problems)})"
    if "dev-server-stale" in codes:
        return "Prisma: dev server stale"
    return f"Prisma: out of sync ({len(problems)} problem{'s' if len(problems) != 1 else ''})"
