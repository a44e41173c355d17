"""Keep the code that attrs and `dataclasses` generate for classes between runs, as Python keeps `.pyc` files for
modules.

Both write each class's `__init__`, `__eq__`, `__repr__`... as source text and compile it when the class is made.
Importing `lsprotocol.types` builds ~570 attrs classes (about 550 `compile()` calls, half of the import and a third of
the language server's start-up); a command's own modules make ~80 dataclasses (about 440 compiles, a fifth of what
`explain` spends before the repair it offers). The generated text only changes with the versions of Python and of
the code that declares the classes, so the compiled code objects are kept, keyed by a hash of their file name and
source, and loaded with `marshal` on the next start: attrs' in the user's cache folder (lsprotocol's classes, in a
package that is not ours), ours beside our own bytecode, where Python writes it, and only when it may write bytecode
there (not with `PYTHONDONTWRITEBYTECODE`).

The hook is a module global named `compile` in `attr._make`, or `exec` in `dataclasses`, that shadows the builtin
there while the block runs; nothing of either is replaced. A missing, stale or corrupt cache costs the ordinary
compile, never a wrong answer: an entry is used only for the very source text it was compiled from, with the same
compiler flags the library would have used. `PRISMA_DOCTOR_CODE_CACHE=0` turns both off.
"""

from __future__ import annotations
import __future__

import builtins
import contextlib
import marshal
import os
import sys
from collections.abc import Callable, Generator
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any, cast

FORMAT = 1
# Entries a cache keeps of what a run did not use, at most (every command's dataclasses are well under a thousand).
MAX_ENTRIES = 4000
_ENABLED = "PRISMA_DOCTOR_CODE_CACHE"


def cache_file() -> Path | None:
    """Where this Python keeps attrs' code (marshal's format is per version), or None when caching is off."""
    if os.environ.get(_ENABLED, "1") == "0":
        return None
    base = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache")
    name = f"attrs-code-v{FORMAT}-{sys.implementation.cache_tag}-{sys.hexversion:x}.marshal"
    return Path(base) / "prisma-doctor" / name


def dataclass_cache_file() -> Path | None:
    """Where our dataclasses' code is kept: in our package's `__pycache__` (or under `sys.pycache_prefix`), as the
    bytecode of a module would be; None when caching is off."""
    if os.environ.get(_ENABLED, "1") == "0":
        return None
    from importlib.util import cache_from_source

    stand_in = Path(__file__).with_name(f"dataclass_code_v{FORMAT}.py")
    return Path(cache_from_source(str(stand_in))).with_name(
        f"dataclass_code_v{FORMAT}.{sys.implementation.cache_tag}-{sys.hexversion:x}.marshal"
    )


@contextlib.contextmanager
def cached_attrs_code(path: Path | None) -> Generator[None, None, None]:
    """Serve attrs' compiles from `path` while the block runs; store the new ones when it ends."""
    import attr._make as attrs_make

    # attrs compiles with the future flags of its own module (`compile` inherits them from its caller): the same
    # flags, explicitly, since the caller is now this module.
    inherits = getattr(attrs_make, "annotations", None) is __future__.annotations
    flags = __future__.annotations.compiler_flag if inherits else 0

    def hook(lookup: Callable[[str, str, str, int], CodeType]) -> Any:
        def compile_cached(source: Any, filename: Any, mode: str, *args: Any, **kwargs: Any) -> Any:
            if args or kwargs or not isinstance(source, str) or not isinstance(filename, str):
                # Another kind of compile than attrs' own (an AST, other flags): the builtin's, as it is.
                return cast(Any, compile)(source, filename, mode, *args, **kwargs)
            return lookup(source, filename, mode, flags)

        return compile_cached

    # Only what this start used is kept: the language server's imports are the same at every start.
    with _shadowed(attrs_make, "compile", hook, path, store=True, keep_unused=False):
        yield


@contextlib.contextmanager
def cached_dataclass_code(path: Path | None) -> Generator[None, None, None]:
    """Serve the compiles of `dataclasses`' generated methods from `path` while the block runs; store the new ones
    when it ends, if Python may write bytecode."""
    import dataclasses

    def hook(lookup: Callable[[str, str, str, int], CodeType]) -> Any:
        # `dataclasses` execs its source text with no future flags of its own (`exec` of a string inherits its
        # caller's, and the module declares none), under the name `exec` gives it.
        def exec_cached(source: Any, globals: Any = None, locals: Any = None, /) -> None:
            code = lookup(source, "<string>", "exec", 0) if isinstance(source, str) else source
            builtins.exec(code, globals, locals)

        return exec_cached

    # What other commands used is kept too: each command imports its own modules, and would otherwise compile again
    # what the one before it dropped.
    with _shadowed(dataclasses, "exec", hook, path, store=not sys.dont_write_bytecode, keep_unused=True):
        yield


@contextlib.contextmanager
def _shadowed(
    module: ModuleType,
    name: str,
    hook: Callable[[Callable[[str, str, str, int], CodeType]], Any],
    path: Path | None,
    *,
    store: bool,
    keep_unused: bool,
) -> Generator[None, None, None]:
    """While the block runs, `module`'s builtin `name` is shadowed by `hook(lookup)`, where `lookup` compiles
    through the cache at `path`; when it ends, what was compiled anew is stored if `store`, with the entries this run
    did not use if `keep_unused` (up to `MAX_ENTRIES`: past it, those of older versions go)."""
    if path is None or name in vars(module):
        yield
        return
    try:
        from _blake2 import blake2b  # what hashlib would give, without importing OpenSSL's bindings at start-up
    except ImportError:
        from hashlib import blake2b

    known = _load(path)
    used: dict[bytes, CodeType] = {}

    def lookup(source: str, filename: str, mode: str, flags: int) -> CodeType:
        if _differs_in_every_process(source):
            return compile(source, filename, mode, flags, True)
        key = blake2b(f"{mode}\0{filename}\0{source}".encode(), digest_size=16).digest()
        code = known.get(key)
        if type(code) is not CodeType:  # not cached (or a damaged cache that still unmarshals)
            code = compile(source, filename, mode, flags, True)
        used[key] = code
        return code

    # A module global that shadows the builtin for the library's code only; neither module declares such a name.
    setattr(module, name, hook(lookup))
    try:
        yield
    finally:
        delattr(module, name)
        if store and any(known.get(key) is not code for key, code in used.items()):
            kept = {**known, **used} if keep_unused else used
            _store(path, kept if len(kept) <= MAX_ENTRIES else used)


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
            loaded: object = marshal.load(handle)
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    # Any keys and values: an entry is used only when its value is code (`_shadowed`'s lookup).
    return cast("dict[bytes, Any]", loaded) if isinstance(loaded, dict) else {}


def _store(path: Path, codes: dict[bytes, Any]) -> None:
    # Written aside and renamed, so that two processes starting at once never read half a file.
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with partial.open("wb") as handle:
            marshal.dump(codes, handle)
        partial.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink()
