"""Findings as text for a terminal: `file:line:column: severity: message [code]`, one per finding."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from typing import TextIO

from prisma_doctor.findings import Finding, Report


def relative(path: str) -> str:
    try:
        shown = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    return path if shown.startswith("..") else shown


def finding_line(finding: Finding) -> str:
    where = ""
    if finding.location is not None:
        where = relative(finding.location.file)
        if finding.location.span is not None:
            start = finding.location.span.start
            where += f":{start.line + 1}:{start.character + 1}"
        where += ": "
    count = f" (×{finding.count})" if finding.count > 1 else ""
    lines = [f"{where}{finding.severity.value}: {finding.message}{count} [{finding.code}]"]
    for related in finding.related:
        span = related.span
        position = f":{span.start.line + 1}:{span.start.character + 1}" if span else ""
        lines.append(f"    see {relative(related.file)}{position}")
    if finding.fixes:
        lines.append("    fixes: " + ", ".join(finding.fixes))
    return "\n".join(lines)


def print_findings(findings: Iterable[Finding], out: TextIO | None = None) -> None:
    # Resolved at call time, so that a redirected `sys.stdout` is honoured.
    out = out or sys.stdout
    for finding in findings:
        print(finding_line(finding), file=out)


def print_report(report: Report, as_json: bool, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    if as_json:
        json.dump(report.to_json(), out, indent=2, ensure_ascii=False)
        out.write("\n")
        return
    print_findings(report.findings, out)
    problems = sum(1 for f in report.findings if f.severity.value in ("error", "warning"))
    summary = {
        "in-sync": "in sync",
        "out-of-sync": f"out of sync ({problems} problem{'s' * (problems != 1)})",
    }
    print(f"{relative(report.project) or '.'}: {summary.get(report.state.value, 'unknown')}", file=out)
