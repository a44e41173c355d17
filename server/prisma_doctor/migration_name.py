"""The name a person would give the migration of a schema change (`add_user_nickname`): the models and columns the
schema has that no migration creates. (Not what it no longer has: the migrations' SQL is read for what it creates,
not for what it drops, so a removal cannot be told from one already migrated.)

It goes into the user's own history (`prisma/migrations/<timestamp>_<name>`), so it says what changed, never who
made it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from prisma_doctor.schema.datamodel import COLUMN_KINDS, Datamodel

# Without a change it can name: `prisma migrate dev --name` needs some name.
FALLBACK = "schema_change"
# Long enough for a few parts; a migration folder's name stays readable in a listing.
MAX_LENGTH = 60


def migration_name(schema: Datamodel, migrated: Mapping[str, Mapping[str, str]]) -> str:
    """`migrated`: table -> column -> the migration that creates it (`diagnosis.facts.migrated_columns`)."""
    added: list[str] = []
    for model in schema.models:
        columns = migrated.get(model.db_name or model.name)
        if columns is None:
            added.append(_words(model.name))
            continue
        new = [_words(f.name) for f in model.fields if f.kind in COLUMN_KINDS and (f.db_name or f.name) not in columns]
        if new:
            added.append("_".join([_words(model.name), *new]))
    return _bounded("add_" + "_".join(added)) if added else FALLBACK


def _words(name: str) -> str:
    """`OrderItem` -> `order_item`, `createdAt` -> `created_at`: as Prisma's own folder names are written."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()
    return re.sub(r"[^a-z0-9]+", "_", snake).strip("_")


def _bounded(name: str) -> str:
    if len(name) <= MAX_LENGTH:
        return name
    return name[:MAX_LENGTH].rsplit("_", 1)[0]
