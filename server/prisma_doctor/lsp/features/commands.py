"""Commands: the repairs (with work-done progress and cancellation), a re-check, the sync report, and fixes.

A repair runs the core's pipeline (`prisma_doctor.repair`) in a worker thread; its progress events become
`$/progress` reports and a cancel from the client sets the pipeline's cancellation token.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from lsprotocol import types

from prisma_doctor.findings import FIX_ADVICE, FIXES, REPAIR_FOR_FIX
from prisma_doctor.lsp.convert import plain
from prisma_doctor.lsp.features.base import LanguageFeature
from prisma_doctor.lsp.features.sync import SyncFeature
from prisma_doctor.lsp.projects import ProjectSession
from prisma_doctor.lsp.protocol import (
    APPLY_FIX,
    CHECK,
    COMMANDS,
    FULL_RESET,
    REGENERATE,
    RESTART_DEV_SERVER,
    RESTART_TS_SERVER,
    SHOW_SYNC_REPORT,
)
from prisma_doctor.lsp.settings import UNTRUSTED_REFUSAL

TITLES = {
    "reset": "Prisma: Full Reset",
    "regenerate": "Prisma: Regenerate Client",
    "restart-dev": "Prisma: Restart Dev Server",
    "migrate-deploy": "Prisma: Apply Pending Migrations",
    "migrate-dev": "Prisma: Create and Apply a Migration",
    "db-push": "Prisma: Push the Schema to the Database",
}


class CommandFeature(LanguageFeature):
    def __init__(self, server, sync: SyncFeature) -> None:
        super().__init__(server)
        self.sync = sync
        # The projects a repair of this server is running for.
        self._repairing: set[Path] = set()
        self._handlers: dict[str, Callable[..., Awaitable[Any]]] = {
            FULL_RESET: self._repair_command("reset"),
            REGENERATE: self._repair_command("regenerate"),
            RESTART_DEV_SERVER: self._repair_command("restart-dev"),
            CHECK: self.check,
            SHOW_SYNC_REPORT: self.show_sync_report,
            APPLY_FIX: self.apply_fix,
        }
        assert set(self._handlers) == set(COMMANDS)

    async def run(self, command: str, *args: Any) -> Any:
        """Run one of `COMMANDS` with the command's arguments."""
        return await self._handlers[command](*args)

    def _sessions(self, args: tuple[Any, ...]) -> list[ProjectSession]:
        argument = plain(args[0]) if args else None
        project = argument.get("project") if isinstance(argument, dict) else argument
        return self.server.projects.find(project if isinstance(project, str) else None)

    def _repair_command(self, kind: str) -> Callable[..., Any]:
        async def run(*args: Any) -> dict[str, Any]:
            sessions = self._sessions(args)
            if not sessions:
                return self._no_project(args)
            results = [await self.repair(session, kind) for session in sessions]
            return {"ok": all(r.get("ok") for r in results), "results": results}

        return run

    def _no_project(self, args: tuple[Any, ...]) -> dict[str, Any]:
        message = "Prisma Doctor found no Prisma project" + (f" at {args[0]}" if args and args[0] else "") + "."
        self.server.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning, message=message))
        return {"ok": False, "error": message}

    async def check(self, *args: Any) -> dict[str, Any]:
        reports = []
        for session in self._sessions(args):
            await self.sync.check_now(session)
            reports.append(self.sync.report(session).to_json())
        return {"reports": reports}

    async def show_sync_report(self, *args: Any) -> dict[str, Any]:
        return {"reports": [self.sync.report(session).to_json() for session in self._sessions(args)]}

    def repairing(self, session: ProjectSession) -> bool:
        return session.root in self._repairing

    async def apply_fix(self, *args: Any) -> dict[str, Any]:
        argument = plain(args[0]) if args else {}
        argument = argument if isinstance(argument, dict) else {}
        fix = argument.get("fix")
        if not isinstance(fix, str) or fix not in FIXES:
            return {"ok": False, "error": f"unknown fix {fix!r}"}
        if fix in REPAIR_FOR_FIX:
            return await self._repair_command(REPAIR_FOR_FIX[fix])(argument)
        if fix == "restart-ts-server":
            self.server.protocol.notify(RESTART_TS_SERVER, {})
            return {"ok": True}
        if fix == "dismiss-gone-server":
            return await self._dismiss_gone(args)
        advice = FIX_ADVICE.get(fix, FIXES[fix])
        self.server.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=advice))
        return {"ok": True, "advice": advice}

    async def _dismiss_gone(self, args: tuple[Any, ...]) -> dict[str, Any]:
        """The user does not mean the servers the last repair saw end to run: forgotten, and the project checked."""
        from prisma_doctor.repair.gone_servers import dismiss

        sessions = self._sessions(args)
        for session in sessions:
            dismiss(session.root)
            await self.sync.check_now(session)
        return {"ok": bool(sessions)}

    async def repair(self, session: ProjectSession, kind: str) -> dict[str, Any]:
        if not self.server.trusted:
            self.server.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Warning, message=UNTRUSTED_REFUSAL)
            )
            return {"ok": False, "error": UNTRUSTED_REFUSAL}
        from prisma_doctor.repair.pipeline import CancellationToken, run_plan
        from prisma_doctor.repair.plan import build_plan
        from prisma_doctor.repair.roots import RefusedRoot

        sync = self.sync
        if session.root in self._repairing:
            return {"ok": False, "error": "a repair is already running for this project"}
        token = CancellationToken()
        progress_token = str(uuid.uuid4())
        title = TITLES[kind]
        loop = asyncio.get_running_loop()
        self._repairing.add(session.root)
        sync.show_repair(session, f"{title}…")
        created = await self._create_progress(progress_token)
        if created:
            self.server.work_done_progress.begin(
                progress_token, types.WorkDoneProgressBegin(title=title, cancellable=True, percentage=0)
            )
            # A cancel from the client cancels this future; the pipeline's token follows it.
            future = self.server.work_done_progress.tokens.get(progress_token)
            if future is not None:
                future.add_done_callback(lambda f: token.cancel() if f.cancelled() else None)

        def on_progress(event: Any) -> None:
            message = f"{event.title}: {event.message}" if event.message else event.title
            if created:
                loop.call_soon_threadsafe(
                    self.server.work_done_progress.report,
                    progress_token,
                    types.WorkDoneProgressReport(message=message, percentage=event.percentage, cancellable=True),
                )
            loop.call_soon_threadsafe(sync.show_repair, session, f"{title}: {message}")

        def run() -> Any:
            settings = self.server.settings.for_path(session.root)
            plan = build_plan(session.root, kind, deep=settings.deep_clean, package_manager=settings.package_manager)
            return run_plan(plan, progress=on_progress, token=token)

        try:
            result = await asyncio.to_thread(run)
        except RefusedRoot as error:
            return self._failed(session, progress_token, created, title, str(error))
        except Exception as error:  # the pipeline reports failures itself; this is a bug of ours
            return self._failed(session, progress_token, created, title, f"{type(error).__name__}: {error}")
        finally:
            self._repairing.discard(session.root)
        outcome = result.to_json()
        if result.restart_ts_server:
            self.server.protocol.notify(RESTART_TS_SERVER, {})
        message = _summary(title, result)
        if created:
            self.server.work_done_progress.end(progress_token, types.WorkDoneProgressEnd(message=message))
        level = types.MessageType.Info if result.ok else types.MessageType.Error
        self.server.window_show_message(types.ShowMessageParams(type=level, message=message))
        await sync.check_after_repair(session)
        return outcome

    async def _create_progress(self, token: str) -> bool:
        window = self.server.client_capabilities.window
        if not (window and window.work_done_progress):
            return False
        try:
            await self.server.work_done_progress.create_async(token)
        except Exception:
            return False
        return True

    def _failed(self, session: ProjectSession, token: str, created: bool, title: str, error: str) -> dict[str, Any]:
        message = f"{title} failed: {error}"
        if created:
            self.server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
        self.server.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=message))
        self.sync.show_repair_failure(session, message)
        return {"ok": False, "error": message}


def _summary(title: str, result: Any) -> str:
    if result.busy:
        return f"{title}: another repair of this project is running."
    if result.refused:
        return f"{title} refused before changing anything: " + "; ".join(result.refused)
    if result.cancelled:
        return f"{title} was cancelled; run it again to complete it."
    if result.ok:
        return f"{title}: {result.verdict()}"
    failed = next((s for s in result.steps if s.status == "failed"), None)
    detail = f" at “{failed.title}”: {failed.message}" if failed else ""
    return f"{title} failed{detail}"
