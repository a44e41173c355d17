"""A project of its own nested in the project's folder (attacker's trial 12, #2): `outer/examples-inner` has its own
package.json, node_modules, schema and client, and runs `tsx watch` there. Its processes hold nothing of outer's
client: a repair of outer neither stops nor restarts them, nor asks its app. A nested package that uses outer's
client (it depends on outer's package, as a workspace's app does) stays outer's.

Real processes: the watch servers' Prisma 6 app (tests/watch_servers.py) under `npm run dev` with tsx.
"""

from __future__ import annotations

import json
from pathlib import Path

import psutil
import pytest

from prisma_doctor.repair.devserver import find_dev_servers
from prisma_doctor.repair.processes import find_project_processes
from tests.helpers import doctor
from tests.watch_servers import NpmRunDev, project_copy

pytestmark = pytest.mark.node


def _nested(watch_template: Path, tmp_path: Path, *, depends: bool) -> tuple[Path, NpmRunDev]:
    outer = project_copy(watch_template, tmp_path / "outer", "tsx")
    inner = project_copy(watch_template, outer / "examples-inner", "tsx")
    package = json.loads((inner / "package.json").read_text())
    package["name"] = "inner"
    if depends:  # as a workspace's app depends on the package that holds the schema
        package["dependencies"][json.loads((outer / "package.json").read_text())["name"]] = "file:.."
    (inner / "package.json").write_text(json.dumps(package, indent=2))
    return outer, NpmRunDev(inner, tmp_path / "inner.log").start()


def _tree(pid: int) -> set[int]:
    process = psutil.Process(pid)
    return {process.pid, *(child.pid for child in process.children(recursive=True))}


def test_a_repair_leaves_a_nested_project_of_its_own_alone(watch_template: Path, tmp_path: Path) -> None:
    outer, inner = _nested(watch_template, tmp_path, depends=False)
    try:
        assert inner.process is not None
        before = _tree(inner.process.pid)
        assert not find_dev_servers(outer)
        assert not before & {p.pid for p in find_project_processes(outer)}

        done = doctor("reset", "--yes", "--project", str(outer), repair=True)

        assert done.returncode == 0, done.stdout + done.stderr
        assert all(psutil.pid_exists(pid) for pid in before), done.stdout
        assert "3 process" not in done.stdout and "localhost" not in done.stdout, done.stdout
        assert not (outer / ".prisma-doctor" / "dev-output.log").exists()
        assert inner.users().status == 200
    finally:
        inner.stop()


def test_a_nested_package_that_uses_the_projects_client_is_the_projects(watch_template: Path, tmp_path: Path) -> None:
    outer, inner = _nested(watch_template, tmp_path, depends=True)
    try:
        (server,) = find_dev_servers(outer)
        assert server.cwd == str(inner.project) and server.port == inner.port
    finally:
        inner.stop()
