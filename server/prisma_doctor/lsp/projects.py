"""The projects the server watches, and what it last knew about each."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from prisma_doctor.findings import Finding, Report, SyncState

if TYPE_CHECKING:  # the check and the project search import the core: the server loads them after start-up
    from prisma_doctor.check import ProjectState


@dataclass
class ProjectSession:
    root: Path
    state: ProjectState | None = None
    # Findings from runtime output (terminal, dev server log), kept until the static check says their cause is gone.
    runtime_findings: list[Finding] = field(default_factory=list)
    repairing: bool = False
    # Files we published diagnostics for, so that they can be cleared when their findings go away.
    published: set[str] = field(default_factory=set)
    last_sync_state: dict | None = None

    @property
    def report(self) -> Report:
        static = self.state.report if self.state is not None else None
        findings = [*(static.findings if static else ()), *self.runtime_findings]
        known = static is not None and static.state is not SyncState.UNKNOWN
        return Report.from_findings(str(self.root), findings, known=known)


class ProjectRegistry:
    def __init__(self) -> None:
        self.sessions: dict[Path, ProjectSession] = {}
        self.folders: list[Path] = []

    def add_folder(self, folder: Path) -> list[ProjectSession]:
        from prisma_doctor.project import find_projects

        self.folders.append(folder.resolve())
        return [self.session(root) for root in find_projects(folder)]

    def session(self, root: Path) -> ProjectSession:
        root = root.resolve()
        if root not in self.sessions:
            self.sessions[root] = ProjectSession(root)
        return self.sessions[root]

    def session_for(self, path: Path) -> ProjectSession | None:
        """The project a file belongs to: the deepest known project containing it, else found from the file."""
        resolved = path.resolve()
        containing = [root for root in self.sessions if resolved.is_relative_to(root)]
        if containing:
            return self.sessions[max(containing, key=lambda r: len(r.parts))]
        from prisma_doctor.project import project_root_for

        boundary = next((f for f in self.folders if resolved.is_relative_to(f)), None)
        root = project_root_for(resolved, boundary)
        return self.session(root) if root is not None else None

    def find(self, root: str | None) -> list[ProjectSession]:
        """The session named by a command argument, or every session when none is named."""
        if not root:
            return list(self.sessions.values())
        session = self.sessions.get(Path(root).resolve())
        return [session] if session is not None else []
