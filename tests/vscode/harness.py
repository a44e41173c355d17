"""Builds what the real-VS-Code tests need: the extension's npm packages, the .vsix and code-server.

Everything heavy is installed once into `tests/.cache/` (keyed by version) so that a second run is quick;
anything that cannot be installed fails the test with the installer's own output.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "tests" / ".cache"
DRIVER = Path(__file__).with_name("drive.mjs")
VSIX = ROOT / "dist" / "prisma-doctor.vsix"


def run(command: list[str], cwd: Path, what: str, timeout: float = 1800, **kwargs: Any) -> str:
    """Runs a setup step; a failure fails the test with the step's output."""
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False, **kwargs)
    except (OSError, subprocess.TimeoutExpired) as error:
        pytest.fail(f"{what} could not run: {error}")
    if done.returncode != 0:
        pytest.fail(f"{what} failed (exit {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
    return done.stdout


def ensure_npm_packages() -> None:
    """The extension's build and test packages (esbuild, vsce, playwright-core, ESLint), from package-lock.json."""
    if shutil.which("npm") is None:
        pytest.fail("npm is not on PATH: the VS Code extension tests need Node.js 20 and npm")
    needed = [ROOT / "node_modules" / name for name in ("@vscode/vsce", "playwright-core", "typescript-eslint")]
    if not all(folder.is_dir() for folder in needed):
        run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], ROOT, "npm ci")


def package_vsix() -> Path:
    """Builds the extension (esbuild bundle, bundled Python server and libraries) and packages the .vsix."""
    ensure_npm_packages()
    VSIX.unlink(missing_ok=True)
    run(["npm", "run", "--silent", "package"], ROOT, "npm run package (esbuild + vsce)")
    if not VSIX.is_file():
        pytest.fail(f"vsce reported success but wrote no {VSIX}")
    return VSIX


def package_target(target: str) -> Path:
    """The .vsix of one platform (`win32-x64`), built by scripts/package.sh as a release builds it."""
    ensure_npm_packages()
    vsix = ROOT / "dist" / f"prisma-doctor-{target}.vsix"
    vsix.unlink(missing_ok=True)
    run(["bash", "scripts/package.sh", target], ROOT, f"scripts/package.sh {target}")
    if not vsix.is_file():
        pytest.fail(f"scripts/package.sh reported success but wrote no {vsix}")
    return vsix


def install_code_server() -> Path:
    """code-server, Chromium and playwright-core, through the same script a person would run."""
    script = ROOT / "scripts" / "install-code-server.sh"
    output = run(["bash", str(script)], ROOT, "scripts/install-code-server.sh")
    binary = Path(output.strip().splitlines()[-1])
    if not binary.is_file():
        pytest.fail(f"install-code-server.sh did not print an executable code-server path: {output!r}")
    return binary


def drive(
    code_server: Path,
    vsix: Path,
    project: Path,
    work: Path,
    screenshots: Path,
    *extra: str,
    python: str = sys.executable,
) -> dict[str, Any]:
    """Runs tests/vscode/drive.mjs and returns what it saw; a failed step fails the test with its evidence."""
    command = [
        "node", str(DRIVER),
        "--code-server", str(code_server),
        "--vsix", str(vsix),
        "--folder", str(project),
        "--python", python,
        "--work", str(work),
        "--screenshots", str(screenshots),
        *extra,
    ]  # fmt: skip
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"drive.mjs did not finish: {error}")
    try:
        result: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        output = f"{done.stdout[-3000:]}\n{done.stderr}"
        pytest.fail(f"drive.mjs gave no result (exit {done.returncode}):\n{output}")
    if not result.get("ok"):
        evidence = {key: result.get(key) for key in ("steps", "error", "statusAtFailure", "extensionLog")}
        pytest.fail("VS Code did not show what was expected:\n" + json.dumps(evidence, indent=2))
    return result
