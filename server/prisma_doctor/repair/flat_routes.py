"""The URL a React Router 7 or Remix route module answers, read from its file name as their flat routes convention
names it (`app/routes/concerts.trending.tsx` is `/concerts/trending`), when the app routes by that convention.

React Router 7 routes by `app/routes.ts`: only `export default flatRoutes()` (from `@react-router/fs-routes`, with no
options) hands the routes to the files; any other config (or options that move or ignore files) decides nothing here.
Remix 2 routes by the files unless its Vite plugin is given routes of its own (or an `app/routes.ts`). A module with
children (`concerts.tsx` beside `concerts.trending.tsx`) or a pathless layout (`_auth.tsx`) runs for other URLs too,
a dynamic segment (`$id`), a splat (`$`) or an optional one (`($lang)`) has no single value: none decides a route.
Nor does a resource route (a module with no component, only a `loader`): its GET may change data, as a Next route
handler's may, so the repair does not send it again.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from prisma_doctor import project_files
from prisma_doctor.installed import declared_packages

ROUTES = PurePosixPath("app") / "routes"
_EXTENSIONS = (".tsx", ".ts", ".jsx", ".js", ".mdx", ".md")
_ROUTES_CONFIGS = ("app/routes.ts", "app/routes.js", "app/routes.mts", "app/routes.mjs")
_VITE_CONFIGS = ("vite.config.ts", "vite.config.js", "vite.config.mts", "vite.config.mjs")
# `export default flatRoutes() satisfies RouteConfig;` and nothing else exported.
_FLAT_ONLY = re.compile(r"export\s+default\s+flatRoutes\(\s*\)(?:\s+satisfies\s+RouteConfig)?\s*;?\s*$")
_CONFIG_BYTES = 64 << 10
_DEFAULT_EXPORT = re.compile(r"\bexport\s+default\b|\bexport\s*\{[^}]*\bas\s+default\b")
# Bounds against a planted folder: no app has more route files than this.
_MOST_ROUTES = 5000
# A name's segments: split on dots outside `[...]` (an escaped dot, `sitemap[.]xml`).
_SEGMENT = re.compile(r"(?:\[[^\]]*\]|[^.\[])+")


def routes_by_files(folder: Path) -> bool:
    """Whether the app at `folder` routes by its `app/routes` files (React Router 7's `flatRoutes()`, Remix 2's
    default)."""
    config = next((folder / name for name in _ROUTES_CONFIGS if (folder / name).is_file()), None)
    if config is not None:
        text = _read(config)
        return text is not None and "@react-router/fs-routes" in text and _only_flat_routes(text)
    if "@remix-run/dev" not in declared_packages(folder):
        return False
    vite = [_read(folder / name) for name in _VITE_CONFIGS if (folder / name).is_file()]
    # Remix's plugin given routes of its own (`routes(defineRoutes)`, `ignoredRouteFiles`) or a routes config flag.
    return len(vite) == 1 and vite[0] is not None and "routes" not in vite[0].lower().replace("@remix-run", "")


def route_of_module(folder: Path, relative: PurePosixPath) -> str | None:
    """The URL path the route module `relative` (to the app's folder) alone answers, or None."""
    if relative.parts[: len(ROUTES.parts)] != ROUTES.parts:
        return None
    inside = relative.parts[len(ROUTES.parts) :]
    if len(inside) == 1 and relative.suffix in _EXTENSIONS:
        name = relative.name.removesuffix(relative.suffix)
    elif len(inside) == 2 and PurePosixPath(inside[1]).stem == "route" and relative.suffix in _EXTENSIONS:
        name = inside[0]  # a folder route: `app/routes/concerts.trending/route.tsx`
    else:
        return None
    names = _route_names(folder / Path(*ROUTES.parts))
    if names is None or name not in names or any(other.startswith(name + ".") for other in names):
        return None  # not a route of this app, or a layout of others
    source = _read(folder / Path(*relative.parts))
    if source is None or not _DEFAULT_EXPORT.search(source):
        return None  # a resource route (no component): its GET is code like a Next route handler's, not sent again
    return _url(_SEGMENT.findall(name))


def _url(segments: list[str]) -> str | None:
    kept: list[str] = []
    for index, segment in enumerate(segments):
        if segment == "_index":
            if index != len(segments) - 1:
                return None
            continue
        if segment.startswith("_"):
            if index == len(segments) - 1:
                return None  # a pathless layout: it renders around other routes
            continue
        if segment.startswith(("$", "(")) or segment in (".", ".."):
            return None
        kept.append(segment.removesuffix("_").replace("[", "").replace("]", ""))
    return "/" + "/".join(kept)


def _route_names(routes: Path) -> set[str] | None:
    """The route names of the files in `routes` (a folder with a `route.*` counts by its own name)."""
    names: set[str] = set()
    try:
        with os.scandir(routes) as entries:
            for count, entry in enumerate(entries):
                if count >= _MOST_ROUTES:
                    return None
                path = Path(entry.path)
                if entry.is_file(follow_symlinks=False) and path.suffix in _EXTENSIONS:
                    names.add(path.name.removesuffix(path.suffix))
                elif entry.is_dir(follow_symlinks=False) and any(
                    (path / f"route{extension}").is_file() for extension in _EXTENSIONS
                ):
                    names.add(entry.name)
    except OSError:
        return None
    return names


def _only_flat_routes(text: str) -> bool:
    code = re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.S)
    exports = re.findall(r"\bexport\b", code)
    return len(exports) == 1 and _FLAT_ONLY.search(code.strip()) is not None


def _read(path: Path) -> str | None:
    try:
        return project_files.read_text(path, _CONFIG_BYTES)
    except OSError:
        return None
