"""Workspaces: a monorepo's Prisma projects (a schema and its generators) and its apps (the packages whose code
imports a generated client and whose dev servers run), and which app uses which project.

The packages are those a workspace declares: npm, yarn and bun `workspaces` in package.json (a list, or yarn's
`{"packages": [...]}`), pnpm's `pnpm-workspace.yaml` `packages:`, and Nx's `project.json` files (Nx needs no
package-manager workspaces). Turborepo adds no declaration of its own: it runs on the package manager's. An app uses
a project when its package.json depends on the project's package name, or when its code imports a path inside the
project's folder, relatively (`../../packages/db/generated/client`) or through a `paths` alias of its tsconfig.json.
Everything here is read, never written, and bounded: a workspace of thousands of packages is read in part.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from prisma_doctor import project_files
from prisma_doctor.common_folders import is_common_folder
from prisma_doctor.json_values import JsonObject, is_array, is_object
from prisma_doctor.package_json import read_package_json

# Folders that hold no package or source of the workspace's own.
_SKIPPED = frozenset({"node_modules", ".git", ".next", ".turbo", ".nx", ".cache", ".vercel", "dist", "build", "out"})
MAX_PACKAGES = 500
MAX_FOLDERS_WALKED = 20_000
MAX_SOURCE_FILES = 2_000
MAX_SOURCE_BYTES = 65_536
MAX_EXTENDS = 4
SOURCE_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs", ".vue", ".svelte", ".astro")
DEPENDENCY_FIELDS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")
# The module names in `import ... from "x"`, `import("x")`, `require("x")` and `export ... from "x"`.
_IMPORT = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']([^"'\n]{1,300})["']""")
# Comments and trailing commas that tsconfig.json may hold and JSON may not (a string holding `//` is left alone).
_JSON_COMMENT = re.compile(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/', re.DOTALL)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


@dataclass(frozen=True)
class App:
    folder: Path
    name: str | None  # its package name, when it has one
    uses: tuple[Path, ...]  # the Prisma projects (their folders) whose clients its code imports


@dataclass(frozen=True)
class Workspace:
    root: Path
    declared_by: tuple[str, ...]  # "package.json", "pnpm-workspace.yaml", "nx.json", "turbo.json"
    packages: tuple[Path, ...]
    projects: tuple[Path, ...]  # the packages that hold a Prisma schema
    apps: tuple[App, ...]  # the other packages that use one

    def app_at(self, folder: Path) -> App | None:
        """The app `folder` lies in (the deepest one)."""
        found = folder_of(folder, [app.folder for app in self.apps])
        return next((app for app in self.apps if app.folder == found), None)

    def apps_using(self, project: Path) -> list[Path]:
        return [app.folder for app in self.apps if project in app.uses]

    def projects_for(self, folder: Path) -> list[Path]:
        """The Prisma projects a command given `folder` acts on: every one at the root, those of a project folder
        or the app's when it is an app, else none."""
        folder = folder.resolve()
        if folder == self.root:
            return list(self.projects)
        own = [p for p in self.projects if _is_within(p, folder) or _is_within(folder, p)]
        if own:
            return own
        app = self.app_at(folder)
        return list(app.uses) if app is not None else []


def declared_patterns(folder: Path) -> list[str]:
    """The package globs `folder` declares as a workspace root (package.json `workspaces`, pnpm-workspace.yaml)."""
    patterns: list[str] = []
    package = read_package_json(folder)
    declared = package.get("workspaces") if package else None
    if is_object(declared):  # yarn classic: {"packages": [...]}
        declared = declared.get("packages")
    if is_array(declared):
        patterns += [p for p in declared if isinstance(p, str)]
    return patterns + _pnpm_patterns(folder)


def _pnpm_patterns(folder: Path) -> list[str]:
    try:
        text = project_files.read_text(folder / "pnpm-workspace.yaml", 65536)
    except OSError:
        return []
    # The `packages:` list of pnpm-workspace.yaml, read as plain lines (`  - 'apps/*'`).
    patterns: list[str] = []
    in_packages = False
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            key, _, value = line.partition(":")
            in_packages = key.strip() == "packages"
            if in_packages and value.strip().startswith("["):  # the flow style: `packages: ['apps/*']`
                patterns += [v.strip().strip("'\"") for v in value.strip().strip("[]").split(",") if v.strip()]
            continue
        item = line.strip()
        if in_packages and item.startswith("- "):
            patterns.append(item[2:].split("#", 1)[0].strip().strip("'\""))
    return patterns


def matches(relative: str, patterns: list[str]) -> bool:
    """Whether the folder at `relative` (posix, from the root) is one of the packages `patterns` declare."""
    included = any(
        fnmatch.fnmatchcase(relative, _plain(p)) or _globstar(relative, _plain(p)) for p in patterns if p[:1] != "!"
    )
    excluded = any(fnmatch.fnmatchcase(relative, _plain(p[1:])) for p in patterns if p[:1] == "!")
    return included and not excluded


def _plain(pattern: str) -> str:
    return pattern.removeprefix("./").rstrip("/")


def _globstar(relative: str, pattern: str) -> bool:
    # `packages/**` takes every folder below `packages`.
    return pattern.endswith("/**") and (relative + "/").startswith(pattern[:-2])


def declaring_root(folder: Path) -> Path | None:
    """The workspace root above `folder` that declares it as one of its packages (npm, yarn, bun, pnpm). A lock file
    above proves nothing: a folder that merely holds one (`/tmp`, a parent of checkouts) is not a workspace."""
    for above in folders_above(folder):
        patterns = declared_patterns(above)
        if patterns and matches(folder.relative_to(above).as_posix(), patterns):
            return above
    return None


def folders_above(folder: Path) -> list[Path]:
    """The folders above `folder`, up to (and not including) the first that is nobody's project: a shared or system
    folder (`/tmp`), a home folder or the filesystem root (common_folders.py). A `package.json` planted there must
    not make it a workspace that a repair installs into."""
    home = _resolved_home(str(Path.home()))
    found: list[Path] = []
    for above in folder.parents:
        if above == home or above.parent == above or is_common_folder(above):
            break
        found.append(above)
    return found


# By $HOME as it is now: resolving it on every climb was a third of a climb's cost, and a check climbs four times.
@functools.lru_cache(maxsize=8)
def _resolved_home(home: str) -> Path:
    return Path(home).resolve()


def _declarations(folder: Path) -> tuple[str, ...]:
    from prisma_doctor.snapshot import kept

    # Read for every folder above every project: inside a snapshot each folder once.
    memory = kept("workspace_declarations")
    if memory is not None and folder in memory:
        return tuple(memory[folder])
    found = _read_declarations(folder)
    if memory is not None:
        memory[folder] = found
    return found


def _read_declarations(folder: Path) -> tuple[str, ...]:
    found: list[str] = []
    package = read_package_json(folder)
    if package and isinstance(package.get("workspaces"), (list, dict)):
        found.append("package.json")
    for name in ("pnpm-workspace.yaml", "nx.json", "turbo.json"):
        if (folder / name).is_file():
            found.append(name)
    return tuple(found)


def find_workspace_root(folder: Path) -> Path | None:
    """The workspace `folder` is the root of or lies in: the nearest folder at or above it that declares packages
    (or an Nx workspace, whose projects are its project.json files), and that takes `folder` in."""
    folder = folder.resolve()
    for candidate in [folder, *folders_above(folder)]:
        declared = _declarations(candidate)
        if not declared:
            continue
        if candidate == folder:
            return candidate
        packages = _package_folders(candidate, declared)
        if any(_is_within(folder, package) for package in packages):
            return candidate
    return None


def _package_folders(root: Path, declared: tuple[str, ...]) -> list[Path]:
    """The workspace's packages: the folders its globs match that hold a package.json, and Nx's project.json
    folders, within the bounds."""
    patterns = declared_patterns(root)
    nx = "nx.json" in declared
    found: list[Path] = []
    walked = 0
    for directory, subdirectories, files in os.walk(root):
        walked += 1
        if walked > MAX_FOLDERS_WALKED or len(found) >= MAX_PACKAGES:
            break
        subdirectories[:] = sorted(d for d in subdirectories if d not in _SKIPPED and not d.startswith("."))
        here = Path(directory)
        if here == root:
            continue
        relative = here.relative_to(root).as_posix()
        if (patterns and "package.json" in files and matches(relative, patterns)) or (nx and "project.json" in files):
            found.append(here)
    return found


def load_workspace(folder: Path) -> Workspace | None:
    """The workspace `folder` belongs to, with its projects and apps; None outside any workspace."""
    from prisma_doctor.project import is_project_root

    root = find_workspace_root(folder)
    if root is None:
        return None
    declared = _declarations(root)
    packages = _package_folders(root, declared)
    projects = [p for p in [root, *packages] if is_project_root(p)]
    names = {project: _package_name(project) for project in projects}
    apps: list[App] = []
    for package in packages:
        if package in projects:
            continue
        uses = _projects_used(package, projects, names)
        if uses:
            apps.append(App(package, _package_name(package), tuple(uses)))
    return Workspace(root, declared, tuple(packages), tuple(projects), tuple(apps))


def _package_name(folder: Path) -> str | None:
    name = (read_package_json(folder) or {}).get("name")
    return name if isinstance(name, str) and name else None


def _projects_used(package: Path, projects: list[Path], names: dict[Path, str | None]) -> list[Path]:
    """The projects `package` uses: by a dependency on a project's package name, else by importing its files."""
    manifest = read_package_json(package) or {}
    dependencies: set[str] = set()
    for key in DEPENDENCY_FIELDS:
        value = manifest.get(key)
        if is_object(value):
            dependencies.update(value)
    # The workspace root holds every package: only a project nested in this package's own folder counts as its.
    candidates = [p for p in projects if not _is_within(package, p) or p == package]
    used = [p for p in candidates if names.get(p) is not None and names[p] in dependencies]
    rest = [p for p in candidates if p not in used]
    if rest:
        imported = _imported_folders(package)
        used += [p for p in rest if any(_is_within(target, p) for target in imported)]
    return used


def uses_project(package: Path, project: Path) -> bool:
    """Whether `package`, a package of its own inside `project`'s folder (an example app, an app of a workspace whose
    root is the project), uses `project`'s client: a workspace declares it, it depends on the project's package name,
    or its code imports a file of the project outside its own folder. Else it is a project apart, whose processes hold
    nothing of `project`'s."""
    if declaring_root(package) is not None:
        return True
    name = _package_name(project)
    manifest = read_package_json(package) or {}
    for key in DEPENDENCY_FIELDS:
        value = manifest.get(key)
        if name is not None and is_object(value) and name in value:
            return True
    return any(_is_within(t, project) and not _is_within(t, package) for t in _imported_folders(package))


def _imported_folders(package: Path) -> set[Path]:
    """The paths the package's code imports by a relative path or a tsconfig `paths` alias, resolved."""
    aliases = _tsconfig_aliases(package)
    targets: set[Path] = set()
    for source in _source_files(package):
        try:
            text = project_files.read_text(source, MAX_SOURCE_BYTES)
        except OSError:
            continue
        for specifier in _IMPORT.findall(text):
            if specifier.startswith("."):
                targets.add(Path(os.path.normpath(source.parent / specifier)))
                continue
            for prefix, folders in aliases:
                if specifier == prefix or (prefix.endswith("/") and specifier.startswith(prefix)):
                    rest = specifier[len(prefix) :]
                    targets.update(Path(os.path.normpath(folder / rest)) for folder in folders)
    return targets


def _source_files(package: Path) -> list[Path]:
    files: list[Path] = []
    for directory, subdirectories, names in os.walk(package):
        subdirectories[:] = sorted(d for d in subdirectories if d not in _SKIPPED and not d.startswith("."))
        files += [Path(directory) / n for n in sorted(names) if n.endswith(SOURCE_SUFFIXES)]
        if len(files) >= MAX_SOURCE_FILES:
            return files[:MAX_SOURCE_FILES]
    return files


def _tsconfig_aliases(package: Path) -> list[tuple[str, list[Path]]]:
    """tsconfig.json's `compilerOptions.paths` as (prefix, target folders): `"@db/*": ["../db/src/*"]` gives
    ("@db/", [<package>/../db/src]). A config without `paths` is looked through its relative `extends` (Nx keeps
    them in the root's `tsconfig.base.json`)."""
    config_file = package / "tsconfig.json"
    if not config_file.is_file():
        config_file = package / "jsconfig.json"
    for _ in range(MAX_EXTENDS):
        config = _read_jsonc(config_file)
        if not is_object(config):
            return []
        options = config.get("compilerOptions")
        if is_object(options) and is_object(options.get("paths")):
            return _aliases(options, config_file.parent)
        parent = config.get("extends")
        if not isinstance(parent, str) or not parent.startswith("."):
            return []
        config_file = Path(os.path.normpath(config_file.parent / parent))
        if config_file.suffix != ".json":
            config_file = config_file.with_name(config_file.name + ".json")
    return []


def _aliases(options: JsonObject, folder: Path) -> list[tuple[str, list[Path]]]:
    base_url = options.get("baseUrl")
    base = folder / base_url if isinstance(base_url, str) else folder
    aliases: list[tuple[str, list[Path]]] = []
    for key, values in options["paths"].items():
        if not isinstance(key, str) or not is_array(values):
            continue
        prefix = key[:-1] if key.endswith("*") else key
        folders = [
            Path(os.path.normpath(base / (v[:-1] if v.endswith("*") else v))) for v in values if isinstance(v, str)
        ]
        aliases.append((prefix, folders))
    return aliases


def _read_jsonc(path: Path) -> object:
    try:
        text = project_files.read_text(path, MAX_SOURCE_BYTES)
    except OSError:
        return None
    text = _JSON_COMMENT.sub(lambda m: m.group(1) or "", text)
    try:
        return json.loads(_TRAILING_COMMA.sub(r"\1", text))
    except ValueError:
        return None


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def prisma_projects_for(folder: Path) -> list[Path]:
    """The Prisma projects a command run on `folder` acts on: the projects in it (`find_projects`), else, for an
    app of a workspace, the projects its code uses."""
    from prisma_doctor.project import find_projects

    found = find_projects(folder)
    if found:
        return found
    workspace = load_workspace(folder)
    return workspace.projects_for(folder) if workspace is not None else []


def app_folders(project: Path) -> list[Path]:
    """The folders whose dev servers load `project`'s client: the project itself and every app that uses it."""
    project = project.resolve()
    workspace = load_workspace(project)
    apps = workspace.apps_using(project) if workspace is not None else []
    return [project, *apps]


def folder_of(path: Path, folders: list[Path]) -> Path | None:
    """The deepest of `folders` (a project and its apps) that `path` (a dev server's cwd) lies in."""
    inside = [folder for folder in folders if _is_within(path, folder)]
    return max(inside, key=lambda folder: len(folder.parts), default=None)
