"""The language server: LSP methods fanned out to feature modules.

Each capability is a feature module under `features/` (see `LanguageFeature`); this file only wires LSP methods to
their hooks. Adding a capability means adding a module and building it, with the peers it needs, in
`features.build_features`.

Start-up imports pygls and this adapter only: the features and the core they use (schema, clients, diagnosis) are
imported when the features are first needed, on `initialized`, so that `initialize` is answered as soon as pygls can.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import logging
import sys
import threading
from collections.abc import Awaitable, Callable, Generator
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO, cast

from lsprotocol import types
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer

from prisma_doctor import __version__
from prisma_doctor.lsp.convert import path_of, uri_of
from prisma_doctor.lsp.features import Features, build_features
from prisma_doctor.lsp.jsonrpc import AnsweringProtocol
from prisma_doctor.lsp.projects import ProjectRegistry
from prisma_doctor.lsp.protocol import COMMANDS, SECTION, TERMINAL_OUTPUT
from prisma_doctor.lsp.settings import ServerSettings, WorkspaceSettings, is_trusted
from prisma_doctor.lsp.stdio import read_messages

log = logging.getLogger(__name__)
CONFIGURATION_TIMEOUT = 10.0
# A check of the largest schema keeps 20,000 to 35,000 objects until the next check (and makes more on the way):
# with Python's 700 the collector ran dozens of times per check, about a fifth of its CPU. Resident memory after
# many edits stayed the same (bench/lsp_bench.py).
GC_THRESHOLD = (50_000, 10, 10)


class PrismaDoctorServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "prisma-doctor",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Full,
            protocol_cls=AnsweringProtocol,
        )
        self.projects = ProjectRegistry()
        self.settings = WorkspaceSettings()
        # An untrusted workspace is read, never acted on: no repair, no regeneration, no process started.
        self.trusted = True
        # Workspace folders from `initialize`, searched for projects on `initialized`.
        self.initial_folders: list[Path] = []

    @cached_property
    def features(self) -> Features:
        """Every feature, built at first use (on `initialized`): building them imports the core."""
        return build_features(self)

    def settle_memory(self) -> None:
        """Once start-up is over: collect what it left, set what remains aside for good (it lives as long as the
        server: later collections need not walk it again), and collect young objects less often from now on."""
        _ = self.features  # the core they import belongs to start-up too
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLD)

    def start_io(self, stdin: io.BufferedIOBase | None = None, stdout: BinaryIO | None = None) -> None:
        """As pygls' `start_io`, with a reader that survives frames it cannot read (see frames.py)."""
        self._stop_event = stop = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        # typeshed types sys.stdin.buffer as BinaryIO; CPython's is a BufferedReader, whose `read1` the reader uses.
        reader = stdin or cast(io.BufferedIOBase, sys.stdin.buffer)
        try:
            asyncio.run(read_messages(reader, self.thread_pool, self.protocol, stop, self.report_server_error))
        except BrokenPipeError:
            log.error("the connection to the client is lost: stopping")
        except (KeyboardInterrupt, SystemExit):  # `exit` ends the server by raising SystemExit, as in pygls
            pass
        finally:
            self.shutdown()

    def report_server_error(self, error: Exception, source: Any) -> None:
        # A frame that is not JSON is answered with a parse error; other errors are logged, not shown in the editor.
        if isinstance(self.protocol, AnsweringProtocol) and self.protocol.answer_unreadable(error):
            return
        log.error("%s: %s", getattr(source, "__name__", source), error)

    def open_schema_texts(self) -> dict[str, str]:
        """Unsaved editor text of every open schema file, so checks see what the person sees."""
        texts: dict[str, str] = {}
        for uri, document in list(self.workspace.text_documents.items()):
            path = path_of(uri)
            if path is not None and path.suffix == ".prisma":
                texts[str(path.resolve())] = document.source
        return texts

    def document_changed(self, uri: str) -> None:
        path = path_of(uri)
        if path is not None:
            for feature in self.features:
                feature.document_changed(path)

    def files_changed(self, paths: list[Path]) -> None:
        for feature in self.features:
            feature.files_changed(paths)

    async def load_settings(self) -> None:
        """The settings of every workspace folder, and the workspace's own for projects outside them all."""
        workspace = self.client_capabilities.workspace
        if not (workspace and workspace.configuration):
            return  # the client cannot answer: the initialization options stay the settings
        folders = list(self.projects.folders)
        items = [types.ConfigurationItem(section=SECTION)]
        items += [types.ConfigurationItem(scope_uri=uri_of(folder), section=SECTION) for folder in folders]
        try:
            result = await asyncio.wait_for(
                self.workspace_configuration_async(types.ConfigurationParams(items=items)),
                CONFIGURATION_TIMEOUT,
            )
        except Exception:  # a client that fails or never answers keeps the settings it had
            return
        if not result:
            return
        default = ServerSettings.from_client(result[0])
        # A folder the client has no answer for (null, or left out) takes the workspace's settings.
        answers = [*result[1:], *([None] * len(folders))]
        by_folder = {
            folder: default if answer is None else ServerSettings.from_client(answer)
            for folder, answer in zip(folders, answers[: len(folders)], strict=True)
        }
        self.settings = WorkspaceSettings(default, by_folder)

    async def start_features(self) -> None:
        self.settle_memory()
        await self.load_settings()
        for feature in self.features:
            await feature.initialized()


