"""Quick fixes: one code action per fix id of every finding under the cursor."""

from __future__ import annotations

from lsprotocol import types

from prisma_doctor.findings import FIXES
from prisma_doctor.lsp.convert import plain
from prisma_doctor.lsp.features.base import LanguageFeature
from prisma_doctor.lsp.protocol import APPLY_FIX


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
