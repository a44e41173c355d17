"""Prisma projects in a folder: each folder with a schema of its own, as `prisma` run there would find it.

A monorepo holds several (`apps/web`, `packages/db`, ...), each checked on its own. A project's own schema folder
(`prisma/`, `prisma/schema/`) is part of it, not another project.
"""

from __future__ import annotations

import os
from pathlib import Path

from prisma_doctor.clients.locate import is_client_folder
from prisma_doctor.schema.locate import CONFIG_NAMES, SchemaNotFound, locate_schema
from prisma_doctor.snapshot import real_path

# Folders that never hold a project of their own: dependencies, version control, build output and caches.
_SKIPPED_FOLDERS = frozenset({"node_modules", ".git", ".next", ".turbo", ".cache", ".vercel", "dist", "build", "out"})
MAX_FOLDERS_SEARCHED = 20_000
# The files one of which a project root holds (see `is_project_root`).
PROJECT_MARKERS = frozenset({"package.json", *CONFIG_NAMES})


def is_project_root(folder: Path) -> bool:
    """A folder Prisma itself would treat as a project: its schema resolves from there."""
    if not any((folder / name).is_file() for name in PROJECT_MARKERS):
        return False
    if is_client_folder(folder):
        return False
    try:
        source = locate_schema(folder)
    except SchemaNotFound:
        return False
    return not _only_client_copies(set(source.files))


def _only_client_copies(files: set[Path]) -> bool:
    """A folder whose `prisma/schema.prisma` is a generated client's schema copy (`output = "../generated/prisma"`
    puts the client at `generated/prisma/`, which looks like a project `generated/` with its schema)."""
    return all(is_client_folder(f.parent) for f in files)


def project_root_for(path: Path, boundary: Path | None = None) -> Path | None:
    """The nearest folder at or above `path` (a schema file, a source file) that is a Prisma project."""
    current = path.resolve()
    if current.is_file() or not current.exists():
        current = current.parent
    stop = boundary.resolve() if boundary is not None else None
    while True:
        if is_project_root(current):
            return current
        if current == stop or current.parent == current:
            return None
        current = current.parent


def find_projects(root: Path) -> list[Path]:
    """Every project root under `root` (itself included), shallowest first, never inside `node_modules`."""
    root = root.resolve()
    projects: list[Path] = []
    claimed: set[Path] = set()
    visited = 0
    for directory, subdirectories, _ in os.walk(root):
        visited += 1
        if visited > MAX_FOLDERS_SEARCHED:
            break
        subdirectories[:] = sorted(d for d in subdirectories if d not in _SKIPPED_FOLDERS and not d.startswith("."))
        here = Path(directory)
        if here in claimed or is_client_folder(here):
            # A generated `prisma-client-js` output holds a `schema.prisma` copy: not a project.
            subdirectories.clear()
            continue
        try:
            source = locate_schema(here)
        except SchemaNotFound:
            continue
        files = {real_path(f) for f in source.files}
        if files & claimed or _only_client_copies(files):
            continue
        projects.append(here)
        claimed |= files
        # The schema's own folders belong to this project, not to a project of their own.
        claimed |= {f.parent for f in files}
    return projects


def package_manager(project_root: Path) -> str:
    """The package manager a project uses: `packageManager` in package.json, else its (workspace's) lockfile."""
    from prisma_doctor.repair.package_manager import detect

    return detect(project_root).name
