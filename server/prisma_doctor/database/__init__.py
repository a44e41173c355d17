"""Ask the project's database what decides a runtime error's cause: the table's columns, whether it is a view, its
triggers and the functions they call. Read-only, bounded by timeouts, never printing a password.

`probe_for(root, schema)` finds the database (target.py), and reads its catalog in the background (probe.py) from
PostgreSQL (postgres.py: psql, else pg8000), MySQL and MariaDB (mysql.py: PyMySQL) or SQLite (sqlite.py);
triggers.py reads the triggers' code for names the database lacks. The diagnosis turns the answer into causes
(diagnosis/asked.py).
"""

from __future__ import annotations

from prisma_doctor.database.catalog import Catalog, Inspection, InspectionFailed, Relation, Trigger
from prisma_doctor.database.probe import DatabaseProbe, inspect_now, probe_for
from prisma_doctor.database.target import DatabaseTarget, NoDatabase, locate_database
from prisma_doctor.database.triggers import TriggerProblem, trigger_problems
from prisma_doctor.masking import mask_secrets, mask_url

__all__ = [
    "Catalog",
    "DatabaseProbe",
    "DatabaseTarget",
    "Inspection",
    "InspectionFailed",
    "NoDatabase",
    "Relation",
    "Trigger",
    "TriggerProblem",
    "inspect_now",
    "locate_database",
    "mask_secrets",
    "mask_url",
    "probe_for",
    "trigger_problems",
]
