"""A repair in a folder whose name holds line breaks, quotes and shell syntax (the attacker's trial 7): every path it
prints, in a step's line, a stop line, a set-aside line or a child's output, stays on one line, escaped, and no line
of ours is forged by the name (`p\\nrepair verified: ...` printed that verdict on a line of its own); and a name too
long to be set aside under the repair's own name is refused before anything changes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from prisma_doctor.cli.render import escaped
from tests.helpers import doctor, tree_contents
from tests.npm_cache import run
from tests.repair_fixtures import project_copy, repair_environment
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


def test_a_generator_output_with_a_line_break_is_set_aside_on_one_line(tmp_path: Path) -> None:
    project = project_copy("npm", tmp_path / "app")
    with_output(project, "../src/gen\\nrepair done forged")  # Prisma reads `\n` in a string as a line break
    client = project / "src" / "gen\nrepair done forged"
    assert (client / "index.js").is_file()
    done = doctor("regenerate", "--yes", "--project", str(project), repair=True, env={"CI": "1"})
    assert f"set-aside: set aside {escaped(str(client))}" in done.stdout, done.stdout
    assert not [line for line in done.stdout.splitlines()[:-1] if VERDICT.match(line)], done.stdout


def with_output(project: Path, output: str) -> None:
    """The project's generator given `output`, and its client generated there by the real `prisma generate`."""
    schema = project / "prisma" / "schema.prisma"
    text = schema.read_text()
    schema.write_text(text.replace('engineType = "client"', f'engineType = "client"\n  output = "{output}"'))
    run(["npx", "--no-install", "prisma", "generate"], project, env=repair_environment())


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


def test_a_client_folder_whose_aside_name_would_be_too_long_is_refused_before_anything(tmp_path: Path) -> None:
    project = project_copy("npm", tmp_path / "app")
    long_name = "c" * 240  # a name Prisma accepts; set aside with a time stamp before it, more than NAME_MAX (255)
    with_output(project, f"../src/{long_name}")
    client = project / "src" / long_name
    assert (client / "index.js").is_file()
    before = tree_contents(project / "src")

    plan = doctor("reset", "--dry-run", "--project", str(project), repair=True, env={"CI": "1"})
    assert plan.returncode == 2, plan.stdout + plan.stderr
    done = doctor("reset", "--yes", "--project", str(project), repair=True, env={"CI": "1"})

    assert done.returncode == 2, done.stdout + done.stderr
    assert "cannot be set aside" in done.stderr and "255" in done.stderr, done.stderr
    assert "NOT complete" not in done.stdout + done.stderr and "[1/" not in done.stdout
    assert tree_contents(project / "src") == before
