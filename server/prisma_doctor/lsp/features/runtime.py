"""Runtime errors in the editor: terminal output and followed log files, read and diagnosed, shown where they happen.

Output arrives from the extension (`prismaDoctor/terminalOutput`, chunks of any VS Code terminal) and from files the
server follows (`.prisma-doctor/dev-output.log` written by `prisma-doctor run`, Next 16's own dev log). Each stream
has its own `LogReader` (blocks never mix between terminals) and its own `Diagnoser` (which remembers a `✓ Ready`
or a generate earlier in the same stream). Findings land on the call site, with the schema field as related
information, and are retired by the rules of `diagnosis.runtime_findings`. This feature keeps them; the sync feature
publishes them beside the static check's, and tells this one when a check ends.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from prisma_doctor.diagnosis import Diagnoser, ProjectFacts
from prisma_doctor.diagnosis.facts import facts_from_state
from prisma_doctor.diagnosis.runtime_findings import RuntimeFindings
from prisma_doctor.findings import Finding
from prisma_doctor.logs import events as ev
from prisma_doctor.logs.nextlog import DevServerLock, read_lock
from prisma_doctor.logs.recognize import LogReader
from prisma_doctor.lsp.convert import plain
from prisma_doctor.lsp.features.base import LanguageFeature
from prisma_doctor.lsp.features.sync import SyncFeature
from prisma_doctor.lsp.followers import ProjectOutputFollowers
from prisma_doctor.lsp.projects import ProjectSession

# A block whose end the recognizer cannot see (a client error printed without its properties) is complete once its
# stream has been quiet this long; the common forms end on their own last line and are diagnosed with it.
QUIET_SECONDS = 0.3
POLL_SECONDS = 0.5
# Findings are published as soon as the chunk that gave them is handled, at most once this often per project (a
# flood of errors would otherwise send diagnostics for every chunk).
PUBLISH_SECONDS = 0.05
MAX_STREAMS = 32
# Events whose cause the database's own catalog decides (diagnosis.asked).
_ASKS_DATABASE = (ev.MissingColumn, ev.MissingTable, ev.DatabaseObjectError)
log = logging.getLogger(__name__)


@dataclass
class _Stream:
    reader: LogReader = field(default_factory=LogReader)
    # On the event loop: an answer the database must give is awaited in a thread before, never inside, a diagnosis.
    diagnoser: Diagnoser = field(default_factory=lambda: Diagnoser(wait_for_database=False))
    flush: asyncio.TimerHandle | None = None
    # The diagnosis that waits for the database's answer; the stream's later events queue behind it.
    diagnosing: asyncio.Task[None] | None = None
    # The folder its dev server runs in (a workspace's app), against which its relative frames resolve.
    source_root: Path | None = None
    # The findings of its latest client error: an `ErrorRequest` right after it names their request.
    last_error: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass
class _ProjectRuntime:
    # The project's own outputs, then those of each app of its workspace that uses it (`workspace.app_folders`).
    followers: list[ProjectOutputFollowers]
    findings: RuntimeFindings = field(default_factory=RuntimeFindings)
    streams: OrderedDict[str, _Stream] = field(default_factory=OrderedDict)
    # The last dev server (re)start: seen in output, or from Next's lock.
    ready_at: datetime | None = None
    lock_started_at: datetime | None = None
    # The diagnosis's view of the project, gathered when runtime output needs it (it reads every migration and the
    # .env files: not work for each keystroke's check) and dropped by the next static check.
    facts: ProjectFacts | None = None


class RuntimeFeature(LanguageFeature):
    def __init__(self, server, sync: SyncFeature) -> None:
        super().__init__(server)
        self.sync = sync
        sync.when_checked(self.checked)
        sync.add_findings(self.findings_of)
        self._projects: dict[Path, _ProjectRuntime] = {}
        self._poll: asyncio.Task[None] | None = None
        self._publish: dict[Path, asyncio.Handle] = {}
        self._published_at: dict[Path, float] = {}

    async def initialized(self) -> None:
        for session in list(self.server.projects.sessions.values()):
            self._runtime(session)
        self._poll = asyncio.get_running_loop().create_task(self._poll_forever())

    def _runtime(self, session: ProjectSession) -> _ProjectRuntime:
        runtime = self._projects.get(session.root)
        if runtime is None:
            from prisma_doctor.workspace import app_folders

            followers = [ProjectOutputFollowers(folder) for folder in app_folders(session.root)]
            runtime = self._projects[session.root] = _ProjectRuntime(followers)
        return runtime

    # Terminal output from the extension.
    def terminal_output(self, params: Any) -> None:
        raw = plain(params)
        if not isinstance(raw, dict) or not isinstance(raw.get("data"), str):
            log.warning("ignored a terminalOutput notification without a `data` string")
            return
        terminal = raw.get("terminal") if isinstance(raw.get("terminal"), str) else "terminal"
        cwd = raw.get("cwd") if isinstance(raw.get("cwd"), str) else None
        for session in self._sessions_for(cwd):
            self.feed(session, f"terminal:{terminal}", raw["data"], Path(cwd) if cwd else None)

    def _sessions_for(self, cwd: str | None) -> list[ProjectSession]:
        """The project a terminal runs in; without a known folder, every project (each reads its own paths)."""
        if cwd:
            session = self.server.projects.session_for(Path(cwd))
            if session is not None:
                return [session]
            inside = [s for s in self.server.projects.sessions.values() if s.root.is_relative_to(Path(cwd))]
            if inside:
                return inside
        return list(self.server.projects.sessions.values())

    def feed(self, session: ProjectSession, name: str, chunk: bytes | str, source_root: Path | None = None) -> None:
        runtime = self._runtime(session)
        stream = runtime.streams.pop(name, None) or _Stream(source_root=source_root)
        runtime.streams[name] = stream  # most recently used last
        while len(runtime.streams) > MAX_STREAMS:
            runtime.streams.popitem(last=False)
        self._handle(session, stream, stream.reader.feed(chunk))
        if stream.flush is not None:
            stream.flush.cancel()
            stream.flush = None
        if stream.reader.reading_block:
            stream.flush = asyncio.get_running_loop().call_later(QUIET_SECONDS, self._flush, session, stream)

    def _flush(self, session: ProjectSession, stream: _Stream) -> None:
        stream.flush = None
        self._handle(session, stream, stream.reader.flush())

    def _handle(self, session: ProjectSession, stream: _Stream, events: list[ev.Event]) -> None:
        if not events:
            return
        now = datetime.now(timezone.utc)
        probe = self._facts(session).database
        asks = probe is not None and probe.target is not None and any(isinstance(e, _ASKS_DATABASE) for e in events)
        behind = stream.diagnosing is not None and not stream.diagnosing.done()
        if not asks and not behind:
            self._diagnose(session, stream, events, now)
            return
        undecided: list[Finding] = []
        if asks and probe is not None:
            probe.refresh()
            if probe.pending:
                # Until the database answers, its causes are shown undecided; the answer takes their place.
                undecided = self._undecided(session, stream, events, now)
        previous = stream.diagnosing
        stream.diagnosing = asyncio.get_running_loop().create_task(
            self._diagnose_in_order(session, stream, events, now, previous, asks, undecided)
        )

    def _undecided(
        self, session: ProjectSession, stream: _Stream, events: list[ev.Event], now: datetime
    ) -> list[Finding]:
        """The events' findings while the database's answer is awaited, shown now, taken back when it comes. A
        diagnoser of its own: the stream's remembers what its events said, which only their real diagnosis may."""
        waiting = Diagnoser(
            self._facts_of(session, stream), replace(stream.diagnoser.state), False, database_pending=True
        )
        runtime = self._runtime(session)
        found = [finding for event in events for finding in waiting.findings_for(event)]
        for finding in found:
            runtime.findings.add(finding, now)
        self._changed(session)
        return found

    async def _diagnose_in_order(
        self,
        session: ProjectSession,
        stream: _Stream,
        events: list[ev.Event],
        now: datetime,
        previous: asyncio.Task[None] | None,
        asks: bool,
        undecided: list[Finding],
    ) -> None:
        try:
            if previous is not None:
                await asyncio.wait([previous])  # the stream's events are diagnosed in the order they came
            probe = self._facts(session).database
            if asks and probe is not None:
                # The same text can mean a trigger or a missing column: the database decides, so wait (off the
                # event loop, bounded by the probe's own timeouts) for an answer taken after the error came.
                await asyncio.to_thread(probe.inspection, wait=True)
            self._runtime(session).findings.withdraw(undecided)
            self._diagnose(session, stream, events, now)
        except Exception:  # a failed diagnosis must not stop the stream's later ones
            log.exception("diagnosing runtime output of %s failed", session.root)

    def _diagnose(self, session: ProjectSession, stream: _Stream, events: list[ev.Event], now: datetime) -> None:
        runtime = self._runtime(session)
        stream.diagnoser.facts = self._facts_of(session, stream)
        restarted = reloaded = False
        for event in events:
            if isinstance(event, ev.DevServerReady):
                runtime.ready_at = now
                runtime.findings.dev_server_restarted(now)
                restarted = True
            elif isinstance(event, ev.RequestSucceeded):
                runtime.findings.request_answered(event.method, event.path)
            elif isinstance(event, ev.ErrorRequest):
                runtime.findings.request_found(stream.last_error, event)
            reloaded = reloaded or isinstance(event, ev.ServerModulesReloaded)
            found = stream.diagnoser.findings_for(event)
            if isinstance(event, ev.ClientError):
                stream.last_error = [finding.key for finding in found]
            for finding in found:
                runtime.findings.add(finding, now)
        if restarted or reloaded:
            # The static check's `dev-server-stale` judged the server as it was then: judge it again (a new process,
            # or Vite's reload of the client, which may come after the check a generate started), with the servers
            # read afresh.
            self.sync.surroundings_changed(session)
        self._changed(session)

    def _facts_of(self, session: ProjectSession, stream: _Stream) -> ProjectFacts:
        """The project's facts as a stream sees them: its relative frames resolve against its dev server's folder."""
        facts = self._facts(session)
        return replace(facts, source_root=str(stream.source_root)) if stream.source_root is not None else facts

    def findings_of(self, session: ProjectSession) -> list[Finding]:
        """The project's runtime findings that still stand."""
        runtime = self._projects.get(session.root)
        return runtime.findings.findings() if runtime is not None else []

    def _changed(self, session: ProjectSession) -> None:
        if session.root in self._publish:
            return
        loop = asyncio.get_running_loop()

        def publish() -> None:
            self._publish.pop(session.root, None)
            self._published_at[session.root] = loop.time()
            self.sync.publish(session)

        # After the handler that found them returns (so that every finding of one notification or one poll goes
        # out together), or when the last publish is far enough behind.
        last = self._published_at.get(session.root)
        wait = 0.0 if last is None else last + PUBLISH_SECONDS - loop.time()
        self._publish[session.root] = loop.call_later(wait, publish) if wait > 0 else loop.call_soon(publish)

    # The static check finished: retire what it shows gone, and say when a running dev server is behind.
    def checked(self, session: ProjectSession) -> None:
        if session.state is None:
            return
        runtime = self._runtime(session)
        runtime.facts = None
        # Which running dev server is behind the client is the static check's own verdict (full_check.py).
        runtime.findings.reconsider(session.state)

    def _facts(self, session: ProjectSession) -> ProjectFacts:
        runtime = self._runtime(session)
        if runtime.facts is None and session.state is not None:
            runtime.facts = facts_from_state(session.state, may_ask=self.server.trusted)
        facts = runtime.facts or ProjectFacts(root=str(session.root))
        if facts.dev_server_started_at is None and runtime.ready_at is not None:
            facts = replace(facts, dev_server_started_at=runtime.ready_at)
        return facts

    async def _poll_forever(self) -> None:
        while True:
            for session in list(self.server.projects.sessions.values()):
                try:
                    self._poll_project(session)
                except Exception:  # one unreadable project must not stop the others from being followed
                    log.exception("following the output of %s failed", session.root)
            await asyncio.sleep(POLL_SECONDS)

    def _poll_project(self, session: ProjectSession) -> None:
        runtime = self._runtime(session)
        for followers in runtime.followers:
            for name, chunk in followers.poll().items():
                folder = followers.folder
                stream = f"file:{name}" if folder == session.root else f"file:{folder}/{name}"
                self.feed(session, stream, chunk, folder)
        started = _newest(read_lock(f.folder) for f in runtime.followers)
        if started is not None and started != runtime.lock_started_at:
            # A new `next dev` (its lock is rewritten at start): errors seen before it are history.
            first = runtime.lock_started_at is None
            runtime.lock_started_at = started
            if not first:
                if runtime.findings.dev_server_restarted(started):
                    self._changed(session)
                self.sync.surroundings_changed(session)

    def shutdown(self) -> None:
        if self._poll is not None:
            self._poll.cancel()
        for handle in self._publish.values():
            handle.cancel()


def _newest(locks: Iterable[DevServerLock | None]) -> datetime | None:
    """When the newest of the Next dev servers of the project and its apps started (by their locks)."""
    times = [lock.started_at for lock in locks if lock is not None and lock.started_at is not None]
    return max(times, default=None)
