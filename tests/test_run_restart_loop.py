"""Issue 2 under load: restart-dev again and again against a server `prisma-doctor run` runs. Every time `run` holds,
starts its command again in its terminal and keeps running, and the app answers; never an exit 143 with the app down.
Slow (a minute per ten rounds, more under load): a reliability suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import doctor
from tests.watch_servers import NpmRunDev, project_copy, run_by_doctor

pytestmark = [pytest.mark.node, pytest.mark.slow]

ROUNDS = int(os.environ.get("RUN_RESTART_ROUNDS", "20"))


def test_run_survives_every_restart_in_a_row(watch_template: Path, tmp_path: Path) -> None:
    project = project_copy(watch_template, tmp_path / "app", "node")
    server = NpmRunDev(project, tmp_path / "unused.log")
    terminal = tmp_path / "terminal.log"
    with run_by_doctor(server, terminal) as run:
        assert server.wait_for_status(200) == 200, terminal.read_text()
        for round_ in range(ROUNDS):
            done = doctor("restart-dev", "--yes", "--project", str(project), env=server.environment)
            assert done.returncode == 0, f"round {round_}: {done.stdout}{done.stderr}{terminal.read_text()[-3000:]}"
            assert run.poll() is None, f"round {round_}: run exited {run.returncode}: {terminal.read_text()[-3000:]}"
            assert server.users().status == 200, f"round {round_}"
        assert terminal.read_text().count("starting `npm run dev` again") == ROUNDS
