"""The extension in a real VS Code (code-server), driven with Playwright and Chromium like a person would.

Set PRISMA_DOCTOR_UPDATE_SCREENSHOTS=1 to write the screenshots into docs/screenshots/ (the README shows
them); otherwise they go to the test's temporary folder.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.dev_server import free_port
from tests.example_app import run_script
from tests.vscode.harness import ROOT, drive, install_code_server, package_vsix

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def code_server() -> Path:
    return install_code_server()


@pytest.fixture(scope="session")
def vsix() -> Path:
    return package_vsix()


@pytest.fixture
def broken_example(example_app: Path) -> Iterator[Path]:
    """The bundled example as a developer meets it after pulling a teammate's change (as scripts/demo.sh breaks it):
    User.nickname added to the schema, the code and, by its migration, the database; the client not generated.

    At teardown, stops whatever still runs in it (a dev server started in a VS Code terminal belongs to the
    terminal's own session, not to code-server's process group).
    """
    run_script(example_app, "break.sh", "--db")
    yield example_app
    for process in psutil.process_iter(["cwd"]):
        cwd = process.info.get("cwd")
        if cwd and Path(cwd).is_relative_to(example_app):
            process.kill()


def screenshots_folder(tmp_path: Path) -> Path:
    if os.environ.get("PRISMA_DOCTOR_UPDATE_SCREENSHOTS") == "1":
        return ROOT / "docs" / "screenshots"
    return tmp_path / "screenshots"


Scenario = Callable[..., dict[str, Any]]


@pytest.fixture
def scenario(code_server: Path, vsix: Path, broken_example: Path, tmp_path: Path) -> Scenario:
    """Runs one scenario of drive.mjs on the broken example; returns what VS Code showed."""

    def run(name: str, *options: str, python: str = sys.executable) -> dict[str, Any]:
        shots = screenshots_folder(tmp_path)
        work = tmp_path / "vscode"
        return drive(code_server, vsix, broken_example, work, shots, "--scenario", name, *options, python=python)

    return run


def test_full_reset_from_the_command_palette_brings_the_project_in_sync(
    scenario: Scenario, broken_example: Path, tmp_path: Path
) -> None:
    project = broken_example
    shots = screenshots_folder(tmp_path)

    seen = scenario("full-reset")

    # Before: a squiggle on the new field, the status bar and its tooltip, quick fixes, the Problems panel.
    assert seen["squigglesBefore"] >= 1
    assert seen["statusBefore"] == "Prisma: out of sync (1 problem)"
    assert "User.nickname" in seen["tooltip"]
    assert "Regenerate Prisma Client" in seen["quickFixes"]
    assert any(entry.startswith("Full Reset") for entry in seen["quickFixes"])
    assert any("User.nickname" in row and "client-out-of-sync" in row for row in seen["problemsBefore"])
    # The status bar's click offers the findings' fixes; the sync report names the finding and where it is.
    assert any(row.startswith("Regenerate Prisma Client") for row in seen["statusBarPick"])
    assert "client-out-of-sync" in seen["syncReport"]
    assert "at `prisma/schema.prisma:17:3`" in seen["syncReport"]

    # After "Prisma: Full Reset": the status bar says in sync, no squiggle, and the client on disk is new.
    assert seen["statusAfter"] == "Prisma: in sync"
    assert seen["squigglesAfter"] == 0
    assert not any("client-out-of-sync" in row for row in seen["problemsAfter"]), seen["problemsAfter"]
    # The server's prismaDoctor/restartTsServer reached the extension, which restarted the TypeScript server.
    assert "Restarted the TypeScript server after a regeneration." in seen["extensionLog"]
    generated = project / "node_modules" / ".prisma" / "client" / "schema.prisma"
    assert "nickname" in generated.read_text(encoding="utf-8")
    steps = [
        "01-schema-out-of-sync",
        "02-status-bar-tooltip",
        "03-quick-fix-menu",
        "05-status-bar-fixes",
        "06-sync-report",
        "08-after-full-reset-in-sync",
    ]
    for name in steps:
        assert (shots / f"{name}.png").stat().st_size > 10_000


def test_a_runtime_error_in_a_vscode_terminal_is_diagnosed_and_repaired_there(
    scenario: Scenario, broken_example: Path
) -> None:
    # The column exists in the database too: only the client (and the dev server holding it) is behind.
    seen = scenario("runtime-error", "--dev-port", str(free_port()), "--source-file", "app/page.tsx")

    # The page selects User.nickname with a client generated before it existed: Prisma throws, the page fails.
    assert seen["pageStatus"] == 500
    # The terminal's output reached the server, which put the error on the call in app/page.tsx.
    rows = seen["problemsRuntime"]
    page_row = next(index for index, row in enumerate(rows) if row.startswith("page.tsx"))
    assert any("prisma-doctor" in row and "nickname" in row for row in rows[page_row + 1 :])
    assert seen["sourceSquiggles"] >= 1
    assert "out of sync" in seen["statusRuntime"]

    # Regenerating is not enough while next dev holds the old client...
    assert seen["statusAfterRegenerate"].startswith("Prisma: dev server stale ("), seen["problemsAfterRegenerate"]
    # ...and "Prisma: Restart Dev Server" restarts it in the terminal it runs in: the page works, all is green.
    assert 'Restarting the dev server in terminal "Prisma Doctor: dev"' in seen["extensionLog"]
    assert seen["pageStatusAfterRestart"] == 200
    assert seen["sourceSquigglesAfterRestart"] == 0
    assert seen["statusAfterRestart"] == "Prisma: in sync"


def test_without_a_usable_python_the_extension_says_what_to_do(scenario: Scenario, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-python" / "python3"
    seen = scenario("no-python", python=str(missing))

    assert "needs Python 3.10 or newer" in seen["message"]
    assert str(missing) in seen["message"]
    assert "Set prismaDoctor.interpreter" in seen["messageActions"]
    assert seen["statusNoPython"] == "Prisma: error"
