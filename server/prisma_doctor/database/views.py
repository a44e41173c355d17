"""What a view's definition refers to that the database lacks: a column of a table it selects from, or the table.

MySQL and MariaDB store a view's definition with every name qualified (``select `app`.`User`.`legacyScore` AS
`score` from `app`.`User` ``) and let a column or table it uses be dropped; the view then fails on every read (1356)
without saying what it misses. The definition is read, not run: each qualified column is looked up in the catalog.
PostgreSQL refuses to drop what a view uses (without CASCADE, which drops the view too), so a view there does not
break this way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from prisma_doctor.database.catalog import Catalog, Relation

_NAME = r"`((?:[^`]|``)+)`"
# `schema`.`table`.`column`, and `schema`.`table` where it is not followed by a third name.
_COLUMN = re.compile(rf"{_NAME}\.{_NAME}\.{_NAME}")
_TABLE = re.compile(rf"\b(?:from|join)\s+{_NAME}\.{_NAME}(?!\.)", re.I)


@dataclass(frozen=True)
class ViewProblem:
    view: Relation
    table: str
    # The column the table lacks; None when the table itself does not exist.
    column: str | None

    def describe(self) -> str:
        if self.column is None:
            return f"the view `{self.view.name}` selects from `{self.table}`, which does not exist"
        return f"the view `{self.view.name}` uses `{self.table}.{self.column}`, but `{self.table}` has no such column"


def view_problems(catalog: Catalog, view: Relation) -> list[ViewProblem]:
    """The names in `view`'s definition that the database does not have, each once, in the order written."""
    found: dict[tuple[str, str | None], ViewProblem] = {}
    for schema, table, column in _COLUMN.findall(view.definition):
        schema, table, column = (_unquote(n) for n in (schema, table, column))
        relation = catalog.relation(table, schema)
        if relation is None:
            found.setdefault((table, None), ViewProblem(view, table, None))
        elif not relation.has_column(column, catalog.case_sensitive):
            found.setdefault((table, column), ViewProblem(view, table, column))
    for schema, table in _TABLE.findall(view.definition):
        schema, table = _unquote(schema), _unquote(table)
        if catalog.relation(table, schema) is None:
            found.setdefault((table, None), ViewProblem(view, table, None))
    return list(found.values())


def _unquote(name: str) -> str:
    return name.replace("``", "`")
