"""package.json, read in one place that knows every way the file can be wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from prisma_doctor import project_files
from prisma_doctor.json_values import is_object


def read_package_json(folder: Path, *, follow_links: bool = True) -> dict[str, Any] | None:
    """The object in `folder/package.json`; None when the file is missing, unreadable or not a JSON object (a
    number too long to convert and nesting too deep for the decoder included: a hostile file must not crash), and
    with `follow_links=False` when it is a link."""
    try:
        text = project_files.read_text(folder / "package.json", errors="strict", follow_links=follow_links)
        data = json.loads(text)
    except (OSError, ValueError, RecursionError):
        return None
    return data if is_object(data) else None
