"""React Router 7 and Remix route modules to the URL each alone answers (repair/flat_routes.py), as the flat routes
convention names them, and the error whose frame is one of them (repair/failed_page.py: Vite prints no request
lines)."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

import pytest

from prisma_doctor.logs.events import ClientError, SourceLocation
from prisma_doctor.logs.routes import FailedRequest
from prisma_doctor.repair.app_check import failures_without_request, requests_that_failed
from prisma_doctor.repair.failed_page import failed_page
from prisma_doctor.repair.flat_routes import route_of_module, routes_by_files
from tests.captures.react_router_dev import FILES, PACKAGE

CAPTURES = Path(__file__).parent / "fixtures" / "react-router"
FLAT_ROUTES = """import { type RouteConfig } from "@react-router/dev/routes";
import { flatRoutes } from "@react-router/fs-routes";

export default flatRoutes() satisfies RouteConfig;
"""
ROUTE_MODULE = "export async function loader() {}\nexport default function Page() {}\n"
ROUTE_FILES = [
    "_index.tsx",
    "about.tsx",
    "concerts.tsx",
    "concerts.trending.tsx",
    "concerts._index.tsx",
    "concerts.$city.tsx",
    "concerts_.mine.tsx",
    "_auth.tsx",
    "_auth.login.tsx",
    "($lang).categories.tsx",
    "files.$.tsx",
    "sitemap[.]xml.tsx",
    "settings.profile/route.tsx",
    "settings.profile/avatar.tsx",
]


def react_router_app(folder: Path, routes_config: str = FLAT_ROUTES) -> Path:
    (folder / "app" / "routes").mkdir(parents=True)
    (folder / "app" / "routes.ts").write_text(routes_config)
    (folder / "app" / "root.tsx").write_text("export default function Root() {}\n")
    for name in ROUTE_FILES:
        (folder / "app" / "routes" / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / "app" / "routes" / name).write_text(ROUTE_MODULE)
    (folder / "app" / "routes" / "api.cron.ts").write_text("export async function loader() {}\n")
    return folder


@pytest.mark.parametrize(
    ("module", "route"),
    [
        ("_index.tsx", "/"),
        ("about.tsx", "/about"),
        ("concerts.trending.tsx", "/concerts/trending"),
        ("concerts._index.tsx", "/concerts"),
        ("concerts_.mine.tsx", "/concerts/mine"),
        ("_auth.login.tsx", "/login"),
        ("sitemap[.]xml.tsx", "/sitemap.xml"),
        ("settings.profile/route.tsx", "/settings/profile"),
        # A layout of other routes, a pathless layout, dynamic, optional and splat segments: no single URL.
        ("concerts.tsx", None),
        ("_auth.tsx", None),
        ("concerts.$city.tsx", None),
        ("($lang).categories.tsx", None),
        ("files.$.tsx", None),
        # Not a route module: a file beside a folder route's own, the root, a file of no route.
        ("settings.profile/avatar.tsx", None),
        ("../root.tsx", None),
        ("gone.tsx", None),
        ("api.cron.ts", None),  # a resource route: no component, its loader's GET is not sent again
    ],
)
def test_a_route_modules_url_by_its_name(tmp_path: Path, module: str, route: str | None) -> None:
    app = react_router_app(tmp_path)
    assert routes_by_files(app)
    assert route_of_module(app, PurePosixPath("app/routes") / module) == route


@pytest.mark.parametrize(
    "config",
    [
        'import { index, route } from "@react-router/dev/routes";\nexport default [index("routes/about.tsx")];\n',
        FLAT_ROUTES.replace("flatRoutes()", 'flatRoutes({ rootDirectory: "file-routes" })'),
        FLAT_ROUTES.replace("flatRoutes() satisfies", '[...(await flatRoutes()), route("x", "y.tsx")] satisfies'),
    ],
)
def test_only_flat_routes_alone_hands_the_routes_to_the_files(tmp_path: Path, config: str) -> None:
    assert not routes_by_files(react_router_app(tmp_path, config))


def test_remix_routes_by_its_files_unless_its_plugin_is_given_routes(tmp_path: Path) -> None:
    (tmp_path / "app" / "routes").mkdir(parents=True)
    (tmp_path / "package.json").write_text(json.dumps({"devDependencies": {"@remix-run/dev": "2.16.0"}}))
    config = tmp_path / "vite.config.ts"
    config.write_text('import { vitePlugin as remix } from "@remix-run/dev";\nexport default { plugins: [remix()] };\n')
    assert routes_by_files(tmp_path)
    config.write_text(config.read_text().replace("remix()", "remix({ routes: (define) => define(() => {}) })"))
    assert not routes_by_files(tmp_path)
    config.unlink()
    (tmp_path / "package.json").write_text(json.dumps({"dependencies": {"vite": "6.4.1"}}))
    assert not routes_by_files(tmp_path)


def test_a_loaders_error_names_its_route_and_a_shared_modules_does_not(tmp_path: Path) -> None:
    app = react_router_app(tmp_path)

    def error_at(file: Path) -> ClientError:
        return ClientError(line=1, text="Unknown field `nickname`", call_site=SourceLocation(str(file), 5, 10))

    assert failed_page(error_at(app / "app" / "routes" / "concerts.trending.tsx"), app) == "/concerts/trending"
    assert failed_page(error_at(app / "app" / "routes" / "concerts.tsx"), app) is None
    (app / "app" / "lib").mkdir()
    assert failed_page(error_at(app / "app" / "lib" / "users.server.ts"), app) is None
    (app / "app" / "routes.ts").write_text(FLAT_ROUTES.replace("flatRoutes()", "flatRoutes({ ignoredRouteFiles: [] })"))
    assert failed_page(error_at(app / "app" / "routes" / "concerts.trending.tsx"), app) is None


def test_what_a_real_react_router_dev_printed_names_the_route_that_failed(tmp_path: Path) -> None:
    # Captured by tests/captures/react_router_dev.py: no request line; the loader's frame, mapped back by Vite.
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "package.json").write_text(json.dumps(PACKAGE))
    output = (CAPTURES / "dev-output.log").read_text(encoding="utf-8").replace("{project}", str(tmp_path))
    (tmp_path / ".prisma-doctor").mkdir()
    (tmp_path / ".prisma-doctor" / "dev-output.log").write_text(output, encoding="utf-8")

    assert requests_that_failed(tmp_path) == [FailedRequest("GET", "/users")]
    assert failures_without_request(tmp_path) == []

    # Routes the config names itself: the file's name decides nothing, and the failure is said where it is.
    (tmp_path / "app" / "routes.ts").write_text('export default [index("routes/users.tsx")];\n')
    assert requests_that_failed(tmp_path) == []
    assert failures_without_request(tmp_path) == [f"{tmp_path / 'app' / 'routes' / 'users.tsx'}:5"]
