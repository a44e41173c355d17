"""The hooks every feature may implement; the server calls each feature's hook in turn.

A feature that needs another takes it in its constructor (see `features.build_features`), and owns its own state:
what another feature keeps is asked of it through its methods, never read or cleared from outside."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prisma_doctor.lsp.server import PrismaDoctorServer


class LanguageFeature:
    def __init__(self, server: PrismaDoctorServer) -> None:
        self.server = server

    async def initialized(self) -> None:
        """The client is ready: register watchers, read settings, run first checks."""

    def document_changed(self, path: Path) -> None:
        """A document was opened, edited or saved (its current text is in the server's workspace)."""

    def document_saved(self, path: Path) -> None:
        """A document was saved."""

    def files_changed(self, paths: list[Path]) -> None:
        """Watched files changed on disk (schema, generated clients, migrations, package files)."""

    def terminal_output(self, params: Any) -> None:
        """A chunk of terminal output from the extension (`protocol.TERMINAL_OUTPUT`)."""

    def shutdown(self) -> None:
        """The server is stopping: stop background work."""
