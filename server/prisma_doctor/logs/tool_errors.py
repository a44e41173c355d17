"""What the tools around Prisma print about its client, each line to an event: TypeScript rejecting a name on one
of Prisma's generated types (`tsc`, `next build`), a generated client that cannot be resolved (TypeScript,
Turbopack and webpack, Node's CommonJS and ES module loaders), and the schema engine's data-loss warnings.

Only names that are Prisma's count: a type Prisma generates (`UserUpdateInput`, `PrismaClient`), a module path that
names Prisma (`.prisma/client`, `generated/prisma`) or a generated client folder (`generated/client`). The same
errors about other code are not the doctor's business.
"""

from __future__ import annotations

import re

from prisma_doctor.logs import events as ev

# `tsc`'s two forms of one error: `app/page.tsx(6,56): error TS2353: ...` (plain, and `next build`'s), and
# `app.ts:6:53 - error TS2353: ...` (pretty, in a terminal). Found with `str.find`, the place parsed from the rest.
_TS_MARK = " error TS"
_TS_CODE = re.compile(r"TS(?P<code>\d{4,5}): ")
_UNKNOWN_PROPERTY = re.compile(r"known properties, (?:and|but) '(?P<name>[^']+)' does not exist in type '")
_NO_PROPERTY = re.compile(r"^Property '(?P<name>[^']+)' does not exist on type '")
# Node's ES module loader says `Cannot find package '@prisma/client' imported from /app/src/db.ts` for a bare
# specifier whose package is not installed, `Cannot find module '/app/x.js' imported from ...` for a path.
_NO_MODULE = re.compile(r"Cannot find (?:module|package) '(?P<spec>[^']+)'(?: imported from (?P<importer>\S+))?")
_CANNOT_RESOLVE = re.compile(r"Module not found: (?:Error: )?Can't resolve '(?P<spec>[^']+)'")
# The name a member access ends in: `user` in `prisma.user`, `db[0].user`.
ACCESSOR = re.compile(r"(?:^|[.\]])(?P<acc>[a-z_$][\w$]*)$")
# The schema engine's data-loss warnings (`db push`, `migrate dev`), one per dropped column or table.
_DROP = re.compile(
    r"You are about to drop the (?:column `(?P<column>[^`]+)` on the `(?P<table>[^`]+)` table(?:, which still "
    r"contains (?P<rows>\d+) non-null values)?|`(?P<table2>[^`]+)` table(?:, which is not empty \((?P<rows2>\d+))?)"
)
_SOURCE_ENDINGS = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
_SUGGESTION = re.compile(r"Did you mean (?:to write )?'(?P<name>[^']+)'\?")
_IDENTIFIER = re.compile(r"[A-Z][A-Za-z0-9_]*")
# The endings of the types Prisma generates for a model's arguments and results.
_PRISMA_TYPE_ENDINGS = ("Input", "Select", "Include", "Omit", "Args", "Payload", "Delegate")
# A folder named `generated` in a module path: where Prisma's docs put a custom output.
_GENERATED_FOLDER = re.compile(r"(?:^|[/\\])generated(?:[/\\]|$)")


def tool_event(line: str, n: int, previous: str | None = None) -> ev.Event | None:
    """The event of one line of a tool's output (and the line before it, when it was read), or None."""
    if "You are about to drop" in line and (m := _DROP.search(line)):
        rows = m.group("rows") or m.group("rows2")
        return ev.DataLossRefused(
            line=n,
            text=m.group(0),
            table=m.group("table") or m.group("table2"),
            column=m.group("column"),
            rows=int(rows) if rows else None,
        )
    if (at := line.find(_TS_MARK)) >= 0:
        return _typescript(line, at, n)
    if "Module not found" in line and (m := _CANNOT_RESOLVE.search(line)):
        spec = m.group("spec")
        if not _is_client(spec):
            return None
        location = _bundler_location(previous) if previous is not None else None
        return ev.ClientModuleMissing(line=n, text=m.group(0), specifier=spec, tool="bundler", location=location)
    if ("Cannot find module" in line or "Cannot find package" in line) and (m := _NO_MODULE.search(line)):
        spec, importer = m.group("spec"), m.group("importer")
        if not _is_client(spec):
            return None
        location = ev.SourceLocation(ev.printed_path(importer), 1) if importer else None
        return ev.ClientModuleMissing(line=n, text=line.strip(), specifier=spec, tool="node", location=location)
    return None


def _typescript(line: str, at: int, n: int) -> ev.Event | None:
    code = _TS_CODE.match(line, at + len(_TS_MARK) - 2)
    location = _ts_location(line[:at].strip())
    if code is None or location is None:
        return None
    message = line[code.end() :].strip()
    if m := _NO_MODULE.search(message):
        spec = m.group("spec")
        if not _is_client(spec):
            return None
        return ev.ClientModuleMissing(line=n, text=message, specifier=spec, tool="typescript", location=location)
    found = _UNKNOWN_PROPERTY.search(message) or _NO_PROPERTY.match(message)
    type_name = _prisma_type(message[found.end() :]) if found else None
    if found is None or type_name is None:
        return None
    return ev.TypeCheckError(
        line=n,
        text=message,
        location=location,
        ts_code="TS" + code.group("code"),
        name=found.group("name"),
        type_name=type_name,
        suggestion=suggested.group("name") if (suggested := _SUGGESTION.search(message)) else None,
    )


def _bundler_location(line: str) -> ev.SourceLocation | None:
    """Turbopack's and webpack's importing file, on the line before `Module not found`: `⨯ ./lib/prisma.ts:1:1`, or
    `./lib/prisma.ts` alone (`next build --webpack`)."""
    place = line.strip().removeprefix("⨯").strip()
    file, *numbers = place.rsplit(":", 2)
    if len(numbers) == 2 and all(part.isdigit() for part in numbers) and file and " " not in file:
        return ev.SourceLocation(file, int(numbers[0]), int(numbers[1]))
    if place.startswith(("./", "../")) and " " not in place and place.endswith(_SOURCE_ENDINGS):
        return ev.SourceLocation(place, 1, 1)
    return None


def _ts_location(place: str) -> ev.SourceLocation | None:
    """`file(6,56):` or `file:6:53 -` to a location."""
    if place.endswith("):") and (open_at := place.rfind("(")) > 0:
        numbers = place[open_at + 1 : -2].split(",")
        file = place[:open_at]
    elif place.endswith(" -"):
        file, *numbers = place[:-2].rsplit(":", 2)
    else:
        return None
    if len(numbers) != 2 or not all(part.isdigit() for part in numbers) or not file:
        return None
    return ev.SourceLocation(file, int(numbers[0]), int(numbers[1]))


def _prisma_type(type_text: str) -> str | None:
    """The first type of Prisma's that the quoted type text names (it ends at the next quote)."""
    for m in _IDENTIFIER.finditer(type_text, 0, max(type_text.find("'"), 0)):
        name = m.group()
        if name.startswith("PrismaClient"):
            return "PrismaClient"
        if name.endswith(_PRISMA_TYPE_ENDINGS):
            return name
    return None


def delegate_accessor(code: str, action: str) -> str | None:
    """`prisma.post.findMany(` in a line of code -> `post`: the name before the last `.<action>(`."""
    at = code.rfind(f".{action}(")
    m = ACCESSOR.search(code[:at].rstrip("?")) if at > 0 else None
    return m.group("acc") if m else None


def _is_client(specifier: str) -> bool:
    return "prisma" in specifier.lower() or bool(_GENERATED_FOLDER.search(specifier))
