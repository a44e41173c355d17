"""`.env` files as Prisma and Next read them: `KEY=value`, `export KEY=value`, quotes, comments, `${VAR}` expansion."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from prisma_doctor import project_files

MAX_ENV_BYTES = 1024 * 1024
# A value's expansion may grow no larger: a URL is short, while ten lines of `${V}` repeated eight times each grow
# to gigabytes (an expansion bomb) that would hold every reader of the project.
MAX_EXPANDED_CHARS = 64 * 1024
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


class ExpansionTooLarge(ValueError):
    """A value whose `${VAR}` references grow past `MAX_EXPANDED_CHARS`: it is not expanded."""


def expand(value: str, variables: Mapping[str, str], limit: int = MAX_EXPANDED_CHARS) -> str:
    """`${VAR}` and `$VAR` replaced by their values (as dotenv-expand does, which Prisma and Next use), references
    followed eight deep; `ExpansionTooLarge` when the result would pass `limit` characters."""
    budget = [limit]

    def expanded(text: str, depth: int) -> str:
        if depth > 8 or "$" not in text:
            return _spend(text, budget)

        def replace(match: re.Match[str]) -> str:
            name = match.group("braced") or match.group("bare")
            return expanded(variables.get(name, ""), depth + 1)

        # Each piece between references is counted as it is kept, each reference as it is expanded: the work done
        # stays within the limit however the references nest.
        pieces: list[str] = []
        end = 0
        for match in _EXPANSION.finditer(text):
            pieces.append(_spend(text[end : match.start()], budget))
            pieces.append(replace(match))
            end = match.end()
        pieces.append(_spend(text[end:], budget))
        return "".join(pieces)

    try:
        return expanded(value, 0).replace("\\$", "$")
    except ExpansionTooLarge:
        raise ExpansionTooLarge(f"its ${{...}} references expand past {limit} characters") from None


def _spend(text: str, budget: list[int]) -> str:
    budget[0] -= len(text)
    if budget[0] < 0:
        raise ExpansionTooLarge
    return text
