"""The database's types against the project's: an enum type that lacks a value the schema or client has, and a
column whose type belongs to another scalar than the field's (`Int` on `text`) or whose NOT NULL disagrees with the
field's `?`. PostgreSQL only: its catalog names each column's type (`pg_type`) and each enum's values (`pg_enum`).

Only what `prisma migrate diff` would also call drift and what fails at run time is said. Each Prisma scalar maps to
the family of native types it accepts (`@db.VarChar(255)`, `@db.Timestamptz(6)`, `@db.SmallInt` all belong to theirs):
a column of that family is not reported, even where its length, precision or time zone differ from what the schema
would make (that diff is Prisma's to show: `prisma migrate diff`). A domain, a range, a composite type, an
`Unsupported(...)` field and a list's NOT NULL are not compared (undecided here). MySQL's enums are column types
(`enum('USER','ADMIN')`) and SQLite's declared types only an affinity: neither is read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from prisma_doctor.database.catalog import Catalog, ColumnType
from prisma_doctor.findings import Finding, Location, Severity
from prisma_doctor.schema.datamodel import Datamodel, Enum, Field

# The PostgreSQL types (`pg_type.typname`) each scalar's native types are (Prisma's `@db.*` for PostgreSQL).
_FAMILIES: dict[str, frozenset[str]] = {
    "String": frozenset({"text", "varchar", "bpchar", "bit", "varbit", "uuid", "xml", "inet", "citext"}),
    "Int": frozenset({"int4", "int2", "oid"}),
    "BigInt": frozenset({"int8"}),
    "Float": frozenset({"float8", "float4"}),
    "Decimal": frozenset({"numeric", "money"}),
    "Boolean": frozenset({"bool"}),
    "DateTime": frozenset({"timestamp", "timestamptz", "date", "time", "timetz"}),
    "Json": frozenset({"json", "jsonb"}),
    "Bytes": frozenset({"bytea"}),
}
# How a type is shown (`format_type` would say it; the internal name is what the catalog gave).
_SHOWN = {
    "int4": "integer",
    "int2": "smallint",
    "int8": "bigint",
    "float8": "double precision",
    "float4": "real",
    "bool": "boolean",
    "varchar": "varchar",
    "bpchar": "char",
    "timestamptz": "timestamp with time zone",
    "timestamp": "timestamp",
}


def enum_findings(
    catalog: Catalog,
    sources: Iterable[tuple[Datamodel, str]],
    fixes: tuple[str, ...],
    where: Location | None,
    adding: Mapping[str, Mapping[str, str]],
    pending: set[str],
) -> list[Finding]:
    """`db-missing-enum-value` for each enum type of the database that lacks values the schema or a client has.
    `adding`: enum type -> value -> the migration that adds it; `pending`: the migrations the database has not run."""
    if catalog.enums is None:
        return []
    findings: list[Finding] = []
    seen: set[str] = set()
    for datamodel, source in sources:
        for enum in datamodel.enums:
            name = enum.db_name or enum.name
            found = catalog.enum(name)
            if found is None or name in seen:
                continue
            missing = [v.db_name or v.name for v in enum.values if (v.db_name or v.name) not in found.values]
            if not missing:
                continue
            seen.add(name)
            # The pending migrations that add every missing value are what brings them (`migrate deploy`).
            brought = {adding.get(name, {}).get(v) for v in missing}
            if None not in brought and brought <= pending:
                migrations = ", ".join(f"`{m}`" for m in sorted(m for m in brought if m))
                remedy = (
                    f"The pending migration {migrations} adds {_them(missing)}; apply it (`prisma migrate deploy`)."
                )
                found_fixes: tuple[str, ...] = ("migrate-deploy",)
            else:
                remedy, found_fixes = _ADD.format(s="s" * (len(missing) > 1)), fixes
            findings.append(_missing_values(enum, name, missing, found.values, source, remedy, found_fixes, where))
    return findings


_ADD = (
    "Add the value{s} to the database: a migration (`prisma migrate dev`, which writes `ALTER TYPE ... ADD VALUE`), "
    "or `prisma db push` without migrations."
)


def _them(values: list[str]) -> str:
    return "them" if len(values) > 1 else "it"


def _missing_values(
    enum: Enum,
    name: str,
    missing: list[str],
    has: tuple[str, ...],
    source: str,
    remedy: str,
    fixes: tuple[str, ...],
    where: Location | None,
) -> Finding:
    listed = ", ".join(f"`{v}`" for v in missing)
    holder = "schema (the generated client does not yet)" if source == "schema" else "client"
    return Finding(
        "db-missing-enum-value",
        Severity.ERROR,
        f"The {holder} has {listed} in the enum `{enum.name}`, and the database's type `{name}` lacks "
        f"{_them(missing)} (it has {', '.join(f'`{v}`' for v in has) or 'no value'}): sending {_them(missing)} (a "
        f"write, or a filter) fails with `invalid input value for enum` (22P02). {remedy}",
        enum.location or where,
        fixes,
        data={"enum": enum.name, "type": name, "missing": missing, "values": list(has)},
    )


def type_findings(
    catalog: Catalog, sources: Iterable[tuple[Datamodel, str]], fixes: tuple[str, ...], where: Location | None
) -> list[Finding]:
    """`db-column-type` for each column whose type or NOT NULL disagrees with its field (see the module's doc)."""
    if catalog.provider != "postgresql":
        return []
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for datamodel, source in sources:
        enums = {e.name: e.db_name or e.name for e in datamodel.enums}
        for model in datamodel.queryable:
            table = model.db_name or model.name
            relation = catalog.relation(table)
            if relation is None or relation.kind != "table":
                continue
            for field in model.fields:
                column = field.db_name or field.name
                declared = relation.column_type(column)
                if declared is None or (table, column) in seen:
                    continue
                problem = _disagreement(field, declared, enums)
                if problem is None:
                    continue
                seen.add((table, column))
                findings.append(
                    Finding(
                        "db-column-type",
                        Severity.ERROR,
                        f"The {'schema' if source == 'schema' else 'client'} has `{model.name}.{field.name}` as "
                        f"`{_field_shown(field)}`, and the database's column `{relation.qualified}.{column}` "
                        f"{problem}: reads or writes of it fail, and Prisma counts it as drift. Bring the database "
                        "to the schema (`prisma migrate dev`, or `prisma db push` without migrations; a type change "
                        "may not keep the data), or the schema to the database (`prisma db pull`).",
                        field.location or where,
                        fixes,
                        data={
                            "model": model.name,
                            "field": field.name,
                            "table": table,
                            "column": column,
                            "type": field.type,
                            "database_type": _shown(declared),
                            "not_null": declared.not_null,
                        },
                    )
                )
    return findings


def _disagreement(field: Field, declared: ColumnType, enums: dict[str, str]) -> str | None:
    """What the column says against the field, or None when they agree or it cannot be decided."""
    if field.kind == "scalar":
        family = _FAMILIES.get(field.type)
        if family is None or declared.kind not in ("b", "e"):
            return None  # a domain, range or composite type: undecided
        if declared.name not in family:
            return f"is `{_shown(declared)}`"
    elif field.kind == "enum":
        if declared.kind == "d":
            return None
        if declared.kind != "e" or declared.name != enums.get(field.type, field.type):
            return f"is `{_shown(declared)}`, not the enum type `{enums.get(field.type, field.type)}`"
    else:
        return None
    if declared.array != field.is_list:
        return f"is {'an array' if declared.array else 'not an array'} (`{_shown(declared)}`)"
    if not field.is_list and declared.not_null != field.is_required:
        return "is NOT NULL" if declared.not_null else "allows NULL"
    return None


def _shown(declared: ColumnType) -> str:
    return _SHOWN.get(declared.name, declared.name) + "[]" * declared.array


def _field_shown(field: Field) -> str:
    return field.type + ("[]" if field.is_list else "?" * (not field.is_required))
