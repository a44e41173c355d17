"""Whether a repair's install can succeed, decided before the repair stops anything: the registry the package
manager would download from answers (`registry.py`), or its cache holds every package the install must download, so
that it can run offline. Read-only: the lock file, `node_modules`, the cache's own index.

What the install must download: each package the lock file names that `node_modules` lacks (npm: a
`packages["node_modules/x"]` entry whose folder is gone; pnpm: a package whose `.pnpm/<name>@<version>` folder is
gone; a link alone that is gone is made again from what is there, and needs nothing). The cache holds a package when
npm's content store (`_cacache/content-v2`, addressed by the lock file's `integrity`) or pnpm's store index has it;
npm also needs the lock file's `resolved` for it, or it asks the registry for the package's metadata first. yarn's and
bun's caches are not read: with their registry unreachable, the repair says it cannot tell.

Why the install is not simply tried before the stop, with the old server still running: `npm install` and
`pnpm install` rewrite `node_modules` under it (npm prunes and moves folders, pnpm may relink or rebuild the whole
tree, `@prisma/client`'s postinstall regenerates the client the server has loaded), a running Vite or Next reloads
on half of it, and on Windows its open engine file makes the install fail. So the install keeps its place after
the stop, and this decides beforehand, without writing, whether it can succeed.
"""

from __future__ import annotations

import base64
import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from prisma_doctor.json_values import is_object
from prisma_doctor.masking import mask_url
from prisma_doctor.package_json import read_package_json
from prisma_doctor.project_files import read_text_if_any
from prisma_doctor.repair.package_manager import LOCK_FILES, PNPM_AS_INSTALLED, PackageManager
from prisma_doctor.repair.registry import Registries, manager_says, registries, unreachable


@dataclass(frozen=True)
class Locked:
    """A package as the lock file has it."""

    name: str
    version: str
    integrity: str = ""
    resolved: str = ""

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"


@dataclass(frozen=True)
class InstallReach:
    # The registry cannot be reached but the cache holds every package: the install runs offline.
    offline: bool = False
    # Why the install cannot succeed (the repair refuses); None when it can, or cannot be told otherwise.
    refusal: str | None = None
    note: str | None = None


def install_reach(manager: PackageManager, missing: list[str]) -> InstallReach:
    """Whether `manager`'s install can bring back what the project lacks (`missing`, its Prisma packages)."""
    needed = to_download(manager)
    if needed is not None and not needed:
        return InstallReach()  # only links are gone: the install makes them from what is there
    names = [locked.name for locked in needed] if needed else missing
    found = registries(manager, names)
    if found.unreadable is not None:
        # Guessing the default registry could send the install where the user's config does not: refused instead.
        return InstallReach(
            refusal=f"{manager.name}'s config in {manager.workspace_root} cannot be read ({found.unreadable}), so "
            "the registry the install would download from is not known: fix the config (or the environment it "
            "reads), then the repair"
        )
    down = _unreachable(found, names)
    if not down:
        return InstallReach()
    said = "; ".join(f"the registry {mask_url(url)} cannot be reached ({why})" for url, why in down.items())
    if needed is None:
        return InstallReach(refusal=f"{said}, and {_no_lock(manager)}: the install cannot succeed{_then(manager)}")
    lacking = not_cached(manager, needed, found)
    if lacking is None:
        return InstallReach(
            refusal=f"{said}, and whether {manager.name}'s cache holds {_listed(needed)} is not known here: the "
            f"install cannot be shown to succeed{_then(manager)}"
        )
    if lacking:
        unlocated = [p for p in lacking if manager.name == "npm" and not p.resolved]
        why = (
            f" (its lock file records no `resolved` URL for {_listed(unlocated)}: npm asks the registry where it is)"
            if unlocated
            else ""
        )
        return InstallReach(
            refusal=f"{said}, and {manager.name}'s cache does not hold {_listed(lacking)}{why}: the install cannot "
            f"succeed{_then(manager)}"
        )
    return InstallReach(
        offline=True,
        note=f"{said}, but {manager.name}'s cache holds every package the install needs ({_listed(needed)}): it "
        "runs offline",
    )


def _unreachable(found: Registries, names: list[str]) -> dict[str, str]:
    """Each registry the packages come from that cannot be reached, with why; asked at once."""
    by_registry = {found.of(name): name for name in names}

    def ask(url: str) -> str | None:
        proxy = found.proxy_for(url)
        return unreachable(url, by_registry[url], proxy, strict_ssl=found.strict_ssl, cafile=found.cafile)

    with ThreadPoolExecutor(max_workers=max(len(by_registry), 1)) as pool:
        answers = dict(zip(by_registry, pool.map(ask, by_registry), strict=True))
    return {url: why for url, why in answers.items() if why is not None}


def _listed(packages: list[Locked]) -> str:
    shown = ", ".join(locked.spec for locked in packages[:6])
    return shown + (f" and {len(packages) - 6} more" if len(packages) > 6 else "")


def _no_lock(manager: PackageManager) -> str:
    root = manager.workspace_root
    lock = next((name for name, owner in LOCK_FILES if owner == manager.name and (root / name).is_file()), None)
    if lock is not None:  # yarn's and bun's lock files are not read
        return f"what {manager.name} must download is not read here from its {lock}"
    return f"{root} has no lock file, so {manager.name} must ask the registry what to install"


def _then(manager: PackageManager) -> str:
    return f"; run `{manager.name} install` once the registry answers, then the repair"


