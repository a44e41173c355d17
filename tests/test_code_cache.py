"""The start-up cache of attrs' and `dataclasses`' generated code: the classes made under it are the classes made
without it."""

from __future__ import annotations

import json
import marshal
import subprocess
import sys
from pathlib import Path

from tests.helpers import doctor, doctor_environment

# Imports lsprotocol's types under the cache, then prints a fingerprint of every generated method of every class.
FINGERPRINT = """
import hashlib, json, sys, types as pytypes
from prisma_doctor.code_cache import cache_file, cached_attrs_code
with cached_attrs_code(cache_file()):
    from lsprotocol import types
import attr._make
def describe(code):
    # What the code is, not how marshal happens to share its objects (its bytes vary with reference counts).
    consts = tuple(describe(c) if isinstance(c, pytypes.CodeType) else repr(c) for c in code.co_consts)
    return (code.co_code.hex(), consts, code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars,
            code.co_flags, code.co_filename, code.co_qualname, code.co_firstlineno, code.co_linetable.hex(),
            code.co_exceptiontable.hex(), code.co_argcount, code.co_kwonlyargcount, code.co_posonlyargcount)
prints = {}
for name, cls in sorted(vars(types).items()):
    if not hasattr(cls, "__attrs_attrs__"):
        continue
    for method in ("__init__", "__eq__", "__repr__", "__hash__", "__lt__", "__getstate__", "__setstate__"):
        code = getattr(getattr(cls, method, None), "__code__", None)
        if code is not None:
            prints[f"{name}.{method}"] = hashlib.sha1(repr(describe(code)).encode()).hexdigest()
prints["hook left behind"] = "compile" in vars(attr._make)
prints["sample"] = repr(types.Position(line=1, character=2)) + str(types.Position(1, 2) == types.Position(1, 2))
json.dump(prints, sys.stdout)
"""


def fingerprint(cache_home: Path, enabled: bool = True) -> dict[str, object]:
    env = doctor_environment({"XDG_CACHE_HOME": str(cache_home), "PRISMA_DOCTOR_CODE_CACHE": "1" if enabled else "0"})
    done = subprocess.run(
        [sys.executable, "-c", FINGERPRINT], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout)


def cache_files(cache_home: Path) -> list[Path]:
    return sorted((cache_home / "prisma-doctor").glob("attrs-code-*.marshal"))


def test_cached_code_is_the_code_attrs_compiles(tmp_path: Path) -> None:
    plain = fingerprint(tmp_path / "unused", enabled=False)
    assert not cache_files(tmp_path / "unused")
    assert len(plain) > 500
    cold = fingerprint(tmp_path)
    [stored] = cache_files(tmp_path)
    written = stored.stat().st_mtime_ns
    warm = fingerprint(tmp_path)
    assert cold == plain
    assert warm == plain
    assert plain["hook left behind"] is False
    # The warm start found every method in the cache: nothing new to store, the file is untouched.
    assert stored.stat().st_mtime_ns == written


def test_a_corrupt_cache_costs_a_compile_and_is_rewritten(tmp_path: Path) -> None:
    plain = fingerprint(tmp_path / "unused", enabled=False)
    fingerprint(tmp_path)
    [stored] = cache_files(tmp_path)
    size = stored.stat().st_size
    keys = marshal.loads(stored.read_bytes()).keys()
    stored.write_bytes(b"\x00not marshal" * 100)
    assert fingerprint(tmp_path) == plain
    assert stored.stat().st_size == size
    # A cache that still unmarshals but holds no code under the very keys asked for.
    stored.write_bytes(marshal.dumps(dict.fromkeys(keys, "not code")))
    assert fingerprint(tmp_path) == plain
    assert stored.stat().st_size == size


def test_an_unwritable_cache_folder_is_not_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "home"
    blocker.write_text("a file where the cache folder would go")
    plain = fingerprint(tmp_path / "unused", enabled=False)
    assert fingerprint(blocker) == plain


