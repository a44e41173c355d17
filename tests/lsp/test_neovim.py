"""Headless Neovim (Debian's 0.7.2) as a second real client: diagnostics, code actions and a command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lsp.conftest import SERVER_ENV

DRIVER = Path(__file__).resolve().parent / "neovim" / "drive.lua"
pytestmark = pytest.mark.neovim


def neovim() -> str:
    """Debian's Neovim, installed through apt-get when absent (CI runs as root)."""
    found = shutil.which("nvim")
    if found:
        return found
    if os.geteuid() != 0:
        pytest.fail("Neovim is not installed and installing it needs root: apt-get install neovim")
    subprocess.run(["apt-get", "update"], check=True, capture_output=True, timeout=600)
    subprocess.run(
        ["apt-get", "install", "-y", "--no-install-recommends", "neovim"],
        check=True,
        capture_output=True,
        timeout=900,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    found = shutil.which("nvim")
    if not found:
        pytest.fail("apt-get installed neovim but nvim is not on the PATH")
    return found


def test_neovim_sees_diagnostics_code_actions_and_runs_a_command(drifted_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "neovim-result.json"
    schema = drifted_project / "prisma" / "schema.prisma"
    env = {
        **SERVER_ENV,
        "PRISMA_DOCTOR_NVIM_OUT": str(out),
        "PRISMA_DOCTOR_PROJECT": str(drifted_project.resolve()),
        "PRISMA_DOCTOR_PYTHON": sys.executable,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    subprocess.run(
        [neovim(), "--headless", "-n", "-i", "NONE", "-u", str(DRIVER), str(schema)],
        env=env,
        cwd=drifted_project,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert out.is_file(), "Neovim wrote no result"
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["errors"] == [], result
    drift = [d for d in result["diagnostics"] if d["code"] == "client-out-of-sync"]
    assert drift and "User.nickname" in drift[0]["message"], result["diagnostics"]
    titles = [a["title"] for a in result["actions"]]
    assert "Regenerate Prisma Client" in titles, result["actions"]
    assert all(a["command"] == "prismaDoctor.applyFix" for a in result["actions"])
    [report] = result["report"]["reports"]
    assert report["state"] == "out-of-sync"
