"""Capture `react-router dev` (React Router 7 on Vite, routes by `flatRoutes()`) printing a Prisma error from a route's
loader: no request line, the stack mapped back to `app/routes/users.tsx`.

A project of its own in a temporary folder (React Router 7.9, Prisma with the libSQL adapter and the schema of
tests/repair_fixtures.py): the client is generated from a schema without `User.nickname`, the loader of
`app/routes/users.tsx` selects it, and `GET /users` fails. Saved as `tests/fixtures/react-router/dev-output.log`
(the project's folder written `{project}`) with `capture.json`; tests/test_flat_routes.py lays the same files out
again and reads it.
Run: `.venv/bin/python tests/captures/react_router_dev.py`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.dev_server import free_port  # noqa: E402
from tests.repair_fixtures import DEPENDENCIES, PRISMA, SCHEMA  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "react-router"
PLACEHOLDER = "{project}"
PACKAGE = {
    "name": "rr-app",
    "private": True,
    "type": "module",
    "scripts": {"dev": "react-router dev"},
    "dependencies": {
        **{name: version for name, version in DEPENDENCIES.items() if name != "prisma"},
        "@react-router/node": "7.9.4",
        "isbot": "5.1.31",
        "react": "19.2.9",
        "react-dom": "19.2.9",
        "react-router": "7.9.4",
    },
    "devDependencies": {
        "@react-router/dev": "7.9.4",
        "@react-router/fs-routes": "7.9.4",
        "prisma": PRISMA,
        "typescript": "5.9.3",
        "vite": "6.4.1",
    },
}
# The project's own files, as tests/test_flat_routes.py lays them out again.
FILES = {
    "app/routes.ts": """import { type RouteConfig } from "@react-router/dev/routes";
import { flatRoutes } from "@react-router/fs-routes";

export default flatRoutes() satisfies RouteConfig;
""",
    "app/root.tsx": """import { Outlet, Scripts } from "react-router";

export default function Root() {
  return (
    <html lang="en">
      <body>
        <Outlet />
        <Scripts />
      </body>
    </html>
  );
}
""",
    "app/db.server.ts": """import { PrismaLibSQL } from "@prisma/adapter-libsql";
import { PrismaClient } from "@prisma/client";

export const prisma = new PrismaClient({ adapter: new PrismaLibSQL({ url: "file:./dev.db" }) });
""",
    "app/routes/_index.tsx": """export default function Home() {
  return <p>home</p>;
}
""",
    "app/routes/users.tsx": """import { useLoaderData } from "react-router";
import { prisma } from "../db.server";

export async function loader() {
  const users = await prisma.user.findMany({ select: { id: true, name: true, nickname: true } });
  return { users };
}

export default function Users() {
  const { users } = useLoaderData<typeof loader>();
  return <ul>{users.map((u) => <li key={u.id}>{u.name}</li>)}</ul>;
}
""",
    "vite.config.ts": """import { reactRouter } from "@react-router/dev/vite";
import { defineConfig } from "vite";

export default defineConfig({ plugins: [reactRouter()] });
""",
    # Prisma's native schema engine cannot be downloaded here: the CLI runs through the libSQL adapter (as the
    # bundled example's config does).
    "prisma.config.ts": """import { PrismaLibSQL } from "@prisma/adapter-libsql";
import { defineConfig } from "prisma/config";

export default defineConfig({
  experimental: { adapter: true },
  schema: "prisma/schema.prisma",
  async adapter() {
    return new PrismaLibSQL({ url: "file:./dev.db" });
  },
});
""",
    "prisma/schema.prisma": SCHEMA,
}


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=120) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def main() -> None:
    project = Path(tempfile.mkdtemp(prefix="pd-capture-rr-"))
    server: subprocess.Popen[bytes] | None = None
    try:
        (project / "package.json").write_text(json.dumps(PACKAGE, indent=2))
        for name, text in FILES.items():
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            (project / name).write_text(text)
        npm = ["npm", "install", "--no-audit", "--no-fund", "--prefer-offline"]
        subprocess.run(npm, cwd=project, check=True, capture_output=True)
        subprocess.run(["npx", "--no-install", "prisma", "generate"], cwd=project, check=True, capture_output=True)
        port = free_port()
        log = project / "dev-output.log"
        with log.open("wb") as output:
            server = subprocess.Popen(
                ["npx", "--no-install", "react-router", "dev", "--port", str(port), "--strictPort"],
                cwd=project,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, "NO_COLOR": "1"},
            )
        deadline = time.monotonic() + 120
        while "Local:" not in log.read_text(errors="replace"):
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(log.read_text(errors="replace"))
            time.sleep(0.3)
        assert get(f"http://localhost:{port}/users") == 500
        while "Unknown field `nickname`" not in log.read_text(errors="replace"):
            time.sleep(0.3)
        time.sleep(1)
        FIXTURE.mkdir(parents=True, exist_ok=True)
        text = log.read_text(encoding="utf-8").replace(str(project), PLACEHOLDER)
        (FIXTURE / "dev-output.log").write_text(text, encoding="utf-8")
        version = json.loads((project / "node_modules" / "react-router" / "package.json").read_text())["version"]
        scenario = {
            "driver": "tests/captures/react_router_dev.py",
            "command": "react-router dev --port PORT --strictPort",
            "request": "GET /users (500: Unknown field `nickname`, a client generated without it)",
            "react-router": version,
            "prisma": PRISMA,
        }
        (FIXTURE / "capture.json").write_text(json.dumps(scenario, indent=2) + "\n", encoding="utf-8")
        print(f"saved {FIXTURE}")
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)
        shutil.rmtree(project, ignore_errors=True)


if __name__ == "__main__":
    main()
