"""Typed settings: read from the client (camelCase keys) and converted at this edge, one set per workspace folder.

As in Microsoft's Python tool extensions, each workspace folder has its own settings (`workspace/configuration` with
the folder as scope), and a project takes those of the folder it lies in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prisma_doctor.findings import Finding
from prisma_doctor.lsp.protocol import SECTION


@dataclass(frozen=True)
class ServerSettings:
    package_manager: str | None = None
    dev_command: str | None = None
    deep_clean: bool = False
    regenerate_on_save: bool = False
    # Finding codes the user chose not to see.
    hidden_codes: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_client(cls, raw: Any) -> ServerSettings:
        if not isinstance(raw, Mapping):
            return cls()
        if SECTION in raw and isinstance(raw[SECTION], Mapping):
            raw = raw[SECTION]
        hidden = raw.get("hiddenFindings") or []
        return cls(
            package_manager=_text(raw.get("packageManager")),
            dev_command=_text(raw.get("devCommand")),
            deep_clean=bool(raw.get("deepClean", False)),
            regenerate_on_save=bool(raw.get("regenerateOnSave", False)),
            hidden_codes=frozenset(c for c in hidden if isinstance(c, str))
            if isinstance(hidden, list)
            else frozenset(),
        )

    def shown_findings(self, findings: Iterable[Finding]) -> list[Finding]:
        return [f for f in findings if f.code not in self.hidden_codes]


class WorkspaceSettings:
    """The settings of each workspace folder, and the defaults for a project outside every folder."""

    def __init__(self, default: ServerSettings | None = None, folders: Mapping[Path, ServerSettings] | None = None):
        self.default = default or ServerSettings()
        self._folders = {folder.resolve(): settings for folder, settings in (folders or {}).items()}

    def for_path(self, path: Path) -> ServerSettings:
        """The settings of the deepest workspace folder holding `path` (a project's root), else the defaults."""
        resolved = path.resolve()
        holding = [folder for folder in self._folders if resolved.is_relative_to(folder)]
        return self._folders[max(holding, key=lambda f: len(f.parts))] if holding else self.default


def is_trusted(initialization_options: Any) -> bool:
    """Workspace trust from the client: only an explicit `false` (`trusted`, or the extension's `workspaceTrusted`)
    makes the server read-only; editors without a notion of trust run everything."""
    if not isinstance(initialization_options, Mapping):
        return True
    return all(initialization_options.get(key) is not False for key in ("trusted", "workspaceTrusted"))


UNTRUSTED_REFUSAL = (
    "This workspace is not trusted, so Prisma Doctor only reads it: no repair, regeneration or process is run. "
    "Trust the workspace to allow them."
)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() and value != "auto" else None
