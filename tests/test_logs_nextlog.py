"""Next 16's dev log and lock, as `next dev` wrote them in the captures."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

from prisma_doctor.logs import events as ev
from prisma_doctor.logs.nextlog import LOG, NextLogFollower, read_lock
from prisma_doctor.logs.recognize import recognize
from tests.captures.loading import FIXTURES

CAPTURE = "next-dev-p2022-server-action-external"


def project_with_log(tmp_path: Path) -> Path:
    (tmp_path / LOG).parent.mkdir(parents=True)
    (tmp_path / ".next" / "dev" / "lock").write_text((FIXTURES / f"{CAPTURE}.lock.json").read_text())
    return tmp_path


def test_lock_gives_pid_port_and_start_time(tmp_path: Path) -> None:
    lock = read_lock(project_with_log(tmp_path))
    assert lock is not None
    assert lock.pid > 0 and lock.port and lock.app_url == f"http://localhost:{lock.port}"
    assert lock.started_at is not None and lock.started_at > datetime(2025, 1, 1, tzinfo=timezone.utc)


def test_missing_or_broken_lock_is_none(tmp_path: Path) -> None:
    assert read_lock(tmp_path) is None
    project_with_log(tmp_path)
    (tmp_path / ".next" / "dev" / "lock").write_text("{not json")
    assert read_lock(tmp_path) is None


def test_follower_reads_what_is_appended_even_in_pieces(tmp_path: Path) -> None:
    root = project_with_log(tmp_path)
    log = root / LOG
    data = (FIXTURES / f"{CAPTURE}.next-development.log").read_bytes()
    follower = NextLogFollower(root)
    assert follower.poll() == []
    lines: list[str] = []
    with log.open("ab") as handle:
        for start in range(0, len(data), 97):
            handle.write(data[start : start + 97])
            handle.flush()
            lines += follower.poll()
    found = recognize(lines)
    assert [type(e) for e in found] == [ev.MissingColumn, ev.MissingColumn]
    assert found[0].invocation is not None and found[0].invocation.model_accessor == "user"


def test_follower_skips_old_runs_and_starts_over_on_a_new_log(tmp_path: Path) -> None:
    root = project_with_log(tmp_path)
    log = root / LOG
    shutil.copyfile(FIXTURES / f"{CAPTURE}.next-development.log", log)
    follower = NextLogFollower(root)
    assert follower.poll() == []  # what an earlier run wrote is not news
    log.unlink()
    log.write_text('{"timestamp":"00:00:00.001","source":"Server","level":"LOG","message":" ✓ Ready in 1s"}\n')
    assert follower.poll() == [" ✓ Ready in 1s"]
    assert NextLogFollower(root, from_start=True).poll() == [" ✓ Ready in 1s"]
