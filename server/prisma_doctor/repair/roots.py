"""Which folders a repair may take as a project root: a folder with a Prisma schema that is nobody else's too.

Refused: a filesystem root; a system or shared folder (`/tmp`, `/usr`, `/etc`, `/home`, `C:\\Users`...); a home
folder or an ancestor of one, read from the password database rather than `$HOME`, which a caller can set to
anything; a mount root, unless it is itself a project (a dev container's `/workspaces/app` is one: it has its
package.json); and any folder where Prisma would find no schema, unless it is a workspace's root or app that uses
exactly one Prisma project (`workspace.py`): the repair then acts on that project. As root, `reset --project /tmp`
once planned to stop processes all over `/tmp`.
"""

from __future__ import annotations

import os
from pathlib import Path

from prisma_doctor.common_folders import POSIX_SYSTEM_TREES, home_folders, shared_folders
from prisma_doctor.schema.locate import SchemaNotFound, locate_schema


class RefusedRoot(Exception):
    """The folder cannot be a project root for a repair; the message says why."""


def checked_root(path: str | os.PathLike[str]) -> Path:
    """The resolved project root, or `RefusedRoot` with the reason."""
    root = Path(path).expanduser().resolve()
    if not root.is_dir():
        raise RefusedRoot(f"{root} is not a folder")
    if root.parent == root:
        raise RefusedRoot(f"{root} is a filesystem root, not a project")
    if root in shared_folders():
        raise RefusedRoot(f"{root} is a system or shared folder, not a project")
    if any(root == Path(tree) or Path(tree) in root.parents for tree in POSIX_SYSTEM_TREES if os.name != "nt"):
        raise RefusedRoot(f"{root} is inside a system folder, not a project")
    homes = home_folders()
    if root in homes:
        raise RefusedRoot(f"{root} is a home folder, not a project")
    if any(root in home.parents for home in homes):
        raise RefusedRoot(f"{root} holds home folders, not a project")
    try:
        locate_schema(root)
    except SchemaNotFound as error:
        chosen = _workspace_project(root)
        if chosen is not None:
            return checked_root(chosen)
        raise RefusedRoot(f"{root} holds no Prisma schema ({error}); run the repair in the project's folder") from None
    if os.path.ismount(root) and not (root / "package.json").is_file():
        raise RefusedRoot(f"{root} is a mount root without a package.json of its own, not a project")
    return root


def _workspace_project(folder: Path) -> Path | None:
    """For a workspace's root or one of its apps: the one Prisma project it means (the schema's package, where
    generate runs). Several, with nothing to choose between them, is refused here, before anything is changed."""
    from prisma_doctor.workspace import load_workspace

    workspace = load_workspace(folder)
    if workspace is None:
        return None
    candidates = workspace.projects_for(folder)
    if len(candidates) > 1:
        names = ", ".join(str(p.relative_to(workspace.root)) for p in candidates)
        raise RefusedRoot(
            f"{folder} uses several Prisma projects ({names}): name one with --project, e.g. --project {candidates[0]}"
        )
    return candidates[0] if candidates else None
