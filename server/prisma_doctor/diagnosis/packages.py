"""A Prisma package that Node could not resolve at run time (`Cannot find package '@prisma/adapter-pg'`, `Cannot
find module '@prisma/client'`): decided against what is installed now, with the finding `check` gives for it.

A generated client (`.prisma/client`, a custom output) is not a package: generated.py decides it. Only a bare
specifier that names one of Prisma's packages (`prisma`, `@prisma/client`, `@prisma/adapter-*`, ...) comes here.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from prisma_doctor.diagnosis.context import Context, make_finding
from prisma_doctor.findings import Finding, Severity
from prisma_doctor.installed import (
    CLI,
    CLIENT,
    declared_packages,
    imports_runtime_package,
    installed_package,
    package_findings,
)
from prisma_doctor.logs import events as ev

PRISMA_SCOPE = "@prisma/"


def prisma_package(specifier: str) -> str | None:
    """The Prisma package a bare import names (`@prisma/client/runtime/client` -> `@prisma/client`), else None."""
    if specifier.startswith(PRISMA_SCOPE):
        parts = specifier.split("/")
        return "/".join(parts[:2]) if len(parts) > 1 and parts[1] else None
    if specifier == CLI or specifier.startswith(CLI + "/"):
        return CLI
    return None


def package_missing(event: ev.ClientModuleMissing, name: str, context: Context) -> Finding | None:
    """What `check` says of the package now: missing (its own finding, located where the output names the import),
    never declared, or installed since the output was printed. None for an `@prisma/client` that is installed now:
    what its import failed on is the generated client it loads (generated.py)."""
    where = context.resolve(event.location)
    said = f"`{event.specifier}` cannot be resolved ({event.tool})"
    data = {"specifier": event.specifier, "tool": event.tool, "package": name}
    facts = context.facts
    if facts is None:
        return make_finding(
            "prisma-packages-missing",
            f"{said}: the Prisma package `{name}` is not installed where the code runs. Install it.",
            where,
            ("install",),
            data,
        )
    root = Path(facts.root)
    outputs = [Path(output) for output in facts.outputs]
    starts = [output for output in outputs if output.is_dir() and imports_runtime_package(output)]
    for finding in package_findings(root, root, starts, where):
        if finding.code == "prisma-packages-missing" and name in finding.data.get("missing", ()):
            # The finding `check` gives, at the import the output names when it names one.
            return replace(finding, location=where or finding.location, data={**finding.data, **data})
    if name not in declared_packages(root):
        return make_finding(
            "prisma-packages-missing",
            f"{said}: package.json does not declare `{name}`, and Node does not find it from the project: add it to "
            "the project's dependencies and install.",
            where,
            (),
            data,
        )
    installed = installed_package(name, *starts, root).folder
    if name == CLIENT:
        return None
    return make_finding(
        "prisma-packages-missing",
        f"{said}, but it is installed now ({installed or root}): the process that printed this started before it "
        "was installed and loaded nothing since. Start it again.",
        where,
        ("restart-dev-server",),
        {**data, "installedSince": True},
        severity=Severity.INFO,
    )
