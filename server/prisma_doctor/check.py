"""The static check: the schema on disk against every generated client of every generator.

`inspect_project` gathers the facts (schema, generators, clients) once; the diagnosis of runtime errors and the
repair's verification reuse them rather than reading the project again.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from prisma_doctor import project_files
from prisma_doctor.clients.leftovers import from_this_schema, generated_from_elsewhere, old_outputs, writes_there
from prisma_doctor.clients.locate import (
    JS_GENERATOR,
    KNOWN_PROVIDERS,
    Generator,
    find_client_folders,
    find_generators,
)
from prisma_doctor.clients.read import ClientUnreadable, GeneratedClient, read_client
from prisma_doctor.drift import compare, compare_datasource, drift_findings
from prisma_doctor.findings import Finding, Location, Report, Severity, Span
from prisma_doctor.installed import installed_version
from prisma_doctor.offers import schema_broken, with_offers
from prisma_doctor.schema.locate import LoadedSchema, SchemaNotFound, load_schema, locate_schema
from prisma_doctor.schema.syntax import LineIndex
from prisma_doctor.snapshot import real_path

if TYPE_CHECKING:
    from prisma_doctor.database.readers import AppRun


class CheckSuperseded(Exception):
    """A check stopped at one of its checkpoints because its text is no longer the newest (`stop` said so): it has
    nothing to show, and the check of the newer text follows."""


def checkpoint(stop: Callable[[], bool] | None) -> None:
    """Between the stages of a check: stop here (`CheckSuperseded`) when `stop()` says newer text has come."""
    if stop is not None and stop():
        raise CheckSuperseded


@dataclass(frozen=True)
class ClientState:
    generator: Generator
    client: GeneratedClient | None
    # Why there is no readable client, when there is none.
    problem: str | None = None
    stale_copies: tuple[GeneratedClient, ...] = ()
    # Clients this generator wrote at an output it no longer uses.
    left_behind: tuple[GeneratedClient, ...] = ()


@dataclass(frozen=True)
class ProjectState:
    root: Path
    schema: LoadedSchema | None
    clients: tuple[ClientState, ...]
    installed_prisma: str | None
    report: Report
    # How the app runs (`readers.app_runs`): each running dev server with the environment it started with, else each
    # app folder with this process's; decided once by the whole check (`full_check.inspect_whole`), and which
    # database the app reads. Empty (not decided): the app's folders with this process's environment stand for it.
    running: tuple[AppRun, ...] = ()


def check_project(root: Path, schema_path: Path | None = None) -> Report:
    return inspect_project(root, schema_path).report


def inspect_project(
    root: Path,
    schema_path: Path | None = None,
    overrides: Mapping[str, str] | None = None,
    earlier: LoadedSchema | None = None,
    stop: Callable[[], bool] | None = None,
) -> ProjectState:
    """The schema against every generated client. `earlier`: the schema as the project's last check read it (a
    language server's, between edits), to read again only from where each file changed. `stop`: asked between
    stages; when it says true, the check raises `CheckSuperseded` (a language server's check of text already edited
    again)."""
    root = real_path(root)
    try:
        source = locate_schema(root, schema_path)
    except SchemaNotFound as error:
        finding = Finding("schema-unreadable", Severity.ERROR, f"{error}.", None, ("edit-schema",))
        findings = [*_package_json_findings(root), finding]
        return ProjectState(root, None, (), None, Report.from_findings(str(root), findings, known=False))
    schema = load_schema(source, dict(overrides or {}), earlier)
    checkpoint(stop)
    findings: list[Finding] = [*_package_json_findings(root), *_schema_findings(schema)]
    # Prisma cannot load a schema that does not validate: a difference where it is wrong is that error (said
    # already), and no repair that runs Prisma on it can succeed until it is fixed (offers.py).
    broken = _BrokenParts(schema) if schema_broken(findings) else None
    installed = installed_version("prisma", source.schema_dir, root)
    states: list[ClientState] = []
    generators = [g for g in find_generators(schema, root) if g.provider in KNOWN_PROVIDERS]
    searched = find_client_folders(root) if generators else []
    for generator in generators:
        checkpoint(stop)
        state = replace(_client_state(generator), left_behind=tuple(old_outputs(generator, root, searched)))
        states.append(state)
        findings.extend(_client_findings(schema, state, root, installed, len(generators) > 1, broken))
    if not generators and not any(f.code in ("schema-unreadable", "schema-invalid") for f in findings):
        findings.append(_no_client_generator(schema))  # (a schema that cannot be read says why already)
    known = bool(states) and not any(f.code == "schema-unreadable" for f in findings)
    if broken is not None:
        findings = with_offers(findings, dev_server_running=False, migrations=None, schema_valid=False)
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
        Finding(
            "schema-invalid",
            Severity.ERROR,
            f"Schema: {error.message[:1].upper() + error.message[1:]}. Prisma refuses it, so `generate` fails.",
            Location(path, error.span),
            ("edit-schema",),
        )
        for path, error in schema.validation_errors
    )
    findings.extend(
        Finding("schema-unreadable", Severity.WARNING, problem[:1].upper() + problem[1:] + ".", None)
        for problem in schema.read_errors
    )
    return findings


class _BrokenParts:
    """Where the schema is wrong: each validation error's range, and the whole block of each syntax error (the
    parser may have dropped or misread its members, so what the block means is in doubt). Kept per file as sorted,
    disjoint ranges, so that a schema of thousands of errors is asked about thousands of differences in n log n."""

    def __init__(self, schema: LoadedSchema) -> None:
        ranges: dict[str, list[tuple[_Point, _Point]]] = {}
        for path, error in schema.validation_errors:
            ranges.setdefault(path, []).append(_range(error.span))
        for schema_file in schema.files:
            blocks = sorted((_range(b.span) for b in schema_file.blocks), key=lambda r: r[0])
            starts = [start for start, _ in blocks]
            for error in schema_file.errors:
                wrong = _range(error.span)
                block = _covering(blocks, starts, wrong)
                ranges.setdefault(schema_file.path, []).append(block or wrong)
        self._ranges = {path: _merged(found) for path, found in ranges.items()}
        self._starts = {path: [start for start, _ in found] for path, found in self._ranges.items()}

    def holds(self, location: Location | None) -> bool:
        if location is None or location.span is None or location.file not in self._ranges:
            return False
        return _covering(self._ranges[location.file], self._starts[location.file], _range(location.span)) is not None


_Point = tuple[int, int]


def _range(span: Span) -> tuple[_Point, _Point]:
    return (span.start.line, span.start.character), (span.end.line, span.end.character)


def _covering(
    ranges: list[tuple[_Point, _Point]], starts: list[_Point], wanted: tuple[_Point, _Point]
) -> tuple[_Point, _Point] | None:
    """Of sorted `ranges` (their `starts`), the last one that starts by `wanted`'s end, when it overlaps it. Of
    disjoint ranges it is the only one that may: an earlier one that reaches `wanted` is followed by one that does."""
    index = bisect.bisect_right(starts, wanted[1]) - 1
    if index < 0 or ranges[index][1] < wanted[0]:
        return None
    return ranges[index]


def _merged(ranges: list[tuple[_Point, _Point]]) -> list[tuple[_Point, _Point]]:
    merged: list[tuple[_Point, _Point]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _no_client_generator(schema: LoadedSchema) -> Finding:
    """Why the state is unknown when the schema has no client to compare with: said, not left to an empty report."""
    files = ", ".join(str(f) for f in schema.source.files[:3]) + (" ..." if len(schema.source.files) > 3 else "")
    return Finding(
        "no-client-generator",
        Severity.INFO,
        f"The schema ({files}) declares no `prisma-client-js` or `prisma-client` generator, so there is no client "
        "to compare it with. If it is one file of a multi-file schema, check the folder.",
        Location(str(schema.source.main_file), None),
        ("edit-schema",),
    )


def _package_json_findings(root: Path) -> list[Finding]:
    """A package.json that is not JSON: its `prisma.schema` and `packageManager` are silently unknown otherwise, and
    npm, pnpm and Prisma's own CLI all fail on it with messages that do not say so."""
    path = root / "package.json"
    try:
        text = project_files.read_bytes(path).decode("utf-8-sig")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as error:
        problem, span = f"cannot be read as UTF-8 text ({error})", None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            # Some of json's messages end in "at", to be followed by a position ("Unterminated string starting at").
            reason = error.msg.removesuffix(" at")
            problem = f"is not valid JSON: {reason} at line {error.lineno}, column {error.colno}"
            span = LineIndex(text).span(error.pos, error.pos + 1)
        except (ValueError, RecursionError) as error:  # a number too long to convert, nesting too deep
            problem, span = f"cannot be read as JSON ({error})", None
        else:
            if isinstance(data, dict):
                return []
            problem, span = f"holds a JSON {type(data).__name__}, not an object", Span.at(0)
    return [
        Finding(
            "package-json-invalid",
            Severity.WARNING,
            f"package.json {problem}. Its `prisma` settings and `packageManager` cannot be read, so the defaults "
            "are used; npm, pnpm and `prisma generate` will fail on it too. Fix the file.",
            Location(str(path), span),
        )
    ]


