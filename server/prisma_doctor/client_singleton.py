"""Whether the app keeps its PrismaClient on the global object, as Prisma's and Next's guides advise for development:

    const globalForPrisma = globalThis as unknown as { prisma?: PrismaClient };
    export const prisma = globalForPrisma.prisma ?? new PrismaClient();
    if (process.env.NODE_ENV !== 'production') globalForPrisma.prisma = prisma;

(or `global.prisma = prisma`, `globalThis.prisma ??= new PrismaClient()`, `(globalThis as any).prisma = prisma`). The
instance made first outlives every reload of the modules (Vite's SSR reload, Bun's `--hot`): the module that holds it
runs again and takes the old instance back, an instance of the old client. So a reload of the client's files shows
nothing about which client the app uses.

Read from the app's own source files that name `PrismaClient`, under the server's folder, bounded: a few thousand
files, the start of each, never `node_modules`, build output or the generated client itself.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from prisma_doctor import project_files
from prisma_doctor.common_folders import is_common_folder

# The files of the app's code that may hold a client.
_SOURCE_SUFFIXES = frozenset(
    {".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs", ".svelte", ".vue", ".astro"}
)
# Folders of packages, build output and tools' state: not the app's own code, and often large.
_SKIPPED = frozenset(
    {
        "node_modules",
        ".git",
        ".next",
        ".nuxt",
        ".output",
        ".svelte-kit",
        ".astro",
        ".vercel",
        ".turbo",
        ".cache",
        ".prisma-doctor",
        "dist",
        "build",
        "coverage",
    }
)
# At most this many files are read, this much of each (a singleton is a few lines near a module's start), and this many
# names listed in all: a large tree of other files is not walked to its end.
MAX_FILES = 3000
MAX_NAMES = 30000
MAX_BYTES = 128 * 1024
MAX_DEPTH = 12
# A name given to the global object: `const globalForPrisma = globalThis as unknown as {...}`. The declared name, then
# (past its type, read as text: a pattern over it would retry each place the type could end) its value.
_DECLARED = re.compile(r"^\s{0,40}(?:export\s{1,4})?(?:const|let|var)\s{1,4}(?P<name>[A-Za-z_$][\w$]{0,80})\b")
_GLOBAL_VALUE = re.compile(r"=\s{0,4}\(?\s{0,4}(?:globalThis|global)\b")
# A value stored on the global object, or on a name for it: `globalForPrisma.prisma = prisma`, `global.prisma ??= ...`,
# `globalThis['prisma'] = ...`. Not a comparison (`==`, `===`). Kept only when it is read back as well (`_kept`).
_STORE = re.compile(
    r"(?:^|[^\w$.])(?P<holder>[A-Za-z_$][\w$]{0,80})\s{0,4}"
    r"(?P<member>\.[A-Za-z_$][\w$]{0,80}|\[\s{0,4}['\"`][\w$]{1,80}['\"`]\s{0,4}\])\s{0,4}(?P<read>\?\?|\|\|)?=(?!=)"
)
# The same stored through a cast, past its closing parenthesis: `(globalThis as any).prisma = prisma`.
_CASTS = ("(globalThis as ", "(global as ")
_MEMBER_STORE = re.compile(r"\)\s{0,4}\.[A-Za-z_$][\w$]{0,80}\s{0,4}(?:\?\?|\|\|)?=(?!=)")
_GLOBAL_NAMES = frozenset({"globalThis", "global"})
# A line longer than this is minified or data, not a singleton's.
_MAX_LINE = 400


@dataclass(frozen=True)
class Search:
    file: Path | None  # the first source file found that keeps a PrismaClient on the global object
    whole: bool = True  # False: the bounds cut the search short, and a file past them may keep one


def singleton_file(folder: Path, clients: Sequence[Path] = ()) -> Search:
    """The first of the app's source files that keeps a PrismaClient on the global object: under `folder`, then
    under the package of each generated client outside it and outside node_modules (a workspace's `packages/db`,
    where the singleton lives beside the client it makes); the clients' own folders are not the app's code."""
    skipped = {os.path.realpath(client) for client in clients}
    roots = [folder]
    for client in clients:
        package = _package_of(client)
        if package is not None and not any(package == r or r in package.parents for r in roots):
            roots.append(package)
    counts = [0, 0]  # files read, names listed
    for root in roots:
        found = _search(root, skipped, counts)
        if found.file is not None or not found.whole:
            return found
    return Search(None)


def _package_of(client: Path) -> Path | None:
    """The folder of the package a generated client outside node_modules belongs to: its nearest with a
    package.json."""
    if "node_modules" in client.parts:
        return None
    for parent in list(client.parents)[:MAX_DEPTH]:
        if is_common_folder(parent):
            return None  # (a home folder's stray package.json makes no package of everything under it)
        if (parent / "package.json").is_file():
            return parent
    return None


def _search(folder: Path, skipped: set[str], counts: list[int]) -> Search:
    for root, folders, files in os.walk(folder):
        depth = len(Path(root).relative_to(folder).parts)
        kept = (f for f in folders if f not in _SKIPPED and os.path.realpath(Path(root) / f) not in skipped)
        folders[:] = [] if depth >= MAX_DEPTH else sorted(kept)
        counts[1] += len(folders) + len(files)
        if counts[1] > MAX_NAMES:
            return Search(None, whole=False)
        for name in sorted(files):
            if os.path.splitext(name)[1] not in _SOURCE_SUFFIXES:
                continue
            counts[0] += 1
            if counts[0] > MAX_FILES:
                return Search(None, whole=False)
            path = Path(root) / name
            try:
                text = project_files.read_text(path, MAX_BYTES, follow_links=False)
            except OSError:
                continue
            if holds_client_globally(text):
                return Search(path)
    return Search(None)


def holds_client_globally(text: str) -> bool:
    """Whether a module's text names `PrismaClient` and stores a value on the global object."""
    if "PrismaClient" not in text or "global" not in text:
        return False
    holders = set(_GLOBAL_NAMES)
    for line in text.splitlines():
        if "global" in line and len(line) <= _MAX_LINE and (declared := _DECLARED.match(line)):
            value = line.find("=", declared.end())
            if value >= 0 and _GLOBAL_VALUE.match(line, value):
                holders.add(declared.group("name"))
    for line in text.splitlines():
        if "=" not in line or len(line) > _MAX_LINE:
            continue
        if _cast_store(line) or any(_kept(m, holders, text) for m in _STORE.finditer(line)):
            return True
    return False


def _kept(store: re.Match[str], holders: set[str], text: str) -> bool:
    """Whether a store on the global object is read back too (`x ??= ...`, or `x` named elsewhere: `x ?? new
    PrismaClient()`): a value only written there is made anew at each load."""
    if store.group("holder") not in holders:
        return False
    return store.group("read") is not None or text.count(store.group("holder") + store.group("member")) >= 2


def _cast_store(line: str) -> bool:
    for cast in _CASTS:
        start = line.find(cast)
        if start >= 0:
            closing = line.find(")", start + len(cast))
            if closing >= 0 and _MEMBER_STORE.match(line, closing):
                return True
    return False