def create_server() -> PrismaDoctorServer:
    server = PrismaDoctorServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: PrismaDoctorServer, params: types.InitializeParams) -> None:
        ls.settings = WorkspaceSettings(ServerSettings.from_client(params.initialization_options))
        ls.trusted = is_trusted(params.initialization_options)
        folders = [f.uri for f in params.workspace_folders or []] or ([params.root_uri] if params.root_uri else [])
        ls.initial_folders = [p for uri in folders if (p := path_of(uri)) is not None]

    @server.feature(types.INITIALIZED)
    def initialized(ls: PrismaDoctorServer, params: types.InitializedParams) -> Generator[Any, Any, None]:
        # The projects are searched for here rather than in `initialize` (whose answer does not depend on them), and
        # synchronously: any message after this one may concern them.
        for folder in ls.initial_folders:
            try:
                if folder.is_dir():
                    ls.projects.add_folder(folder)
            except Exception:  # one folder that cannot be searched must not keep the server from the others
                log.exception("searching %s for Prisma projects failed", folder)
        # pygls runs what a handler yields as a handler of its own: the settings and the features' first work.
        yield ls.start_features, (), None

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def configuration_changed(ls: PrismaDoctorServer, params: types.DidChangeConfigurationParams) -> None:
        # Settings decide what is shown and how a project is read (package manager): check again.
        await ls.load_settings()
        sync = ls.features.sync
        for session in list(ls.projects.sessions.values()):
            await sync.check_now(session)

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    async def folders_changed(ls: PrismaDoctorServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        added = [p for f in params.event.added if (p := path_of(f.uri)) is not None and p.is_dir()]
        sessions = [session for folder in added for session in ls.projects.add_folder(folder)]
        if added:
            await ls.load_settings()  # the new folders' own settings, before their projects are checked
        for session in sessions:
            await ls.features.sync.check_now(session)
        await ls.features.watching.refresh()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: PrismaDoctorServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.document_changed(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: PrismaDoctorServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.document_changed(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: PrismaDoctorServer, params: types.DidSaveTextDocumentParams) -> None:
        path = path_of(params.text_document.uri)
        if path is not None:
            for feature in ls.features:
                feature.document_saved(path)
        ls.document_changed(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: PrismaDoctorServer, params: types.DidCloseTextDocumentParams) -> None:
        # The file on disk is the truth again once its editor closes.
        ls.document_changed(params.text_document.uri)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched_files_changed(ls: PrismaDoctorServer, params: types.DidChangeWatchedFilesParams) -> None:
        ls.features.watching.did_change_watched_files(params)

    @server.feature(TERMINAL_OUTPUT)
    def terminal_output(ls: PrismaDoctorServer, params: Any) -> None:
        for feature in ls.features:
            feature.terminal_output(params)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix], resolve_provider=False),
    )
    def code_action(ls: PrismaDoctorServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return ls.features.code_actions.code_actions(params)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: PrismaDoctorServer, params: None) -> None:
        for feature in ls.features:
            feature.shutdown()

    for name in COMMANDS:
        server.command(name)(_command(name))
    return server


def _command(name: str) -> Callable[..., Awaitable[Any]]:
    """The handler of one command: pygls passes the server, then the command's arguments."""

    async def handler(ls: PrismaDoctorServer, *args: Any) -> Any:
        return await ls.features.commands.run(name, *args)

    return handler


def serve_stdio() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # pygls logs every message it sends at INFO: under a stream of terminal output that is most of the server's work.
    logging.getLogger("pygls.protocol").setLevel(logging.WARNING)
    logging.getLogger("pygls.feature_manager").setLevel(logging.WARNING)
    server = create_server()
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        server.start_io()
