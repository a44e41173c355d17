"""Capture what Prisma 6.17 prints when the code passes an enum value the generated client lacks: `Role` gained
`MODERATOR` in the schema after generate (user trial 4, item 12). A filter on one value, a filter on a list of them,
and a create: `Invalid value for argument `role`. Expected Role.` (`in` for the list).

Run: `.venv/bin/python tests/captures/enum_values.py`.
"""

from __future__ import annotations

import sys

from sqlite_node import GENERATOR, add_migration, capture, db_env, deploy, prepare

MODELS = """
enum Role {
  USER
  ADMIN
}

model User {
  id    Int    @id @default(autoincrement())
  email String @unique
  role  Role   @default(USER)
}
"""
CALLS = {
    "sqlite-enum-value-stale-client": 'findMany({ where: { role: "MODERATOR" } })',
    "sqlite-enum-list-stale-client": 'findMany({ where: { role: { in: ["ADMIN", "MODERATOR"] } } })',
    "sqlite-enum-create-stale-client": 'create({ data: { email: "m@example.com", role: "MODERATOR" } })',
}
SCRIPT = """const {{ prisma }} = require("./db");
async function main() {{
  await prisma.user.{call};
}}
main().catch((e) => {{ console.error(e); process.exit(1); }});
"""


def main() -> int:
    project = prepare("sqlite-enum", MODELS)
    add_migration(project, "init", "", MODELS)
    deploy(project)
    project.run([project.bin("prisma"), "generate"], env=db_env(project))
    # After generate: the schema has MODERATOR, the client does not.
    project.write("prisma/schema.prisma", GENERATOR + MODELS.replace("  ADMIN\n", "  ADMIN\n  MODERATOR\n"))
    for name, call in CALLS.items():
        script = f"{name}.js"
        project.write(script, SCRIPT.format(call=call))
        capture(
            project,
            name,
            ["node", script],
            f"Role.MODERATOR added to the schema after generate; the code calls prisma.user.{call}.",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
