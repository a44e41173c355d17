"""`prisma-doctor explain` and `prisma-doctor run`, as a person runs them: real processes, real captures."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.captures.loading import FIXTURES, load, project_from_capture
from tests.helpers import DOCTOR, SERVER, doctor, doctor_environment


def codes(output: bytes) -> list[str]:
    return [f["code"] for f in json.loads(output)["findings"]]


def test_explain_a_log_file_without_a_project(tmp_path: Path) -> None:
    done = doctor("explain", str(FIXTURES / "pg-en-trigger-missing-field.log"), "--json", cwd=tmp_path, text=False)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["state"] == "unknown"
    (finding,) = report["findings"]
    assert finding["code"] == "db-object-error"
    assert finding["fixes"] == [
        {"id": "inspect-database-objects", "title": "Inspect the database's triggers, views and functions"}
    ]


def test_explain_with_the_project_names_the_field_and_the_migration_to_make(tmp_path: Path) -> None:
    root = project_from_capture("sqlite-p2022-missing-column", tmp_path / "app")
    done = doctor(
        "explain",
        str(FIXTURES / "sqlite-p2022-missing-column.log"),
        "--project",
        str(root),
        "--json",
        cwd=tmp_path,
        text=False,
    )
    assert done.returncode == 1, done.stderr
    (finding,) = json.loads(done.stdout)["findings"]
    assert finding["code"] == "db-missing-column"
    assert "`User.nickname`" in finding["message"] and "no migration creates it" in finding["message"]
    assert finding["related"][0]["file"] == str(root / "prisma" / "schema.prisma")


def test_explain_reads_standard_input_and_prints_text(tmp_path: Path) -> None:
    done = doctor("explain", "-", cwd=tmp_path, text=False, input=load("sqlite-migrate-status-pending").output)
    assert done.returncode == 1
    text = done.stdout.decode()
    assert "[migrations-pending]" in text and "0002_add_nickname_post" in text


def test_explain_reads_next_dev_log_json_lines(tmp_path: Path) -> None:
    log = FIXTURES / "next-dev-p2022-server-action-external.next-development.log"
    done = doctor("explain", str(log), "--json", cwd=tmp_path, text=False)
    assert codes(done.stdout) == ["db-missing-column", "db-object-error"]
    assert json.loads(done.stdout)["findings"][0]["count"] == 2


def test_explain_exit_codes(tmp_path: Path) -> None:
    assert doctor("explain", str(FIXTURES / "sqlite-generate-ok.log"), cwd=tmp_path, text=False).returncode == 0
    missing = doctor("explain", str(tmp_path / "nope.log"), cwd=tmp_path, text=False)
    assert missing.returncode == 2 and b"cannot read" in missing.stderr and b"Traceback" not in missing.stderr


def test_run_passes_output_through_records_it_and_keeps_the_exit_code(tmp_path: Path) -> None:
    root = project_from_capture("sqlite-p2021-missing-table", tmp_path / "app")
    log = FIXTURES / "sqlite-p2021-missing-table.log"
    done = doctor("run", "--project", str(root), "--", "sh", "-c", f"cat '{log}'; exit 3", cwd=tmp_path, text=False)
    assert done.returncode == 3
    assert done.stdout == log.read_bytes()
    assert (root / ".prisma-doctor" / "dev-output.log").read_bytes() == log.read_bytes()
    assert b"prisma-doctor: " in done.stderr and b"[db-missing-table]" in done.stderr


def test_run_keeps_stderr_apart_and_reports_each_finding_once(tmp_path: Path) -> None:
    log = FIXTURES / "next-dev-p2022-server-action-external.log"
    done = doctor("run", "--", "sh", "-c", f"cat '{log}' >&2", cwd=tmp_path, text=False)
    assert done.returncode == 0
    assert done.stdout == b""
    assert done.stderr.startswith(log.read_bytes())
    assert done.stderr.count(b"[db-missing-column]") == 1


@pytest.mark.parametrize(
    "restart",
    [
        "11:15:53 PM [tsx] unlink in ./src/generated/prisma/internal/prismaNamespace.ts Restarting...",
        "[nodemon] restarting due to changes...",
        "Restarting 'server.js'",
    ],
)
def test_a_watchers_restart_makes_the_errors_before_it_history(tmp_path: Path, restart: str) -> None:
    log = (FIXTURES / "next-dev-p2022-server-action-external.log").read_bytes()
    restarted = log + restart.encode() + b"\nlistening on http://localhost:3000\n"

    # explain: the errors the old process printed are history, not the app's state now.
    done = doctor("explain", "-", "--json", cwd=tmp_path, text=False, input=restarted)
    findings = json.loads(done.stdout)["findings"]
    assert "db-missing-column" in {finding["code"] for finding in findings}, findings
    for finding in findings:
        assert (finding["severity"], finding["fixes"]) == ("info", []), finding
        assert finding["message"].startswith("Earlier in the log, before a restart of the dev server: "), finding
        assert finding["data"]["restart"]["text"] == restart, finding
    assert json.loads(done.stdout)["state"] != "out-of-sync"

    # run: the same failure from the new process is news, said again.
    script = f"cat '{tmp_path / 'log'}' >&2; echo \"{restart}\" >&2; cat '{tmp_path / 'log'}' >&2"
    (tmp_path / "log").write_bytes(log)
    ran = doctor("run", "--", "sh", "-c", script, cwd=tmp_path, text=False)
    assert ran.returncode == 0
    assert ran.stderr.count(b"[db-missing-column]") == 2


def test_run_gives_the_command_a_terminal_when_it_has_one(tmp_path: Path) -> None:
    pid, fd = pty.fork()
    if pid == 0:  # the child: prisma-doctor under a terminal
        os.chdir(tmp_path)
        os.environ["PYTHONPATH"] = str(SERVER)
        os.execv(DOCTOR[0], [*DOCTOR, "run", "--", "sh", "-c", "test -t 1 && echo tty-seen"])
    output = b""
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        output += data
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert b"tty-seen" in output


def test_run_forwards_signals(tmp_path: Path) -> None:
    script = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *a: (print('got TERM', flush=True), sys.exit(7)))\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    process = subprocess.Popen(
        [*DOCTOR, "run", "--", sys.executable, "-c", script],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        env=doctor_environment(),
    )
    assert process.stdout is not None
    assert process.stdout.readline() == b"ready\n"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 7
    assert process.stdout.read() == b"got TERM\n"


@pytest.mark.parametrize("args", [["run"], ["run", "--"]])
def test_run_without_a_command_is_a_usage_error(tmp_path: Path, args: list[str]) -> None:
    done = doctor(*args, cwd=tmp_path, text=False)
    assert done.returncode == 2 and b"give the command" in done.stderr


def test_a_long_log_of_the_same_error_is_read_in_bounded_memory(tmp_path: Path) -> None:
    block = (
        "Invalid `prisma.user.findMany()` invocation in\n/app/src/x.ts:12:3\n"
        "The column `User.nickname` does not exist in the current database.\n  code: 'P2022',\n}\n"
    )
    log = tmp_path / "long.log"
    with log.open("w") as out:
        for _ in range(20):
            out.write(block * 10_000)  # about 27 MB in all
    process = subprocess.Popen(
        [sys.executable, "-m", "prisma_doctor", "explain", str(log), "--json"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": SERVER},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    peak = 0
    watched = psutil.Process(process.pid)
    while process.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, watched.memory_info().rss)
        time.sleep(0.05)
    out, err = process.communicate()

    assert process.returncode == 1, err
    assert len(json.loads(out)["findings"]) == 1
    # The reader keeps a block at a time and the report its distinct findings: not the whole log's events.
    assert peak < 120 * 1024 * 1024, peak / 1024 / 1024


def test_ctrl_c_on_a_live_pipe_prints_the_findings_so_far_once(tmp_path: Path) -> None:
    # `npm run dev | prisma-doctor explain -`: the dev server still writes when the person presses Ctrl+C.
    explain = subprocess.Popen(
        [*DOCTOR, "explain", "-"],
        cwd=tmp_path,
        env=doctor_environment(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert explain.stdin is not None
    explain.stdin.write((FIXTURES / "next-dev-p2022-server-action-external.log").read_bytes())
    explain.stdin.flush()
    # Once it has read everything (the pipe stays open, as the dev server's would): the pipe is empty.
    deadline = time.monotonic() + 60
    while _unread(explain.stdin.fileno()) and time.monotonic() < deadline:
        time.sleep(0.05)
    explain.send_signal(signal.SIGINT)
    stdout, stderr = explain.communicate(timeout=60)
    explain.stdin.close()
    assert b"interrupted" in stderr, stderr
    assert stdout.count(b"[db-missing-column]") == 1, stdout


def _unread(fd: int) -> int:
    """How many bytes written into the pipe `fd` writes to are not read yet (FIONREAD)."""
    import fcntl
    import struct
    import termios

    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


def test_explain_asks_a_local_database_without_loading_tls(tmp_path: Path) -> None:
    """OpenSSL's bindings (with `socket` and `selectors`) are loaded only for a connection over TLS: `explain`, run
    before the repair it offers, asks a SQLite database and decides the cause without them."""
    root = project_from_capture("sqlite-p2022-missing-column", tmp_path / "app")
    log = FIXTURES / "sqlite-p2022-missing-column.log"
    program = (
        "import json, sys; from prisma_doctor.cli import main\n"
        f"code = main(['explain', {str(log)!r}, '--project', {str(root)!r}, '--json'])\n"
        "print(json.dumps({'code': code, 'ssl': 'ssl' in sys.modules}), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], env=doctor_environment(), capture_output=True, text=True, timeout=120
    )
    (finding,) = json.loads(done.stdout)["findings"]
    assert finding["code"] == "db-missing-column", finding  # the database was asked, and decided it
    assert json.loads(done.stderr.strip().splitlines()[-1]) == {"code": 1, "ssl": False}


def test_an_unreachable_server_named_in_a_sqlite_projects_output_is_not_its_database(tmp_path: Path) -> None:
    """A SQLite project has no database server: Prisma's "Can't reach database server" in its output came from
    another program or is text the app printed (attacker's trial 6, LIE 5: said as the project's, out of sync)."""
    root = project_from_capture("sqlite-p2022-missing-column", tmp_path / "app")
    line = "Can't reach database server at `db.example.com:5432`\n"
    done = doctor("explain", "-", "--project", str(root), "--json", cwd=tmp_path, text=False, input=line.encode())
    (finding,) = json.loads(done.stdout)["findings"]
    assert finding["code"] == "db-unreachable" and finding["severity"] == "info", finding
    assert "this project's database is SQLite" in finding["message"] and finding["data"]["decided"] is False
