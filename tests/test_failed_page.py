"""The page whose request failed, read from the error's frame (repair/failed_page.py), on what a real `next dev
--turbopack` wrote for the bundled example (tests/captures/next_dev_maps.py: Next's own log, the app's chunks and their
index maps): the page's error decides `/`, the server action's (in `app/actions.ts`) stays unknown."""

from __future__ import annotations

import json
import os
from pathlib import Path, PurePosixPath

import pytest

from prisma_doctor.logs.events import ClientError, SourceLocation
from prisma_doctor.logs.routes import FailedRequest
from prisma_doctor.logs.sourcemap import original_position
from prisma_doctor.repair import failed_page as module
from prisma_doctor.repair.app_check import failures_without_request, requests_that_failed
from prisma_doctor.repair.failed_page import failed_page, page_route

CAPTURE = Path(__file__).parent / "fixtures" / "next-maps"
CHUNKS = Path(".next") / "dev" / "server" / "chunks" / "ssr"
PAGE_CHUNK = CHUNKS / "[root-of-the-server]__0p4ofhac-wfvy._.js"
ACTIONS_CHUNK = CHUNKS / "_19zri8glc3o38._.js"
LAYOUT_CHUNK = CHUNKS / "_109tcivt8knit._.js"


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """The captured `.next` of the example, put back in a project folder of the test's own."""
    root = tmp_path / "next-prisma-app"
    for file in CAPTURE.joinpath("dev").rglob("*"):
        if file.is_file():
            target = root / ".next" / file.relative_to(CAPTURE)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(file.read_text(encoding="utf-8").replace("{project}", str(root)), encoding="utf-8")
    return root


def error_at(file: str | Path, line: int, column: int) -> ClientError:
    location = SourceLocation(str(file), line, column)
    return ClientError(line=1, text="Unknown field `nickname`", call_site=location)


def source_of(chunk: Path, line: int, column: int) -> Path | None:
    found = original_position(chunk, line, column)
    return found[0] if found is not None else None


def place_of(chunk: Path, text: str) -> tuple[int, int]:
    """The one-based line and column of `text` in a chunk."""
    for number, line in enumerate(chunk.read_text(encoding="utf-8").splitlines(), 1):
        if text in line:
            return number, line.index(text) + 1
    raise AssertionError(f"{text!r} is not in {chunk}")


def test_the_pages_error_decides_its_route_and_the_actions_stays_unknown(app: Path) -> None:
    # Next's log: the page's error at the chunk's line 31, the action's in another chunk; no request line at all.
    assert requests_that_failed(app) == [FailedRequest("GET", "/")]
    # Said where a person finds it: the action's own line, through the chunk's map.
    assert failures_without_request(app) == [f"{app / 'app' / 'actions.ts'}:11"]


def test_the_real_index_maps_give_each_modules_own_file(app: Path) -> None:
    assert source_of(app / PAGE_CHUNK, 31, 150) == app / "app" / "page.tsx"
    assert failed_page(error_at(app / PAGE_CHUNK, 31, 150), app) == "/"

    # The chunk of the page's actions holds the action's module and `lib/prisma.ts`: neither is the page, and the
    # action may be posted from any page that imports it.
    for text, source in (("await __TURBOPACK__", "app/actions.ts"), ("createPrismaClient()", "lib/prisma.ts")):
        line, column = place_of(app / ACTIONS_CHUNK, text)
        assert source_of(app / ACTIONS_CHUNK, line, column) == app / source
        assert failed_page(error_at(app / ACTIONS_CHUNK, line, column), app) is None
    # The layout runs for every page.
    line, column = place_of(app / LAYOUT_CHUNK, "children")
    assert source_of(app / LAYOUT_CHUNK, line, column) == app / "app" / "layout.tsx"
    assert failed_page(error_at(app / LAYOUT_CHUNK, line, column), app) is None


