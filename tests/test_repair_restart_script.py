"""A dev script that does more than serve (`node seed.js && node --watch server.js`, `prisma migrate reset --force &&
next dev`): a restart starts its dev server again, never the whole script (attacker's trial 4: the seed ran again on
every repair). Real `npm run dev`, real node, a real `prisma-doctor restart-dev`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import psutil
import pytest

from prisma_doctor.repair import listeners
from prisma_doctor.repair.devserver import find_dev_servers
from tests.helpers import repair_json

SERVER = """
const http = require('http');
const server = http.createServer((req, res) => { res.end('app'); });
server.listen(0, '127.0.0.1', () => console.log(`ready on http://localhost:${server.address().port}`));
"""
SEED = "require('fs').appendFileSync('SEEDED', 'seeded\\n');\n"
SCHEMA = 'datasource db {\n  provider = "sqlite"\n  url      = "file:./dev.db"\n}\n'


@pytest.mark.node
def test_a_script_that_seeds_before_its_server_is_not_run_again(
    tmp_path: Path, spawn, restarted_groups: list[int]
) -> None:
    project = tmp_path / "app"
    (project / "prisma").mkdir(parents=True)
    (project / "prisma" / "schema.prisma").write_text(SCHEMA)
    script = "node seed.js && node --watch server.js"
    (project / "package.json").write_text(json.dumps({"name": "app", "scripts": {"dev": script}}))
    (project / "server.js").write_text(SERVER)
    (project / "seed.js").write_text(SEED)
    npm = spawn(["npm", "run", "dev"], project, env={**os.environ})
    found = []
    for _ in range(300):
        found = [s for s in find_dev_servers(project) if s.port and npm.pid in s.launcher_pids]
        if found:
            break
        psutil.wait_procs([], timeout=0.1)
    assert found, "npm run dev did not start its server"
    (server,) = found
    assert (project / "SEEDED").read_text() == "seeded\n"
    # What a restart runs: the script's dev server, not `npm run dev` (which seeds first).
    assert server.command[-2:] == ("--watch", "server.js") and "run" not in server.command, server.command

    code, result = repair_json("restart-dev", project, restarted=restarted_groups)

    assert code == 0, result
    assert (project / "SEEDED").read_text() == "seeded\n"  # the seed did not run again
    (back,) = result["devServers"]
    assert listeners.listeners(listeners.tree(back["pid"])), result
