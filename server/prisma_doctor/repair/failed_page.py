"""The page of a Next app (or the route module of a React Router or Remix app, `flat_routes.py`) whose request
failed, read from where its error was thrown, when that place decides it.

Next 16's own dev log has no request lines (`GET / 500 in 35ms`): a repair that reads only it knows an error, not the
route to ask again. The error's frame may still name the page. With webpack the bundle is the page's own
(`.next/server/app/<segments>/page.js`, `.next/server/pages/<path>.js`, under `.next/dev/` in Next 16's dev); with
Turbopack it is a chunk shared by modules (`.next/dev/server/chunks/ssr/[root-of-the-server]__x._.js:31:150`), whose
source map (`logs/sourcemap.py`) gives the module the line was built from. Only the page's own file decides: a
component, a `lib/` module, a layout or a server action's own file may run for any page; a dynamic segment (`[id]`)
has no value to ask with; a route handler is named, not asked (`next_routes.py`). A server action in the page's file
(or its webpack bundle) was posted to that page, whose GET is then the route to ask. Anything else: not known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from prisma_doctor.logs.events import ClientError, SourceLocation, printed_path
from prisma_doctor.logs.sourcemap import original_position
from prisma_doctor.repair.flat_routes import route_of_module, routes_by_files

# A Turbopack chunk's map holds the sources of every module in it, its text with them: a few MB for the Prisma
# runtime's. Past this the map is not read at all.
MAX_MAP_BYTES = 50 * 1024 * 1024
_APP_PAGE = re.compile(r"^page\.(?:tsx|ts|jsx|js|mdx|md)$")
_PAGES_SOURCE = re.compile(r"\.(?:tsx|ts|jsx|js|mdx|md)$")
# A Turbopack module id: `[project]/app/page.tsx [app-rsc] (ecmascript)`.
_PROJECT_MODULE = re.compile(r"^\[project\]/(.+?)[ +]\[")
# Where Next writes a page's own server bundle: `.next/server/...`, or `.next/dev/server/...` in Next 16's dev.
_BUILT_ROOTS = (("server",), ("dev", "server"))


def failed_page(error: ClientError, root: Path) -> str | None:
    """The URL path of the page whose request failed with `error` in the Next app at `root` (the dev server's
    folder), or None when the error's frame does not decide it."""
    where = error.source
    if where is None:
        return None
    path, module = _frame_file(where.file)
    path = path if path.is_absolute() else root / path
    if not (root / ".next").is_dir():
        # No Next app ran here (its folders, `app/x/page.tsx`, are nobody's routes): a React Router or Remix app's
        # route module, whose stack Vite prints at its source, when the app routes by its files.
        relative = _inside(path, root) if not where.is_build_output else None
        return route_of_module(root, relative) if relative is not None and routes_by_files(root) else None
    if module is not None:
        return page_route(module)  # Turbopack names the module it evaluated again after an edit
    if not where.is_build_output:
        return page_route(_inside(path, root))
    bundle = _page_bundle(path, root)
    if bundle is not None:
        return bundle.route
    source = built_source(where, root)
    return page_route(_inside(source[0], root)) if source is not None else None


def built_source(where: SourceLocation, root: Path) -> tuple[Path, int] | None:
    """The source file and one-based line that a frame in a bundle under `root/.next` was built from, read through
    the bundle's map, or None."""
    path = Path(printed_path(where.file))
    path = path if path.is_absolute() else root / path
    found = original_position(path, where.line, where.column or 1, project=root, max_bytes=MAX_MAP_BYTES)
    return (found[0], found[1]) if found is not None else None


def _frame_file(file: str) -> tuple[Path, PurePosixPath | None]:
    """A frame's file, and the module it names when it is a Turbopack chunk's URL with the module in its query
    (`file:///app/.next/dev/server/chunks/ssr/x.js?id=%5Bproject%5D/app/page.tsx+%5Bapp-rsc%5D+(ecmascript)`, as
    the recognizer passes it: decoded)."""
    chunk, separator, module = printed_path(file).partition("?id=")
    named = _PROJECT_MODULE.match(unquote(module)) if separator else None
    return Path(chunk), PurePosixPath(named.group(1)) if named else None


def page_route(relative: PurePosixPath | None) -> str | None:
    """The URL path a page's source file (relative to the app's folder) answers, or None: not a page, or a route
    with no single URL (a dynamic segment, an intercepting route) or none at all (a private folder)."""
    if relative is None:
        return None
    parts = list(relative.parts)
    if parts[:1] == ["src"]:
        parts = parts[1:]
    if len(parts) >= 2 and parts[0] == "app" and _APP_PAGE.match(parts[-1]):
        return _route(parts[1:-1])
    if len(parts) >= 2 and parts[0] == "pages" and _PAGES_SOURCE.search(parts[-1]):
        return _pages_route([*parts[1:-1], _PAGES_SOURCE.sub("", parts[-1])])
    return None


@dataclass(frozen=True)
class _Bundle:
    route: str | None  # None: a bundle that decides nothing (a route handler's, `_app`'s, a dynamic page's)


def _page_bundle(bundle: Path, root: Path) -> _Bundle | None:
    """What a bundle of one page or handler of its own says (webpack's, Turbopack's entry), or None when `bundle`
    is no such file (a chunk: its map is asked)."""
    relative = _inside(bundle, root)
    if relative is None or relative.parts[:1] != (".next",):
        return None
    parts = list(relative.parts[1:])
    none: list[str] = []
    rest = next((parts[len(p) :] for p in _BUILT_ROOTS if tuple(parts[: len(p)]) == p), none)
    if len(rest) >= 2 and rest[0] == "app":
        return _Bundle(_route(rest[1:-1]) if rest[-1] == "page.js" else None)
    if len(rest) >= 2 and rest[0] == "pages" and rest[-1].endswith(".js"):
        return _Bundle(_pages_route([*rest[1:-1], rest[-1].removesuffix(".js")]))
    return None


def _route(segments: list[str]) -> str | None:
    """An App Router folder path as Next routes it: groups `(x)` and slots `@x` take no part; a private folder
    (`_x`), a dynamic segment (`[id]`) or an intercepting one (`(.)x`) decides no single route."""
    kept: list[str] = []
    for segment in segments:
        if segment.startswith(("_", "[", "(.")) or segment in (".", ".."):
            return None
        if (segment.startswith("(") and segment.endswith(")")) or segment.startswith("@"):
            continue
        kept.append(segment)
    return "/" + "/".join(kept)


def _pages_route(segments: list[str]) -> str | None:
    """A Pages Router file's route: `index` is its folder; `api/` is a route handler, `_app` and `_document` run for
    every page, `404` and `500` are Next's error pages."""
    if segments[:1] == ["api"] or segments in (["404"], ["500"]):
        return None
    if segments[-1] == "index":
        segments = segments[:-1]
    return _route(segments)


def _inside(path: Path, root: Path) -> PurePosixPath | None:
    """`path` relative to `root` (both as they really are), or None when it is not inside it."""
    try:
        return PurePosixPath(path.resolve().relative_to(root.resolve()).as_posix())
    except (OSError, ValueError, RuntimeError):
        return None
