"""Capture `next dev` (Next 16, Turbopack) printing a Prisma P2022 from a server action.

A minimal App Router app of our own: `app/actions.ts` (a server action updating a user), `lib/prisma.ts` (the
`globalThis` singleton), PostgreSQL through @prisma/adapter-pg (the libsql adapter passes SQLite's own error through
instead of P2022). The schema and client have `User.nickname`; the database lacks it. The action is submitted the
way a browser without JavaScript does: a multipart POST carrying the form's `$ACTION_ID_...` field.
Also saves Next's own `.next/dev/logs/next-development.log` and `.next/dev/lock` from that run.
Run: `/work/venv/bin/python tests/captures/next_dev.py`.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import urllib.error
import urllib.request

from common import FIXTURES, Project, Terminal, iso_time, run_next_dev, save_capture
from postgres import Cluster
from postgres_trigger import CONFIG, SCHEMA

DATABASE = """
CREATE TABLE "User" (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text, "emailVerified" timestamp(3));
INSERT INTO "User" (email, name) VALUES ('ada@example.com', 'Ada');
"""
FILES = {
    "lib/prisma.ts": """import { PrismaClient } from "../generated/client";
import { PrismaPg } from "@prisma/adapter-pg";

const globalForPrisma = globalThis as unknown as { prisma?: PrismaClient };

export const prisma =
  globalForPrisma.prisma ??
  new PrismaClient({ adapter: new PrismaPg({ connectionString: process.env.DATABASE_URL }) });

if (process.env.NODE_ENV !== "production") globalForPrisma.prisma = prisma;
""",
    "app/actions.ts": """"use server";

import { prisma } from "../lib/prisma";

export async function renameUser(formData: FormData) {
  const nickname = String(formData.get("nickname") ?? "ada");

  await prisma.user.update({ where: { id: 1 }, data: { nickname } });
}
""",
    "app/page.tsx": """import { renameUser } from "./actions";

export default function Page() {
  return (
    <form action={renameUser}>
      <input name="nickname" defaultValue="ada" />
      <button type="submit">Rename</button>
    </form>
  );
}
""",
    "app/layout.tsx": """export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
""",
    "next.config.ts": """const nextConfig = {};
