"""A repair in a folder whose name holds line breaks, quotes and shell syntax (the attacker's trial 7): every path it
prints, in a step's line, a stop line, a set-aside line or a child's output, stays on one line, escaped, and no line
of ours is forged by the name (`p\\nrepair verified: ...` printed that verdict on a line of its own)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from prisma_doctor.cli.render import escaped
from tests.helpers import doctor
from tests.repair_fixtures import project_copy
from tests.watch_servers import NpmRunDev
from tests.watch_servers import project_copy as watch_copy

FORGED = "p\nrepair verified: the app answers: GET on localhost:3000 answers 200\nx"
# No colon: npm puts the project's node_modules/.bin on the PATH, which a colon would cut, and the server must run.
HOSTILE = "a b\nc ü '$(x)\nrepair done x"
VERDICT = re.compile(r"^\s*(repair (verified|done|NOT complete)|refused)\b")


def assert_one_line_each(output: str, folder: Path) -> None:
    lines = output.splitlines()
    forged = [line for line in lines[:-1] if VERDICT.match(line)]
    assert not forged, output
    shown = escaped(str(folder))
    for line in lines:
        if str(folder.parent) in line:
            assert shown in line, f"a path cut across lines: {line!r}\n{output}"


def test_a_failed_regenerate_prints_no_verdict_from_the_folder_name(tmp_path: Path) -> None:
    project = project_copy("npm", tmp_path / FORGED)
    done = doctor("regenerate", "--yes", "--project", str(project), repair=True, env={"CI": "1"})
    output = done.stdout + done.stderr
    assert f"set aside {escaped(str(project))}/" in output, output
    assert_one_line_each(done.stdout, project)
    assert_one_line_each(done.stderr, project)


@pytest.mark.node
def test_reset_stop_and_set_aside_lines_keep_each_path_on_one_line(
    watch_template: Path, tmp_path: Path, restarted_groups: list[int]
) -> None:
    project = watch_copy(watch_template, tmp_path / HOSTILE, "tsx")
    server = NpmRunDev(project, tmp_path / "npm-run-dev.log").start()
    try:
        assert server.users().status == 200, server.output
        done = doctor("reset", "--yes", "--project", str(project), env={**server.environment, "CI": "1"})
        restarted_groups.extend(int(pid) for pid in re.findall(r"restart-dev: pid (\d+):", done.stdout))
        assert "stop: stopped pid" in done.stdout, done.stdout + done.stderr
        assert "set-aside: set aside" in done.stdout, done.stdout
        assert_one_line_each(done.stdout, project)
        assert_one_line_each(done.stderr, project)
    finally:
        server.stop()
