"""Mount points, so that a removal never crosses into another filesystem or a bind mount.

A bind mount of a folder from the same filesystem has the same device number as its parent, so comparing devices
alone misses it (a bind mount inside `.next` once had its outside contents deleted). On Linux every mount point is
listed in `/proc/self/mountinfo`; elsewhere `os.path.ismount` is what the system can tell.
"""

from __future__ import annotations

import os
from pathlib import Path

MOUNTINFO = Path("/proc/self/mountinfo")


def mount_points() -> frozenset[Path] | None:
    """Every mount point this process sees, or None where the system does not list them."""
    try:
        text = MOUNTINFO.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError:
        return None
    points: set[Path] = set()
    for line in text.splitlines():
        fields = line.split(" ")
        if len(fields) > 4:
            points.add(Path(_unescape(fields[4])))
    return frozenset(points)


def _unescape(field: str) -> str:
    # The kernel writes space, tab, newline and backslash in paths as octal escapes (`\040`).
    if "\\" not in field:
        return field
    out: list[str] = []
    index = 0
    while index < len(field):
        chunk = field[index : index + 4]
        if len(chunk) == 4 and chunk[0] == "\\" and chunk[1:].isdigit():
            out.append(chr(int(chunk[1:], 8)))
            index += 4
        else:
            out.append(field[index])
            index += 1
    return "".join(out)


class MountTable:
    """Answers "is this folder a mount point?" for one repair: the table is read once, at the start."""

    def __init__(self, points: frozenset[Path] | None = None) -> None:
        self._points = mount_points() if points is None else points

    def is_mount(self, folder: Path) -> bool:
        if self._points is not None:
            return folder in self._points
        return os.path.ismount(folder)

    def under(self, folder: Path) -> list[Path]:
        """Mount points at or below `folder` (empty where the system does not list them: the walk still checks)."""
        if self._points is None:
            return []
        return sorted(p for p in self._points if p == folder or folder in p.parents)
