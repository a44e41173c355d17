"""A block of work that takes the folders above the projects as unchanging: what it learns of them it keeps.

Checking one project climbs from it to `/` several times: each real path (`resolve` looks at every component, and
the kernel walks the whole path for each look) and each search for `node_modules` (Node's resolution). Checking
projects nested in one another that way costs as much per project as the nesting is deep: quadratic in all. Inside
`snapshot()`, each folder is looked at once. Outside, nothing is kept: a language server sees every change.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# The real path of each folder looked at, by its absolute path as written; None outside a snapshot.
_real_paths: dict[str, Path] | None = None
# What else a snapshot keeps, by name (the `node_modules` folders above each folder: see clients/locate.py).
# Each memory holds what its one owner puts in it (clients/locate.py: folder -> its chain).
_kept: dict[str, dict[Any, Any]] | None = None


@contextmanager
def snapshot() -> Generator[None, None, None]:
    global _real_paths, _kept
    if _kept is not None:  # (inside another: the outer one keeps everything)
        yield
        return
    _real_paths, _kept = {}, {}
    try:
        yield
    finally:
        _real_paths = _kept = None


def kept(name: str) -> dict[Any, Any] | None:
    """The snapshot's memory called `name`, or None outside a snapshot."""
    if _kept is None:
        return None
    memory: dict[Any, Any] = _kept.setdefault(name, {})
    return memory


def _split(path: str) -> tuple[str, str]:
    # (A function of its own so that the loop below, which splits what it split, has a declared type to go by.)
    return os.path.split(path)


def real_path(path: Path) -> Path:
    """`path.resolve()`, from what the snapshot knows of the folders above it."""
    memo = _real_paths
    if memo is None or ".." in path.parts:
        return path.resolve()  # (`..` after a link is the link target's parent: leave that to `resolve`)
    # Up to the nearest folder whose real path is known (or the root), then down, a component at a time.
    absolute = os.path.abspath(path)
    names: list[str] = []
    current = absolute
    while current not in memo:
        parent, name = _split(current)
        if not name:  # the root
            memo[current] = Path(current)
            break
        names.append(name)
        current = parent
    real = memo[current]
    for name in reversed(names):
        candidate = real / name
        # Only a link needs more than a look at itself: `resolve` follows it (and whatever it leads through).
        real = candidate.resolve() if candidate.is_symlink() else candidate
        current = os.path.join(current, name)
        memo[current] = real
    return real
