"""The projects the server watches, and what it last knew about each."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the check and the project search import the core: the server loads them after start-up
    from prisma_doctor.check import ProjectState


@dataclass
class ProjectSession:
    """One project: where it is and its last static check. Each feature keeps what else it knows of the project
    itself (the runtime feature its runtime findings, the sync feature what it published, the command feature
    whether a repair runs)."""

    root: Path
    # Written by the sync feature only, when a check ends.
    state: ProjectState | None = None


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
        if root is None:
            # A file of a workspace's app (`apps/web/app/page.tsx`) belongs to the Prisma project the app uses.
            from prisma_doctor.workspace import prisma_projects_for

            folder = resolved if resolved.is_dir() else resolved.parent
            used = prisma_projects_for(folder)
            root = used[0] if len(used) == 1 else None
        return self.session(root) if root is not None else None

    def find(self, root: str | None) -> list[ProjectSession]:
        """The session named by a command argument, or every session when none is named."""
        if not root:
            return list(self.sessions.values())
        session = self.sessions.get(Path(root).resolve())
        return [session] if session is not None else []
