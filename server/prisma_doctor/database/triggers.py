"""What a trigger's code refers to that the database lacks: `NEW.x` / `OLD.x` for a column its table does not have,
and writes (`INSERT INTO t (a)`, `UPDATE t SET a = ...`, `DELETE FROM t`) to a table or column that does not exist.

The code is read, not run (PL/pgSQL checks names only when a statement executes, which is why such a trigger is
created without complaint and fails on the first write). Comments and string literals are skipped first, so a
name inside a message or a dynamic `EXECUTE` string is not taken for a reference.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from prisma_doctor.database.catalog import Catalog, Relation, Trigger

_IDENT = r'(?:"(?:[^"]|"")+"|`[^`]+`|\[[^\]]+\]|[A-Za-z_][A-Za-z0-9_$]*)'
_QUALIFIED = rf"(?P<first>{_IDENT})(?:\s*\.\s*(?P<second>{_IDENT}))?"
_NOISE_TEXT = r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|\$(?P<tag>[A-Za-z_]*)\$.*?\$(?P=tag)\$"
_NOISE = re.compile(_NOISE_TEXT, re.S)
# MySQL and MariaDB also comment with `#` (in PostgreSQL `#` is an operator: `#>>` reads JSON).
_MYSQL_NOISE = re.compile(_NOISE_TEXT + r"|#[^\n]*", re.S)
_RECORD_FIELD = re.compile(rf"\b(?P<record>NEW|OLD)\s*\.\s*(?P<column>{_IDENT})", re.I)
_INSERT = re.compile(rf"\bINSERT\s+(?:OR\s+\w+\s+)?INTO\s+{_QUALIFIED}\s*(?:\((?P<columns>[^()]*)\))?", re.I)
_UPDATE = re.compile(
    rf"\bUPDATE\s+(?:OR\s+\w+\s+)?(?:ONLY\s+)?{_QUALIFIED}\s+SET\s+(?P<assignments>.*?)"
    r"(?=\bWHERE\b|\bRETURNING\b|\bFROM\b|;|$)",
    re.I | re.S,
)
_DELETE = re.compile(rf"\bDELETE\s+FROM\s+(?:ONLY\s+)?{_QUALIFIED}", re.I)
_ASSIGNED = re.compile(rf"(?:^|,)\s*(?P<column>{_IDENT})\s*=", re.S)
_PARENTHESES = re.compile(r"\([^()]*\)")
_ROW_RECORDS = frozenset({"new", "old"})
MAX_SOURCE_CHARS = 65536


@dataclass(frozen=True)
class TriggerProblem:
    trigger: Trigger
    # The code as written that fails, e.g. `NEW.emailverified` or `INSERT INTO "Audit" (... "who" ...)`.
    reference: str
    table: str
    # The column the table lacks; None when the table itself does not exist.
    column: str | None
    # The name the database does have when only case differs (an unquoted name folded to lower case).
    near: str | None = None

    def describe(self) -> str:
        what = (
            f"`{self.reference}`, but `{self.table}` has no column `{self.column}`"
            if self.column is not None
            else f"`{self.reference}`, but there is no table `{self.table}`"
        )
        hint = (
            f' (it has `{self.near}`: an unquoted name is folded to lower case, quote it as "{self.near}")'
            if self.near
            else ""
        )
        return f"{self.trigger.shown} on `{self.trigger.table}` uses {what}{hint}"

    def mentions(self, name: str) -> bool:
        return name.lower() in {(self.column or "").lower(), self.table.lower()}


def trigger_problems(catalog: Catalog, relation: Relation, events: Iterable[str] | None = None) -> list[TriggerProblem]:
    """The problems of the triggers on `relation` that fire on `events` (every trigger when None)."""
    wanted = set(events) if events is not None else None
    problems: list[TriggerProblem] = []
    for trigger in catalog.triggers_on(relation):
        if wanted is not None and not wanted & set(trigger.events):
            continue
        problems.extend(_problems(catalog, relation, trigger))
    return problems


def _problems(catalog: Catalog, relation: Relation, trigger: Trigger) -> Iterable[TriggerProblem]:
    noise = _MYSQL_NOISE if catalog.provider == "mysql" else _NOISE
    code = noise.sub(" ", trigger.source[:MAX_SOURCE_CHARS])
    fold = catalog.case_sensitive
    seen: set[tuple[str, str | None]] = set()

    def problem(reference: str, table: Relation | str, column: str | None) -> TriggerProblem | None:
        name = table.name if isinstance(table, Relation) else table
        if (name, column) in seen:
            return None
        seen.add((name, column))
        near = table.column_named(column, False) if isinstance(table, Relation) and column else None
        return TriggerProblem(trigger, " ".join(reference.split()), name, column, near)

    found: list[TriggerProblem | None] = []
    for match in _RECORD_FIELD.finditer(code):
        column = _name(match["column"], fold)
        if not relation.has_column(column, catalog.case_sensitive):
            found.append(problem(match[0], relation, column))
    writes = [(m, _columns(m["columns"] or "", fold)) for m in _INSERT.finditer(code)]
    writes += [(m, _assigned(m["assignments"], fold)) for m in _UPDATE.finditer(code)]
    writes += [(m, []) for m in _DELETE.finditer(code)]
    for match, columns in writes:
        schema, table_name = _target(match, fold)
        if table_name.lower() in _ROW_RECORDS:
            continue
        table = catalog.relation(table_name, schema)
        if table is None:
            found.append(problem(match[0], (f"{schema}." if schema else "") + table_name, None))
            continue
        found.extend(problem(match[0], table, c) for c in columns if not table.has_column(c, catalog.case_sensitive))
    return [p for p in found if p is not None]


def _name(identifier: str, fold: bool) -> str:
    """An identifier as the database stores it: quoted names exactly, unquoted ones folded (PostgreSQL)."""
    if identifier[:1] == '"':
        return identifier[1:-1].replace('""', '"')
    if identifier[:1] in ("`", "["):
        return identifier[1:-1]
    return identifier.lower() if fold else identifier


def _target(match: re.Match[str], fold: bool) -> tuple[str | None, str]:
    if match["second"]:
        return _name(match["first"], fold), _name(match["second"], fold)
    return None, _name(match["first"], fold)


def _columns(listed: str, fold: bool) -> list[str]:
    return [_name(part.strip(), fold) for part in listed.split(",") if re.fullmatch(_IDENT, part.strip())]


def _assigned(assignments: str, fold: bool) -> list[str]:
    flat = assignments
    # Innermost parentheses first, until none is left: `coalesce(a, b)` must not split into two assignments.
    while _PARENTHESES.search(flat):
        flat = _PARENTHESES.sub(" ", flat)
    return [_name(m["column"], fold) for m in _ASSIGNED.finditer(flat)]