def _client_state(generator: Generator) -> ClientState:
    stale: list[GeneratedClient] = []
    for copy in generator.other_copies:
        try:
            client = read_client(copy)
        except ClientUnreadable:
            continue
        # In a workspace the root's store also holds the clients of the other projects.
        if from_this_schema(client, generator):
            stale.append(client)
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


def _client_findings(
    schema: LoadedSchema,
    state: ClientState,
    root: Path,
    installed: str | None,
    several: bool = False,
    broken: _BrokenParts | None = None,
) -> list[Finding]:
    """`broken`: where the schema is wrong, when it does not validate (None when it does)."""
    generator = state.generator
    at_generator = Location(generator.schema_file, generator.block.name_span)
    label = f"{generator.provider} `{generator.name}` at {_shown_path(generator.output, root)}"
    if state.client is None:
        return [
            *_left_behind_findings(state, root),
            Finding(
                "client-not-generated",
                Severity.ERROR,
                f"Generator `{generator.name}` ({generator.provider}) has no client: {state.problem}"
                f"{_older_copies(state, root)}. Run `prisma generate`.",
                at_generator,
                ("regenerate", "full-reset"),
                data={"generator": generator.name, "output": str(generator.output or "")},
            ),
        ]
    elsewhere = generated_from_elsewhere(state.client, generator)
    if elsewhere is not None:
        return [_shared_output_finding(generator, state.client, elsewhere, root, at_generator)]
    drifts = compare(schema.datamodel, state.client.datamodel, at_generator, schema.files)
    drifts += compare_datasource(schema.files, state.client.datasource_provider)
    if broken is not None:
        drifts = [d for d in drifts if not broken.holds(d.location)]
    findings = drift_findings(drifts, label, generator.name if several else None, once_valid=broken is not None)
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
    findings.extend(_left_behind_findings(state, root))
    stale = [c for c in state.stale_copies if compare(schema.datamodel, c.datamodel, None)]
    if stale:
        paths = ", ".join(f"{_shown_path(c.path, root)} (Prisma {c.version or 'unknown'})" for c in stale)
        findings.append(
            Finding(
                "client-stale-copies",
                Severity.WARNING,
                f"{len(stale)} other cop{'y' if len(stale) == 1 else 'ies'} of the `{generator.name}` client "
                f"{'was' if len(stale) == 1 else 'were'} generated from an older schema: {paths}. Code that "
                "resolves another @prisma/client version loads them.",
                at_generator,
                ("full-reset",),
                data={"generator": generator.name, "copies": [str(c.path) for c in stale]},
            )
        )
    return findings


