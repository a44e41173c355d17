"""Findings as text for a terminal: `file:line:column: severity: message [code]`, one per finding.

A finding is one line however odd the names in it: a path holding a line break, an escape sequence or bytes that
are not UTF-8 is shown quoted and escaped as Python writes it (`'my\\napp/schema.prisma':3:1`), and the same
characters in a message (which may quote such a path) are escaped in place. JSON output keeps the text as it is.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable
from typing import TextIO

from prisma_doctor.findings import Finding, Report

# Control characters (C0, DEL, C1), the Unicode line and paragraph separators, and the lone surrogates that stand
# for undecodable bytes in a file name (printing one would raise UnicodeEncodeError).
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def relative(path: str) -> str:
    try:
        shown = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        shown = path
    return shown_path(path if shown.startswith("..") else shown)


def shown_path(path: str) -> str:
    """The path itself, or quoted and escaped (`repr`) when it holds a character that would break the line."""
    return repr(path) if _UNPRINTABLE.search(path) else path


def escaped(text: str) -> str:
    """`text` with each character that would break the line written as its escape (`\\n`, `\\x1b`, `\\udcff`)."""
    return _UNPRINTABLE.sub(lambda match: repr(match.group())[1:-1], text)


def escaped_paths(text: str, paths: Iterable[str]) -> str:
    """`text` with each of `paths` that holds a character which would break the line written escaped in place, before
    `text` is cut into its own lines: a child's output that quotes the project's folder, or a step's line naming a
    file in it, then keeps that path on one line (a folder named `p\\nrepair verified: ...` draws no verdict of
    ours), while the child's own line breaks stay."""
    for path in sorted({p for p in paths if _UNPRINTABLE.search(p)}, key=len, reverse=True):
        text = text.replace(path, escaped(path))
    return text


def finding_line(finding: Finding) -> str:
    where = ""
    if finding.location is not None:
        where = relative(finding.location.file)
        if finding.location.span is not None:
            start = finding.location.span.start
            where += f":{start.line + 1}:{start.character + 1}"
        where += ": "
    count = f" (×{finding.count})" if finding.count > 1 else ""
    lines = [f"{where}{finding.severity.value}: {escaped(finding.message)}{count} [{finding.code}]"]
    for related in finding.related:
        span = related.span
        position = f":{span.start.line + 1}:{span.start.character + 1}" if span else ""
        lines.append(f"    see {relative(related.file)}{position}")
    if finding.fixes:
        lines.append("    fixes: " + ", ".join(fix_with_command(fix) for fix in finding.fixes))
    return "\n".join(lines)


def fix_with_command(fix: str) -> str:
    """A fix id, with the command that carries it out when one does: `full-reset (prisma-doctor reset)`; else with
    what the person does by hand (`inspect-database-objects (by hand: list the triggers, ...)`)."""
    from prisma_doctor.cli.migrate import ACTIONS
    from prisma_doctor.findings import FIX_ADVICE, REPAIR_FOR_FIX

    kind = REPAIR_FOR_FIX.get(fix)
    if kind is None:
        advice = FIX_ADVICE.get(fix)
        return f"{fix} (by hand: {advice[:1].lower()}{advice[1:].removesuffix('.')})" if advice else fix
    command = next((f"migrate {action}" for action, named in ACTIONS.items() if named == kind), kind)
    return f"{fix} (prisma-doctor {command})"


def print_findings(findings: Iterable[Finding], out: TextIO | None = None) -> None:
    # Resolved at call time, so that a redirected `sys.stdout` is honoured.
    out = out or sys.stdout
    for finding in findings:
        print(finding_line(finding), file=out)


def print_json(data: object, out: TextIO | None = None) -> None:
    """`data` as indented JSON. A file name's undecodable bytes (lone surrogates, which no encoder writes) become
    `\\udcXX` escapes: still valid JSON, and `json.loads` + `os.fsencode` give the bytes back."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    (out or sys.stdout).write(_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text) + "\n")


def print_report(report: Report, as_json: bool, out: TextIO | None = None, database_skipped: str | None = None) -> None:
    """`database_skipped`: why the database was not asked, when it was not on purpose."""
    from prisma_doctor.status import database_not_compared, headline, problems_of

    out = out or sys.stdout
    if as_json:
        print_json(report.to_json(), out)
        return
    print_findings(report.findings, out)
    # The status bar's own words: the worst kind of problem, with how many there are.
    summary = {"in-sync": "in sync", "out-of-sync": headline(problems_of(report))}
    said = summary.get(report.state.value, "unknown")
    missing = database_not_compared(report)
    why = database_skipped or (escaped(missing) if missing is not None else None)
    if report.state.value == "in-sync" and why is not None:
        # Not a bare "in sync": what was compared, and what was not.
        said = f"client in sync with the schema; the database was not compared: {why}"
    print(f"{relative(report.project) or '.'}: {said}", file=out)
