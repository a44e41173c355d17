"""A client's native query engine that this machine lacks (attack4 #11): `check` said "in sync" while the app's first
query failed with `could not locate the Query Engine for runtime "debian-openssl-3.0.x"`.

Prisma's own code is the oracle: the platform name and its parsers are those of the installed @prisma/get-platform,
asked through Node, and whether the engine is found is what the real Prisma 6 runtime says at a first query. The
engine itself cannot be downloaded here (binaries.prisma.sh is unreachable), so a stand-in file of the engine's name
is what `prisma generate` copies beside the client (through `PRISMA_QUERY_ENGINE_LIBRARY`, as the toolchain does):
the runtime finds it and then fails to load it, which is not the failure this is about.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from prisma_doctor.clients.engine import engine_file_name
from prisma_doctor.clients.platform import binary_target, parse_distro, parse_libssl, parse_openssl, target_for
from tests.helpers import check_json, codes, doctor_json, step
from tests.npm_cache import tool_environment
from tests.toolchain import JS_GENERATOR, PrismaProject, ProjectFactory, schema_text, toolchain

pytestmark = pytest.mark.node

VERSION = "6.17.1"
MODELS = "model Post {\n  id    Int    @id\n  title String\n}\n"
# What stands in for the engine: found by the runtime, then not loadable (an engine of zeros is said as such).
STAND_IN = b"prisma-doctor tests: a stand-in for the query engine\n" * 4
OS_RELEASES = [
    "ID=alpine\nVERSION_ID=3.19.0\n",
    "ID=raspbian\nID_LIKE=debian\n",
    "ID=nixos\n",
    'ID="debian"\n',
    "ID=ubuntu\nID_LIKE=debian\n",
    "ID=arch\n",
    "ID=manjaro\nID_LIKE=arch\n",
    'ID="rhel"\nID_LIKE="fedora"\n',
    'ID="centos"\nID_LIKE="rhel fedora"\n',
    'ID="almalinux"\nID_LIKE="rhel centos fedora"\n',
    "ID=fedora\n",
    'ID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"\n',
    'ID=pop\nID_LIKE="ubuntu debian"\n',
    "ID=linuxmint\nID_LIKE=ubuntu\n",
    "ID=void\n",
    "",
]
LIBSSL_NAMES = ["libssl.so.3", "libssl.so.1.1", "libssl.so.1.0.0", "libssl.so.10", "libssl.so.0.9.8", "libssl3.so"]
OPENSSL_LINES = [
    "OpenSSL 3.0.2 15 Mar 2022 (Library: OpenSSL 3.0.2 15 Mar 2022)",
    "OpenSSL 1.1.1w  11 Sep 2023",
    "OpenSSL 3.2.1 30 Jan 2024",
    "LibreSSL 3.3.6",
    "OpenSSL 1.0.2k-fips  26 Jan 2017",
]
PLATFORMS = [
    (system, arch, distro, libssl)
    for system in ("linux", "darwin", "win32", "openbsd", "netbsd", "sunos")
    for arch in ("x64", "arm64", "arm")
    for distro in (None, "debian", "rhel", "musl", "arm", "nixos")
    for libssl in (None, "1.0.x", "1.1.x", "3.0.x")
]


def prisma_platform(script: str) -> Any:
    """What the installed @prisma/get-platform answers: `script` is the body of an async function that returns
    JSON-able data, with `gp` (getPlatform.js) and `api` (getNodeAPIName.js) in scope."""
    folder = toolchain("npm", VERSION)
    code = (
        "const gp = require('@prisma/get-platform/dist/getPlatform.js');"
        "const api = require('@prisma/get-platform/dist/getNodeAPIName.js');"
        f"(async () => {{ {script} }})().then((r) => console.log(JSON.stringify(r)));"
    )
    # Prisma warns (on stderr) where it falls back to a default; the answer is the last line of stdout.
    done = subprocess.run(["node", "-e", code], cwd=folder, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_this_machines_name_is_prismas_own() -> None:
    assert binary_target() == prisma_platform("return await gp.getBinaryTargetForCurrentPlatform();")


def test_the_parsers_and_the_names_agree_with_prismas() -> None:
    theirs = prisma_platform(
        f"const releases = {json.dumps(OS_RELEASES)}, names = {json.dumps(LIBSSL_NAMES)};"
        f"const lines = {json.dumps(OPENSSL_LINES)}, platforms = {json.dumps(PLATFORMS)};"
        "return {"
        "  distros: releases.map((r) => { const d = gp.parseDistro(r); return [d.targetDistro ?? null,"
        "    d.familyDistro ?? null]; }),"
        "  libssl: names.map((n) => gp.parseLibSSLVersion(n) ?? null),"
        "  openssl: lines.map((l) => gp.parseOpenSSLVersion(l) ?? null),"
        "  targets: platforms.map(([platform, arch, targetDistro, libssl]) =>"
        "    gp.getBinaryTargetForCurrentPlatformInternal({ platform, arch, targetDistro: targetDistro ?? undefined,"
        "      libssl: libssl ?? undefined, familyDistro: undefined, originalDistro: undefined })),"
        "  files: ['debian-openssl-3.0.x', 'darwin-arm64', 'darwin', 'windows', 'linux-musl']"
        "    .map((t) => api.getNodeAPIName(t, 'fs')),"
        "};"
    )
    assert [list(parse_distro(r)) for r in OS_RELEASES] == theirs["distros"]
    assert [parse_libssl(n) for n in LIBSSL_NAMES] == theirs["libssl"]
    assert [parse_openssl(line) for line in OPENSSL_LINES] == theirs["openssl"]
    assert [target_for(*p) for p in PLATFORMS] == theirs["targets"]
    files = ["debian-openssl-3.0.x", "darwin-arm64", "darwin", "windows", "linux-musl"]
    assert [engine_file_name("library", t) for t in files] == theirs["files"]


def first_query(project: PrismaProject) -> str:
    """The output of the app's first query, as the real runtime runs it."""
    script = "new (require('@prisma/client').PrismaClient)().post.findMany().then(() => console.log('ANSWERED'))"
    done = subprocess.run(
        ["node", "-e", script], cwd=project.root, capture_output=True, text=True, timeout=120, check=False
    )
    return done.stdout + done.stderr


