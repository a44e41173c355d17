"""`check` names a plain worker of the project (`node worker.js`, no watch, no port) started before the client was
generated: it keeps the old client in memory (`process-stale`, with its pid and command), while a worker started
after the generation and a dev server (`node --watch`, judged by its own rule) are not named as such."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

import pytest

from tests.helpers import check_json, codes
from tests.toolchain import ProjectFactory, schema_text

pytestmark = pytest.mark.node

MODELS = "model User {\n  id    Int    @id @default(autoincrement())\n  email String @unique\n}\n"
# Loads the client once, then works on: it never loads it again.
WORKER = """const { PrismaClient } = require("@prisma/client");
const prisma = new PrismaClient();
console.log("worker up", typeof prisma.user);
setInterval(() => {}, 1000);
"""


def test_a_worker_started_before_the_generation_is_named_with_its_pid(
    prisma_project: ProjectFactory, spawn: Callable[..., subprocess.Popen[bytes]]
) -> None:
    project = prisma_project(schema_text("6.17.1", MODELS), version="6.17.1")
    project.generate()
    project.push_database()
    (project.root / "worker.js").write_text(WORKER)
    old = spawn(["node", "worker.js"], project.root)
    time.sleep(1.5)  # it loads the client; the generation below is then seconds after its start
    project.edit_schema("  email String @unique\n", "  email String @unique\n  name  String?\n")
    project.generate()
    project.push_database()
    fresh = spawn(["node", "worker.js"], project.root)

    code, report = check_json(project.root)

    assert codes(report) == ["process-stale"], report
    (stale,) = report["findings"]
    assert (stale["data"]["pid"], stale["data"]["command"]) == (old.pid, "node worker.js"), stale
    assert fresh.pid != stale["data"]["pid"]
    # The client has no native engine here: nothing in the process shows it loaded it, so it is said as likely.
    assert stale["data"]["decided"] is False and "What decides" in stale["message"]
    assert "a repair leaves it running" in stale["message"] and stale["fixes"] == []
    assert code == 1
