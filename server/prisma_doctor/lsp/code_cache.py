"""Keep the code attrs generates for lsprotocol's classes between runs, as Python keeps `.pyc` files for modules.

Importing `lsprotocol.types` builds ~570 attrs classes, and attrs writes each one's `__init__`, `__eq__`,
`__repr__`... as source text and compiles it: about 550 `compile()` calls, half of the import and a third of the
language server's start-up. The generated text only changes with the versions of Python, attrs and lsprotocol, so
the compiled code objects are kept in the user's cache folder, keyed by a hash of their file name and source, and
loaded with `marshal` on the next start.

The hook is a module global named `compile` in `attr._make` that shadows the builtin there, and only while the
server's modules are imported; nothing of attrs is replaced. A missing, stale or corrupt cache costs the ordinary
compile, never a wrong answer: an entry is used only for the very source text it was compiled from, with the same
compiler flags attrs would have used. `PRISMA_DOCTOR_CODE_CACHE=0` turns it off.
"""

from __future__ import annotations
import __future__

import contextlib
import marshal
import os
import sys
from collections.abc import Generator
from pathlib import Path
from types import CodeType
from typing import Any

FORMAT = 1


def cache_file() -> Path | None:
    """Where this Python keeps the code (marshal's format is per version), or None when caching is off."""
    if os.environ.get("PRISMA_DOCTOR_CODE_CACHE", "1") == "0":
        return None
    base = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache")
    name = f"attrs-code-v{FORMAT}-{sys.implementation.cache_tag}-{sys.hexversion:x}.marshal"
    return Path(base) / "prisma-doctor" / name


@contextlib.contextmanager
def cached_attrs_code(path: Path | None) -> Generator[None, None, None]:
    """Serve attrs' compiles from `path` while the block runs; store the new ones when it ends."""
    import attr._make as attrs_make

    if path is None or "compile" in vars(attrs_make):
        yield
        return
    try:
        from _blake2 import blake2b  # what hashlib would give, without importing OpenSSL's bindings at start-up
    except ImportError:
        from hashlib import blake2b

    known = _load(path)
    used: dict[bytes, CodeType] = {}
    # attrs compiles with the future flags of its own module (`compile` inherits them from its caller): the same
    # flags, explicitly, since the caller is now this module.
    inherits = getattr(attrs_make, "annotations", None) is __future__.annotations
    flags = __future__.annotations.compiler_flag if inherits else 0

    def compile_cached(source: Any, filename: Any, mode: str, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs or not isinstance(source, str) or not isinstance(filename, str):
            return compile(source, filename, mode, *args, **kwargs)
        if _differs_in_every_process(source):
            return compile(source, filename, mode, flags, True)
        key = blake2b(f"{mode}\0{filename}\0{source}".encode(), digest_size=16).digest()
        code = known.get(key)
        if type(code) is not CodeType:  # not cached (or a damaged cache that still unmarshals)
            code = compile(source, filename, mode, flags, True)
        used[key] = code
        return code

    # A module global that shadows the builtin `compile` for attrs' code only; attrs' module declares no such name.
    attrs_make.compile = compile_cached  # pyright: ignore[reportAttributeAccessIssue]
    try:
        yield
    finally:
        del attrs_make.compile  # pyright: ignore[reportAttributeAccessIssue]
        if any(known.get(key) is not code for key, code in used.items()):
            # Only what this start used: entries of older attrs or lsprotocol versions go at their first upgrade.
            _store(path, used)


def _differs_in_every_process(source: str) -> bool:
    """attrs salts a hashable class's `__hash__` with the hash of a name (`return hash((6246564338, self.a, ...`),
    which string hashing's random seed makes differ in every process (cattrs' `AttributeOverride`, imported with
    pygls). Such a source is never asked for twice: kept, it only made every start write the whole cache again."""
    at = source.find("hash((")
    if at < 0:
        return False
    salt = source[at + 6 :].lstrip().partition(",")[0]
    return salt.lstrip("-").isdigit()


def _load(path: Path) -> dict[bytes, Any]:
    try:
        with path.open("rb") as handle:
            loaded = marshal.load(handle)
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _store(path: Path, codes: dict[bytes, Any]) -> None:
    # Written aside and renamed, so that two servers starting at once never read half a file.
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with partial.open("wb") as handle:
            marshal.dump(codes, handle)
        partial.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink()