def engine_findings(root: Path) -> list[dict[str, Any]]:
    _, report = check_json(root, "--no-database")
    return [f for f in report["findings"] if f["code"] == "engine-unavailable"]


@pytest.fixture
def with_engine(prisma_project: ProjectFactory, tmp_path: Path) -> PrismaProject:
    """A Prisma 6 `prisma-client-js` project on the library engine, generated by the real CLI with an engine file of
    this machine's name beside the client."""
    project = prisma_project(schema_text(VERSION, MODELS, JS_GENERATOR), version=VERSION)
    engine = tmp_path / engine_file_name("library", binary_target())
    engine.write_bytes(STAND_IN)  # the real engine cannot be downloaded here
    project.prisma("generate", env={"PRISMA_QUERY_ENGINE_LIBRARY": str(engine)})
    return project


def test_an_engine_moved_aside_is_missing_where_the_runtime_looks(
    with_engine: PrismaProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = binary_target()
    client = with_engine.root / "node_modules" / ".prisma" / "client"
    engine = client / engine_file_name("library", target)
    assert engine.is_file(), "Prisma copied the engine of this machine's name beside the client"
    assert engine_findings(with_engine.root) == []
    assert "could not locate the Query Engine" not in first_query(with_engine)  # found (and then not loadable)

    # What the attacker did: the engine of another machine only (a client generated on a Mac).
    engine.rename(client / "libquery_engine-darwin-arm64.dylib.node")
    output = first_query(with_engine)
    assert f'could not locate the Query Engine for runtime "{target}"' in output, output
    (missing,) = engine_findings(with_engine.root)
    assert [fix["id"] for fix in missing["fixes"]] == ["regenerate"]
    assert missing["data"]["target"] == target and missing["data"]["others"] == [
        "libquery_engine-darwin-arm64.dylib.node"
    ]
    assert f'add "{target}" to the generator\'s `binaryTargets`' in missing["message"]
    assert missing["location"]["line"] == 6, "on the generator"
    code, report = check_json(with_engine.root, "--no-database")
    assert (code, report["state"]) == (1, "out-of-sync"), report

    # Named by PRISMA_QUERY_ENGINE_LIBRARY, the runtime takes that file and looks nowhere else.
    monkeypatch.setenv("PRISMA_QUERY_ENGINE_LIBRARY", str(client / "libquery_engine-darwin-arm64.dylib.node"))
    assert engine_findings(with_engine.root) == []
    monkeypatch.setenv("PRISMA_QUERY_ENGINE_LIBRARY", str(with_engine.root / "nowhere.so.node"))
    (named,) = engine_findings(with_engine.root)
    assert named["data"]["variable"] == "PRISMA_QUERY_ENGINE_LIBRARY" and named["fixes"] == []


def test_binary_targets_that_leave_this_machine_out_are_said_before_a_regenerate(with_engine: PrismaProject) -> None:
    client = with_engine.root / "node_modules" / ".prisma" / "client"
    (client / engine_file_name("library", binary_target())).unlink()
    with_engine.edit_schema(
        'provider = "prisma-client-js"', 'provider = "prisma-client-js"\n  binaryTargets = ["linux-static-x64"]'
    )
    (missing,) = engine_findings(with_engine.root)
    # A regenerate would copy the same targets again: the schema is what changes.
    assert [fix["id"] for fix in missing["fixes"]] == ["edit-schema"]
    assert "`binaryTargets` (linux-static-x64) leave this machine out" in missing["message"]


@pytest.mark.parametrize(
    ("generator", "flags"),
    [
        ('provider   = "prisma-client-js"\n  engineType = "client"', ()),
        ('provider = "prisma-client-js"', ("--no-engine",)),
    ],
    ids=["engine-type-client", "no-engine"],
)
def test_a_client_that_loads_no_engine_needs_none(
    prisma_project: ProjectFactory, generator: str, flags: tuple[str, ...]
) -> None:
    project = prisma_project(schema_text(VERSION, MODELS, JS_GENERATOR), version=VERSION)
    project.edit_schema('provider = "prisma-client-js"', generator)
    project.prisma("generate", *flags)
    client = project.root / "node_modules" / ".prisma" / "client"
    assert not list(client.glob("libquery_engine-*")), "no engine beside the client"
    assert engine_findings(project.root) == []
    assert "could not locate the Query Engine" not in first_query(project)


def test_the_engine_of_a_pnpm_client_is_looked_for_where_its_runtime_looks(
    prisma_project: ProjectFactory, tmp_path: Path
) -> None:
    project = prisma_project(schema_text(VERSION, MODELS, JS_GENERATOR), version=VERSION, package_manager="pnpm")
    engine = tmp_path / engine_file_name("library", binary_target())
    engine.write_bytes(STAND_IN)
    project.prisma("generate", env={"PRISMA_QUERY_ENGINE_LIBRARY": str(engine)})
    assert engine_findings(project.root) == []
    (copied,) = (project.root / "node_modules" / ".pnpm").glob(f"*/node_modules/.prisma/client/{engine.name}")
    copied.unlink()
    assert "could not locate the Query Engine" in first_query(project)
    assert codes({"findings": engine_findings(project.root)}) == ["engine-unavailable"]


def test_an_engine_of_zeros_is_said_with_what_fixes_it_and_a_regenerate_that_copies_it_is_not_verified(
    with_engine: PrismaProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A download or copy that wrote nothing: the file is there, of an engine's size, and holds only zeros. `check`
    # looked only for its name, and said "in sync".
    name = engine_file_name("library", binary_target())
    client = with_engine.root / "node_modules" / ".prisma" / "client"
    (client / name).write_bytes(bytes(20 * 1024 * 1024))
    output = first_query(with_engine)
    # Found, and not loadable: the real runtime says so (`Unable to require(...) ... invalid ELF header`).
    assert "ANSWERED" not in output and "invalid ELF header" in output, output

    engines = with_engine.root / "node_modules" / "@prisma" / "engines"
    (engines / name).write_bytes(STAND_IN)  # where `prisma generate` copies it from (its install script put it there)
    (zeros,) = engine_findings(with_engine.root)
    assert zeros["data"]["zeros"] == str(client / name) and [f["id"] for f in zeros["fixes"]] == ["regenerate"], zeros
    assert "holds only zeros (20971520 bytes)" in zeros["message"] and "copies the engine again" in zeros["message"]

    (engines / name).write_bytes(bytes(20 * 1024 * 1024))
    (zeros,) = engine_findings(with_engine.root)
    assert zeros["fixes"] == [] and "zeros too" in zeros["message"], zeros
    assert "Install @prisma/engines again" in zeros["message"] and "no repair here does that" in zeros["message"]

    # A regenerate whose generate copies an engine of zeros (named by the variable, as generate and the runtime both
    # take it) puts a new client in place, and is not verified: the client cannot load its engine.
    monkeypatch.setenv("PRISMA_QUERY_ENGINE_LIBRARY", str(engines / name))
    code, result = doctor_json("regenerate", "--project", str(with_engine.root), env=tool_environment(os.environ))
    assert code == 1 and step(result, "generate")["status"] == "done", json.dumps(result, indent=2)
    verify = step(result, "verify")
    assert verify["status"] == "failed" and "verified" not in result["verdict"].replace("NOT verified", ""), result
    assert any("holds only zeros" in detail for detail in verify["details"]), verify