# Imports every module of ours under the dataclasses cache at argv[1] ("" for none), then prints a fingerprint of
# every generated method of every dataclass, and how one of them behaves.
DATACLASS_FINGERPRINT = """
import dataclasses, hashlib, importlib, json, pkgutil, sys
from pathlib import Path
import prisma_doctor
from prisma_doctor.code_cache import cached_dataclass_code
with cached_dataclass_code(Path(sys.argv[1]) if sys.argv[1] else None):
    names = sorted(m.name for m in pkgutil.walk_packages(prisma_doctor.__path__, "prisma_doctor."))
    modules = [importlib.import_module(name) for name in names if not name.endswith("__main__")]
prints = {}
for module in modules:
    for name, cls in sorted(vars(module).items()):
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == module.__name__):
            continue
        for method in ("__init__", "__eq__", "__repr__", "__hash__", "__setattr__", "__delattr__", "__lt__"):
            code = getattr(vars(cls).get(method), "__code__", None)
            if code is not None:
                described = (code.co_code, code.co_consts, code.co_names, code.co_varnames, code.co_freevars)
                prints[f"{module.__name__}.{name}.{method}"] = hashlib.sha1(repr(described).encode()).hexdigest()
from prisma_doctor.findings import Location
try:
    Location("a.prisma", None).file = "b"
    frozen = False
except dataclasses.FrozenInstanceError:
    frozen = True
prints["sample"] = [repr(Location("a.prisma", None)), Location("a", None) == Location("a", None), frozen]
prints["hook left behind"] = "exec" in vars(dataclasses)
json.dump(prints, sys.stdout)
"""


def dataclass_fingerprint(cache: Path | None, **env: str) -> dict[str, object]:
    program = [sys.executable, "-c", DATACLASS_FINGERPRINT, str(cache or "")]
    done = subprocess.run(program, env=doctor_environment(env), capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout)


def test_cached_code_is_the_code_dataclasses_compiles(tmp_path: Path) -> None:
    cache = tmp_path / "dataclasses.marshal"
    plain = dataclass_fingerprint(None)
    assert len(plain) > 300
    assert plain["sample"] == ["Location(file='a.prisma', span=None)", True, True]
    cold = dataclass_fingerprint(cache, PYTHONDONTWRITEBYTECODE="")
    written = cache.stat().st_mtime_ns
    assert len(marshal.loads(cache.read_bytes())) > 300
    warm = dataclass_fingerprint(cache, PYTHONDONTWRITEBYTECODE="")
    assert cold == plain and warm == plain
    assert plain["hook left behind"] is False
    # The warm run found every method in the cache: nothing new to store, the file is untouched.
    assert cache.stat().st_mtime_ns == written
    # A damaged cache costs the compile, never a wrong class.
    cache.write_bytes(b"\x00not marshal" * 100)
    assert dataclass_fingerprint(cache, PYTHONDONTWRITEBYTECODE="") == plain


def test_the_command_line_keeps_its_dataclasses_code_where_python_keeps_bytecode(tmp_path: Path) -> None:
    """Beside the bytecode (here under `PYTHONPYCACHEPREFIX`), and only when Python may write bytecode."""
    schema = tmp_path / "schema.prisma"
    schema.write_text("model User {\n  id Int @id\n}\n")

    def stored(prefix: str, **env: str) -> list[Path]:
        done = doctor("schema", str(schema), "--json", env={"PYTHONPYCACHEPREFIX": str(tmp_path / prefix), **env})
        assert done.returncode == 0 and '"name": "User"' in done.stdout, done.stdout + done.stderr
        return list((tmp_path / prefix).rglob("dataclass_code_*.marshal"))

    assert stored("no-bytecode", PYTHONDONTWRITEBYTECODE="1") == []
    assert stored("off", PYTHONDONTWRITEBYTECODE="", PRISMA_DOCTOR_CODE_CACHE="0") == []
    [kept] = stored("bytecode", PYTHONDONTWRITEBYTECODE="")
    assert kept.parent.name == "prisma_doctor"


# What `prisma-doctor serve` imports under the cache: pygls and cattrs too, whose classes attrs also builds.
SERVER_IMPORTS = """
from prisma_doctor.code_cache import cache_file, cached_attrs_code
with cached_attrs_code(cache_file()):
    from prisma_doctor.lsp.server import serve_stdio
"""


def test_a_warm_start_of_the_server_writes_nothing(tmp_path: Path) -> None:
    """A class whose generated source differs in every process (attrs salts `__hash__` with a string's hash) is
    compiled, not kept: keeping it made every start rewrite the whole cache (1.2 MB) before answering `initialize`."""
    env = doctor_environment({"XDG_CACHE_HOME": str(tmp_path), "PRISMA_DOCTOR_CODE_CACHE": "1"})
    subprocess.run([sys.executable, "-c", SERVER_IMPORTS], env=env, timeout=120, check=True)
    [stored] = cache_files(tmp_path)
    written = stored.stat().st_mtime_ns
    for seed in ("1", "2"):  # two different salts
        subprocess.run(
            [sys.executable, "-c", SERVER_IMPORTS], env={**env, "PYTHONHASHSEED": seed}, timeout=120, check=True
        )
    assert stored.stat().st_mtime_ns == written
