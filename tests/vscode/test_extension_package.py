"""The packaged extension: a .vsix that carries the bundle, the Python server and its libraries."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest

from tests.vscode.harness import ROOT, ensure_npm_packages, package_vsix

pytestmark = pytest.mark.node


def test_typescript_compiles_without_errors() -> None:
    ensure_npm_packages()
    done = subprocess.run(["npm", "run", "--silent", "typecheck"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_eslint_finds_nothing() -> None:
    """typescript-eslint's type-checked recommended rules (client-extension/eslint.config.mjs), no warning let by."""
    ensure_npm_packages()
    done = subprocess.run(["npm", "run", "--silent", "lint"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_vsix_runs_the_server_without_any_pip_install(tmp_path) -> None:
    vsix = package_vsix()
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("extension/package.json"))
        archive.extractall(tmp_path)
    assert "extension/dist/extension.js" in names
    assert "extension/bundled/server/prisma_doctor/__main__.py" in names
    assert not any("__pycache__" in name for name in names)
    assert manifest["main"] == "./dist/extension.js"
    commands = {entry["command"]: entry for entry in manifest["contributes"]["commands"]}
    assert commands["prismaDoctor.fullReset"]["category"] == "Prisma"
    assert commands["prismaDoctor.fullReset"]["title"] == "Full Reset"

    # The bundled libraries alone (no site-packages: -S, -I) must import the server's dependencies.
    extension = tmp_path / "extension"
    probe = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; "
        "import pygls.lsp.server, lsprotocol.types, psutil, pg8000.native, pymysql, prisma_doctor; "
        "print(pygls.__file__)"
    )
    bundled = extension / "bundled"
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe, str(bundled / "server"), str(bundled / "libs")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert str(bundled / "libs") in done.stdout
