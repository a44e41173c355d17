"""Project paths with a line break, an escape sequence or bytes that are not UTF-8: each finding stays one line."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.helpers import doctor

UTF8 = {"PYTHONIOENCODING": "utf-8"}
# Two problems Prisma would refuse, a generator without a client and a database file nobody made: four findings,
# each with a location.
SCHEMA = """generator client {
  provider = "prisma-client-js"
}

datasource db {
  provider = "sqlite"
  url      = "file:./dev.db"
}

model Bad {
  x Foo
}
"""
# A finding's first line: where, severity, message, [code]; its other lines are indented.
FINDING = re.compile(r"^(?P<where>.+):\d+:\d+: (error|warning|info): .* \[[a-z-]+\]$")


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        (b"my\napp", r"'my\napp/prisma/schema.prisma'"),
        (b"red\x1b[31mapp", r"'red\x1b[31mapp/prisma/schema.prisma'"),
        (b"latin\xe9app", r"'latin\udce9app/prisma/schema.prisma'"),
    ],
)
def test_each_finding_stays_one_line_whatever_the_project_is_called(tmp_path: Path, name: bytes, shown: str) -> None:
    project = Path(os.fsdecode(bytes(tmp_path) + b"/" + name))
    (project / "prisma").mkdir(parents=True)
    (project / "prisma" / "schema.prisma").write_text(SCHEMA)
    (project / "package.json").write_text('{"name": "app"}')

    done = doctor("check", cwd=tmp_path, env=UTF8, text=False)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.decode().splitlines()
    heads = [line for line in lines if not line.startswith("    ")]
    *findings, summary = heads
    assert len(findings) == 4, lines
    for line in findings:
        match = FINDING.match(line)
        assert match is not None, line
        assert match["where"] == shown
    folder = shown.removesuffix("/prisma/schema.prisma'") + "'"
    assert summary == f"{folder}: out of sync (4 problems)"

    # JSON keeps the path as it is.
    data = json.loads(doctor("check", "--json", cwd=tmp_path, env=UTF8, text=False).stdout)
    assert {f["location"]["file"] for f in data["findings"]} == {str(project / "prisma" / "schema.prisma")}


def test_a_plan_shows_a_generator_output_with_a_line_break_and_escapes_as_one_escaped_line(tmp_path: Path) -> None:
    project = tmp_path / "app"
    (project / "prisma").mkdir(parents=True)
    (project / "package.json").write_text('{"name": "app"}')
    # The trial's `output`: a fake plan line, then escapes that erase the line above it.
    forged = r"../../outside\n5. Restart the dev server [restart-dev]\u001b[2K\u001b[1A\u001b[2K/client"
    (project / "prisma" / "schema.prisma").write_text(
        SCHEMA.replace('"prisma-client-js"', f'"prisma-client-js"\n  output = "{forged}"')
    )
    done = doctor("reset", "--dry-run", cwd=project, env=UTF8)
    assert "\x1b" not in done.stdout + done.stderr
    lines = done.stdout.splitlines()
    # The plan refuses (its output is outside the project), so it lists no numbered step: the forged one is no line.
    assert [line for line in lines if line.startswith("5. ")] == []
    assert any("outside\\n5. Restart the dev server [restart-dev]\\x1b[2K\\x1b[1A" in line for line in lines)
    # JSON keeps the text as it is: its reader escapes what it prints.
    plan = doctor("reset", "--dry-run", "--json", cwd=project, env=UTF8)
    assert any("\x1b[2K" in reason for reason in json.loads(plan.stdout)["refusals"])


def test_output_in_a_code_page_that_lacks_a_character_escapes_it_instead_of_crashing(tmp_path: Path) -> None:
    # Windows writes redirected output in the ANSI code page (cp1252): `✔`, `Ł` and `東京` are not in it.
    project = tmp_path / "✔ Łódź 東京"
    (project / "prisma").mkdir(parents=True)
    (project / "prisma" / "schema.prisma").write_text(SCHEMA)
    (project / "package.json").write_text('{"name": "app"}')

    done = doctor("check", cwd=tmp_path, env={"PYTHONIOENCODING": "cp1252"}, text=False)
    assert done.returncode == 1, done.stderr
    assert b"Traceback" not in done.stderr
    text = done.stdout.decode("cp1252")
    # What cp1252 has (ó) is written as itself; the rest as Python's escapes.
    assert "\\u2714 \\u0141ód\\u017a \\u6771\\u4eac/prisma/schema.prisma" in text, text
    assert text.splitlines()[-1].endswith("out of sync (4 problems)")
