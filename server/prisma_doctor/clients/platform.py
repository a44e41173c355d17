"""The name Prisma gives this machine: its binary target (`debian-openssl-3.0.x`, `linux-arm64-openssl-3.0.x`,
`linux-musl-openssl-3.0.x`, `darwin-arm64`, `windows`), for which a native query engine is built and named.

Found as @prisma/get-platform finds it (`getPlatform.ts`, Prisma 5 to 6): the OS and the CPU; on Linux the distro
of /etc/os-release (`ID`, then `ID_LIKE`) and the libssl version, read from the name of the first `libssl.so.N`
file in the distro family's library folders, else in `ldconfig -p`, else in /lib64, /usr/lib64 and /lib, else from
`openssl version -v` (libssl 0.x is never taken; 3.x is `3.0.x`). Where the distro or libssl is not known,
Prisma's own defaults (`debian`, `1.1.x`) are taken, so the name is the one Prisma's runtime would look for.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

SUPPORTED_LIBSSL = ("1.0.x", "1.1.x", "3.0.x")
DEFAULT_LIBSSL = "1.1.x"
DEFAULT_DISTRO = "debian"
# Node's `process.arch` for what `uname -m` (Python's `platform.machine()`) says.
_NODE_ARCH = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64", "i386": "ia32", "i686": "ia32"}
COMMAND_TIMEOUT_SECONDS = 5


@cache
def binary_target() -> str:
    """This machine's binary target, asked once per process (the machine does not change under it)."""
    system = sys.platform.rstrip("0123456789")  # Node's `os.platform()`: `freebsd14` is `freebsd`
    if system != "linux":
        return target_for(system, node_arch(platform.machine()), None, None, platform.release())
    distro, family = parse_distro(_read_os_release())
    libssl = libssl_version(family, platform.machine())
    return target_for(system, node_arch(platform.machine()), distro, libssl)


def target_for(system: str, arch: str, distro: str | None, libssl: str | None, release: str = "") -> str:
    """`getBinaryTargetForCurrentPlatformInternal`: `system` and `arch` as Node names them (`linux`, `darwin`,
    `win32`; `x64`, `arm64`), `distro` the engines' distro (`parse_distro`), `release` the OS's (FreeBSD's major)."""
    if system == "darwin":
        return "darwin-arm64" if arch == "arm64" else "darwin"
    if system == "win32":
        return "windows"
    if system == "freebsd":
        major = re.match(r"\d+", release)
        return f"freebsd{major.group()}" if major else "freebsd"
    if system in ("openbsd", "netbsd"):
        return system
    if system == "linux" and distro == "nixos":
        return "linux-nixos"
    if system == "linux" and arch == "arm64":
        base = "linux-musl-arm64" if distro == "musl" else "linux-arm64"
        return f"{base}-openssl-{libssl or DEFAULT_LIBSSL}"
    if system == "linux" and arch == "arm":
        return f"linux-arm-openssl-{libssl or DEFAULT_LIBSSL}"
    if system == "linux" and distro == "musl":
        # Alpine 3.16 and older link OpenSSL 1.1, whose engines carry no libssl in their name.
        return "linux-musl" if libssl is None or libssl.startswith("1.") else f"linux-musl-openssl-{libssl}"
    if system == "linux" and distro is not None and libssl is not None:
        return f"{distro}-openssl-{libssl}"
    # An OS Prisma does not know is taken for Linux; a distro or libssl it does not know, for its defaults.
    if libssl is not None:
        return f"{DEFAULT_DISTRO}-openssl-{libssl}"
    return f"{distro or DEFAULT_DISTRO}-openssl-{DEFAULT_LIBSSL}"


def node_arch(machine: str) -> str:
    lowered = machine.lower()
    if lowered.startswith("arm") and lowered != "arm64":
        return "arm"
    return _NODE_ARCH.get(lowered, lowered)


def parse_distro(os_release: str) -> tuple[str | None, str | None]:
    """(the engines' distro, the distro family) of an /etc/os-release, as `parseDistro` decides them."""
    found = re.search(r'^ID="?([^"\n]*)"?$', os_release, re.I | re.M)
    like_found = re.search(r'^ID_LIKE="?([^"\n]*)"?$', os_release, re.I | re.M)
    distro = found.group(1).lower() if found else ""
    like = like_found.group(1).lower() if like_found else ""
    if distro == "alpine":
        return "musl", "alpine"
    if distro == "raspbian":
        return "arm", "debian"
    if distro == "nixos":
        return "nixos", "nixos"
    if distro in ("debian", "ubuntu"):
        return "debian", "debian"
    if distro in ("rhel", "centos", "fedora"):
        return "rhel", "rhel"
    if "debian" in like or "ubuntu" in like:
        return "debian", "debian"
    if distro == "arch" or "arch" in like:
        return "debian", "arch"
    if any(name in like for name in ("centos", "fedora", "rhel", "suse")):
        return "rhel", "rhel"
    return None, None


def parse_libssl(name: str) -> str | None:
    """`libssl.so.3` -> `3.0.x`, `libssl.so.1.1` -> `1.1.x`: the first such name in `name`."""
    found = re.search(r"libssl\.so\.(\d)(\.\d)?", name)
    return _supported(f"{found.group(1)}{found.group(2) or '.0'}.x") if found else None


def parse_openssl(line: str) -> str | None:
    """`OpenSSL 3.0.2 15 Mar 2022 ...` -> `3.0.x`."""
    found = re.match(r"OpenSSL\s(\d+\.\d+)\.\d+", line)
    return _supported(f"{found.group(1)}.x") if found else None


def _supported(version: str) -> str | None:
    if not version.startswith("1."):
        major, _, rest = version.partition(".")
        version = f"{major}.0.{rest.partition('.')[2]}"
    return version if version in SUPPORTED_LIBSSL else None


def libssl_version(family: str | None, machine: str) -> str | None:
    """The libssl version Prisma finds here (`getSSLVersion`), or None when it finds none."""
    specific = {
        "debian": [f"/usr/lib/{machine}-linux-gnu", f"/lib/{machine}-linux-gnu"],
        "rhel": ["/lib64", "/usr/lib64"],
    }.get(family or "", [])
    found = _libssl_in(specific)
    if found is not None and (version := parse_libssl(found)) is not None:
        return version
    names = sorted(n for n in _ldconfig_libraries() if "libssl" in n and "libssl.so.0" not in n)
    listed = "\n".join(names) or _libssl_in(["/lib64", "/usr/lib64", "/lib"])
    if listed and (version := parse_libssl(listed)) is not None:
        return version
    line = _output(["openssl", "version", "-v"])
    return parse_openssl(line) if line else None


def _libssl_in(folders: list[str]) -> str | None:
    """The first `libssl.so.N` (never 0.x) of the first folder that has one, in Node's order (sorted by name)."""
    for folder in folders:
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        found = next((n for n in names if n.startswith("libssl.so.") and not n.startswith("libssl.so.0")), None)
        if found is not None:
            return found
    return None


def _ldconfig_libraries() -> list[str]:
    """The file names `ldconfig -p` lists (`libssl.so.3 (libc6,x86-64) => /usr/lib/.../libssl.so.3`)."""
    output = _output(["ldconfig", "-p"]) or _output(["/sbin/ldconfig", "-p"])
    return [Path(line.rpartition("=>")[2].strip()).name for line in (output or "").splitlines() if "=>" in line]


def _output(command: list[str]) -> str | None:
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _read_os_release() -> str:
    try:
        return Path("/etc/os-release").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
