"""The Python package as users install it: a wheel and an sdist, built by uv and installed by the real uv and pipx
from PyPI into temporary folders, whose `prisma-doctor` answers `--help` and checks a small project."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = """datasource db {
  provider = "sqlite"
  url      = "file:dev.db"
}

generator client {
  provider = "prisma-client-js"
}

model User {
  id Int @id
}
"""
# Needs PyPI for uv, pipx and the package's dependencies: the same registry access the node tests need.
pytestmark = pytest.mark.node


def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, **kwargs)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def tools(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """uv and pipx from PyPI, in a venv of their own."""
    venv = tmp_path_factory.mktemp("tools") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    done = run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "uv", "pipx"])
    assert done.returncode == 0, done.stderr
    return venv / "bin"


@pytest.fixture(scope="module")
def distributions(tools: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    done = run([str(tools / "uv"), "build", "--sdist", "--wheel", "--out-dir", str(out), str(ROOT)])
    assert done.returncode == 0, done.stderr
    [wheel] = out.glob("prisma_doctor-*.whl")
    [sdist] = out.glob("prisma_doctor-*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


def small_project(where: Path) -> Path:
    (where / "prisma").mkdir(parents=True)
    (where / "prisma" / "schema.prisma").write_text(SCHEMA, encoding="utf-8")
    return where


def assert_it_runs(executable: Path, tmp_path: Path) -> None:
    assert executable.is_file(), f"no {executable}"
    done = run([str(executable), "--help"])
    assert done.returncode == 0 and "check" in done.stdout, done.stdout + done.stderr
    done = run([str(executable), "check", str(small_project(tmp_path / "app"))])
    # No client was generated: the installed tool must say so, with its stable code and exit 1.
    assert done.returncode == 1, done.stdout + done.stderr
    assert "[client-not-generated]" in done.stdout


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_uv_tool_install(tools: Path, distributions: dict[str, Path], kind: str, tmp_path: Path) -> None:
    env = {**os.environ, "UV_TOOL_DIR": str(tmp_path / "tools"), "UV_TOOL_BIN_DIR": str(tmp_path / "bin")}
    done = run([str(tools / "uv"), "tool", "install", str(distributions[kind])], env=env)
    assert done.returncode == 0, done.stderr
    assert_it_runs(tmp_path / "bin" / "prisma-doctor", tmp_path)


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_pipx_install(tools: Path, distributions: dict[str, Path], kind: str, tmp_path: Path) -> None:
    env = {**os.environ, "PIPX_HOME": str(tmp_path / "pipx"), "PIPX_BIN_DIR": str(tmp_path / "bin")}
    done = run([str(tools / "pipx"), "install", str(distributions[kind])], env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert_it_runs(tmp_path / "bin" / "prisma-doctor", tmp_path)
