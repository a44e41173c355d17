"""The server's capabilities, one module each (see `base.LanguageFeature` for their hooks), and how they are wired:
each feature is built with the peers it needs, typed, and never asks the server for another at call time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prisma_doctor.lsp.features.base import LanguageFeature
    from prisma_doctor.lsp.features.code_actions import CodeActionFeature
    from prisma_doctor.lsp.features.commands import CommandFeature
    from prisma_doctor.lsp.features.regenerate_on_save import RegenerateOnSaveFeature
    from prisma_doctor.lsp.features.runtime import RuntimeFeature
    from prisma_doctor.lsp.features.sync import SyncFeature
    from prisma_doctor.lsp.features.watching import WatchingFeature
    from prisma_doctor.lsp.server import PrismaDoctorServer


@dataclass(frozen=True)
class Features:
    """Every feature of one server. Iterating gives them in the order their hooks run."""

    sync: SyncFeature
    runtime: RuntimeFeature
    watching: WatchingFeature
    code_actions: CodeActionFeature
    commands: CommandFeature
    regenerate_on_save: RegenerateOnSaveFeature

    def __iter__(self) -> Iterator[LanguageFeature]:
        yield from (self.sync, self.runtime, self.watching, self.code_actions, self.commands, self.regenerate_on_save)


def build_features(server: PrismaDoctorServer) -> Features:
    """Every feature, wired. Imported here, not at start-up: the runtime feature imports the log reader and the
    diagnosis, which `initialize` must not wait for."""
    from prisma_doctor.lsp.features.code_actions import CodeActionFeature
    from prisma_doctor.lsp.features.commands import CommandFeature
    from prisma_doctor.lsp.features.regenerate_on_save import RegenerateOnSaveFeature
    from prisma_doctor.lsp.features.runtime import RuntimeFeature
    from prisma_doctor.lsp.features.sync import SyncFeature
    from prisma_doctor.lsp.features.watching import WatchingFeature

    sync = SyncFeature(server)
    commands = CommandFeature(server, sync)
    return Features(
        sync=sync,
        runtime=RuntimeFeature(server, sync),
        watching=WatchingFeature(server),
        code_actions=CodeActionFeature(server),
        commands=commands,
        regenerate_on_save=RegenerateOnSaveFeature(server, commands),
    )
