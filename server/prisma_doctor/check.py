"""The static check: the schema on disk against every generated client of every generator.

`inspect_project` gathers the facts (schema, generators, clients) once; the diagnosis of runtime errors and the
repair's verification reuse them rather than reading the project again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from prisma_doctor.clients.locate import (
    JS_GENERATOR,
    KNOWN_PROVIDERS,
    Generator,
    find_generators,
    find_package,
)
from prisma_doctor.clients.read import ClientUnreadable, GeneratedClient, read_client
from prisma_doctor.drift import compare, drift_findings
from prisma_doctor.findings import Finding, Location, Report, Severity
from prisma_doctor.schema.locate import LoadedSchema, SchemaNotFound, load_schema, locate_schema


@dataclass(frozen=True)
class ClientState:
    generator: Generator
    client: GeneratedClient | None
    # Why there is no readable client, when there is none.
    problem: str | None = None
    stale_copies: tuple[GeneratedClient, ...] = ()


@dataclass(frozen=True)
class ProjectState:
    root: Path
    schema: LoadedSchema | None
    clients: tuple[ClientState, ...]
    installed_prisma: str | None
    report: Report


def check_project(root: Path, schema_path: Path | None = None) -> Report:
    return inspect_project(root, schema_path).report


def inspect_project(
    root: Path, schema_path: Path | None = None, overrides: Mapping[str, str] | None = None
) -> ProjectState:
    root = root.resolve()
    try:
        source = locate_schema(root, schema_path)
    except SchemaNotFound as error:
        finding = Finding("schema-unreadable", Severity.ERROR, f"{error}.", None, ("edit-schema",))
        return ProjectState(root, None, (), None, Report.from_findings(str(root), [finding], known=False))
    schema = load_schema(source, dict(overrides or {}))
    findings: list[Finding] = [*_schema_findings(schema)]
    installed = _installed_version("prisma", source.schema_dir, root)
    states: list[ClientState] = []
    for generator in find_generators(schema, root):
        if generator.provider not in KNOWN_PROVIDERS:
            continue
        state = _client_state(generator)
        states.append(state)
        findings.extend(_client_findings(schema, state, root, installed))
    known = bool(states) and not any(f.code == "schema-unreadable" for f in findings)
    return ProjectState(root, schema, tuple(states), installed, Report.from_findings(str(root), findings, known=known))


def _schema_findings(schema: LoadedSchema) -> list[Finding]:
    findings = [
        Finding(
            "schema-invalid",
            Severity.ERROR,
            f"Schema syntax: {error.message}.",
            Location(path, error.span),
            ("edit-schema",),
        )
        for path, error in schema.syntax_errors
    ]
    findings.extend(
        Finding("schema-unreadable", Severity.WARNING, problem[:1].upper() + problem[1:] + ".", None)
        for problem in schema.read_errors
    )
    return findings


def _client_state(generator: Generator) -> ClientState:
    stale: list[GeneratedClient] = []
    for copy in generator.other_copies:
        try:
            stale.append(read_client(copy))
        except ClientUnreadable:
            continue
    if generator.output is None:
        problem = (
            "`@prisma/client` is not installed, so the default output of prisma-client-js is unknown"
            if generator.provider == JS_GENERATOR
            else "the generator has no `output`, which prisma-client requires"
        )
        return ClientState(generator, None, problem, tuple(stale))
    if not generator.output.is_dir():
        return ClientState(generator, None, f"nothing has been generated at {generator.output}", tuple(stale))
    try:
        return ClientState(generator, read_client(generator.output), None, tuple(stale))
    except ClientUnreadable as error:
        return ClientState(generator, None, str(error), tuple(stale))


def _client_findings(schema: LoadedSchema, state: ClientState, root: Path, installed: str | None) -> list[Finding]:
    generator = state.generator
    at_generator = Location(generator.schema_file, generator.block.name_span)
    label = f"{generator.provider} `{generator.name}` at {_shown_path(generator.output, root)}"
    if state.client is None:
        return [
            Finding(
                "client-not-generated",
                Severity.ERROR,
                f"Generator `{generator.name}` ({generator.provider}) has no client: {state.problem}. "
                "Run `prisma generate`.",
                at_generator,
                ("regenerate", "full-reset"),
                data={"generator": generator.name, "output": str(generator.output or "")},
            )
        ]
    findings = drift_findings(compare(schema.datamodel, state.client.datamodel, at_generator), label)
    if installed and state.client.version and installed != state.client.version:
        findings.append(
            Finding(
                "client-version-mismatch",
                Severity.WARNING,
                f"The client of generator `{generator.name}` was generated by Prisma {state.client.version}, "
                f"but Prisma {installed} is installed. Regenerate the client.",
                at_generator,
                ("regenerate",),
                data={"generator": generator.name, "client": state.client.version, "installed": installed},
            )
        )
    stale = [c for c in state.stale_copies if compare(schema.datamodel, c.datamodel, None)]
    if stale:
        paths = ", ".join(_shown_path(c.path, root) for c in stale)
        findings.append(
            Finding(
                "client-stale-copies",
                Severity.WARNING,
                f"{len(stale)} other cop{'y' if len(stale) == 1 else 'ies'} of the `{generator.name}` client "
                f"differ from the schema ({paths}); code that resolves another @prisma/client version loads them.",
                at_generator,
                ("full-reset",),
                data={"generator": generator.name, "copies": [str(c.path) for c in stale]},
            )
        )
    return findings


def _installed_version(package: str, *starts: Path) -> str | None:
    for start in starts:
        folder = find_package(package, start)
        if folder is None:
            continue
        try:
            version = json.loads((folder / "package.json").read_text(encoding="utf-8")).get("version")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(version, str):
            return version
    return None


def _shown_path(path: Path | None, root: Path) -> str:
    if path is None:
        return "(unknown output)"
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
