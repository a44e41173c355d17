"""The catalogue of Prisma's errors: its rules, its printed page, the README's count, and recognised real output."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from prisma_doctor.catalogue import (
    CATALOGUE,
    CLIENT_SIDE_FIXES,
    DATABASE_SIDE,
    PRISMA_CODES,
    CauseClass,
    match_message,
)
from prisma_doctor.diagnosis import diagnose
from prisma_doctor.logs.recognize import read_events

ROOT = Path(__file__).resolve().parents[1]


def test_one_row_per_code_and_every_shape_compiles() -> None:
    codes = [entry.code for entry in CATALOGUE]
    assert len(codes) == len(set(codes))
    for entry in CATALOGUE:
        assert entry.shape and entry.meanings and entry.fix


def test_a_database_side_or_data_cause_never_offers_a_client_fix() -> None:
    wrong = [e.code for e in CATALOGUE if e.cause in DATABASE_SIDE and CLIENT_SIDE_FIXES & set(e.fixes)]
    assert wrong == []


def test_the_page_is_current() -> None:
    printed = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "errors_page.py")], capture_output=True, text=True, check=True
    ).stdout
    assert printed == (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")


def test_the_readme_says_how_many_codes_the_page_covers() -> None:
    page = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `(P\d{4})` \|", page, re.M))
    assert len(listed) == len(PRISMA_CODES)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"knows {len(PRISMA_CODES)} of Prisma's error codes" in readme


# Messages as Prisma 6.17 and 7.10 print them (the engines' templates and the Prisma 7 client runtime's adapter
# mapping, read from the installed packages), each with the row it must find.
MESSAGES = {
    "Foreign key constraint violated on the foreign key": "P2003",
    "Foreign key constraint failed on the field: `Post_authorId_fkey (index)`": "P2003",
    "Database error. Code: `P0001`. Message: `ERROR: no nickname`": "P2039",
    "Too many database connections opened: sorry, too many clients already": "P2037",
    "Timed out fetching a new connection from the connection pool. More info: http://pris.ly/d/pool": "P2024",
    "Migration `20240101_init` failed to apply cleanly to the shadow database.": "P3006",
    "The underlying table for model `User` does not exist.": "P1014",
    "migrate found failed migrations in the target database, new migrations will not be applied.": "P3009",
}


def test_message_shapes_find_their_rows() -> None:
    found = {text: (entry.code if (entry := match_message(text)) else None) for text in MESSAGES}
    assert found == MESSAGES


def test_a_client_error_known_only_by_its_code_gets_its_row_and_a_data_error_is_not_drift() -> None:
    log = (
        "PrismaClientKnownRequestError: \n"
        "Invalid `prisma.post.create()` invocation in\n"
        "/app/create.js:3:21\n"
        "\n"
        "Foreign key constraint violated on the foreign key\n"
        "    at main (/app/create.js:3:21) {\n"
        "  code: 'P2003',\n"
        "  clientVersion: '6.17.1',\n"
        "}\n"
    )
    events = read_events([log])
    (finding,) = diagnose(events)
    assert finding.code == "prisma-error"
    assert finding.data["prisma_code"] == "P2003"
    assert finding.data["cause_class"] == CauseClass.DATA.value
    assert "the data, not the setup" in finding.message
    assert not set(finding.fixes) & CLIENT_SIDE_FIXES
