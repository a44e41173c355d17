"""`check` creates and writes no file, inside the project or outside it: a project's `dev.db` that is a link to a
WAL-mode database elsewhere (the attacker's `prod.db`) gets no `-wal` or `-shm` beside it, and is still read."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from prisma_doctor.database import Catalog, DatabaseTarget, InspectionFailed
from prisma_doctor.database import sqlite as sqlite_reader
from prisma_doctor.database.sqlite import inspect_sqlite
from tests.helpers import doctor
from tests.repair_fixtures import project_copy


def listing(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def wal_database(folder: Path, *, with_wal: bool) -> Path:
    """`folder/prod.db` in WAL mode, with no `-wal` or `-shm` beside it, or (`with_wal`) with a `-wal` that holds a
    table the main file does not, and no `-shm`: as a copy taken while a writer had it open leaves it."""
    folder.mkdir()
    live = folder.parent / f"{folder.name}-live"
    live.mkdir()
    writer = sqlite3.connect(live / "prod.db")
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute('CREATE TABLE "User" (id INTEGER PRIMARY KEY, email TEXT, name TEXT)')
    writer.commit()
    writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if with_wal:
        writer.execute('CREATE TABLE "OnlyInWal" (id INTEGER PRIMARY KEY)')
        writer.commit()
        shutil.copyfile(live / "prod.db-wal", folder / "prod.db-wal")
    shutil.copyfile(live / "prod.db", folder / "prod.db")
    writer.close()
    shutil.rmtree(live)
    header = (folder / "prod.db").read_bytes()[18:20]
    assert header == b"\x02\x02", "the copy is a WAL-mode database"
    return folder / "prod.db"


@pytest.mark.parametrize("with_wal", [False, True], ids=["no-wal", "wal-without-shm"])
def test_check_of_a_linked_wal_database_creates_nothing_beside_it(tmp_path: Path, with_wal: bool) -> None:
    project = project_copy("npm", tmp_path / "app")
    decoy = wal_database(tmp_path / "decoy", with_wal=with_wal)
    (project / "dev.db").unlink()
    (project / "dev.db").symlink_to(decoy)
    before = listing(decoy.parent)
    project_before = sorted(p.name for p in project.iterdir())

    done = doctor("check", str(project), "--json", env={"CI": "1"})
    assert done.returncode in (0, 1), done.stderr

    assert listing(decoy.parent) == before, "no -wal or -shm created, nothing written"
    assert sorted(p.name for p in project.iterdir()) == project_before
    # Read all the same, the -wal's table with it.
    catalog = inspect_sqlite(DatabaseTarget("sqlite", f"file:{project / 'dev.db'}", "test", (project,)))
    assert isinstance(catalog, Catalog), catalog
    assert catalog.relation("User") is not None
    assert (catalog.relation("OnlyInWal") is not None) == with_wal
    assert listing(decoy.parent) == before


def test_a_wal_too_large_to_copy_is_said_not_compared_and_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoy = wal_database(tmp_path / "decoy", with_wal=True)
    before = listing(decoy.parent)
    monkeypatch.setattr(sqlite_reader, "MAX_COPY_BYTES", 1024)
    answer = inspect_sqlite(DatabaseTarget("sqlite", f"file:{decoy}", "test", (tmp_path,)))
    assert isinstance(answer, InspectionFailed)
    assert "was not compared" in answer.reason and "no -shm" in answer.reason, answer.reason
    assert listing(decoy.parent) == before
