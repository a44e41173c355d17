"""Between the core's values and LSP's: findings to diagnostics, paths to URIs, LSPAny to plain Python."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from prisma_doctor import project_files
from prisma_doctor.findings import Finding, Location, Severity

SOURCE = "prisma-doctor"
MAX_UNDERLINE = 120
# A document's diagnostics past this many are summed up in one: a 22 MB schema of errors made 400,000, which cost
# the server and the editor gigabytes, and no one reads past the first screens of them.
MAX_DIAGNOSTICS_PER_DOCUMENT = 1000

_SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
    Severity.HINT: types.DiagnosticSeverity.Hint,
}


def uri_of(path: str | Path) -> str:
    return from_fs_path(str(path)) or Path(path).as_uri()


def path_of(uri: str) -> Path | None:
    fs_path = to_fs_path(uri)
    return Path(fs_path) if fs_path else None


def plain(value: Any) -> Any:
    """LSPAny as plain Python: pygls hands JSON objects over as named tuples, not dicts."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def lsp_range(location: Location) -> types.Range:
    if location.span is None:
        return types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))
    start, end = location.span.start, location.span.end
    end_character = end.character
    if (start.line, start.character) == (end.line, end.character):
        # A stack frame names a point; underline the expression that starts there, as far as the line goes.
        end_character = start.character + _rest_of_line(location.file, start.line, start.character)
    return types.Range(
        start=types.Position(line=start.line, character=start.character),
        end=types.Position(line=end.line, character=end_character),
    )


def _rest_of_line(file: str, line: int, character: int) -> int:
    try:
        stamp = os.stat(file).st_mtime_ns
    except OSError:
        return 0
    return _line_rest(file, stamp, line, character)


@lru_cache(maxsize=256)
def _line_rest(file: str, stamp: int, line: int, character: int) -> int:
    """UTF-16 units from `character` to the end of `line` (trailing blanks and `;` left out), at most MAX_UNDERLINE."""
    try:
        with project_files.open_regular(file) as raw:
            for number, line_bytes in enumerate(raw):
                text = line_bytes.decode("utf-8", errors="replace")
                if number == line:
                    rest = text.rstrip("\r\n ;\t").encode("utf-16-le")[character * 2 :]
                    return min(len(rest) // 2, MAX_UNDERLINE)
    except OSError:
        pass
    return 0


def diagnostic(finding: Finding, project: str, location: Location) -> types.Diagnostic:
    """`location` is where this diagnostic is shown: the finding's own place or one of its related places."""
    others = [loc for loc in (finding.location, *finding.related) if loc is not None and loc != location]
    return types.Diagnostic(
        range=lsp_range(location),
        message=finding.message + (f" (×{finding.count})" if finding.count > 1 else ""),
        severity=_SEVERITIES[finding.severity],
        code=finding.code,
        source=SOURCE,
        related_information=[
            types.DiagnosticRelatedInformation(
                location=types.Location(uri=uri_of(o.file), range=lsp_range(o)), message="related"
            )
            for o in others
        ]
        or None,
        # What a code action needs to offer the fixes, without looking the finding up again.
        data={"project": project, "code": finding.code, "fixes": list(finding.fixes)},
    )


def diagnostics_by_file(findings: tuple[Finding, ...], project: str) -> dict[str, list[types.Diagnostic]]:
    """Every finding shown at its own place and at each related place (a runtime error's call site), at most
    `MAX_DIAGNOSTICS_PER_DOCUMENT` in a file, then one that says how many more there are."""
    by_file: dict[str, list[types.Diagnostic]] = {}
    left_out: dict[str, int] = {}
    for finding in findings:
        for location in (finding.location, *finding.related):
            if location is None or location.span is None:
                continue
            shown = by_file.setdefault(location.file, [])
            if len(shown) < MAX_DIAGNOSTICS_PER_DOCUMENT:
                shown.append(diagnostic(finding, project, location))
            else:
                left_out[location.file] = left_out.get(location.file, 0) + 1
    for file, count in left_out.items():
        by_file[file].append(_more_than_shown(count))
    return by_file


def _more_than_shown(count: int) -> types.Diagnostic:
    start = types.Position(line=0, character=0)
    return types.Diagnostic(
        range=types.Range(start=start, end=start),
        message=f"{count:,} more problems in this file are not shown: Prisma Doctor shows the first "
        f"{MAX_DIAGNOSTICS_PER_DOCUMENT:,}. Fix those, and the next ones appear.",
        severity=types.DiagnosticSeverity.Warning,
        source=SOURCE,
    )
