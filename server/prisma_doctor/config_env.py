"""A `prisma.config.ts` whose `env("X")` nothing sets: Prisma's `env()` (from `prisma/config`) throws while the
config loads (`PrismaConfigEnvError: Cannot resolve environment variable`), so every `prisma` command, `generate`
included, fails before it does anything.

Set means set in the environment or in one of the project's .env files (`database/target.py` reads them). A variable
only in a .env file that the config never loads still fails in Prisma; it is not reported, because whether the
config loads it (`import "dotenv/config"`, `process.loadEnvFile`) cannot be told for sure from its text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

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
    variables = env_variables(root, os.environ if environ is None else environ, schema_dir=source.schema_dir)
    lines = LineIndex(text)
    findings: list[Finding] = []
    for call in _ENV_CALL.finditer(text):
        name = call["single"] or call["double"] or call["tick"]
        if name in variables or any(f.data.get("variable") == name for f in findings):
            continue
        findings.append(
            Finding(
                "env-missing",
                Severity.ERROR,
                f"{config.name} reads `{name}` with `env()`, and neither the environment nor a .env file of the "
                f"project sets it: every `prisma` command (generate, migrate) fails loading the config "
                f"(PrismaConfigEnvError). Set `{name}` in .env or in the environment.",
                Location(str(config), lines.span(call.start(), call.end())),
                ("set-env-var",),
                data={"variable": name},
            )
        )
    return findings
