"""JSON read from files and processes the project does not control, narrowed so that a type checker can follow it.

`isinstance(value, dict)` on what `json.loads` returns leaves keys and values of unknown type, and strict checking
would then ask for a cast at every read. These guards say once what a JSON object and array are: string keys, and
values that each reader still checks (`isinstance(data.get("pid"), int)`) before it trusts them.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeGuard

JsonObject = dict[str, Any]


def is_object(value: object) -> TypeGuard[JsonObject]:
    """Whether `value` is a JSON object (a dict: JSON's keys are always strings)."""
    return isinstance(value, dict)


def is_array(value: object) -> TypeGuard[list[Any]]:
    """Whether `value` is a JSON array."""
    return isinstance(value, list)


def json_after(pattern: re.Pattern[str], text: str) -> object:
    """The JSON value that starts where `pattern` first matches in `text` (a generated client's `config` object, its
    `inlineSchema` string), or None where there is none or it is not JSON."""
    match = pattern.search(text)
    if match is None:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(text, match.end())
    except ValueError:
        return None
    return value
