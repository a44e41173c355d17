"""Whether a URL path of a Next app is answered by a route handler (`app/.../route.ts`, `pages/api/...`), read from
its folders as Next routes it: static segments before dynamic ones (`[id]`) before catch-alls (`[...slug]`,
`[[...slug]]`), route groups (`(shop)`) and parallel slots (`@modal`) transparent, private folders (`_lib`) out.

A handler's GET is code that may change data (Vercel Cron calls GET; so do unsubscribe and magic links): the repair
does not send such a request again (`steps.VerifyApp`). A page renders, and is asked as the browser asked it.

Next logs a request under the path it arrived with, before `rewrites()` in next.config or a middleware (`proxy.ts` in
Next 16) sends it elsewhere: in an app that has either, a logged path that no page answers may reach a route handler
(attacker's trial 4: `/jobs/cleanup` rewritten to `/api/cron`, whose GET ran the cron job), so it is not sent either
(`rerouted`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from prisma_doctor import project_files
from prisma_doctor.json_values import is_object
from prisma_doctor.package_json import read_package_json

APP_FOLDERS = ("app", "src/app")
PAGES_API_FOLDERS = ("pages/api", "src/pages/api")
EXTENSIONS = (".ts", ".tsx", ".js", ".jsx", ".mjs")
# Bounds against a planted tree: no app nests folders deeper, or holds more in one.
_MOST_SEGMENTS = 32
_MOST_ENTRIES = 2000
_DYNAMIC = re.compile(r"^\[[^\[\].]+\]$")
_CATCH_ALL = re.compile(r"^\[\.\.\.[^\[\]]+\]$")
_OPTIONAL_CATCH_ALL = re.compile(r"^\[\[\.\.\.[^\[\]]+\]\]$")


CONFIGS = tuple(f"next.config.{extension}" for extension in ("js", "mjs", "cjs", "ts", "mts"))
MIDDLEWARES = tuple(
    f"{folder}{name}.{ext}"
    for folder in ("", "src/")
    for name in ("middleware", "proxy")
    for ext in ("ts", "js", "mjs")
)
PAGES_FOLDERS = ("pages", "src/pages")
DEPENDENCY_KEYS = ("dependencies", "devDependencies")
_REWRITES = re.compile(rb"\brewrites\b")
# `basePath: "/docs"` as a literal: a path a browser would ask (no quotes, spaces or `..` in it).
_BASE_PATH = re.compile(rb"""\bbasePath\s*:\s*["'`](/[A-Za-z0-9._~/-]{0,200})["'`]""")
_CONFIG_BYTES = 256 << 10


def rerouted(folder: Path, path: str) -> str | None:
    """Why a GET of `path` that the Next app at `folder` logged may reach code other than a page (a route handler)
    though it names none: the app rewrites requests and no page of its own answers `path`. None otherwise."""
    rewrites = _rerouting(folder)
    if rewrites is None:
        return None
    segments = [unquote(part) for part in urlsplit(path).path.split("/") if part]
    if len(segments) <= _MOST_SEGMENTS and _is_page(folder, segments):
        return None
    return f"{rewrites} may send it to other code, and no page of the app answers it: it may reach a route handler"


def _rerouting(folder: Path) -> str | None:
    """What in the Next app may send a request to other code than its path names: a middleware, or a config's
    rewrites. None in a folder that is no Next app (a `middleware.js` of an Express app is no such thing)."""
    package = read_package_json(folder) or {}
    if not any(is_object(deps) and "next" in deps for deps in (package.get(k) for k in DEPENDENCY_KEYS)):
        return None
    for name in MIDDLEWARES:
        if (folder / name).is_file():
            return f"{folder / name} (a middleware)"
    for name, text in _configs(folder):
        if _REWRITES.search(text):
            return f"{folder / name} (its rewrites)"
    return None


def base_path(folder: Path) -> str:
    """The `basePath` the Next app at `folder` serves under (`"/base"`), read from its config; "" when it names none.
    Next logs a request without it (`/base/posts` is logged `GET /posts 500`), and asking the logged path alone gets
    a 404 from another route (attacker's trial 4)."""
    for _, text in _configs(folder):
        found = _BASE_PATH.search(text)
        if found is not None:
            return found.group(1).decode("ascii").rstrip("/")
    return ""


def _configs(folder: Path) -> list[tuple[str, bytes]]:
    """The app's next.config files that can be read (not through a link), each at most `_CONFIG_BYTES`."""
    found: list[tuple[str, bytes]] = []
    for name in CONFIGS:
        try:
            found.append((name, project_files.read_bytes(folder / name, _CONFIG_BYTES, follow_links=False)))
        except OSError:
            continue
    return found


def _is_page(folder: Path, segments: list[str]) -> bool:
    for app in APP_FOLDERS:
        found = _match(folder / app, segments, 0)
        if found is not None:
            return found.stem == "page"
    if segments[:1] == ["api"]:
        return False
    # The pages router, by the file of the path itself only (`pages/posts.tsx`, `pages/posts/index.tsx`).
    tail = "/".join(segments)
    for pages in PAGES_FOLDERS:
        for stem in (tail, f"{tail}/index" if tail else "index"):
            if any((folder / pages / f"{stem}{extension}").is_file() for extension in EXTENSIONS):
                return True
    return False


def route_handler(folder: Path, path: str) -> Path | None:
    """The route handler file that answers `path` in the Next app at `folder`, or None (a page, or no Next route)."""
    segments = [unquote(part) for part in urlsplit(path).path.split("/") if part]
    if len(segments) > _MOST_SEGMENTS:
        return None
    for app in APP_FOLDERS:
        found = _match(folder / app, segments, 0)
        if found is not None:
            return found if found.stem == "route" else None
    if segments[:1] == ["api"]:
        # The pages router: everything under `pages/api` is a handler (the file itself is resolved by Next).
        return next((folder / api for api in PAGES_API_FOLDERS if (folder / api).is_dir()), None)
    return None


def _match(folder: Path, segments: list[str], depth: int) -> Path | None:
    """The `route.*` or `page.*` that answers `segments` below `folder`, as Next ranks them."""
    if depth > _MOST_SEGMENTS * 2:
        return None
    children = _folders(folder)
    tries: list[tuple[Path, list[str] | None]] = []  # None: a catch-all, which ends the path in its own folder
    if not segments:
        own = _route_file(folder)
        if own is not None:
            return own
    else:
        tries += [(c, segments[1:]) for c in children if c.name == segments[0] and not _special(c.name)]
    tries += [(c, segments) for c in children if _is_group(c.name) or c.name.startswith("@")]
    if segments:
        tries += [(c, segments[1:]) for c in children if _DYNAMIC.match(c.name)]
        tries += [(c, None) for c in children if _CATCH_ALL.match(c.name)]
    tries += [(c, None) for c in children if _OPTIONAL_CATCH_ALL.match(c.name)]
    for child, rest in tries:
        found = _route_file(child) if rest is None else _match(child, rest, depth + 1)
        if found is not None:
            return found
    return None


def _route_file(folder: Path) -> Path | None:
    for stem in ("route", "page"):
        for extension in EXTENSIONS:
            candidate = folder / f"{stem}{extension}"
            if candidate.is_file():
                return candidate
    return None


def _folders(folder: Path) -> list[Path]:
    try:
        with os.scandir(folder) as entries:
            found: list[Path] = []
            for count, entry in enumerate(entries):
                if count >= _MOST_ENTRIES:
                    break
                if entry.is_dir(follow_symlinks=False) and not entry.name.startswith("_"):
                    found.append(Path(entry.path))
    except OSError:
        return []
    return sorted(found)


def _is_group(name: str) -> bool:
    return name.startswith("(") and name.endswith(")") and not name.startswith("(.")


def _special(name: str) -> bool:
    return name.startswith(("(", "@", "["))
