"""Prisma projects in a folder tree: which folder is a project's root, and every project of a monorepo."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from prisma_doctor.schema.locate import CONFIG_NAMES, SchemaNotFound, locate_schema

# Folders never searched for projects: installed packages, build output, version control.
SKIPPED_FOLDERS = frozenset({"node_modules", ".git", ".next", ".turbo", ".prisma-doctor", "dist", "build", ".cache"})
MAX_DEPTH = 6


def is_project_root(folder: Path) -> bool:
    """A folder Prisma itself would treat as a project: its schema resolves from there."""
    if not (folder / "package.json").is_file() and not any((folder / n).is_file() for n in CONFIG_NAMES):
        return False
    if _is_generated_client(folder):
        return False
    try:
        locate_schema(folder)
    except SchemaNotFound:
        return False
    return True


def _is_generated_client(folder: Path) -> bool:
    """prisma-client-js output has a package.json named `prisma-client-<hash>` and a schema copy: not a project."""
    try:
        data = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    name = data.get("name") if isinstance(data, dict) else None
    return isinstance(name, str) and name.startswith("prisma-client-")


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


def find_projects(root: Path, max_depth: int = MAX_DEPTH) -> list[Path]:
    """Every Prisma project at or below `root`, outermost first, skipping installed packages and build output."""
    return sorted(set(_walk(root.resolve(), max_depth)), key=lambda p: (len(p.parts), str(p)))


def _walk(folder: Path, depth: int) -> Iterator[Path]:
    if is_project_root(folder):
        yield folder
    if depth <= 0:
        return
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        # Symlinked folders are not followed: pnpm and workspaces link packages everywhere.
        if entry.name in SKIPPED_FOLDERS or not entry.is_dir(follow_symlinks=False):
            continue
        yield from _walk(Path(entry.path), depth - 1)
