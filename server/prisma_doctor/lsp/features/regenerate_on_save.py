"""Opt-in regenerate on save (`prismaDoctor.regenerateOnSave`): a saved schema regenerates its project's clients.

Saves are debounced per project (saving several schema files, or saving twice, is one regenerate), skipped while a
repair of the project runs and in an untrusted workspace. The repair's own re-check follows, which says
`dev-server-stale` when a dev server started before the regeneration still runs: a regenerate does not reach it.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from prisma_doctor.lsp.features.base import LanguageFeature
from prisma_doctor.lsp.features.commands import CommandFeature
from prisma_doctor.lsp.projects import ProjectSession

DEBOUNCE_SECONDS = 0.5
log = logging.getLogger(__name__)


class RegenerateOnSaveFeature(LanguageFeature):
    def __init__(self, server, commands: CommandFeature) -> None:
        super().__init__(server)
        self.commands = commands
        self._pending: dict[Path, asyncio.TimerHandle] = {}

    def document_saved(self, path: Path) -> None:
        if path.suffix != ".prisma":
            return
        session = self.server.projects.session_for(path)
        if session is None or not self.server.settings.for_path(session.root).regenerate_on_save:
            return
        if not self.server.trusted:
            log.info("not regenerating %s on save: the workspace is not trusted", session.root)
            return
        pending = self._pending.pop(session.root, None)
        if pending is not None:
            pending.cancel()
        loop = asyncio.get_running_loop()
        self._pending[session.root] = loop.call_later(DEBOUNCE_SECONDS, self._start, session)

    def _start(self, session: ProjectSession) -> None:
        self._pending.pop(session.root, None)
        if self.commands.repairing(session):
            log.info("not regenerating %s on save: a repair of it is running", session.root)
            return
        asyncio.get_running_loop().create_task(self._regenerate(session))

    async def _regenerate(self, session: ProjectSession) -> None:
        result = await self.commands.repair(session, "regenerate")
        if not result.get("ok"):
            log.warning("regenerate on save of %s did not succeed: %s", session.root, result.get("error", result))

    def shutdown(self) -> None:
        for handle in self._pending.values():
            handle.cancel()
