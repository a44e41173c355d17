"""The Prisma packages a project has installed: `prisma` and `@prisma/client`, resolved as Node resolves them
(pnpm's links, hoisting, the workspace root), and whether they agree with each other and with the clients.

A generated client imports `@prisma/client/runtime/...` from its own folder, so `@prisma/client` is resolved from
each generator's output (Prisma 7's `src/generated/prisma` as much as the default `node_modules/.prisma/client`);
`prisma` is resolved from the schema's folder, where `prisma generate` runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from prisma_doctor.clients.locate import find_package
from prisma_doctor.findings import Finding, Location, Severity
from prisma_doctor.json_values import is_object
from prisma_doctor.package_json import read_package_json

CLI = "prisma"
CLIENT = "@prisma/client"
# Prisma's packages that a project's own code imports (`@prisma/adapter-libsql`, `@prisma/extension-accelerate`):
# each declared one is expected installed, as the client is.
PLUGIN_PREFIXES = ("@prisma/adapter-", "@prisma/extension-")


@dataclass(frozen=True)
class Installed:
    name: str
    # Where Node finds it from the folder that needs it (None: it does not resolve).
    folder: Path | None
    version: str | None


def installed_package(name: str, *starts: Path) -> Installed:
    """The package as Node finds it from the first of `starts` it resolves from."""
    for start in starts:
        folder = find_package(name, start)
        if folder is None:
            continue
        version = (read_package_json(folder) or {}).get("version")
        return Installed(name, folder, version if isinstance(version, str) else None)
    return Installed(name, None, None)


def usable_package(name: str, start: Path) -> Path | None:
    """The package's folder as Node finds it from `start`, when it is installed whole enough to be used: a folder
    whose package.json names a version. An install that did not finish (an empty folder, a package.json without a
    version, one that is not JSON) is not: `@prisma/client`'s generate and runtime fail on it."""
    folder = find_package(name, start)
    if folder is None:
        return None
    version = (read_package_json(folder) or {}).get("version")
    return folder if isinstance(version, str) and version else None


def installed_version(name: str, *starts: Path) -> str | None:
    return installed_package(name, *starts).version


def declared_packages(root: Path) -> dict[str, str]:
    """The dependencies and devDependencies of the project's package.json."""
    package = read_package_json(root) or {}
    declared: dict[str, str] = {}
    for key in ("dependencies", "devDependencies"):
        section = package.get(key)
        if is_object(section):
            declared.update({k: v for k, v in section.items() if isinstance(v, str)})
    return declared


def imports_runtime_package(client_folder: Path) -> bool:
    """Whether a generated client imports its runtime from `@prisma/client`, resolved from its own folder. Prisma 5
    and 6 copy the runtime into a custom `output`'s `runtime/` folder instead (`require('./runtime/library.js')`):
    such a client runs wherever it is, even outside the project, with no `node_modules` above it."""
    return not (client_folder / "runtime").is_dir()


def missing_packages(root: Path, client_starts: Iterable[Path] = ()) -> list[str]:
    """Prisma packages that the project declares but Node cannot resolve (`@prisma/client` from each folder in
    `client_starts`, where its generated clients import it from; driver adapters and extensions from the project),
    and the CLI's own `@prisma/engines`."""
    declared = declared_packages(root)
    starts = tuple(client_starts)
    missing: list[str] = []
    if CLI in declared:
        cli = usable_package(CLI, root)
        if cli is None:
            missing.append(CLI)
        elif usable_package("@prisma/engines", cli) is None:
            missing.append("@prisma/engines")
    # Only what package.json declares is expected installed: a folder with a committed client and no dependencies
    # is not a project that can be installed.
    if CLIENT in declared and any(usable_package(CLIENT, start) is None for start in starts or (root,)):
        missing.append(CLIENT)
    plugins = sorted(name for name in declared if name.startswith(PLUGIN_PREFIXES))
    missing += [name for name in plugins if usable_package(name, root) is None]
    return missing


def package_findings(
    root: Path, schema_dir: Path, client_starts: Iterable[Path], where: Location | None
) -> list[Finding]:
    """Missing Prisma packages, and a CLI and a client runtime at different versions."""
    starts = tuple(client_starts)
    missing = missing_packages(root, starts)
    findings: list[Finding] = []
    unreached = _unreached(root, starts, missing)
    missing = [name for name in missing if name not in unreached]
    for name, start in unreached.items():
        findings.append(
            Finding(
                "prisma-packages-missing",
                Severity.ERROR,
                f"{_listed([name])} is installed in the project, but Node cannot reach it from {start}, the real "
                "folder of the code that imports it: Node resolves a file's imports from its real path (through a "
                "linked `src/`, or a `node_modules` linked to a folder of another name), and no `node_modules` "
                f"above {start} holds it (`Cannot find module '{name}...'`). Reinstalling changes nothing: make the "
                "linked folder a real one in the project, or link `node_modules` to a folder named `node_modules`.",
                where,
                (),
                data={"missing": [name], "unreachable_from": str(start)},
            )
        )
    if missing:
        # A folder Node finds that is no whole package: said as such, since "cannot be found" would send the user
        # looking for a folder that is there.
        broken = [name for name in missing if any(find_package(name, s) for s in (*starts, root))]
        absent = [name for name in missing if name not in broken]
        said: list[str] = []
        if absent:
            said.append(
                f"{_listed(absent)} cannot be found from the project as Node looks for "
                f"{'them' if len(absent) > 1 else 'it'} (node_modules, pnpm's links, the workspace root)"
            )
        if broken:
            said.append(
                f"{_listed(broken)} {'are' if len(broken) > 1 else 'is'} installed incompletely (a folder without a "
                "package.json that names a version: an install that did not finish)"
            )
        findings.append(
            Finding(
                "prisma-packages-missing",
                Severity.ERROR,
                f"{'; '.join(said)}: `prisma generate` and the generated client fail until the packages are "
                "installed again.",
                where,
                ("install",),
                data={"missing": missing, **({"incomplete": broken} if broken else {})},
            )
        )
    cli = installed_package(CLI, schema_dir, root)
    runtime = installed_package(CLIENT, *starts, root)
    if cli.version and runtime.version and cli.version != runtime.version and CLIENT not in missing:
        findings.append(
            Finding(
                "prisma-packages-mismatch",
                Severity.WARNING,
                f"`prisma` {cli.version} and `@prisma/client` {runtime.version} are installed: the client is generated "
                "by one and runs on the other's runtime. Give both the same version in package.json, install, then "
                "regenerate.",
                where,
                ("install",),
                data={"prisma": cli.version, "client": runtime.version},
            )
        )
    return findings


def _unreached(root: Path, client_starts: tuple[Path, ...], missing: list[str]) -> dict[str, Path]:
    """Of `missing`, the packages installed whole in the project that Node cannot reach from the real folder of the
    code that imports them (a generated client's, the CLI's own), by that folder: a link leads the code elsewhere."""
    cli = usable_package(CLI, root)
    needs = {"@prisma/engines": (cli,) if cli is not None else (), CLIENT: client_starts}
    found: dict[str, Path] = {}
    for name in missing:
        if usable_package(name, root) is None:
            continue
        start = next((s for s in needs.get(name, ()) if find_package(name, s) is None), None)
        if start is not None:
            found[name] = start
    return found


def _listed(names: list[str]) -> str:
    return ", ".join(f"`{name}`" for name in names)
