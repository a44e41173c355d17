"""Capture what a real `next dev --turbopack` writes about a failed page and a failed server action: Next's own dev
log (no request lines, the error's frame a chunk) and the chunks of the app's own modules with their source maps
(index maps, in sections), from the bundled example (tests/example_app.py).

The example is set up, its page rendered once, then broken with `scripts/break.sh --db`
(schema and code gain `nickname`, the client is not generated). A dev server started after the break compiles the
page afresh, so Prisma's message names the chunk's line (one running during the break evaluates the module again
from a URL Prisma cannot read, and names no line). Then `GET /` fails, and the rename form is posted.

Saved under `tests/fixtures/next-maps/` as they are under `.next/`, the project's folder written `{project}`:
`dev/logs/next-development.log`, each `dev/server/...` file of the app's own code (`chunks/ssr/*.js` and `.js.map`
whose map has a source of the project outside `node_modules`, and `app/page.js`), and `capture.json` (versions,
scenario).
Run: `.venv/bin/python tests/captures/next_dev_maps.py`.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.dev_server import DevServer  # noqa: E402
from tests.example_app import copy_example, installed_example_packages, run_script  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "next-maps"
PLACEHOLDER = "{project}"
SERVER = Path(".next") / "dev" / "server"
LOG = Path(".next") / "dev" / "logs" / "next-development.log"


def own_files(project: Path) -> list[Path]:
    """The server files of the app's own code: chunks whose maps name a project file outside node_modules, with
    their maps, and the page's entry."""
    found = [project / SERVER / "app" / "page.js"]
    for map_file in sorted((project / SERVER / "chunks" / "ssr").glob("*.js.map")):
        text = map_file.read_text(encoding="utf-8")
        sources = [s for section in json.loads(text).get("sections", []) for s in section["map"].get("sources", [])]
        prefix = f"file://{project}/"
        if any(s.startswith(prefix) and "/node_modules/" not in s for s in sources):
            found += [map_file.with_name(map_file.name.removesuffix(".map")), map_file]
    return found


def wait_for_errors(project: Path, count: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = project / LOG
        if log.exists() and log.read_text(encoding="utf-8").count('"level":"ERROR"') >= count:
            return
        time.sleep(0.3)
    raise TimeoutError(f"Next's log did not show {count} errors")


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="pd-capture-maps-"))
    try:
        project = copy_example(scratch / "next-prisma-app", installed_example_packages())
        run_script(project, "setup.sh")
        server = DevServer(project, scratch / "next-dev-1.log").start()
        try:
            page = server.get("/")
            assert page.status == 200, page.body[-2000:]
        finally:
            server.stop()
        run_script(project, "break.sh", "--db")
        shutil.rmtree(project / ".next" / "dev" / "logs")
        server = DevServer(project, scratch / "next-dev-2.log").start()
        try:
            assert server.get("/").status == 500
            wait_for_errors(project, 1)
            # The action's id as this server knows it (an id from before the break is not its own: 409).
            manifest = json.loads((project / SERVER / "server-reference-manifest.json").read_text(encoding="utf-8"))
            (action,) = manifest["node"]
            form = f'<input type="hidden" name="$ACTION_ID_{action}">'
            posted = server.submit_form(form, {"id": "1", "name": "Ada", "nickname": "Countess"})
            assert posted.status == 500, posted.status
            wait_for_errors(project, 2)
        finally:
            server.stop()
        if FIXTURE.exists():
            shutil.rmtree(FIXTURE)
        for file in [project / LOG, *own_files(project)]:
            target = FIXTURE / file.relative_to(project / ".next")  # `.next/` itself is ignored by git
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(file.read_text(encoding="utf-8").replace(str(project), PLACEHOLDER), encoding="utf-8")
        next_version = json.loads((project / "node_modules" / "next" / "package.json").read_text())["version"]
        prisma_version = json.loads((project / "node_modules" / "prisma" / "package.json").read_text())["version"]
        scenario = {
            "driver": "tests/captures/next_dev_maps.py",
            "project": "examples/next-prisma-app after scripts/break.sh --db, `next dev --turbopack` started after it",
            "requests": ["GET / (500: Unknown field `nickname`)", "POST / of the rename form (500)"],
            "next": next_version,
            "prisma": prisma_version,
        }
        (FIXTURE / "capture.json").write_text(json.dumps(scenario, indent=2) + "\n", encoding="utf-8")
        print(f"saved {FIXTURE}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
