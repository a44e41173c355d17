"""One .vsix per platform (scripts/package.sh): each carries the psutil build of its own platform and no other.

The packages are built once per session by the real vsce; the check reads the native module's own header (ELF,
PE or Mach-O machine, and musl for Alpine) and the wheel's tag, not the file names alone.
"""

from __future__ import annotations

import json
import re
import struct
import zipfile
from pathlib import Path

import pytest

from tests.vscode.harness import ROOT, ensure_npm_packages, run

pytestmark = pytest.mark.node

TARGETS: dict[str, list[str]] = json.loads((ROOT / "client-extension" / "targets.json").read_text())["targets"]
# What each target's native module must be: its file, its format and machine, and the wheel tag's platform.
EXPECTED = {
    "win32-x64": ("_psutil_windows.pyd", ("pe", 0x8664), "win_amd64"),
    "win32-arm64": ("_psutil_windows.pyd", ("pe", 0xAA64), "win_arm64"),
    "darwin-x64": ("_psutil_osx.abi3.so", ("macho", 0x01000007), "macosx_10_9_x86_64"),
    "darwin-arm64": ("_psutil_osx.abi3.so", ("macho", 0x0100000C), "macosx_11_0_arm64"),
    "linux-x64": ("_psutil_linux.abi3.so", ("elf", 62), "manylinux"),
    "linux-arm64": ("_psutil_linux.abi3.so", ("elf", 183), "manylinux"),
    "alpine-x64": ("_psutil_linux.abi3.so", ("elf", 62), "musllinux_1_2_x86_64"),
}
NATIVE = re.compile(r"\.(so|pyd|dll|dylib)$")


@pytest.fixture(scope="session")
def packages() -> dict[str, Path]:
    ensure_npm_packages()
    run(["bash", "scripts/package.sh"], ROOT, "scripts/package.sh", timeout=1800)
    return {target: ROOT / "dist" / f"prisma-doctor-{target}.vsix" for target in TARGETS}


def machine(binary: bytes) -> tuple[str, int]:
    """The format and machine a native library is built for, from its header."""
    if binary[:4] == b"\x7fELF":
        return "elf", struct.unpack_from("<H", binary, 18)[0]
    if binary[:2] == b"MZ":
        pe = struct.unpack_from("<I", binary, 0x3C)[0]
        assert binary[pe : pe + 4] == b"PE\0\0"
        return "pe", struct.unpack_from("<H", binary, pe + 4)[0]
    if binary[:4] == b"\xcf\xfa\xed\xfe":
        return "macho", struct.unpack_from("<I", binary, 4)[0]
    raise AssertionError(f"not a native library: {binary[:8]!r}")


def test_every_target_is_in_the_test() -> None:
    assert set(TARGETS) == set(EXPECTED)


@pytest.mark.parametrize("target", sorted(EXPECTED))
def test_each_vsix_carries_its_platforms_psutil_and_nothing_of_another(packages: dict[str, Path], target: str) -> None:
    module, header, tag = EXPECTED[target]
    with zipfile.ZipFile(packages[target]) as archive:
        names = archive.namelist()
        vsixmanifest = archive.read("extension.vsixmanifest").decode()
        natives = [name for name in names if NATIVE.search(name)]
        assert natives == [f"extension/bundled/libs/psutil/{module}"], natives
        binary = archive.read(natives[0])
        [wheel] = [name for name in names if re.search(r"/psutil-[^/]+\.dist-info/WHEEL$", name)]
        wheel_tags = re.findall(r"^Tag: (.+)$", archive.read(wheel).decode(), re.MULTILINE)
    assert f'TargetPlatform="{target}"' in vsixmanifest
    assert machine(binary) == header
    assert wheel_tags and all(tag in t for t in wheel_tags), wheel_tags
    # musl and glibc builds share a machine: the library's own dependencies tell them apart.
    assert (b"libc.musl" in binary) == (target == "alpine-x64")
    assert "extension/bundled/server/prisma_doctor/__main__.py" in names


def test_the_manifest_has_what_the_marketplace_shows(packages: dict[str, Path]) -> None:
    """vsce itself refused to package without these; the test holds what it cannot judge."""
    with zipfile.ZipFile(packages["linux-x64"]) as archive:
        manifest = json.loads(archive.read("extension/package.json"))
        names = set(archive.namelist())
        readme = archive.read("extension/readme.md").decode()
        icon = archive.read(f"extension/{manifest['icon']}")
    assert manifest["repository"]["url"].startswith("https://")
    assert manifest["license"] == "MIT" and "extension/LICENSE.txt" in names
    assert "extension/changelog.md" in names
    assert icon[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", icon[16:24]) >= (128, 128)
    assert manifest["categories"] and manifest["keywords"]
    # Images must resolve on the Marketplace and Open VSX, which show the README away from the repository.
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)|<img[^>]*src=\"([^\"]+)\"", readme)
    assert all(url.startswith("https://") for pair in images for url in pair if url)
