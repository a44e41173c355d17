"""Quick fixes: one code action per fix id of every finding under the cursor."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from prisma_doctor.findings import FIXES
from prisma_doctor.lsp.features.base import LanguageFeature

APPLY_FIX = "prismaDoctor.applyFix"


class CodeActionFeature(LanguageFeature):
    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        actions: list[types.CodeAction] = []
        seen: set[tuple[str, str]] = set()
        for diagnostic in params.context.diagnostics:
            data = plain(diagnostic.data)
            if diagnostic.source != "prisma-doctor" or not isinstance(data, dict):
                continue
            project = str(data.get("project", ""))
            for fix in data.get("fixes", []):
                if fix not in FIXES or (project, fix) in seen:
                    continue
                seen.add((project, fix))
                title = FIXES[fix]
                actions.append(
                    types.CodeAction(
                        title=title,
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic],
                        is_preferred=fix == data.get("fixes", [None])[0],
                        command=types.Command(
                            title=title, command=APPLY_FIX, arguments=[{"project": project, "fix": fix}]
                        ),
                    )
                )
        return actions


def plain(value: Any) -> Any:
    """LSPAny as plain Python: pygls hands JSON objects over as named tuples, not dicts."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
