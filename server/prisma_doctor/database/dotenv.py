"""`.env` files as Prisma and Next read them: `KEY=value`, `export KEY=value`, quotes, comments, `${VAR}` expansion."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from prisma_doctor import project_files

MAX_ENV_BYTES = 1024 * 1024
_LINE = re.compile(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(?P<value>.*)$")
_EXPANSION = re.compile(r"(?<!\\)\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?<!\\)\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)")


def read_env_file(path: Path) -> dict[str, str]:
    """The variables a file defines (unexpanded); an unreadable or missing file defines none."""
    try:
        text = project_files.read_text(path, MAX_ENV_BYTES)
    except OSError:
        return {}
    return parse_env(text)


def parse_env(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    lines = text.replace("\r\n", "\n").split("\n")
    index = 0
    while index < len(lines):
        match = _LINE.match(lines[index])
        index += 1
        if match is None:
            continue
        raw = match.group("value").strip()
        quote = raw[:1]
        if quote in ("'", '"', "`"):
            # A quoted value may run over several lines until its closing quote.
            body = raw[1:]
            while quote not in body and index < len(lines):
                body += "\n" + lines[index]
                index += 1
            value = body.split(quote, 1)[0]
            if quote == '"':
                value = value.replace("\\n", "\n")
        else:
            value = raw.split(" #", 1)[0].strip()
        values[match.group("key")] = value
    return values


def expand(value: str, variables: Mapping[str, str], depth: int = 0) -> str:
    """`${VAR}` and `$VAR` replaced by their values (as dotenv-expand does, which Prisma and Next use)."""
    if depth > 8 or "$" not in value:
        return value

    def replace(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("bare")
        return expand(variables.get(name, ""), variables, depth + 1)

    return _EXPANSION.sub(replace, value).replace("\\$", "$")
