"""Capture what Prisma 6.17 and 7.10 print when a nested relation's arguments name a field the generated client lacks:
`Post.views` added to the schema after generate, the code calls `prisma.user.*` with `posts: {...}` (user trial s13,
item L1). Prisma names the nested input type (`PostWhereInput`, `PostCreateWithoutAuthorInput`, ...) among the
available options, or the nested model (`Unknown field `views` for select statement on model `Post``).

Prisma 6.17 (libsql, `engineType = "client"`) names its own runtime as the invocation (`t=Object.create()`); Prisma
7.10 (@prisma/adapter-mariadb, no database needed: the client rejects the arguments before it connects) names the
code's `prisma.user.findMany()`, whose accessor is the outer model.

Run: `.venv/bin/python tests/captures/nested_arguments.py`.
"""

from __future__ import annotations

import sys

from common import capture_in_terminal
from mariadb_node import CLIENT as CLIENT_7
from mariadb_node import CONFIG_7, GENERATOR_7, generated_project
from sqlite_node import GENERATOR, add_migration, capture, db_env, deploy, prepare

MODELS = """
model User {
  id    Int    @id @default(autoincrement())
  email String @unique
  posts Post[]
}

model Post {
  id        Int     @id @default(autoincrement())
  title     String
  published Boolean @default(false)
  author    User    @relation(fields: [authorId], references: [id])
  authorId  Int
}
"""
PUBLISHED = "  published Boolean @default(false)\n"
WITH_VIEWS = MODELS.replace(PUBLISHED, PUBLISHED + "  views Int @default(0)\n")
CALLS = {
    "sqlite-nested-where-stale-client": (
        "findMany({ select: { id: true, posts: { where: { published: false, views: 0 } } } })"
    ),
    "sqlite-nested-some-stale-client": "findMany({ where: { posts: { some: { views: 0 } } } })",
    "sqlite-nested-select-stale-client": "findMany({ include: { posts: { select: { title: true, views: true } } } })",
    "sqlite-nested-orderby-stale-client": 'findMany({ include: { posts: { orderBy: { views: "desc" } } } })',
    "sqlite-nested-create-stale-client": (
        'create({ data: { email: "n@example.com", posts: { create: { title: "hello", views: 1 } } } })'
    ),
}
SCRIPT = """const {{ prisma }} = require("./db");
async function main() {{
  await prisma.user.{call};
}}
main().catch((e) => {{ console.error(e); process.exit(1); }});
"""


def main() -> int:
    project = prepare("sqlite-nested", MODELS)
    add_migration(project, "init", "", MODELS)
    deploy(project)
    project.run([project.bin("prisma"), "generate"], env=db_env(project))
    # After generate: the schema has Post.views, the client does not.
    project.write("prisma/schema.prisma", GENERATOR + WITH_VIEWS)
    for name, call in CALLS.items():
        script = f"{name}.js"
        project.write(script, SCRIPT.format(call=call))
        capture(
            project,
            name,
            ["node", script],
            f"Post.views added to the schema after generate; the code calls prisma.user.{call}.",
        )
    capture_7()
    return 0


def capture_7() -> None:
    """The same calls on Prisma 7.10, whose invocation names the code's call (`prisma.user.findMany()`)."""
    project = generated_project(
        "mysql-7-nested", "7.10.0", {"prisma/schema.prisma": GENERATOR_7 + MODELS, "prisma.config.ts": CONFIG_7}
    )
    project.write("db.js", CLIENT_7)
    project.write("prisma/schema.prisma", GENERATOR_7 + WITH_VIEWS)
    for name, call in CALLS.items():
        name_7 = name.replace("sqlite-", "node-7-")
        script = f"{name_7}.js"
        project.write(script, SCRIPT.format(call=call))
        capture_in_terminal(
            project,
            name_7,
            ["node", script],
            # Nobody listens there: the client rejects the arguments before it connects.
            env={"DATABASE_URL": "mysql://unused@127.0.0.1:9/unused"},
            scenario=f"Prisma 7.10: Post.views added to the schema after generate; the code calls prisma.user.{call}.",
        )


if __name__ == "__main__":
    sys.exit(main())
