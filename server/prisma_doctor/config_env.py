"""A `prisma.config.ts` whose `env("X")` the CLI will not find set: Prisma's `env()` (from `prisma/config`) throws
while the config loads (`PrismaConfigEnvError: Cannot resolve environment variable`), so every `prisma` command,
`generate` included, fails before it does anything.

Set means set in the environment, or in the project's .env when the config loads it (`import "dotenv/config"`,
`dotenv.config()`, `process.loadEnvFile()`): with a config, Prisma's CLI reads no .env file by itself. A variable
only in a .env file that the config does not load is reported too; when the config imports a module of the project's
own (`import "./env"`) that may load it, the finding says so and what decides (a `prisma` command run without it).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from prisma_doctor.database.readers import config_loads_dotenv
from prisma_doctor.database.target import MAX_CONFIG_BYTES, env_variables
from prisma_doctor.findings import Finding, Location, Severity
from prisma_doctor.schema.locate import SchemaSource, blank_js_comments
from prisma_doctor.schema.syntax import LineIndex

# `env` taken from Prisma's own config package: a function of that name from elsewhere may not throw.
_ENV_IMPORTED = re.compile(
    r"""import\s*\{[^}]*\benv\b[^}]*\}\s*from\s*['"]prisma/config['"]"""
    r"""|\{[^}]*\benv\b[^}]*\}\s*=\s*require\(\s*['"]prisma/config['"]\s*\)"""
)
_ENV_CALL = re.compile(r"""(?<![\w$.])env\(\s*(?:'(?P<single>\w+)'|"(?P<double>\w+)"|`(?P<tick>\w+)`)\s*\)""")


def config_env_findings(root: Path, source: SchemaSource, environ: Mapping[str, str] | None = None) -> list[Finding]:
    """`env-missing` for each variable the project's config reads with `env()` that nothing sets."""
    config = source.config_file
    if config is None:
        return []
    try:
        with open(config, "rb") as handle:
            text = blank_js_comments(handle.read(MAX_CONFIG_BYTES).decode("utf-8", errors="replace"))
    except OSError:
        return []
    if _ENV_IMPORTED.search(text) is None:
        return []
    environment = os.environ if environ is None else environ
    variables = env_variables(root, environment, schema_dir=source.schema_dir)
    loads = config_loads_dotenv(text)
    lines = LineIndex(text)
    findings: list[Finding] = []
    for call in _ENV_CALL.finditer(text):
        name = call["single"] or call["double"] or call["tick"]
        if name in environment or any(f.data.get("variable") == name for f in findings):
            continue
        where = Location(str(config), lines.span(call.start(), call.end()))
        if name not in variables:
            findings.append(
                Finding(
                    "env-missing",
                    Severity.ERROR,
                    f"{config.name} reads `{name}` with `env()`, and neither the environment nor a .env file of the "
                    f"project sets it: every `prisma` command (generate, migrate) fails loading the config "
                    f"(PrismaConfigEnvError). Set `{name}` in .env or in the environment.",
                    where,
                    ("set-env-var",),
                    data={"variable": name},
                )
            )
        elif loads is not True:
            findings.append(_not_loaded(config.name, name, variables[name][1], loads is None, where))
    return findings


def _not_loaded(config: str, name: str, env_file: str, maybe: bool, where: Location) -> Finding:
    """`name` is set in `env_file` only, which the config does not load (`maybe`: unless a module it imports does)."""
    fails = (
        f"every `prisma` command (generate, migrate, db push) fails loading the config (PrismaConfigEnvError: Cannot "
        f"resolve environment variable: {name}), while the app, which reads {env_file}, works"
    )
    if maybe:
        said = (
            f"{config} reads `{name}` with `env()`, which only {env_file} sets, and the config has no "
            f'`import "dotenv/config"` (with a config, Prisma\'s CLI reads no .env file itself): unless a module of '
            f"the project's own that it imports loads {env_file}, {fails}. What decides: a `prisma` command run "
            f"without `{name}` in the environment."
        )
    else:
        said = (
            f"{config} reads `{name}` with `env()`, which only {env_file} sets, and the config loads no .env file "
            f'(with a config, Prisma\'s CLI reads none itself): {fails}. Add `import "dotenv/config";` at the top of '
            f"{config}, or set `{name}` in the environment."
        )
    return Finding(
        "env-missing",
        # Undecided, it is said, but it neither counts as a problem nor stops a repair: the module may load it.
        Severity.INFO if maybe else Severity.ERROR,
        said,
        where,
        ("set-env-var",),
        data={"variable": name, "only_in": env_file, **({"undecided": True} if maybe else {})},
    )
