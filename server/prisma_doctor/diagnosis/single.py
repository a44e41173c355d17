"""Problems with one cause each: data errors, an unreachable database, engines, environment, schema, migrations."""

from __future__ import annotations

import re
from pathlib import Path

from prisma_doctor.catalogue import DATABASE_SIDE, CauseClass, entry_for, match_message
from prisma_doctor.diagnosis.context import Context, make_finding, on_model
from prisma_doctor.diagnosis.facts import ProjectFacts
from prisma_doctor.findings import Finding, Location, Severity
from prisma_doctor.logs import events as ev

# `query_engine-windows.dll.node.tmp4242`: the name a generate writes the engine under before it renames it.
_TEMPORARY_SUFFIX = re.compile(r"\.tmp\d*$")


# Everything with one cause.
def single_cause(event: ev.Event, context: Context) -> Finding | None:
    where = context.resolve(getattr(event, "source", None)) if isinstance(event, ev.ClientError) else None
    if isinstance(event, ev.UniqueConstraintFailed):
        fields = ", ".join(event.fields)
        return make_finding(
            "unique-constraint-failed",
            f"A write broke the unique constraint on ({fields}){on_model(event.model)}: the data, not the setup, is "
            "the problem.",
            where,
            (),
            {"fields": list(event.fields), "model": event.model},
            severity=Severity.INFO,
        )
    if isinstance(event, ev.RecordNotFound):
        return make_finding(
            "record-not-found",
            f"A record that the operation needed was not found{on_model(event.model)}: the data, not the setup, is the "
            "problem.",
            where,
            (),
            {"model": event.model},
            severity=Severity.INFO,
        )
    if isinstance(event, ev.DatabaseUnreachable):
        # A driver adapter's pool timeout names no address: the project's URL (its password masked) does.
        probe = context.facts.database if context.facts is not None else None
        address = event.address or (probe.shown if probe is not None else None)
        if context.facts is not None and context.facts.provider == "sqlite" and event.address:
            # Prisma says this of a database server; this project's database is a file, which has no server.
            return make_finding(
                "db-unreachable",
                f"The output says a database server at {event.address} cannot be reached, but this project's database "
                "is SQLite, a file with no server: the message comes from another program (or is text the app "
                "printed), not from this project's Prisma Client. What decides: which process printed it.",
                where,
                (),
                {"address": event.address, "decided": False},
                severity=Severity.INFO,
            )
        return make_finding(
            "db-unreachable",
            f"The database server{' at ' + address if address else ''} cannot be reached: start it or check the "
            "connection string.",
            where,
            (),
            {"address": address},
        )
    if isinstance(event, ev.ClientNotInitialized):
        # The client `@prisma/client` loads is the default output's, when a generator writes there.
        outputs = context.facts.outputs if context.facts is not None else ()
        default = next((o for o in outputs if o.replace("\\", "/").endswith("node_modules/.prisma/client")), None)
        return make_finding(
            "client-not-generated",
            "`@prisma/client` was imported but never generated: run `prisma generate`.",
            None,
            ("regenerate", "restart-dev-server"),
            {"output": default} if default is not None else {},
        )
    if isinstance(event, ev.EngineNotFound):
        return make_finding(
            "engine-unavailable",
            f"The client could not find its query engine{' for ' + event.runtime if event.runtime else ''}: "
            "regenerate it on this machine.",
            where,
            ("regenerate",),
            {"runtime": event.runtime},
        )
    if isinstance(event, ev.EngineLibraryInvalid):
        return make_finding(
            "engine-unavailable",
            f"The query engine {event.path} is there but cannot be loaded: a damaged file, or one built for another "
            "system (`binaryTargets`). Regenerate the client on this machine.",
            where,
            ("regenerate",),
            {"path": event.path},
        )
    if isinstance(event, ev.EngineDownloadFailed):
        return make_finding(
            "engine-unavailable",
            _engine_download_message(event, context.facts),
            None,
            (),
            {"url": event.url, "reason": event.reason},
        )
    if isinstance(event, ev.EnvVarMissing):
        return make_finding(
            "env-missing",
            f"The environment variable `{event.name}` is not set (with prisma.config.ts present, Prisma does not "
            "load .env): set it.",
            context.resolve(event.schema_location),
            ("set-env-var",),
            {"name": event.name},
        )
    if isinstance(event, ev.EngineLocked):
        from prisma_doctor.holders import processes_holding

        holders = processes_holding(engine) if (engine := _engine_file(event.path, context)) else []
        who = ", ".join(h.describe() for h in holders)
        return make_finding(
            "engine-locked",
            f"{event.error}: the query engine {event.path} is in use"
            f"{' by ' + who if who else ' by a running process (usually the dev server)'}; stop it, then "
            "regenerate.",
            None,
            ("stop-locking-process", "regenerate"),
            {"path": event.path, "error": event.error, "holders": [h.to_json() for h in holders]},
        )
    if isinstance(event, ev.SchemaInvalid):
        first = event.problems[0] if event.problems else None
        count = len(event.problems)
        return make_finding(
            "schema-invalid",
            f"The schema does not validate ({count} error{'s' if count != 1 else ''})"
            f"{': ' + first.message if first else ''}",
            context.resolve(first.location) if first else None,
            ("edit-schema",),
            {"problems": [p.message for p in event.problems]},
            tuple(loc for p in event.problems[1:] if (loc := context.resolve(p.location)) is not None),
        )
    if isinstance(event, ev.MigrationsPending):
        return make_finding(
            "migrations-pending",
            f"{len(event.names)} migration(s) have not been applied to the database: {', '.join(event.names)}.",
            None,
            ("migrate-deploy", "migrate-dev"),
            {"migrations": list(event.names)},
        )
    if isinstance(event, ev.MigrationFailed) and event.reason == ev.SHADOW_DATABASE:
        names = ", ".join(event.names)
        return make_finding(
            "migration-failed",
            f"The migration {names} fails on a fresh database (`migrate dev`'s shadow database, P3006): its SQL "
            "needs something no earlier migration creates (a table made by hand or by `db push`). Fix its SQL, or "
            "create what it needs in a migration before it.",
            None,
            (),
            {"migrations": list(event.names), "shadow_database": True},
        )
    if isinstance(event, ev.MigrationFailed):
        names = ", ".join(event.names) or "a migration"
        return make_finding(
            "migration-failed",
            f"The migration {names} failed to apply: fix its SQL, then mark it with `prisma migrate resolve`.",
            None,
            (),
            {"migrations": list(event.names)},
        )
    if isinstance(event, ev.DataLossRefused):
        what = f"the column `{event.column}` of `{event.table}`" if event.column else f"the table `{event.table}`"
        held = f", which holds {event.rows} value(s)" if event.rows is not None else ", which holds data"
        return make_finding(
            "data-loss-refused",
            f"Applying the schema would drop {what}{held}, so Prisma stopped. If it was renamed, write a migration "
            "that renames it (`prisma migrate dev --create-only`, then edit its SQL); if the data may go, run the "
            "command again with `--accept-data-loss`.",
            None,
            (),
            {"table": event.table, "column": event.column, "rows": event.rows},
            severity=Severity.WARNING,
        )
    if isinstance(event, ev.DatabaseDrift):
        return make_finding(
            "db-drift",
            "The database schema differs from what the migrations describe (`migrate dev` then asks to reset it, and "
            "all its data is lost): if the database's changes are wanted, write them into a migration first "
            "(`prisma migrate diff --from-migrations ... --to-schema-datasource ...`), else reset.",
            None,
            ("migrate-dev",),
            {},
        )
    if isinstance(event, ev.OtherClientError):
        return catalogued(event, where)
    return None


