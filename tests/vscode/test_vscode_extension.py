"""The extension in a real VS Code (code-server), driven with Playwright and Chromium like a person would.

Set PRISMA_DOCTOR_UPDATE_SCREENSHOTS=1 to write the screenshots into docs/screenshots/ (the README shows
them); otherwise they go to the test's temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.example_app import run_script
from tests.vscode.harness import ROOT, drive, install_code_server, package_vsix

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def code_server() -> Path:
    return install_code_server()


@pytest.fixture(scope="session")
def vsix() -> Path:
    return package_vsix()


def screenshots_folder(tmp_path: Path) -> Path:
    if os.environ.get("PRISMA_DOCTOR_UPDATE_SCREENSHOTS") == "1":
        return ROOT / "docs" / "screenshots"
    return tmp_path / "screenshots"


def test_full_reset_from_the_command_palette_brings_the_project_in_sync(
    code_server: Path, vsix: Path, example_app: Path, tmp_path: Path
) -> None:
    # The bundled example as a developer meets it: User.nickname added to the schema and the code, not generated.
    project = example_app
    run_script(project, "break.sh")
    shots = screenshots_folder(tmp_path)

    seen = drive(code_server, vsix, project, tmp_path / "vscode", shots)

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
    assert not any("client-out-of-sync" in row for row in seen["problemsAfter"])
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