def to_download(manager: PackageManager) -> list[Locked] | None:
    """The packages the install must download: those the lock file names that `node_modules` lacks. None when it
    cannot be told (no lock file, or yarn's and bun's, which are not read)."""
    root = manager.workspace_root
    if manager.name == "npm":
        for name in ("npm-shrinkwrap.json", "package-lock.json"):
            text = read_text_if_any(root / name)
            if text:
                return _npm_absent(root, text)
        return None
    if manager.name == "pnpm":
        text = read_text_if_any(root / "pnpm-lock.yaml")
        return _pnpm_absent(root, text) if text else None
    return None


def _npm_absent(root: Path, text: str) -> list[Locked] | None:
    try:
        lock = json.loads(text)
    except ValueError:
        return None
    packages = lock.get("packages") if is_object(lock) else None
    if not is_object(packages):
        return None  # a lock file of npm 6 (`dependencies` only): not read
    absent: list[Locked] = []
    for key, entry in packages.items():
        if not key or not is_object(entry) or entry.get("link") or entry.get("optional"):
            continue  # the root itself, a workspace link, a platform's optional package
        if "node_modules/" not in key or _whole(root / key):
            continue
        name = key.rsplit("node_modules/", 1)[1]
        version, integrity, resolved = (entry.get(k) for k in ("version", "integrity", "resolved"))
        absent.append(
            Locked(
                name,
                version if isinstance(version, str) else "",
                integrity if isinstance(integrity, str) else "",
                resolved if isinstance(resolved, str) else "",
            )
        )
    return absent


# A package of a pnpm lock file's `packages:` section: its key line, then its indented lines.
_PNPM_PACKAGE = re.compile(r"^  '?/?((?:@[^/\s']+/)?[^@\s']+)@([^\s'(:]+)'?:\n((?:    .*\n|\n)*?)(?=  \S|\Z)", re.M)
_PNPM_INTEGRITY = re.compile(r"integrity: ([A-Za-z0-9+/=-]+)")


def _pnpm_absent(root: Path, text: str) -> list[Locked]:
    start = text.find("\npackages:\n")
    end = text.find("\nsnapshots:\n")
    section = text[start + 1 : end + 1 if end > start else len(text)] + "\n" if start >= 0 else ""
    try:
        present: set[str] = {entry.name for entry in (root / "node_modules" / ".pnpm").iterdir()}
    except OSError:
        present = set()
    absent: list[Locked] = []
    for found in _PNPM_PACKAGE.finditer(section):
        name, version, body = found.groups()
        if re.search(r"^    (os|cpu|libc):", body, re.M):
            continue  # a platform's package: pnpm installs only this platform's, and skips the others
        folder = f"{name.replace('/', '+')}@{version}"
        copies = [entry for entry in present if entry == folder or entry.startswith(f"{folder}_")]
        if any(_whole(root / "node_modules" / ".pnpm" / copy / "node_modules" / name) for copy in copies):
            continue
        integrity = _PNPM_INTEGRITY.search(body)
        absent.append(Locked(name, version, integrity.group(1) if integrity else ""))
    return absent


def _whole(folder: Path) -> bool:
    """Whether an installed package's folder is whole: its package.json names a version. An empty folder (an install
    that did not finish) is installed again, so the install must have the package."""
    version = (read_package_json(folder) or {}).get("version")
    return isinstance(version, str) and bool(version)


def not_cached(manager: PackageManager, packages: list[Locked], found: Registries) -> list[Locked] | None:
    """The packages an offline install could not take from the cache; None when the cache is not read (yarn, bun)."""
    if manager.name == "npm":
        cache = found.cache / "_cacache" if found.cache is not None else None
        return [p for p in packages if cache is None or not p.resolved or not _in_cacache(cache, p.integrity)]
    if manager.name == "pnpm":
        store = _pnpm_store(manager.workspace_root)
        return [p for p in packages if store is None or not _in_pnpm_store(store, p)]
    return None


def _hex_digests(integrity: str) -> list[tuple[str, str]]:
    """(algorithm, hex digest) of each hash of a Subresource Integrity string (`sha512-<base64>`)."""
    digests: list[tuple[str, str]] = []
    for part in integrity.split():
        algorithm, _, encoded = part.partition("-")
        try:
            digests.append((algorithm, base64.b64decode(encoded, validate=True).hex()))
        except ValueError:
            continue
    return digests


def _in_cacache(cache: Path, integrity: str) -> bool:
    # cacache's content store: `content-v2/<algorithm>/<2 hex>/<2 hex>/<the rest>`, as npm reads it by integrity.
    return any(
        (cache / "content-v2" / algorithm / digest[:2] / digest[2:4] / digest[4:]).is_file()
        for algorithm, digest in _hex_digests(integrity)
    )


def _pnpm_store(folder: Path) -> Path | None:
    """pnpm's store for the project (`pnpm store path`: its `store-dir`, else the default), or None."""
    lines = manager_says(["pnpm", PNPM_AS_INSTALLED, "store", "path"], folder).strip().splitlines()
    return Path(lines[-1]) if lines else None


def _in_pnpm_store(store: Path, package: Locked) -> bool:
    # pnpm 10's index (`index/<2 hex>/<62 hex>-<name>@<version>.json`), pnpm 7-9's (`files/<2 hex>/<rest>-index.json`).
    for algorithm, digest in _hex_digests(package.integrity):
        if algorithm != "sha512":
            continue
        name = package.name.replace("/", "+")
        if (store / "index" / digest[:2] / f"{digest[2:64]}-{name}@{package.version}.json").is_file():
            return True
        if (store / "files" / digest[:2] / f"{digest[2:]}-index.json").is_file():
            return True
    return False
