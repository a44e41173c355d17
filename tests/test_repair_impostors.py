"""Processes that only look like the project's dev server, and dev servers that only look like an editor's helper:
a forged or stale `.next/dev/lock`, a reused pid, a word in an argument (real node processes)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from prisma_doctor.repair.context import StepContext
from prisma_doctor.repair.devserver import DevServer, find_dev_servers
from prisma_doctor.repair.pipeline import CancellationToken
from prisma_doctor.repair.processes import find_project_processes
from prisma_doctor.repair.steps import RestartDevServers

IDLE = "setInterval(() => {}, 1000)"
Spawn = Callable[..., subprocess.Popen[bytes]]


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "app"
    project.mkdir()
    (project / "package.json").write_text('{"name": "app", "scripts": {"dev": "next dev"}}')
    return project


def _script(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(IDLE)
    return path


def _lock(project: Path, pid: int, started_at: float) -> None:
    (project / ".next" / "dev").mkdir(parents=True, exist_ok=True)
    lock = {"pid": pid, "port": 9, "hostname": "localhost", "startedAt": int(started_at * 1000)}
    (project / ".next" / "dev" / "lock").write_text(json.dumps(lock))


@pytest.mark.node
def test_a_forged_lock_naming_a_job_that_is_no_dev_server_finds_no_server(tmp_path: Path, spawn: Spawn) -> None:
    project = _project(tmp_path)
    job = spawn(["node", "-e", IDLE, "long-migration-job"], project)
    started = psutil.Process(job.pid).create_time()
    for started_at in (0.001, started + 1):  # the trial's `"startedAt": 1`, and one that agrees with the process
        _lock(project, job.pid, started_at)
        assert [s.pid for s in find_dev_servers(project)] == []


@pytest.mark.node
def test_a_lock_is_believed_only_for_the_dev_server_that_started_when_it_says(tmp_path: Path, spawn: Spawn) -> None:
    project = _project(tmp_path)
    next_bin = _script(project / "node_modules" / "next" / "dist" / "bin" / "next")
    server = spawn(["node", str(next_bin), "dev"], project)
    started = psutil.Process(server.pid).create_time()
    # Written by this process a moment after it started: its server.
    _lock(project, server.pid, started + 1)
    assert [(s.pid, s.source) for s in find_dev_servers(project)] == [(server.pid, "next-lock")]
    # Written before it started: the pid was reused since, and the lock's server is gone. Found by its command line,
    # not by the lock (and not with the lock's port).
    _lock(project, server.pid, started - 3600)
    assert [(s.pid, s.source) for s in find_dev_servers(project)] == [(server.pid, "process")]


@pytest.mark.node
def test_a_lock_naming_the_editors_typescript_server_finds_no_server(tmp_path: Path, spawn: Spawn) -> None:
    project = _project(tmp_path)
    tsserver = _script(project / "node_modules" / "typescript" / "lib" / "tsserver.js")
    helper = spawn(["node", str(tsserver), "--useInferredProjectPerProjectRoot"], project)
    _lock(project, helper.pid, psutil.Process(helper.pid).create_time() + 1)
    assert find_dev_servers(project) == []
    assert helper.pid not in {p.pid for p in find_project_processes(project)}


@pytest.mark.node
def test_a_word_in_a_dev_servers_arguments_does_not_make_it_an_editor(tmp_path: Path, spawn: Spawn) -> None:
    project = _project(tmp_path)
    _script(project / "server.js")
    watched = spawn(["node", "--watch", "server.js", "--app=electron-shop"], project)
    # A hoisted bin in a folder whose name holds an editor's name.
    hoisted = _script(tmp_path / "vscode-tools" / "node_modules" / ".bin" / "next")
    (project / "web").mkdir()
    next_dev = spawn(["node", str(hoisted), "dev"], project / "web")

    found = {s.pid: s.tool for s in find_dev_servers(project)}

    assert found == {watched.pid: "node --watch", next_dev.pid: "next"}
    assert {watched.pid, next_dev.pid} <= {p.pid for p in find_project_processes(project)}


def test_a_server_that_was_not_stopped_is_not_said_to_run_again(tmp_path: Path) -> None:
    # This very process stands for a server the repair found but did not stop: it still runs.
    me = psutil.Process()
    server = DevServer(os.getpid(), ("node", "server.js"), str(tmp_path), None, (os.getpid(),), "next-lock")
    ctx = StepContext(tmp_path, CancellationToken(), lambda message: None)

    outcome = RestartDevServers([server]).run(ctx)

    assert me.is_running()
    assert outcome.status == "failed"
    assert "runs again" not in outcome.message and "was not stopped" in outcome.message
    assert outcome.details == (f"pid {os.getpid()} was not stopped and still runs as it was: not started again",)
