"""The server's capabilities, one module each (see `base.LanguageFeature` for their hooks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prisma_doctor.lsp.features.base import LanguageFeature
    from prisma_doctor.lsp.server import PrismaDoctorServer


def all_features(server: PrismaDoctorServer) -> list[LanguageFeature]:
    """Every feature, in the order their hooks run. Imported here, not at start-up: the runtime feature imports the
    log reader and the diagnosis, which `initialize` must not wait for."""
    from prisma_doctor.lsp.features.code_actions import CodeActionFeature
    from prisma_doctor.lsp.features.commands import CommandFeature
    from prisma_doctor.lsp.features.regenerate_on_save import RegenerateOnSaveFeature
    from prisma_doctor.lsp.features.runtime import RuntimeFeature
    from prisma_doctor.lsp.features.sync import SyncFeature
    from prisma_doctor.lsp.features.watching import WatchingFeature

    kinds = (SyncFeature, RuntimeFeature, WatchingFeature, CodeActionFeature, CommandFeature, RegenerateOnSaveFeature)
    return [kind(server) for kind in kinds]
