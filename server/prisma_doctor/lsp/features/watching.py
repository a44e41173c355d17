"""Knowing when files change on disk: the client's file watcher, else a light poll of a few known files.

Watchers are registered through the client (`workspace/didChangeWatchedFiles`), each relative to a project root or
to a generated client's folder, so that nothing ever watches node_modules recursively. Clients that cannot register
watchers (Neovim 0.7) get a poll of the handful of files whose change matters: the schema files and each client's
config file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path

from lsprotocol import types

from prisma_doctor.lsp.convert import path_of, uri_of
from prisma_doctor.lsp.features.base import LanguageFeature

log = logging.getLogger(__name__)
REGISTRATION_ID = "prisma-doctor-watchers"
POLL_SECONDS = 1.0
PROJECT_PATTERNS = (
    "**/*.prisma",
    "prisma.config.*",
    "package.json",
    "{package-lock.json,pnpm-lock.yaml,yarn.lock,bun.lock,bun.lockb}",
    # Wherever the migrations are: beside a schema folder, or where prisma.config.ts says.
    "**/migrations/*/migration.sql",
    ".next/dev/lock",
    # Where Prisma and the app read the database's URL: a new one is compared at once.
    "{.env,.env.*}",
    "prisma/{.env,.env.*}",
)
# (`generatedFileExtension` may make a `prisma-client` write `.mts` or `.cts`.)
CLIENT_PATTERNS = ("*.{js,ts,mts,cts}", "internal/*.{ts,mts,cts}", "schema.prisma")


class WatchingFeature(LanguageFeature):
    def __init__(self, server) -> None:
        super().__init__(server)
        self._poll: asyncio.Task[None] | None = None
        self._registered: set[str] = set()

    async def initialized(self) -> None:
        await self.refresh()

    async def refresh(self) -> None:
        """(Re)register watchers for every known project and client folder."""
        if self._client_registers_watchers():
            await self._register()
        elif self._poll is None:
            self._poll = asyncio.get_running_loop().create_task(self._poll_forever())

    def _client_registers_watchers(self) -> bool:
        workspace = self.server.client_capabilities.workspace
        watched = workspace.did_change_watched_files if workspace else None
        return bool(watched and watched.dynamic_registration)

    def _watchers(self) -> list[types.FileSystemWatcher]:
        relative = self._relative_patterns()
        watchers: list[types.FileSystemWatcher] = []
        for base, pattern in self._patterns():
            glob: types.GlobPattern = (
                types.RelativePattern(base_uri=uri_of(base), pattern=pattern)
                if relative
                else f"{base.as_posix()}/{pattern}"
            )
            watchers.append(types.FileSystemWatcher(glob_pattern=glob))
        return watchers

    def _relative_patterns(self) -> bool:
        workspace = self.server.client_capabilities.workspace
        watched = workspace.did_change_watched_files if workspace else None
        return bool(watched and watched.relative_pattern_support)

    def _patterns(self) -> list[tuple[Path, str]]:
        patterns: list[tuple[Path, str]] = []
        for session in self.server.projects.sessions.values():
            patterns.extend((session.root, p) for p in PROJECT_PATTERNS)
            for folder in _client_folders(session):
                patterns.extend((folder, p) for p in CLIENT_PATTERNS)
        return patterns

    async def _register(self) -> None:
        watchers = self._watchers()
        key = repr(watchers)
        if key in self._registered:
            return
        if self._registered:
            with contextlib.suppress(Exception):
                await self.server.client_unregister_capability_async(
                    types.UnregistrationParams(
                        unregisterations=[
                            types.Unregistration(id=REGISTRATION_ID, method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
                        ]
                    )
                )
        self._registered = {key}
        try:
            await self.server.client_register_capability_async(
                types.RegistrationParams(
                    registrations=[
                        types.Registration(
                            id=REGISTRATION_ID,
                            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                            register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
                        )
                    ]
                )
            )
        except Exception as error:  # the client said it could and then refused: fall back to polling
            log.warning("the client refused file watchers (%s); polling instead", error)
            if self._poll is None:
                self._poll = asyncio.get_running_loop().create_task(self._poll_forever())

    def did_change_watched_files(self, params: types.DidChangeWatchedFilesParams) -> None:
        paths = [p for change in params.changes if (p := path_of(change.uri)) is not None]
        self.server.files_changed(paths)

    async def _poll_forever(self) -> None:
        seen: dict[Path, float | None] = {}
        while True:
            changed: list[Path] = []
            for path in self._polled_files():
                stamp = _mtime(path)
                if path in seen and seen[path] != stamp:
                    changed.append(path)
                seen[path] = stamp
            if changed:
                self.server.files_changed(changed)
            await asyncio.sleep(POLL_SECONDS)

    def _polled_files(self) -> list[Path]:
        files: list[Path] = []
        for session in list(self.server.projects.sessions.values()):
            if session.state is not None and session.state.schema is not None:
                files.extend(session.state.schema.source.files)
            for client_state in session.state.clients if session.state else ():
                if client_state.client is not None:
                    files.append(client_state.client.config_file)
                elif client_state.generator.output is not None:
                    files.append(client_state.generator.output / "index.js")
                    files.append(client_state.generator.output / "internal" / "class.ts")
        return files

    def files_changed(self, paths: list[Path]) -> None:
        # New clients or schema files may have appeared: keep the watchers current.
        if self._client_registers_watchers():
            asyncio.get_running_loop().create_task(self._register())

    def shutdown(self) -> None:
        if self._poll is not None:
            self._poll.cancel()


def _client_folders(session) -> list[Path]:
    if session.state is None:
        return []
    folders: list[Path] = []
    for client_state in session.state.clients:
        output = client_state.generator.output
        if output is not None:
            folders.append(output)
    return folders


def _mtime(path: Path) -> float | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None
