"""Prisma's error codes as data: one row per code, with what it can mean, its cause class and its fix.

Read from the sources that define them (prisma-engines' `libs/user-facing-errors`: `common.rs` P1xxx,
`query_engine/mod.rs` P2xxx, `schema_engine.rs` P3xxx/P4xxx; the client runtime's driver-adapter mapping in
Prisma 6/7, which adds P2036-P2039). Only the facts are kept: the code, the message's shape (a pattern over the
message's fixed words) and what the doctor says about it. Adding an error is adding a row.

Cause classes: a data error is never drift, and a database-side cause never gets a cache reset or a regeneration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class CauseClass(str, Enum):
    CLIENT_BEHIND = "client-or-dev-server-behind"
    DATABASE_BEHIND = "database-behind-or-differs"
    DATABASE_OBJECT = "database-object"
    DATA = "data"
    ENVIRONMENT = "environment"
    ENGINE = "engine-or-install"
    USAGE = "usage"


# Fixes that act on the client or the dev server: never offered for a database-side or data cause.
CLIENT_SIDE_FIXES = frozenset({"regenerate", "restart-dev-server", "full-reset"})
DATABASE_SIDE = frozenset({CauseClass.DATABASE_BEHIND, CauseClass.DATABASE_OBJECT, CauseClass.DATA})


@dataclass(frozen=True)
class Entry:
    code: str
    title: str
    shape: str  # a regular expression over the message's fixed words, as Prisma 5, 6 and 7 print it
    cause: CauseClass
    meanings: tuple[str, ...]  # what it can mean, likeliest first
    questions: tuple[str, ...]  # what tells the meanings apart
    fix: str
    fixes: tuple[str, ...] = ()  # fix ids (README) the finding offers


D, DB, OBJ, DATA, ENV, ENG, USAGE = (
    CauseClass.CLIENT_BEHIND,
    CauseClass.DATABASE_BEHIND,
    CauseClass.DATABASE_OBJECT,
    CauseClass.DATA,
    CauseClass.ENVIRONMENT,
    CauseClass.ENGINE,
    CauseClass.USAGE,
)
_NET = ("Is the database server running and listening where the URL says?", "Is the URL the one the app reads?")

CATALOGUE: tuple[Entry, ...] = (
    # common.rs: connecting and the schema.
    Entry(
        "P1000",
        "Authentication failed",
        r"Authentication failed against (?:the )?database server",
        ENV,
        ("wrong user or password in the URL",),
        ("Does `psql`/`mysql` log in with the same URL?",),
        "Correct the credentials in the connection URL.",
    ),
    Entry(
        "P1001",
        "Database not reachable",
        r"Can't reach database server",
        ENV,
        ("the database server is not running", "wrong host or port in the URL"),
        _NET,
        "Start the database or correct the host and port of the URL.",
    ),
    Entry(
        "P1002",
        "Database timed out",
        r"was reached but timed out",
        ENV,
        ("server overloaded or a lock held",),
        _NET,
        "Retry; look for long-running locks on the server.",
    ),
    Entry(
        "P1003",
        "Database does not exist",
        r"Database \S+ does not exist",
        DB,
        ("the database was never created", "the URL names another database"),
        ("Does the database named in the URL exist on the server?",),
        "Create it (`prisma migrate dev` creates it) or correct the URL.",
        ("migrate-dev",),
    ),
    Entry(
        "P1008",
        "Operations timed out",
        r"Operations? (?:timed out|has timed out)",
        ENV,
        ("a slow query or a lock",),
        ("Is another transaction holding a lock?",),
        "Retry; find the lock holder.",
    ),
    Entry(
        "P1009",
        "Database already exists",
        r"Database \S+ already exists",
        USAGE,
        ("the command creates a database that is there",),
        (),
        "Use the existing database or drop it first.",
    ),
    Entry(
        "P1010",
        "Access denied",
        r"was denied access on the database",
        ENV,
        ("the user lacks privileges",),
        ("Which grants does the user have?",),
        "Grant the user access.",
    ),
    Entry(
        "P1011",
        "TLS connection error",
        r"Error opening a TLS connection",
        ENV,
        ("certificate or sslmode mismatch",),
        ("Does the server require TLS? Is the CA trusted?",),
        "Fix `sslmode`/`sslcert` in the URL or the server's certificate.",
    ),
    Entry(
        "P1012",
        "Schema validation error",
        r"Prisma schema validation|Validation Error Count",
        USAGE,
        ("the schema does not validate", "an environment variable it reads is unset"),
        ("Does `prisma validate` pass?",),
        "Fix the schema at the lines reported.",
        ("edit-schema",),
    ),
    Entry(
        "P1013",
        "Invalid database string",
        r"The provided database string is invalid",
        ENV,
        ("a malformed URL (unescaped characters in the password)",),
        (),
        "Correct and URL-encode the URL.",
    ),
    Entry(
        "P1014",
        "Underlying table missing",
        r"The underlying table for model `[^`]+` does not exist",
        DB,
        ("the database was never migrated for this model",),
        ("Do the migrations create the table?",),
        "Apply the migrations (`prisma migrate deploy`).",
        ("migrate-deploy", "migrate-dev"),
    ),
    Entry(
        "P1015",
        "Database version unsupported",
        r"not supported for the version of the database",
        ENV,
        ("the schema uses features the server version lacks",),
        (),
        "Upgrade the database or drop the feature.",
    ),
    Entry(
        "P1016",
        "Raw query parameter count",
        r"incorrect number of parameters",
        USAGE,
        ("a raw query with mismatched placeholders",),
        (),
        "Match the placeholders and the values.",
    ),
    Entry(
        "P1017",
        "Connection closed",
        r"Server has closed the connection",
        ENV,
        ("the server restarted or dropped idle connections",),
        _NET,
        "Retry; check the server's logs.",
    ),
    Entry(
        "P1018",
        "Transaction already closed",
        r"Transaction already closed",
        USAGE,
        ("an interactive transaction used after its timeout",),
        (),
        "Keep the work inside the timeout.",
    ),
    Entry(
        "P1019",
        "Unsupported feature",
        r"P1019",
        USAGE,
        ("a feature the connector lacks",),
        (),
        "Avoid the feature on this database.",
    ),
    # query_engine/mod.rs: queries.
    Entry(
        "P2000",
        "Value too long",
        r"too long for the column's type",
        DATA,
        ("the value exceeds the column's length",),
        (),
        "Shorten the value or widen the column.",
    ),
    Entry(
        "P2001",
        "Record searched does not exist",
        r"The record searched for in the where condition",
        DATA,
        ("no record matches",),
        (),
        "Handle the missing record.",
    ),
    Entry(
        "P2002",
        "Unique constraint failed",
        r"Unique constraint failed on the",
        DATA,
        ("a duplicate value",),
        (),
        "Use another value or upsert; the data, not the setup, is the problem.",
    ),
    Entry(
        "P2003",
        "Foreign key constraint failed",
        r"Foreign key constraint (?:failed|violated) on the",
        DATA,
        ("the related record is missing or still referenced",),
        (),
        "Create the related record first.",
    ),
    Entry(
        "P2004",
        "Constraint failed",
        r"A constraint failed on the database",
        OBJ,
        ("a CHECK constraint or trigger refused the write",),
        ("Which constraint does the database name?",),
        "Read the constraint in the database; the client is not the cause.",
        ("inspect-database-objects",),
    ),
    Entry(
        "P2005",
        "Stored value invalid",
        r"stored in the database for the field `[^`]*` is invalid",
        DB,
        ("the column holds values the schema's type cannot read",),
        ("What type has the column?",),
        "Align the schema's type with the column, or the data with the type.",
    ),
    Entry(
        "P2006",
        "Provided value not valid",
        r"field `[^`]*` is not valid",
        USAGE,
        ("the code passes a wrong type",),
        (),
        "Pass a value of the field's type.",
    ),
    Entry(
        "P2007",
        "Data validation error",
        r"Data validation error|Invalid input value",
        DATA,
        ("the database refused the value",),
        (),
        "Correct the value.",
    ),
    Entry(
        "P2008",
        "Query parsing failed",
        r"Failed to parse the query",
        ENG,
        ("client and engine versions differ",),
        ("Do `prisma` and `@prisma/client` have the same version?",),
        "Install matching versions and regenerate.",
        ("regenerate",),
    ),
    Entry(
        "P2009",
        "Query validation failed",
        r"Failed to validate the query",
        D,
        ("a client older than the schema", "code ahead of the schema"),
        ("Is the client generated from the schema on disk?",),
        "Regenerate the client.",
        ("regenerate",),
    ),
    Entry(
        "P2010",
        "Raw query failed",
        r"Raw query failed\. Code:",
        USAGE,
        ("the raw SQL is wrong", "a trigger or constraint refused it"),
        ("What does the database code say?",),
        "Fix the raw SQL; read the database's code.",
    ),
    Entry(
        "P2011",
        "Null constraint violation",
        r"Null constraint violation on the",
        DATA,
        ("a required value is null", "the column is NOT NULL but the schema says optional"),
        ("Is the field optional in the schema and NOT NULL in the database?",),
        "Provide the value.",
    ),
    Entry(
        "P2012",
        "Missing required value",
        r"Missing a required value at",
        USAGE,
        ("the code omits a required field",),
        (),
        "Provide the field.",
    ),
    Entry(
        "P2013",
        "Missing required argument",
        r"Missing the required argument",
        USAGE,
        ("the code omits an argument",),
        (),
        "Provide the argument.",
    ),
    Entry(
        "P2014",
        "Required relation violated",
        r"would violate the required relation",
        DATA,
        ("a delete or disconnect would orphan a record",),
        (),
        "Change the related records first.",
    ),
    Entry(
        "P2015",
        "Related record not found",
        r"A related record could not be found",
        DATA,
        ("the related record is missing",),
        (),
        "Create it or change the reference.",
    ),
    Entry(
        "P2016",
        "Query interpretation error",
        r"Query interpretation error",
        USAGE,
        ("an unsupported query shape",),
        (),
        "Rewrite the query.",
    ),
    Entry(
        "P2017",
        "Records not connected",
        r"are not connected",
        DATA,
        ("the relation does not link these records",),
        (),
        "Connect them first.",
    ),
    Entry(
        "P2018",
        "Connected records not found",
        r"The required connected records were not found",
        DATA,
        ("a `connect` to a missing record",),
        (),
        "Connect an existing record.",
    ),
    Entry("P2019", "Input error", r"Input error\.", USAGE, ("a malformed argument",), (), "Fix the argument."),
    Entry(
        "P2020",
        "Value out of range",
        r"Value out of range for the type",
        DATA,
        ("the value does not fit the column",),
        (),
        "Use a value in range or a wider type.",
    ),
    Entry(
        "P2021",
        "Table does not exist",
        r"The table `[^`]*` does not exist in the current database",
        DB,
        (
            "the migration creating it was not applied",
            "the database differs (another URL)",
            "a view or trigger refers to a missing table",
        ),
        ("Does the database have the table?", "Does a migration create it?"),
        "Apply the migration that creates it.",
        ("migrate-deploy", "migrate-dev"),
    ),
    Entry(
        "P2022",
        "Column does not exist",
        r"The column `[^`]*` does not exist in the current database",
        DB,
        (
            "the migration adding it was not applied",
            "a dev server running an older client",
            "a trigger or view refers to a missing column",
        ),
        ("Does the table have the column?", "Is the name in the schema?", "Does a trigger mention it?"),
        "Apply the migration that adds it (see the ranked finding).",
        ("migrate-deploy", "migrate-dev"),
    ),
    Entry(
        "P2023",
        "Inconsistent column data",
        r"Inconsistent column data|Conversion error",
        DB,
        ("the column's data does not match the schema's type (an id that is not a UUID)",),
        (),
        "Align the data or the schema's type.",
    ),
    Entry(
        "P2024",
        "Connection pool timeout",
        r"Timed out fetching a new connection from the connection pool",
        ENV,
        ("too many clients (a PrismaClient per hot reload)", "a small pool for the load"),
        ("Is PrismaClient created once (a singleton)?",),
        "Reuse one client; raise `connection_limit`.",
    ),
    Entry(
        "P2025",
        "Required record not found",
        r"records that were required but not found|Record to (?:update|delete) "
        r"not found|No record was found",
        DATA,
        ("no record matches the where",),
        (),
        "Handle the missing record; the data, not the setup, is the problem.",
    ),
    Entry(
        "P2026",
        "Feature unsupported by the provider",
        r"doesn't support a feature that the query used",
        USAGE,
        ("the query uses a feature the database lacks",),
        (),
        "Avoid the feature.",
    ),
    Entry(
        "P2027",
        "Multiple database errors",
        r"Multiple errors occurred on the database",
        DB,
        ("several of the above at once",),
        (),
        "Read each error.",
    ),
    Entry(
        "P2028",
        "Transaction API error",
        r"Transaction API error",
        USAGE,
        ("a transaction timed out or was used after closing",),
        (),
        "Shorten it or raise its timeout.",
    ),
    Entry(
        "P2029",
        "Query parameter limit exceeded",
        r"Query parameter limit exceeded",
        USAGE,
        ("too many values in one query",),
        (),
        "Split the query.",
    ),
    Entry(
        "P2030",
        "Fulltext index missing",
        r"Cannot find a fulltext index",
        DB,
        ("the @@fulltext index is missing in the database",),
        (),
        "Add the index and migrate.",
        ("migrate-dev",),
    ),
    Entry(
        "P2031",
        "MongoDB replica set required",
        r"run as a replica set",
        ENV,
        ("a standalone MongoDB",),
        (),
        "Run MongoDB as a replica set.",
    ),
    Entry(
        "P2033",
        "Number does not fit",
        r"P2033",
        DATA,
        ("a number too large for a 64-bit integer",),
        (),
        "Use BigInt or a smaller value.",
    ),
    Entry(
        "P2034",
        "Write conflict or deadlock",
        r"write conflict or a deadlock",
        DATA,
        ("concurrent transactions",),
        (),
        "Retry the transaction.",
    ),
    Entry(
        "P2035",
        "Assertion violation",
        r"Assertion violation on the database",
        OBJ,
        ("a database assertion refused the write",),
        (),
        "Read the assertion in the database.",
        ("inspect-database-objects",),
    ),
    Entry(
        "P2036",
        "Error in external connector",
        r"Error in external connector",
        ENV,
        ("the driver adapter threw",),
        ("What does the adapter's own error say?",),
        "Read the adapter's error.",
    ),
    Entry(
        "P2037",
        "Too many connections",
        r"Too many database connections opened",
        ENV,
        ("a client per hot reload", "a small server limit"),
        ("Is PrismaClient created once?",),
        "Reuse one client (a singleton in development).",
    ),
    Entry(
        "P2039",
        "Database error (driver adapter)",
        r"Database error\. Code: `",
        OBJ,
        (
            "a trigger, constraint or function raised",
            "a view whose definition names what no longer exists (MySQL/MariaDB 1356: the view is named, and the "
            "database says what it misses)",
            "a connection the driver could not get (mariadb's 45028 pool timeout, 45012 connect timeout): the "
            "database is unreachable",
            "another database error the adapter passed on",
        ),
        ("What is `meta.driverAdapterError.cause.originalCode`?",),
        "Read the database's code; the client is not the cause.",
        ("inspect-database-objects",),
    ),
    # schema_engine.rs: migrate and db push.
    Entry(
        "P3000",
        "Database creation failed",
        r"Failed to create database",
        ENV,
        ("the user cannot create databases",),
        (),
        "Create it by hand or grant CREATEDB.",
    ),
    Entry(
        "P3004",
        "System database",
        r"is a system database",
        USAGE,
        ("the URL names a system database",),
        (),
        "Point the URL at your own database.",
    ),
    Entry(
        "P3005",
        "Database schema not empty",
        r"The database schema is not empty",
        DB,
        ("an existing database without migration history",),
        (),
        "Baseline it (`prisma migrate resolve`).",
    ),
    Entry(
        "P3006",
        "Migration fails on the shadow database",
        r"failed to apply cleanly to the shadow database",
        DB,
        ("a migration's SQL is wrong", "a migration edited after it was applied"),
        ("Which migration does the message name? Does its SQL run on an empty database?",),
        "Fix that migration's SQL.",
        (),
    ),
    Entry(
        "P3008",
        "Migration already applied",
        r"is already recorded as applied",
        USAGE,
        ("`migrate resolve --applied` twice",),
        (),
        "Nothing to do.",
    ),
    Entry(
        "P3009",
        "Failed migrations in the database",
        r"migrate found failed migrations",
        DB,
        ("an earlier deploy failed half-way",),
        ("Which migration failed, and what did it leave?",),
        "Fix the database, then `prisma migrate resolve --rolled-back|--applied`.",
    ),
    Entry(
        "P3014",
        "Shadow database not creatable",
        r"could not create the shadow database",
        ENV,
        ("the user cannot create databases",),
        (),
        "Grant CREATEDB or set `shadowDatabaseUrl`.",
    ),
    Entry(
        "P3015",
        "Migration file missing",
        r"Could not find the migration file",
        USAGE,
        ("a migration folder without migration.sql",),
        (),
        "Restore the file or delete the folder.",
    ),
    Entry(
        "P3017",
        "Migration to resolve not found",
        r"The migration \S+ could not be found",
        USAGE,
        ("a wrong migration name",),
        (),
        "Pass the whole folder name.",
    ),
    Entry(
        "P3018",
        "Migration failed to apply",
        r"A migration failed to apply",
        DB,
        ("the migration's SQL fails on this database (existing data, a missing object)",),
        ("What is the database error under `Database error:`?",),
        "Fix the database or the SQL, then `prisma migrate resolve`.",
    ),
    Entry(
        "P3019",
        "Provider switched",
        r"does not match the one specified in the migration_lock\.toml",
        USAGE,
        ("the datasource provider changed",),
        (),
        "Start a new migration history.",
    ),
    Entry(
        "P4001",
        "Introspected database empty",
        r"The introspected database was empty",
        DB,
        ("the URL names an empty database",),
        (),
        "Point at the right database or migrate first.",
    ),
    # Client runtime (no P-code of their own).
    Entry(
        "PrismaClientValidationError",
        "Unknown argument or field",
        r"Unknown (?:argument|field) `",
        D,
        ("a client older than the schema", "a dev server running an older client", "code ahead of the schema"),
        ("Is the name in the schema? In the generated client? Did the dev server start before the generate?",),
        "Regenerate, then restart the dev server.",
        ("regenerate", "restart-dev-server"),
    ),
    Entry(
        "PrismaClientInitializationError",
        "Client did not initialize",
        r"did not initialize yet",
        D,
        ("`prisma generate` never ran",),
        (),
        "Run `prisma generate`.",
        ("regenerate",),
    ),
)

BY_CODE: dict[str, Entry] = {entry.code: entry for entry in CATALOGUE}
PRISMA_CODES = tuple(entry.code for entry in CATALOGUE if re.fullmatch(r"P\d{4}", entry.code))


def entry_for(code: str | None) -> Entry | None:
    return BY_CODE.get(code) if code else None


# Compiled once, here, so that tests/test_logs_redos.py walks them with every other pattern of the readers.
SHAPES = tuple(re.compile(entry.shape) for entry in CATALOGUE)


def match_message(text: str) -> Entry | None:
    """The entry whose message shape the text has, for output that shows no code."""
    return next((entry for entry, shape in zip(CATALOGUE, SHAPES, strict=True) if shape.search(text)), None)