def catalogued(event: ev.ClientError, where: Location | None) -> Finding | None:
    """A client error the rules above have no cause for, told by its catalogue row (docs/errors.md)."""
    entry = entry_for(event.code) or match_message(event.text)
    if entry is None:
        return None
    meanings = "; ".join(entry.meanings)
    data_error = entry.cause is CauseClass.DATA
    return make_finding(
        "prisma-error",
        f"{entry.code} {entry.title}{on_model(event.model)}: {meanings}"
        f"{' (the data, not the setup, is the problem)' if data_error else ''}. {entry.fix}"
        f"{' Decides: ' + ' '.join(entry.questions) if len(entry.meanings) > 1 and entry.questions else ''}",
        where,
        entry.fixes,
        {"prisma_code": entry.code, "cause_class": entry.cause.value, "database_side": entry.cause in DATABASE_SIDE},
        severity=Severity.INFO if data_error else Severity.ERROR,
    )


def _engine_download_message(event: ev.EngineDownloadFailed, facts: ProjectFacts | None) -> str:
    """What to do when the CLI cannot download an engine, by the Prisma version: 5 has only native engines; 6 (from
    6.16) can run its client without the native query engine (`engineType = "client"`), yet its CLI still fetches
    the engine library for `generate`; 7 has no native query engine, and its schema engine has no stand-in."""
    reason = f" ({event.reason})" if event.reason else ""
    version = facts.prisma_version if facts is not None else None
    client_engine = facts is not None and "client" in facts.engine_types
    major, minor = _version(version)
    cli = f"The Prisma CLI {version}" if version else "The Prisma CLI"
    variables = (
        "set PRISMA_QUERY_ENGINE_LIBRARY (for `generate`) and PRISMA_SCHEMA_ENGINE_BINARY (for `migrate` and "
        "`db push`) to engine files you have"
    )
    if "schema-engine" in (event.url or ""):
        # The download that failed names the engine: Prisma 6's `generate` fetches the schema engine too.
        variables = (
            "set PRISMA_SCHEMA_ENGINE_BINARY (the engine whose download failed here, which `generate` fetches too) "
            "and PRISMA_QUERY_ENGINE_LIBRARY to engine files you have"
        )
    if major is not None and major >= 7:
        return (
            f"{cli} could not download its schema engine{reason}: `migrate` and `db push` run it (no driver adapter "
            "stands in for it on Prisma 7), and `generate` looks for it first. Give the CLI network access, or set "
            "PRISMA_SCHEMA_ENGINE_BINARY to a schema-engine binary you have."
        )
    if major is not None and major <= 5:
        return (
            f"{cli} could not download an engine{reason}: Prisma {major} runs only native engines (it has no "
            f'`engineType = "client"`). Give the CLI network access, or {variables}.'
        )
    if major == 6 and client_engine:
        return (
            f'{cli} could not download an engine{reason}, though the generator already has `engineType = "client"`: '
            f"Prisma 6's CLI still fetches the native engines for `generate`. Give the CLI network access, or "
            f"{variables} (for `generate` any file there will do)."
        )
    if major == 6 and minor is not None and minor >= 16:
        return (
            f"{cli} could not download an engine{reason}: give the CLI network access, or {variables}. "
            f'(`engineType = "client"` with a driver adapter spares the app the native query engine, not the CLI.)'
        )
    return f"{cli} could not download an engine{reason}: give the CLI network access, or {variables}."


def _version(version: str | None) -> tuple[int | None, int | None]:
    """`6.17.1` -> (6, 17); (None, None) when it cannot be read."""
    parts = (version or "").split(".")
    major = int(parts[0]) if parts[0].isdigit() else None
    minor = int(parts[1]) if major is not None and len(parts) > 1 and parts[1].isdigit() else None
    return major, minor


def _engine_file(printed: str, context: Context) -> str | None:
    """The engine file a locking error names, when it is this project's: the log may name it as the process wrote
    it (`query_engine-windows.dll.node.tmp4242`), relative to the dev server's folder. A file of the same name in
    another project is not this one's, and its holder is not ours to stop. Without a project, the file as named."""
    path = _TEMPORARY_SUFFIX.sub("", printed.strip("'\""))
    if context.facts is None:
        return path
    roots = {Path(r).resolve() for r in (context.facts.root, context.facts.source_root) if r}
    # Relative to the dev server's folder, as `resolve` reads a frame.
    absolute = (Path(context.facts.source_root or context.facts.root) / path).resolve()
    return str(absolute) if any(absolute.is_relative_to(r) for r in roots) else None
