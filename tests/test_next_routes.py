"""Which failed GETs the app check sends again on Next: a page is asked as the browser asked it; a route handler's
GET may change data (Vercel Cron calls GET), so it is named and not sent (`repair/next_routes.py`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from prisma_doctor.repair.next_routes import rerouted, route_handler
from prisma_doctor.repair.plan import build_plan
from prisma_doctor.repair.steps import VerifyApp

FILES = (
    "app/page.tsx",
    "app/posts/page.tsx",
    "app/posts/[id]/page.tsx",
    "app/posts/[id]/like/route.ts",
    "app/(admin)/reports/route.ts",
    "app/api/cron/daily/route.ts",
    "app/api/users/[...rest]/route.js",
    "app/docs/[[...slug]]/page.tsx",
    "app/_lib/route.ts",
    "app/@modal/login/page.tsx",
    "src/pages/api/legacy.ts",
)


@pytest.fixture
def app(tmp_path: Path) -> Path:
    for name in FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("export {}\n")
    return tmp_path


@pytest.mark.parametrize(
    ("path", "handler"),
    [
        ("/", None),
        ("/posts", None),
        ("/posts/42", None),
        ("/posts/42/like", "app/posts/[id]/like/route.ts"),
        ("/reports?from=2026-01-01", "app/(admin)/reports/route.ts"),
        ("/api/cron/daily", "app/api/cron/daily/route.ts"),
        ("/api/users/a/b/c", "app/api/users/[...rest]/route.js"),
        ("/docs", None),
        ("/docs/a/b", None),
        ("/login", None),
        ("/_lib", None),  # a private folder routes nothing
        ("/api/legacy", "src/pages/api"),  # the pages router: everything under pages/api is a handler
        ("/nothing/here", None),
        ("/%2e%2e/%2e%2e/etc", None),
    ],
)
def test_a_path_is_told_a_route_handler_as_next_routes_it(app: Path, path: str, handler: str | None) -> None:
    found = route_handler(app, path)
    assert (str(found.relative_to(app)) if found else None) == handler


def test_the_plan_names_a_failed_handler_get_and_the_check_does_not_send_it(app: Path) -> None:
    (app / "prisma").mkdir()
    (app / "prisma" / "schema.prisma").write_text('generator client {\n  provider = "prisma-client-js"\n}\n')
    (app / "package.json").write_text('{"name": "app", "scripts": {"dev": "next dev"}}')
    # As `prisma-doctor run` records a dev server's output: the page and the cron job failed.
    (app / ".prisma-doctor").mkdir(mode=0o700)
    (app / ".prisma-doctor" / "dev-output.log").write_text(" GET /posts 500 in 35ms\n GET /api/cron/daily 500 in 3ms\n")

    step = build_plan(app, "restart-dev").steps[-1]

    assert isinstance(step, VerifyApp)
    handler = str(app / "app/api/cron/daily/route.ts")
    assert step.handlers == {"/api/cron/daily": f"{handler} is a route handler"}
    preview = "\n".join(step.preview())
    assert "request GET /posts on each dev server" in preview and "GET /api/cron/daily on" not in preview
    assert f"GET /api/cron/daily failed: not sent again, since {handler} is a route handler" in preview
    unsure: list[str] = []
    assert step._asks("next", unsure) == [("/posts", False)]  # pyright: ignore[reportPrivateUsage]
    assert unsure and "not sent again" in unsure[0]


@pytest.mark.parametrize("rerouter", ["next.config.js", "proxy.ts", "src/middleware.ts"])
def test_a_logged_path_no_page_answers_is_not_sent_in_an_app_that_rewrites(app: Path, rerouter: str) -> None:
    # Attacker's trial 4 on next dev 16: `rewrites: [{source: "/jobs/cleanup", destination: "/api/cron"}]`; Next logs
    # `GET /jobs/cleanup 500`, no file of the app is that path, and asking it again ran the cron job.
    (app / "prisma").mkdir()
    (app / "prisma" / "schema.prisma").write_text('generator client {\n  provider = "prisma-client-js"\n}\n')
    (app / "package.json").write_text(
        '{"name": "app", "dependencies": {"next": "16.0.0"}, "scripts": {"dev": "next dev"}}'
    )
    config = 'module.exports = { rewrites: async () => [{ source: "/jobs/cleanup", destination: "/api/cron" }] }\n'
    (app / rerouter).parent.mkdir(exist_ok=True)
    (app / rerouter).write_text(config if rerouter == "next.config.js" else "export function proxy() {}\n")
    (app / ".prisma-doctor").mkdir(mode=0o700)
    (app / ".prisma-doctor" / "dev-output.log").write_text(" GET /posts/7 500 in 35ms\n GET /jobs/cleanup 500 in 4s\n")

    step = build_plan(app, "restart-dev").steps[-1]

    assert isinstance(step, VerifyApp)
    assert list(step.handlers) == ["/jobs/cleanup"]  # a page's path is still asked
    preview = "\n".join(step.preview())
    assert "request GET /posts/7 on each dev server" in preview and "GET /jobs/cleanup on" not in preview
    assert f"GET /jobs/cleanup failed: not sent again, since {app / rerouter}" in preview, preview
    assert "no page of the app answers it: it may reach a route handler" in preview


def test_a_middleware_file_of_an_app_that_is_not_next_reroutes_nothing(app: Path) -> None:
    (app / "package.json").write_text('{"name": "api", "dependencies": {"express": "5.0.0"}}')
    (app / "middleware.js").write_text("module.exports = (req, res, next) => next()\n")
    assert rerouted(app, "/jobs/cleanup") is None
