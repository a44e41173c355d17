"""First, do no harm, in a copied folder: `cp -a app app-copy` while `prisma-doctor run` serves `app` carries its
run records (`.prisma-doctor/run-<pid>.json`) into the copy. They name a live run and its live child, both in `app`:
in the copy they are another folder's, so no repair there holds, stops or starts that server, and `check` there does
not call it the copy's own. Real `prisma-doctor run` of a real server (Prisma 6 + SQLite under node), real copies."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import psutil
import pytest

from tests.helpers import doctor, dry_run_plan, tree_contents
from tests.watch_servers import NpmRunDev, generate, project_copy, run_by_doctor

pytestmark = pytest.mark.node


def _tree(pid: int) -> list[tuple[int, float]]:
    """A process and everything under it, each with its start: the same processes, not pids used again."""
    top = psutil.Process(pid)
    return sorted((p.pid, p.create_time()) for p in [top, *top.children(recursive=True)])


def _names(text: str, folder: Path) -> bool:
    """Whether `text` names `folder` or a path in it (not `folder-copy`)."""
    return re.search(re.escape(str(folder)) + r"(?![\w.-])", text) is not None


def _handshake(project: Path) -> dict[str, str]:
    """The state folder's files but `run`'s output record: its run records and any request to a run."""
    return {name: digest for name, digest in tree_contents(project / ".prisma-doctor").items() if "output" not in name}


def test_a_copys_run_records_name_the_originals_server_which_no_repair_there_touches(
    watch_template: Path, tmp_path: Path, restarted_groups: list[int]
) -> None:
    original = project_copy(watch_template, tmp_path / "app", "node")
    server = NpmRunDev(original, tmp_path / "unused.log")
    terminal = tmp_path / "terminal.log"
    with run_by_doctor(server, terminal) as run:
        assert server.wait_for_status(200) == 200, terminal.read_text()
        records = sorted(p.name for p in (original / ".prisma-doctor").glob("run-*.json"))
        assert records == [f"run-{run.pid}.json"], records
        subprocess.run(["cp", "-a", str(original), str(tmp_path / "app-copy")], check=True)
        copy = tmp_path / "app-copy"
        assert (copy / ".prisma-doctor" / f"run-{run.pid}.json").is_file()
        # The copy's client is newer than the original's server: were that server the copy's, it would be stale.
        generate(copy)
        tree = _tree(run.pid)
        # (Its output record grows with every request it answers: the rest is the handshake, which must stay as is.)
        original_state = _handshake(original)

        checked = doctor("check", str(copy), "--json", env=server.environment)
        assert checked.returncode in (0, 1), checked.stdout + checked.stderr
        assert "dev-server" not in checked.stdout, checked.stdout
        plan = dry_run_plan("reset", project=copy, env=server.environment)
        restart_plan = dry_run_plan("restart-dev", project=copy, env=server.environment)
        done = doctor("reset", "--project", str(copy), "--yes", "--json", env=server.environment)
        restarted = doctor("restart-dev", "--project", str(copy), "--yes", "--json", env=server.environment)

        # Nothing of the original's in the copy's check or plans: its server, its run, its folder.
        theirs = [str(run.pid), *(str(pid) for pid, _ in tree)]
        for said in (checked.stdout, json.dumps(plan), json.dumps(restart_plan)):
            assert not _names(said, original), said
        stops = [step for p in (plan, restart_plan) for step in p["steps"] if step["name"] == "stop"]
        assert all(not any(f"pid {pid}:" in line for pid in theirs for line in s["preview"]) for s in stops), stops
        for result in (done, restarted):
            assert not _names(result.stdout, original), result.stdout
            restarted_groups.extend(s["pid"] for s in json.loads(result.stdout).get("devServers", []))
        # The original's server runs on, the very same processes, and answers as before; its run was asked nothing.
        assert run.poll() is None
        assert _tree(run.pid) == tree
        assert server.users().status == 200
        assert _handshake(original) == original_state
        assert "a repair stopped the dev server" not in terminal.read_text()
