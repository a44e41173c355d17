"""Projects that fight back: a package.json that is not JSON, a file nobody may delete, links that loop or lead out.

Every case must end with a clear message, a meaningful exit code and nothing outside the project touched.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.helpers import doctor, set_immutable
from tests.repair_fixtures import SCHEMA, project_copy, push_database


def schema_project(folder: Path, package_json: bytes) -> Path:
    (folder / "prisma").mkdir(parents=True)
    (folder / "prisma" / "schema.prisma").write_text(SCHEMA)
    (folder / "package.json").write_bytes(package_json)
    return folder


@pytest.mark.parametrize(
    ("content", "line", "column", "says"),
    [
        (b'{\n  "name": "app",\n  oops\n}\n', 3, 3, "is not valid JSON: Expecting property name"),
        # Columns count UTF-16 code units, as editors do: the emoji before the error counts twice.
        ('{\n  "name": "\U0001f600", "x": }'.encode(), 2, 22, "is not valid JSON: Expecting value"),
        # json's own message ends in "at", to be followed by a position: not "starting at at line 1".
        (b'{"name": "app}', 1, 10, "is not valid JSON: Unterminated string starting at line 1, column 10. "),
        (b'{"name": "a\tb"}', 1, 12, "is not valid JSON: Invalid control character at line 1, column 12. "),
        (b"[1, 2]", 1, 1, "holds a JSON list, not an object"),
        (b"\xff\xfe{}", None, None, "cannot be read as UTF-8 text"),
        # Deeper than the decoder's recursion limit, and a number too long for int(): neither may crash anything
        # that reads package.json (schema location, the installed Prisma's version, the package manager).
        (b"[" * 100_000, None, None, "cannot be read as JSON (maximum recursion depth exceeded"),
        (b'{"version": ' + b"9" * 5000 + b"}", None, None, "cannot be read as JSON (Exceeds the limit"),
    ],
)
def test_a_package_json_that_is_not_json_is_named_where_it_breaks(
    tmp_path: Path, content: bytes, line: int | None, column: int | None, says: str
) -> None:
    project = schema_project(tmp_path / "app", content)
    result = doctor("check", "--json", cwd=project, repair=True)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    findings = json.loads(result.stdout)["findings"]
    invalid = [f for f in findings if f["code"] == "package-json-invalid"]
    assert len(invalid) == 1
    assert says in invalid[0]["message"]
    assert invalid[0]["location"]["file"] == str(project / "package.json")
    assert (invalid[0]["location"]["line"], invalid[0]["location"]["column"]) == (line, column)
    # The rest of the check still runs: the schema was found and its generator judged.
    assert any(f["code"] == "client-not-generated" for f in findings)
    # The repair's preview still works and names its steps, and says why it would refuse (no Prisma to run);
    # the file itself is left as it was.
    preview = doctor("reset", "--dry-run", cwd=project, repair=True)
    assert preview.returncode == 2, preview.stderr
    # A refused plan is no numbered plan that reads as if it will run: it says nothing runs, and names its steps
    # only as what follows once the refusals are resolved; --json keeps every step in full.
    assert "nothing will run: the repair refuses for the reasons above" in preview.stdout
    assert "once they are resolved, it would: " in preview.stdout and "regenerate Prisma Client" in preview.stdout
    assert not re.search(r"^\d+\. ", preview.stdout, re.MULTILINE), preview.stdout
    whole = json.loads(doctor("reset", "--dry-run", "--json", cwd=project, repair=True).stdout)
    assert "generate" in [step["name"] for step in whole["steps"]] and whole["refusals"]
    assert "refused: the `prisma` package is neither installed nor declared" in preview.stdout
    assert (project / "package.json").read_bytes() == content


def test_a_package_json_declaring_the_schema_is_named_when_no_schema_is_found(tmp_path: Path) -> None:
    project = tmp_path / "app"
    project.mkdir()
    (project / "db").mkdir()
    (project / "db" / "main.prisma").write_text(SCHEMA)
    (project / "package.json").write_text('{"prisma": {"schema": "db/main.prisma"},}')
    result = doctor("check", "--json", cwd=project, repair=True)
    assert "Traceback" not in result.stderr
    codes = [f["code"] for f in json.loads(result.stdout)["findings"]]
    # Why the schema was not found is the broken file that names it.
    assert codes == ["package-json-invalid", "schema-unreadable"]


@pytest.mark.node
def test_a_file_that_cannot_be_deleted_is_named_as_a_permission_error_and_the_repair_still_lands(
    tmp_path: Path,
) -> None:
    project = project_copy("npm", tmp_path / "app")
    locked = project / "node_modules" / ".prisma" / "client" / "index.js"
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    (project / "node_modules" / "outside-link").symlink_to(outside)
    with (project / "prisma" / "schema.prisma").open("a") as schema:
        schema.write("\nmodel Post {\n  id Int @id\n}\n")
    push_database(project)  # the table too, as a user of `db push` makes it: the client is what is behind
    set_immutable(locked, True)
    try:
        result = doctor("regenerate", "--yes", cwd=project, repair=True)
        # The old client was set aside whole (a rename), the new one generated; only the old copy's removal
        # meets the file nobody may delete, and that is named for what it is.
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        assert "permission denied" in result.stdout and "not a lock" in result.stdout
        assert "stayed locked" not in result.stdout
        assert outside.read_text() == "keep"
        assert doctor("check", cwd=project, repair=True).returncode == 0
    finally:
        for kept in (project / ".prisma-doctor" / "aside").rglob("index.js"):
            set_immutable(kept, False)
        if locked.exists():
            set_immutable(locked, False)


def test_link_loops_and_links_out_of_the_tree_end_the_search_for_projects(tmp_path: Path) -> None:
    project = schema_project(tmp_path / "repo" / "app", b'{"name": "app"}')
    (project / "loop").symlink_to(project, target_is_directory=True)
    (project / "self").symlink_to("self")
    (tmp_path / "repo" / "root").symlink_to("/", target_is_directory=True)
    result = doctor("check", "--json", str(tmp_path / "repo"), cwd=tmp_path, repair=True)
    assert "Traceback" not in result.stderr
    reports = json.loads(result.stdout)
    projects = [r["project"] for r in reports] if isinstance(reports, list) else [reports["project"]]
    assert projects == [str(project)]
