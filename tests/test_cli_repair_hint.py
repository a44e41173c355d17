"""The repair commands' closing advice: "restart the TypeScript server" only when there are new types to see."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import doctor
from tests.repair_fixtures import project_copy, push_database

HINT = "An open editor may need its TypeScript server restarted"


@pytest.mark.node
def test_the_typescript_hint_follows_a_generate_that_worked_and_only_then(tmp_path: Path) -> None:
    project = project_copy("npm", tmp_path / "app")
    schema = project / "prisma" / "schema.prisma"
    good = schema.read_text()
    # A generator Prisma cannot run: the schema validates (an invalid one is refused before any step), generate fails.
    schema.write_text(good + '\ngenerator broken {\n  provider = "node ./no-such-generator.js"\n}\n')
    failed = doctor("regenerate", "--yes", "--project", str(project), repair=True)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "repair NOT complete" in failed.stdout
    assert HINT not in failed.stdout

    schema.write_text(good + "\nmodel Post {\n  id Int @id\n  body String\n}\n")
    push_database(project)  # the table too, as a user of `db push` makes it: the client is what is behind
    worked = doctor("regenerate", "--yes", "--project", str(project), repair=True)
    assert worked.returncode == 0, worked.stdout + worked.stderr
    # Said once, as the terminal's closing advice: the plan and the steps leave the editor's step to the editor.
    assert worked.stdout.count("TypeScript server") == 1, worked.stdout
    # It says what it checked, and that the app's pages were not among it: no "verified" for an unseen app.
    assert "repair done: the generated clients match the schema" in worked.stdout
    assert "the app was not asked" in worked.stdout and "verified" not in worked.stdout
