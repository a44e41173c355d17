"""One JSON log record (a line of pino, Fastify, bunyan, winston's `json` format or Next 16's dev log) as the text
lines a terminal would have shown for it.

A record's text is its message (`msg`, `message`) and its error: `err` or `error` (an object, or a string), or the
record itself when it carries a `stack` (winston's `errors({ stack: true })`). An error is shown as Node's
`console.error` shows one: its stack (else `Type: message`), then its own properties (`code`, `meta`,
`clientVersion`) in braces, so that the plain-text recognizer reads it as it reads the same error printed. Of an
error's `cause` chain, the first Prisma error is the one shown (an application's `new Error("...", { cause })`
wraps the error that says what is wrong); a message that the error already says is not shown twice.
"""

from __future__ import annotations

import json

from prisma_doctor.json_values import JsonObject, is_object

# A record's error is followed this deep into its `cause`s.
MAX_CAUSES = 8
# Property values are shown up to this many characters: a record may hold anything.
_MAX_VALUE = 1000
# pino's serializer appends the causes' stacks to the error's own (`\ncaused by: ...`): the cause is read from
# `cause` when the record has it, and the appended text would otherwise read as part of the error.
_CAUSED_BY = "\ncaused by: "
# Properties Node shows in the braces after a Prisma error's stack, in this order.
_SHOWN_PROPERTIES = ("code", "meta", "clientVersion")


def parse(line: str) -> JsonObject | None:
    """The object a line holds when the whole line is one JSON object, else None."""
    text = line.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if is_object(value) else None


def texts(record: JsonObject) -> list[str]:
    """The lines the record shows: its message, then its error; [] when it holds neither."""
    error = _error_of(record)
    shown = _error_lines(error) if error is not None else []
    said = "\n".join(shown)
    lines: list[str] = []
    for key in ("msg", "message"):
        message = record.get(key)
        if isinstance(message, str) and message.strip() and message.strip() not in said:
            lines.extend(message.splitlines())
    return lines + shown


def _error_of(record: JsonObject) -> JsonObject | str | None:
    """The error the record is about: the first Prisma error of its `err`'s (or `error`'s) cause chain, else the
    outermost error."""
    for key in ("err", "error"):
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return value
        if is_object(value):
            chain = _chain(value)
            return next((error for error in chain if _is_prisma_error(error)), chain[0])
    return record if isinstance(record.get("stack"), str) else None


def _chain(error: JsonObject) -> list[JsonObject]:
    chain = [error]
    while len(chain) <= MAX_CAUSES and is_object(cause := chain[-1].get("cause")):
        chain.append(cause)
    return chain


def _is_prisma_error(error: JsonObject) -> bool:
    """`PrismaClientKnownRequestError` and its siblings, or a driver adapter's error, by the type pino records."""
    names = [name for name in (error.get("type"), error.get("name")) if isinstance(name, str)]
    return any(
        name == "DriverAdapterError" or (name.startswith("PrismaClient") and name.endswith("Error")) for name in names
    )


def _error_lines(error: JsonObject | str) -> list[str]:
    if isinstance(error, str):
        return error.splitlines()
    stack, message = error.get("stack"), error.get("message")
    if isinstance(stack, str) and stack.strip():
        head = stack.split(_CAUSED_BY, 1)[0]
    elif isinstance(message, str):
        name = error.get("type") or error.get("name") or "Error"
        head = f"{name}: {message}" if isinstance(name, str) else message
    else:
        return []
    lines = head.splitlines()
    properties = [(key, error[key]) for key in _SHOWN_PROPERTIES if key in error]
    if properties:
        lines.append("{")
        for key, value in properties:
            lines.extend(_property(key, value, "  "))
        lines.append("}")
    return lines


def _property(key: str, value: object, indent: str) -> list[str]:
    """`key: 'value',` as Node's inspect shows it, an object over several lines (the recognizer reads `column: 'x'`
    at the start of its line)."""
    if is_object(value):
        inner = [line for name, item in list(value.items())[:50] for line in _property(name, item, indent + "  ")]
        return [f"{indent}{key}: {{", *inner, f"{indent}}},"]
    if isinstance(value, str):
        return [f"{indent}{key}: '{value[:_MAX_VALUE]}',"]
    return [f"{indent}{key}: {json.dumps(value)[:_MAX_VALUE]},"]