def _shared_output_finding(
    generator: Generator, client: GeneratedClient, elsewhere: Path, root: Path, at_generator: Location
) -> Finding:
    shown = _shown_path(generator.output, root)
    data = {"drift": "other-schema", "generator": generator.name, "schema": str(elsewhere)}
    if writes_there(client, elsewhere):
        return Finding(
            "client-out-of-sync",
            Severity.ERROR,
            f"The client at {shown} was generated from another schema, {elsewhere}: two projects generate into the "
            "same place and the last `prisma generate` wins. Give the generator its own `output`, then regenerate.",
            at_generator,
            ("regenerate", "edit-schema"),
            data={**data, "shared": True},
        )
    return Finding(
        "client-out-of-sync",
        Severity.ERROR,
        f"The client at {shown} was generated for another schema, {elsewhere}, and copied here (with a copied "
        "project or folder): it is not this schema's client. Regenerate it here.",
        at_generator,
        ("regenerate",),
        data={**data, "shared": False},
    )


def _older_copies(state: ClientState, root: Path) -> str:
    """Where the clients generated before are, when `@prisma/client` moved to another pnpm store folder."""
    if not state.stale_copies:
        return ""
    copies = ", ".join(f"{_shown_path(c.path, root)} (Prisma {c.version or 'unknown'})" for c in state.stale_copies)
    return f"; @prisma/client now resolves to another pnpm folder, and the client generated before is in {copies}"


def _left_behind_findings(state: ClientState, root: Path) -> list[Finding]:
    generator = state.generator
    output_property = generator.block.property("output")
    span = output_property.span if output_property is not None else generator.block.name_span
    now = _shown_path(generator.output, root) if generator.declared_output else "its default place"
    return [
        Finding(
            "client-output-moved",
            Severity.WARNING,
            f"Generator `{generator.name}` now writes its client to {now}, but the client it generated before "
            f"(Prisma {old.version or 'unknown'}, {old.generated_at:%Y-%m-%d %H:%M} UTC) is still at "
            f"{_shown_path(old.path, root)}. Code that imports from there gets the old client: update the imports, "
            "then delete the old folder.",
            Location(generator.schema_file, span),
            data={"generator": generator.name, "old_output": str(old.path), "output": str(generator.output or "")},
        )
        for old in state.left_behind
    ]


def _shown_path(path: Path | None, root: Path) -> str:
    if path is None:
        return "(unknown output)"
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
