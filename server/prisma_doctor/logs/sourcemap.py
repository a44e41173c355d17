"""A place in a dev server's bundle (`.next/dev/server/chunks/ssr/x.js:42:183`), mapped back to the source it was
built from through the bundle's source map (`x.js.map`, plain or in sections as Turbopack writes them).

Next 16's own dev log keeps an error's message without its stack, so the only place it names is the bundle's; the
map beside the bundle says which line of `src/app/page.tsx` that is. Read-only, bounded, and only for a `.js` file
inside a `.next` folder: anything else, or a map that cannot be read, maps to nothing. A map is read through
`project_files` (a FIFO planted there is not waited on), never when larger than its bound (not even in part), and,
given the project it belongs to, never when it is a link that leads out of it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from prisma_doctor import project_files
from prisma_doctor.json_values import JsonObject, is_array, is_object

# Bounds the work on an event loop (the language server diagnoses as output comes): an app chunk's map is tens of KB.
MAX_MAP_BYTES = 4 * 1024 * 1024
_BASE64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def original_position(
    bundle: Path, line: int, column: int, *, project: Path | None = None, max_bytes: int = MAX_MAP_BYTES
) -> tuple[Path, int, int] | None:
    """The source file, one-based line and one-based column that the one-based `line` and `column` of `bundle` were
    built from, or None. With `project`, a map whose real path is outside it is not read."""
    if bundle.suffix != ".js" or ".next" not in bundle.parts:
        return None
    data = _read_map(bundle.with_name(bundle.name + ".map"), project, max_bytes)
    if data is None:
        return None
    found = _in_map(data, line - 1, column - 1)
    if found is None:
        return None
    source, source_line, source_column = found
    path = _source_path(source, bundle)
    return (path, source_line + 1, source_column + 1) if path is not None else None


def _read_map(path: Path, project: Path | None, max_bytes: int) -> JsonObject | None:
    """The map at `path` as JSON, or None: unreadable, not a regular file, larger than `max_bytes`, not JSON (a
    binary file), or outside `project` once its links are followed."""
    try:
        if project is not None and not path.resolve().is_relative_to(project.resolve()):
            return None
        with project_files.open_regular(path) as handle:
            if os.fstat(handle.fileno()).st_size > max_bytes:
                return None
            text = handle.read(max_bytes + 1)
        data = json.loads(text) if len(text) <= max_bytes else None
    except (OSError, ValueError, RecursionError):
        return None
    return data if is_object(data) else None


def _in_map(data: JsonObject, line: int, column: int, *, nested: bool = False) -> tuple[str, int, int] | None:
    """(source, zero-based line, zero-based column) at the zero-based `line` and `column` of the generated file."""
    sections = data.get("sections")
    if is_array(sections):
        if nested:
            return None  # an index map's sections hold plain maps (ECMA-426): one inside another is no map
        # In order: the last section that starts at or before the place holds it.
        placed = [(start, inner) for section in sections if (found := _section(section)) for start, inner in [found]]
        before = [(start, inner) for start, inner in placed if start <= (line, column)]
        if not before:
            return None
        (at, start_column), inner = before[-1]
        return _in_map(inner, line - at, column - start_column if line == at else column, nested=True)
    sources, mappings = data.get("sources"), data.get("mappings")
    if not is_array(sources) or not isinstance(mappings, str):
        return None
    segment = _segment(mappings, line, column)
    if segment is None or not 0 <= segment[0] < len(sources) or not isinstance(sources[segment[0]], str):
        return None
    source = sources[segment[0]]
    assert isinstance(source, str)
    root = data.get("sourceRoot")
    return ((root if isinstance(root, str) else "") + source, segment[1], segment[2])


def _section(section: object) -> tuple[tuple[int, int], JsonObject] | None:
    """A section's start (zero-based line and column) and its map."""
    if (
        not is_object(section)
        or not is_object(offset := section.get("offset"))
        or not is_object(inner := section.get("map"))
    ):
        return None
    line, column = offset.get("line"), offset.get("column", 0)
    return ((line, column), inner) if isinstance(line, int) and isinstance(column, int) else None


def _segment(mappings: str, line: int, column: int) -> tuple[int, int, int] | None:
    """The (source index, original line, original column) of the last segment of generated `line` at or before
    `column`. The fields other than the generated column are relative to the previous segment across lines, so every
    line before is decoded."""
    source = original_line = original_column = 0
    best: tuple[int, int, int] | None = None
    for number, text in enumerate(mappings.split(";")):
        if number > line:
            break
        generated = 0
        for piece in text.split(","):
            fields = _vlq(piece)
            if not fields:
                continue
            generated += fields[0]
            if len(fields) >= 4:
                source, original_line, original_column = (
                    source + fields[1],
                    original_line + fields[2],
                    original_column + fields[3],
                )
                if number == line and generated <= column:
                    best = (source, original_line, original_column)
    return best


def _vlq(text: str) -> list[int]:
    """The numbers of one segment, base64 VLQ as source maps write them (an unreadable one gives none)."""
    values: list[int] = []
    value = shift = 0
    for char in text:
        digit = _BASE64.get(char)
        if digit is None:
            return []
        value += (digit & 31) << shift
        if digit & 32:
            shift += 5
            continue
        values.append(-(value >> 1) if value & 1 else value >> 1)
        value = shift = 0
    return values


def _source_path(source: str, bundle: Path) -> Path | None:
    """A map's source as a file: `file:///abs/src/app/page.tsx`, an absolute path, or one relative to the map."""
    if source.startswith("file://"):
        return Path(unquote(urlsplit(source).path))
    if "://" in source:
        return None  # `turbopack:///[project]/...` and other virtual sources name no file here
    path = Path(source)
    return path if path.is_absolute() else (bundle.parent / path).resolve()
