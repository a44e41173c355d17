"""Finding and stopping the project's own node processes, and only those (real node processes)."""

from __future__ import annotations

import _ctypes
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from prisma_doctor.repair.locks import LockedFile, holders_of, retry_while_locked
from prisma_doctor.repair.pipeline import run_plan
from prisma_doctor.repair.plan import build_plan
from prisma_doctor.repair.processes import find_project_processes, stop_processes
from tests.repair_fixtures import project_copy, repair_environment

pytestmark = pytest.mark.node
IDLE = "setInterval(() => {}, 1000)"


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "app"
    (project / "scripts").mkdir(parents=True)
    (project / "scripts" / "server.js").write_text(IDLE)
    (project / "package.json").write_text('{"name": "app"}')
    return project


def _wait_started(*processes: subprocess.Popen[bytes]) -> None:
    # psutil reads the command line once node has replaced the forked Python image.
    for process in processes:
        for _ in range(100):
            if "node" in " ".join(psutil.Process(process.pid).cmdline()):
                break
            psutil.wait_procs([], timeout=0.05)


def test_only_the_projects_node_processes_are_found_and_stopped(tmp_path: Path, spawn) -> None:
    project = _project(tmp_path)
    sibling = tmp_path / "app-other"  # a name that starts like the project's but is not inside it
    sibling.mkdir()
    inside_cwd = spawn(["node", "-e", IDLE], project)
    inside_script = spawn(["node", str(project / "scripts" / "server.js")], tmp_path)
    decoy_outside = spawn(["node", "-e", IDLE], tmp_path)
    decoy_sibling = spawn(["node", "-e", IDLE], sibling)
    not_node = spawn([sys.executable, "-c", "import time; time.sleep(60)"], project)
    _wait_started(inside_cwd, inside_script, decoy_outside, decoy_sibling)

    found = {p.pid: p for p in find_project_processes(project)}

    # A node that runs outside the project and only names a project file is not the project's to stop.
    assert set(found) == {inside_cwd.pid}
    assert found[inside_cwd.pid].reason == "working directory in the project"
    result = stop_processes(list(found.values()))
    assert {p.pid for p in result.stopped} == {inside_cwd.pid}
    assert inside_cwd.wait(timeout=10) is not None
    for survivor in (inside_script, decoy_outside, decoy_sibling, not_node):
        assert survivor.poll() is None


def test_a_process_with_the_client_open_from_outside_is_named_but_not_stopped(tmp_path: Path, spawn) -> None:
    project = _project(tmp_path)
    client = project / "node_modules" / ".prisma" / "client"
    client.mkdir(parents=True)
    (client / "index.js").write_text("module.exports = {}")
    holder = spawn(
        [sys.executable, "-c", f"f = open({str(client / 'index.js')!r}); import time; time.sleep(60)"], tmp_path
    )
    # Wait for that very file: while Python starts it opens (and closes) its own modules too.
    target = str((client / "index.js").resolve())
    for _ in range(400):
        if any(f.path == target for f in psutil.Process(holder.pid).open_files()):
            break
        psutil.wait_procs([], timeout=0.05)

    found = find_project_processes(project, [client])

    # Outside Windows an open file blocks no removal (a `tail -f` on a client file), so it is never stopped; it is
    # still named when a removal does fail.
    assert found == []
    assert [h.pid for h in holders_of(client)] == [holder.pid]
    # A copy set aside is also looked for under the name it had (Wine lists a moved mapped library so).
    assert [h.pid for h in holders_of(project / ".prisma-doctor" / "aside" / "1-client", was=client)] == [holder.pid]


def test_a_process_that_maps_the_engine_library_is_found(tmp_path: Path, spawn) -> None:
    project = _project(tmp_path)
    client = project / "node_modules" / ".prisma" / "client"
    client.mkdir(parents=True)
    engine = client / "libquery_engine-debian-openssl-3.0.x.so.node"
    # A real shared library, loaded the way Node loads the engine: dlopen maps it and keeps no descriptor open.
    shutil.copy(_ctypes.__file__, engine)
    script = f"import ctypes, time; ctypes.CDLL({str(engine)!r}); time.sleep(60)"
    mapper = spawn([sys.executable, "-c", script], tmp_path)
    for _ in range(200):
        if any(m.path == str(engine) for m in psutil.Process(mapper.pid).memory_maps()):
            break
        psutil.wait_procs([], timeout=0.05)
    assert psutil.Process(mapper.pid).open_files() == []

    assert find_project_processes(project, [client]) == []
    assert [h.pid for h in holders_of(client)] == [mapper.pid]


@pytest.fixture
def busy_mount(tmp_path: Path) -> Iterator[Path]:
    """A bind-mounted folder: removing its mount point fails with EBUSY, the lock this system really has."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "query_engine.node").write_text("x")
    point = tmp_path / "client"
    point.mkdir()
    if subprocess.run(["mount", "--bind", str(source), str(point)], capture_output=True).returncode != 0:
        pytest.skip("this machine does not allow bind mounts (needs root in a namespace that permits mount)")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def test_a_busy_folder_is_retried_until_released(busy_mount: Path) -> None:
    releaser = threading.Timer(0.3, lambda: subprocess.run(["umount", str(busy_mount)], check=True))
    releaser.start()
    try:
        retry_while_locked(lambda: os.rmdir(busy_mount), busy_mount)
    finally:
        releaser.join()
    assert not busy_mount.exists()


def test_a_folder_that_stays_busy_names_its_holder(busy_mount: Path, spawn) -> None:
    held = busy_mount / "query_engine.node"
    holder = spawn([sys.executable, "-c", f"f = open({str(held)!r}); import time; time.sleep(60)"], busy_mount.parent)
    for _ in range(400):
        if any(f.path == str(held) for f in psutil.Process(holder.pid).open_files()):
            break
        psutil.wait_procs([], timeout=0.05)
    with pytest.raises(LockedFile) as caught:
        retry_while_locked(lambda: os.rmdir(busy_mount), busy_mount, backoff=(0.01, 0.02))
    assert f"pid {holder.pid}" in str(caught.value)
    assert [h.pid for h in caught.value.holders] == [holder.pid]


def test_reset_leaves_a_process_it_cannot_start_again_running_and_says_so(tmp_path: Path, spawn) -> None:

    for name, value in repair_environment().items():
        os.environ[name] = value
    project = project_copy("npm", tmp_path / "app")
    (project / "server.js").write_text(IDLE)
    decoy = spawn(["node", "-e", IDLE], tmp_path)
    in_project = spawn(["node", "server.js"], project)
    _wait_started(decoy, in_project)

    result = run_plan(build_plan(project, "reset"))

    # Not a dev server the repair knows how to start again: stopping it would leave the app down for good.
    assert result.ok, result.to_json()
    assert any(f"pid {in_project.pid} (node server.js)" in note and "left running" in note for note in result.notes)
    assert in_project.poll() is None and decoy.poll() is None
    assert shutil.which("node")
