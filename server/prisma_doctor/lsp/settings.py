"""Typed settings: read once from the client (camelCase keys) and converted at this edge."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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
