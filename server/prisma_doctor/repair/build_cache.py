"""Whether a reset sets Next's build cache (`.next`) aside: only when something in it could serve the old client.

Next's dev server compiles again what changed: Turbopack and webpack's cache key a module by its content (webpack
also by its timestamps), so a client that `prisma generate` rewrites in the sources (`prisma-client` in
`src/generated`) is compiled anew, and `@prisma/client`, an external package to Next, is loaded from `node_modules`
(through a link in `.next/dev/node_modules`, never a copy) by the server that the reset starts again. Kept, the
cache spares that server a compile from nothing, the largest part of a reset's time beyond the bare generate and
restart (bench/README.md, "Time to green"). It goes when it holds the client itself, which nothing compiles again:
a generator's output inside it, or a copy of generated files (`next build`'s standalone `node_modules/.prisma`, the
engine and schema files `@prisma/nextjs-monorepo-workaround-plugin` copies beside the server's chunks); when a part
of it cannot be looked through (a mount in it, more entries than a look may cost); and with `--deep`, which asks
for every cache.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from prisma_doctor.repair.mounts import MountTable
from prisma_doctor.repair.safe_fs import is_inside

NEXT_CACHE = ".next"
# Names only Prisma's generate writes: its client folder, and the files of one copied out of it.
CLIENT_FOLDER_NAMES = frozenset({".prisma"})
CLIENT_FILE_PREFIXES = ("libquery_engine-", "query_engine-", "query_engine_bg.", "query_compiler_bg.")
CLIENT_FILE_NAMES = frozenset({"schema.prisma"})
# A folder larger than this is not looked through entry by entry: it is set aside, as it always was.
MAX_ENTRIES = 50_000


def reason_to_set_aside(cache: Path, clients: Iterable[Path], *, deep: bool, mounts: MountTable) -> str | None:
    """Why the reset must set `cache` (a project's `.next`) aside, or None when it may be kept."""
    if deep:
        return "`--deep` asks for every build cache"
    if cache.is_symlink():
        return "it is a link: moved as a link, what it leads to is neither read nor touched"
    for client in clients:
        if is_inside(client, cache):
            return f"the generated client {client} is inside it"
    # What is mounted below it (a bind mount of the same filesystem has its device number) is not looked through.
    mounted = [point for point in mounts.under(cache) if point != cache]
    if mounted:
        return f"{mounted[0]} is mounted in it, and what it shows is not looked through"
    return _unseen_or_copy(cache)


def _unseen_or_copy(cache: Path) -> str | None:
    """Why `cache` may hold the old client: a file or folder in it that Prisma's generate wrote, or a part that
    cannot be looked through (another device in it, too many entries). Links are not followed: one that leads to
    `node_modules` loads the new client."""
    try:
        device = os.lstat(cache).st_dev
    except OSError as error:
        return f"it cannot be read ({error.strerror})"
    seen = 0
    pending = [cache]
    while pending:
        folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        seen += len(entries)
        if seen > MAX_ENTRIES:
            return f"it holds more than {MAX_ENTRIES:,} entries, too many to look through for a copy of the client"
        for entry in entries:
            name = entry.name
            try:
                is_folder = entry.is_dir(follow_symlinks=False)
                mounted = is_folder and entry.stat(follow_symlinks=False).st_dev != device
            except OSError:
                continue
            if mounted:
                return f"{entry.path} is on another device, and what it holds is not looked through"
            if (is_folder and name in CLIENT_FOLDER_NAMES) or (
                not is_folder and (name in CLIENT_FILE_NAMES or name.startswith(CLIENT_FILE_PREFIXES))
            ):
                return f"it holds a copy of a generated client ({entry.path}), which Next does not build again"
            if is_folder:
                pending.append(Path(entry.path))
    return None