def test_a_module_evaluated_again_after_an_edit_is_named_by_its_chunks_url(app: Path) -> None:
    # A server running while the page changed throws from the chunk's URL with the module in its query (seen in a
    # real stack; Prisma cannot read that file, so its own message then names no line at all).
    url = f"file://{app / PAGE_CHUNK}?id=%5Bproject%5D/app/page.tsx+%5Bapp-rsc%5D+(ecmascript)".replace("[", "%5B")
    assert failed_page(error_at(url.replace("]", "%5D"), 24, 26), app) == "/"
    other = url.replace("app/page.tsx", "app/components/users.tsx")
    assert failed_page(error_at(other, 24, 26), app) is None


@pytest.mark.parametrize(
    ("bundle", "route"),
    [
        (".next/dev/server/app/page.js", "/"),
        (".next/server/app/(shop)/cart/@modal/page.js", "/cart"),
        (".next/server/app/blog/[slug]/page.js", None),
        (".next/server/app/api/visits/route.js", None),
        (".next/server/app/_lib/page.js", None),
        (".next/server/pages/index.js", "/"),
        (".next/server/pages/settings/index.js", "/settings"),
        (".next/dev/server/pages/about.js", "/about"),
        (".next/server/pages/api/users.js", None),
        (".next/server/pages/_app.js", None),
        (".next/server/pages/404.js", None),
    ],
)
def test_a_pages_own_webpack_bundle_names_it(app: Path, bundle: str, route: str | None) -> None:
    assert failed_page(error_at(app / bundle, 3, 1), app) == route


@pytest.mark.parametrize(
    ("source", "route"),
    [
        ("app/page.tsx", "/"),
        ("src/app/(marketing)/about/page.jsx", "/about"),
        ("app/dashboard/@stats/page.tsx", "/dashboard"),
        ("app/users/[id]/page.tsx", None),
        ("app/docs/[...slug]/page.tsx", None),
        ("app/feed/(.)photo/page.tsx", None),
        ("app/_components/page.tsx", None),
        ("app/layout.tsx", None),
        ("app/api/visits/route.ts", None),
        ("app/../page.tsx", None),
        ("components/page.tsx", None),
        ("lib/prisma.ts", None),
        ("pages/index.tsx", "/"),
        ("src/pages/blog/index.js", "/blog"),
        ("pages/api/users.ts", None),
        ("pages/_document.tsx", None),
    ],
)
def test_only_a_pages_own_file_decides_its_route(source: str, route: str | None) -> None:
    assert page_route(PurePosixPath(source)) == route


def test_a_map_that_is_no_evidence_decides_nothing(app: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    error = error_at(app / PAGE_CHUNK, 31, 150)
    map_file = app / PAGE_CHUNK.with_name(PAGE_CHUNK.name + ".map")
    real = map_file.read_bytes()

    # Larger than the bound: not read at all.
    monkeypatch.setattr(module, "MAX_MAP_BYTES", len(real) - 1)
    assert failed_page(error, app) is None
    monkeypatch.setattr(module, "MAX_MAP_BYTES", len(real))
    assert failed_page(error, app) == "/"

    # A link to a map outside the project, even a true one.
    outside = tmp_path / "elsewhere.js.map"
    outside.write_bytes(real)
    map_file.unlink()
    map_file.symlink_to(outside)
    assert failed_page(error, app) is None

    # A FIFO (never waited on), binary bytes, a section inside a section.
    map_file.unlink()
    os.mkfifo(map_file)
    assert failed_page(error, app) is None
    map_file.unlink()
    map_file.write_bytes(b"\x00\xff\x89PNG" * 100)
    assert failed_page(error, app) is None
    data = json.loads(real)
    map_file.write_text(json.dumps({"version": 3, "sections": [{"offset": {"line": 0, "column": 0}, "map": data}]}))
    assert failed_page(error, app) is None
    map_file.unlink()
    assert failed_page(error, app) is None


def test_a_map_source_outside_the_project_is_no_page_of_it(app: Path, tmp_path: Path) -> None:
    map_file = app / PAGE_CHUNK.with_name(PAGE_CHUNK.name + ".map")
    other = tmp_path / "other-app"
    map_file.write_text(map_file.read_text().replace(f"file://{app}/", f"file://{other}/"))
    assert failed_page(error_at(app / PAGE_CHUNK, 31, 150), app) is None


def test_no_next_app_no_route(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    assert failed_page(error_at("app/page.tsx", 8, 17), tmp_path) is None
