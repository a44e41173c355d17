"""Files that are not regular files, given where a file is expected: named as what they are, or read as streams."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from prisma_doctor import project_files
from tests.captures.loading import FIXTURES
from tests.helpers import doctor

# A FIFO opened for reading would wait for a writer forever: each command gets a minute, and no stdin.
LIMIT = 60


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "schema.prisma"
    os.mkfifo(path)
    return path


def test_schema_names_a_fifo_and_a_device_as_what_they_are(tmp_path: Path, fifo: Path) -> None:
    for path, kind in ((fifo, "a FIFO (named pipe)"), (Path("/dev/null"), "a character device")):
        done = doctor("schema", str(path), cwd=tmp_path, stdin=subprocess.DEVNULL, timeout=LIMIT)
        assert done.returncode == 2
        assert done.stderr == f"prisma-doctor schema: {path} (argument) is not a regular file but {kind}; give a " + (
            ".prisma file or a folder of them\n"
        )


def test_check_names_a_fifo_given_as_the_schema(tmp_path: Path, fifo: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "app"}')
    done = doctor("check", "--schema", str(fifo), "--json", cwd=tmp_path, stdin=subprocess.DEVNULL, timeout=LIMIT)
    assert done.returncode == 2, done.stderr
    (finding,) = json.loads(done.stdout)["findings"]
    assert finding["code"] == "schema-unreadable"
    assert "is not a regular file but a FIFO (named pipe)" in finding["message"]
    assert "does not exist" not in finding["message"]


def test_explain_reads_a_fifo_as_the_stream_it_is(tmp_path: Path) -> None:
    fifo = tmp_path / "dev.log"
    os.mkfifo(fifo)
    log = FIXTURES / "sqlite-p2022-missing-column.log"
    writer = subprocess.Popen(["sh", "-c", f"cat '{log}' > '{fifo}'"])
    try:
        done = doctor("explain", str(fifo), "--json", cwd=tmp_path, stdin=subprocess.DEVNULL, timeout=LIMIT)
    finally:
        writer.kill()
        writer.wait()
    assert done.returncode == 1, done.stderr
    assert [f["code"] for f in json.loads(done.stdout)["findings"]] == ["db-missing-column"]


def test_explain_reads_dev_null_as_an_empty_log(tmp_path: Path) -> None:
    done = doctor("explain", "/dev/null", "--json", cwd=tmp_path, stdin=subprocess.DEVNULL, timeout=LIMIT)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["findings"] == []


# Every file of a project that anyone may plant, and that check, a repair's preview or the language server reads.
PLANTED = (
    ".next/dev/lock",
    ".next/dev/logs/next-development.log",
    ".prisma-doctor/dev-output.log",
    ".prisma-doctor/journal.json",
    ".prisma-doctor/run-1.json",
    ".prisma-doctor/run-1-request.json",
    ".env",
    "package.json",
)


@pytest.mark.parametrize("planted", PLANTED)
def test_a_fifo_planted_where_a_project_file_is_expected_never_blocks(tmp_path: Path, planted: str) -> None:
    (tmp_path / "prisma").mkdir()
    (tmp_path / "prisma" / "schema.prisma").write_text(
        'datasource db {\n  provider = "sqlite"\n  url = "file:./dev.db"\n}\n'
        'generator client {\n  provider = "prisma-client-js"\n}\nmodel User {\n  id Int @id\n}\n'
    )
    if planted != "package.json":
        (tmp_path / "package.json").write_text('{"name": "app", "scripts": {"dev": "next dev"}}')
    (tmp_path / planted).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.mkfifo(tmp_path / planted, 0o600)
    for command in (("check", "--json"), ("reset", "--dry-run")):
        done = doctor(*command, cwd=tmp_path, stdin=subprocess.DEVNULL, timeout=30)
        assert done.returncode in (0, 1, 2), done.stderr
        assert "Traceback" not in done.stderr
    assert stat.S_ISFIFO((tmp_path / planted).lstat().st_mode)  # named or left alone, never replaced by a read


def test_project_files_refuses_a_fifo_and_a_device_at_once(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "lock")
    for path in (tmp_path / "lock", Path("/dev/zero")):
        with pytest.raises(project_files.NotRegularFile, match="not a regular file but a"):
            project_files.read_text(path)


def test_a_fifo_at_the_sqlite_path_is_named_and_nothing_writes_there(tmp_path: Path) -> None:
    # Attacker's trial 13 (C4): a FIFO at `dev.db` was said "No SQLite database", with `db push` offered onto it.
    (tmp_path / "prisma").mkdir()
    (tmp_path / "prisma" / "schema.prisma").write_text(
        'datasource db {\n  provider = "sqlite"\n  url = "file:./dev.db"\n}\n'
        'generator client {\n  provider = "prisma-client-js"\n}\nmodel User {\n  id Int @id\n}\n'
    )
    (tmp_path / "package.json").write_text('{"name": "app"}')
    os.mkfifo(tmp_path / "prisma" / "dev.db", 0o600)

    done = doctor("check", "--json", cwd=tmp_path, stdin=subprocess.DEVNULL, timeout=LIMIT)

    assert done.returncode == 1, done.stderr
    (finding,) = [f for f in json.loads(done.stdout)["findings"] if f["code"].startswith("db-")]
    assert finding["code"] == "db-read-failed" and finding["fixes"] == [], finding
    assert "prisma/dev.db holds a FIFO (named pipe), not a regular file: it was not read" in finding["message"]
    pushed = doctor("migrate", "push", "--dry-run", cwd=tmp_path, stdin=subprocess.DEVNULL, timeout=LIMIT)
    assert pushed.returncode == 2, pushed.stdout
    assert "refused: the SQLite database path prisma/dev.db holds a FIFO (named pipe)" in pushed.stdout
    assert stat.S_ISFIFO((tmp_path / "prisma" / "dev.db").lstat().st_mode)
