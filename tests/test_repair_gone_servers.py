"""A server the repair left running that ended while it ran is named by the repair, and by every `check` after it
until it runs again or the user dismisses it (user trial 4, items 1 and 6: turbo ended the api with the web the
repair stopped; the repair named it, the next `check` said "in sync").

The server here is a real `node api.js` of the project, no dev server the repair can start again (so left running),
that exits once the generated client it loaded is gone from disk, as a worker that loads it lazily dies when the
reset sets it aside.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.helpers import check_json, doctor, repair_json, step
from tests.repair_fixtures import project_copy, repair_environment

pytestmark = pytest.mark.node

API = """
const fs = require('node:fs');
const http = require('node:http');
const client = 'node_modules/.prisma/client/index.js';
http.createServer((req, res) => res.end('api ok')).listen(0, '127.0.0.1');
// A worker that loads the client as it goes: gone from disk, it dies.
setInterval(() => { if (!fs.existsSync(client)) process.exit(1); }, 20);
"""


def _gone(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["code"] == "dev-server-gone"]


def _start_api(spawn: Callable[..., subprocess.Popen[bytes]], project: Path) -> subprocess.Popen[bytes]:
    api = spawn(["node", "api.js"], project)
    for _ in range(200):  # listening, as the repair's plan must see it
        if psutil.Process(api.pid).net_connections(kind="tcp"):
            break
        time.sleep(0.05)
    return api


def test_a_server_that_ended_during_the_repair_is_said_by_check_until_it_runs_again_or_is_dismissed(
    tmp_path: Path, spawn: Callable[..., subprocess.Popen[bytes]], restarted_groups: list[int]
) -> None:
    project = project_copy("npm", tmp_path / "app")
    (project / "api.js").write_text(API)
    api = _start_api(spawn, project)

    code, result = repair_json("reset", project, restarted=restarted_groups, env=repair_environment())

    assert api.wait(timeout=30) == 1  # it died with its client set aside
    assert code == 1, result
    restart = step(result, "restart-dev")
    assert restart["message"].startswith("a server of the project that this repair left running does not run now: ")
    assert "node api.js" in restart["message"], restart

    code, report = check_json(project)
    (gone,) = _gone(report)
    assert gone["message"].startswith(f"The server `node api.js` (in {project}, port "), gone
    assert "ended while the reset of " in gone["message"] and "does not run now: start it again" in gone["message"]
    assert [fix["id"] for fix in gone["fixes"]] == ["dismiss-gone-server"]
    assert "repair-interrupted" not in [f["code"] for f in report["findings"]]

    # Started again by the user: nothing to say while it runs.
    again = _start_api(spawn, project)
    assert _gone(check_json(project)[1]) == []
    again.kill()
    again.wait(timeout=30)
    assert len(_gone(check_json(project)[1])) == 1

    # Not meant to run: dismissed, it is not said again.
    dismissed = doctor("check", "--dismiss-gone", str(project))
    assert "dev-server-gone" not in dismissed.stdout, dismissed.stdout
    assert _gone(check_json(project)[1]) == []
