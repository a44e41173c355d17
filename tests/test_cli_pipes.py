"""Our output read by a pipeline that stops early (`| head -1`), and commands `run` cannot start: real shells.

Each pipeline runs under bash, which reports our exit code in `PIPESTATUS`; what the wrapped command started is
looked up with psutil afterwards: nothing may outlive `prisma-doctor run`.
"""

from __future__ import annotations

import os
import pty
import shlex
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from tests.captures.loading import FIXTURES
from tests.helpers import DOCTOR, doctor, doctor_environment

# `prisma-doctor` in a shell command line.
SHELL_DOCTOR = shlex.join(DOCTOR)
ENV = doctor_environment()


def pipeline(script: str, cwd: Path) -> tuple[int, str]:
    """Our exit code in `script` (`... | head -1`, stdin not a terminal) and what we wrote on stderr."""
    done = subprocess.run(
        ["bash", "-c", f"{script} 2>doctor.err; echo ${{PIPESTATUS[0]}} >status"],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=ENV,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return int((cwd / "status").read_text()), (cwd / "doctor.err").read_text()


def pipeline_under_terminal(script: str, cwd: Path) -> int:
    """The same with a terminal on stdin (the command then stays in our process group)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(cwd)
        os.execve("/bin/bash", ["bash", "-c", f"{script}; echo ${{PIPESTATUS[0]}} >status"], ENV)
    while True:
        try:
            if not os.read(fd, 65536):
                break
        except OSError:  # EIO: the terminal's last writer is gone
            break
    os.waitpid(pid, 0)
    os.close(fd)
    return int((cwd / "status").read_text())


def survivors(pid_file: Path) -> list[int]:
    """The processes the command wrote into `pid_file` that still run (a zombie has finished running)."""
    alive = []
    for pid in map(int, pid_file.read_text().split()):
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            pass
    return alive


# Writes its pid and those of two sleepers (one its child, one whose parent has exited) into `pids`, then floods.
FLOODER = "echo $$ >>pids; sleep 600 & echo $! >>pids; (sleep 601 & echo $! >>pids); while :; do echo line; done"


def test_run_stops_the_command_and_all_it_started_when_the_reader_goes(tmp_path: Path) -> None:
    code, err = pipeline(f"{SHELL_DOCTOR} run -- sh -c {shlex.quote(FLOODER)} | head -1", tmp_path)
    assert code == 141
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert len((tmp_path / "pids").read_text().split()) == 3
    assert survivors(tmp_path / "pids") == []


# A daemon that ignores SIGTERM and leaves both the command's group (setsid) and its parent (a double fork).
# The flood starts once the daemon has written its pid: else `head` may end it all before the daemon exists.
DAEMON = (
    "echo $$ >>pids; (setsid sh -c 'trap \"\" TERM HUP; echo $$ >>pids; while :; do sleep 0.2; done' &); "
    "while [ $(wc -l <pids) -lt 2 ]; do sleep 0.05; done; while :; do echo line; done"
)


def test_run_stops_even_a_daemon_that_detached_itself(tmp_path: Path) -> None:
    code, _ = pipeline(f"{SHELL_DOCTOR} run -- sh -c {shlex.quote(DAEMON)} | head -1", tmp_path)
    assert code == 141
    assert len((tmp_path / "pids").read_text().split()) == 2
    assert survivors(tmp_path / "pids") == []


def test_run_under_a_terminal_stops_the_command_and_its_children(tmp_path: Path) -> None:
    # In our process group the tree is all we can follow: the sleeper whose parent exited is not in it.
    script = "echo $$ >>pids; sleep 600 & echo $! >>pids; while :; do echo line; done"
    assert pipeline_under_terminal(f"{SHELL_DOCTOR} run -- sh -c {shlex.quote(script)} | head -1", tmp_path) == 141
    assert survivors(tmp_path / "pids") == []


def test_run_as_in_the_issue_exits_141_and_leaves_nothing(tmp_path: Path) -> None:
    before = time.monotonic()
    code, _ = pipeline(f"{SHELL_DOCTOR} run -- sh -c 'echo $$ >pids; seq 1 200000; exit 7' | head -1", tmp_path)
    assert code == 141
    assert survivors(tmp_path / "pids") == []
    assert time.monotonic() - before < 30


def test_run_keeps_the_exit_code_when_the_reader_stays(tmp_path: Path) -> None:
    code, _ = pipeline(f"{SHELL_DOCTOR} run -- sh -c 'seq 1 20; exit 7' | head -1", tmp_path)
    assert code == 7


def test_explain_into_head_exits_141_without_a_traceback(tmp_path: Path) -> None:
    # 1,500 different missing columns: far more findings than a pipe holds.
    block = (FIXTURES / "sqlite-p2022-missing-column.log").read_text()
    (tmp_path / "many.log").write_text("".join(block.replace("nickname", f"col{i}") for i in range(1500)))
    code, err = pipeline(f"{SHELL_DOCTOR} explain many.log | head -1", tmp_path)
    assert (code, err) == (141, "")


def test_check_into_head_exits_141_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "prisma").mkdir()
    (tmp_path / "package.json").write_text('{"name": "app"}')
    (tmp_path / "prisma" / "schema.prisma").write_text("".join(f"garbage{i} ?\n" for i in range(3000)))
    code, err = pipeline(f"{SHELL_DOCTOR} check | head -1", tmp_path)
    assert (code, err) == (141, "")


@pytest.mark.parametrize(
    ("command", "code", "message"),
    [
        ("no-such-command-here", 127, "no-such-command-here: command not found"),
        ("./missing.sh", 127, "./missing.sh: no such file"),
        ("./plain.txt", 126, "./plain.txt: cannot run it: Permission denied"),
        (".", 126, ".: cannot run it: Permission denied"),
        ("./bad-interpreter.sh", 126, "./bad-interpreter.sh: bad interpreter"),
    ],
)
def test_run_reports_a_command_it_cannot_start_as_a_shell_does(
    tmp_path: Path, command: str, code: int, message: str
) -> None:
    (tmp_path / "plain.txt").write_text("not a program\n")
    (tmp_path / "bad-interpreter.sh").write_text("#!/no/such/interpreter\n")
    (tmp_path / "bad-interpreter.sh").chmod(0o755)
    done = doctor("run", "--", command, cwd=tmp_path, timeout=60)
    assert done.returncode == code
    assert done.stderr.startswith(f"prisma-doctor run: {message}") and done.stderr.count("\n") == 1, done.stderr