export default nextConfig;
""",
    "tsconfig.json": json.dumps(
        {
            "compilerOptions": {
                "target": "ES2017",
                "lib": ["dom", "dom.iterable", "esnext"],
                "allowJs": True,
                "skipLibCheck": True,
                "strict": False,
                "noEmit": True,
                "esModuleInterop": True,
                "module": "esnext",
                "moduleResolution": "bundler",
                "resolveJsonModule": True,
                "isolatedModules": True,
                "jsx": "react-jsx",
                "incremental": True,
                "plugins": [{"name": "next"}],
            },
            "include": ["next-env.d.ts", "**/*.ts", "**/*.tsx"],
            "exclude": ["node_modules"],
        },
        indent=2,
    ),
}


def submit_action(port: int) -> int:
    """GET the page, then POST its form as a browser without JavaScript would; return the HTTP status."""
    page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=120).read().decode()
    action = re.search(r'name="(\$ACTION_ID_[0-9a-f]+)"', page)
    if action is None:
        raise RuntimeError(f"no server action id in the page:\n{page[:2000]}")
    boundary = "----prismadoctor"
    body = (
        "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in ((action.group(1), ""), ("nickname", "ada"))
        )
        + f"--{boundary}--\r\n"
    )
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/",
        data=body.encode(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        method="POST",
    )
    try:
        return urllib.request.urlopen(request, timeout=120).status
    except urllib.error.HTTPError as error:
        return error.code


def own_prisma_client(project: Project) -> None:
    """Give the project its own `@prisma/client` folder, so that the default output (`.prisma/client` beside it)
    belongs to this project and not to the shared install. Its big folders are links to the shared copy."""
    shared = project.modules / "node_modules" / "@prisma" / "client"
    own = project.root / "node_modules" / "@prisma" / "client"
    own.mkdir(parents=True)
    for entry in shared.iterdir():
        if entry.is_dir():
            (own / entry.name).symlink_to(entry, target_is_directory=True)
        else:
            shutil.copyfile(entry, own / entry.name)
    # `prisma generate` accepts a client only when it sits beside the CLI (prisma/build: the CLI and client must
    # share a node_modules), else it tries to install one.
    (project.root / "node_modules" / "prisma").symlink_to(project.modules / "node_modules" / "prisma")


WITHOUT_NICKNAME = "  nickname      String?\n"


def capture(variant: str) -> None:
    """`bundled`: the client generated to `generated/client`, which Turbopack compiles into the server chunks.
    `external`: the default output beside `@prisma/client`, which Next keeps external (`serverExternalPackages`),
    so that the client's call site is a line of Turbopack's chunk and Next names the import `{imported module ...}`.
    `stale`: external; the database has `nickname`, the schema gains it and is generated while `next dev` runs,
    and the running server still uses the client it loaded first ("Unknown argument").
    """
    project = Project(f"next-{variant}", inside_install=True)
    schema = SCHEMA
    if variant in ("external", "stale"):
        own_prisma_client(project)
        schema = SCHEMA.replace('  output     = "../generated/client"\n', "")
    project.write("prisma/schema.prisma", schema.replace(WITHOUT_NICKNAME, "") if variant == "stale" else schema)
    project.write("prisma.config.ts", CONFIG)
    for name, text in FILES.items():
        if variant != "bundled":
            text = text.replace('"../generated/client"', '"@prisma/client"')
        project.write(name, text)
    generate = [project.bin("prisma"), "generate"]
    project.run(generate, env={"DATABASE_URL": "postgresql://unused@127.0.0.1/unused"})
    expected = b"Unknown argument" if variant == "stale" else b"does not exist in the current database"
    with Cluster() as cluster:
        url = cluster.create_database("app", "C")
        cluster.sql("app", DATABASE)
        if variant == "stale":
            cluster.sql("app", 'ALTER TABLE "User" ADD COLUMN nickname text')

        def steps(terminal: Terminal, port: int, extra: dict[str, object]) -> int:
            if variant == "stale":
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=120).read()  # loads the first client
                terminal.settle(quiet=2)
                project.write("prisma/schema.prisma", schema)
                project.run(generate, env={"DATABASE_URL": url})
                client = project.root / "node_modules" / ".prisma" / "client" / "index.js"
                extra["client_generated_at"] = iso_time(client.stat().st_mtime)
            return submit_action(port)

        run = run_next_dev(project, [], {"DATABASE_URL": url}, steps, expected)
    name = f"next-dev-{'unknown-argument-stale-server' if variant == 'stale' else 'p2022-server-action'}-{variant}"
    scenario = (
        "next dev (Turbopack) started with a client without User.nickname; nickname then added to the schema and "
        "generated while the server ran (the database has the column); a server action sets nickname"
        if variant == "stale"
        else "next dev (Turbopack); a server action updates User.nickname, which the database lacks"
    )
    save_capture(
        name,
        run.output,
        command=run.command,
        exit_code=run.exit_code,
        project=project,
        scenario=f"{scenario} (the POST answered HTTP {run.status}). The dev server was stopped with Ctrl-C "
        "afterwards.",
        notes=f"Client {variant} (see capture()'s docstring). PostgreSQL through @prisma/adapter-pg; "
        "FORCE_COLOR=1 as in a terminal.",
        extra=run.extra,
        said=f", lock {run.lock}",
    )
    log = project.root / ".next" / "dev" / "logs" / "next-development.log"
    if log.exists():
        shutil.copyfile(log, FIXTURES / f"{name}.next-development.log")
    (FIXTURES / f"{name}.lock.json").write_text(run.lock)


def main() -> int:
    variants = [v for v in sys.argv[1:] if not v.startswith("-")] or ["bundled", "external", "stale"]
    for variant in variants:
        capture(variant)
    return 0


if __name__ == "__main__":
    sys.exit(main())
