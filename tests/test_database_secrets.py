"""What asking a project's database never gives away or gets wrong (the attacker's trial 3): a password in clear text
to a server that asks for it (a fake MySQL and a fake PostgreSQL server here: the attacker, speaking just enough of
each protocol to ask), a certificate path that names a FIFO, a `.env` whose `${...}` grow to gigabytes, credentials
in messages and in the command lines of processes, and a catalog cut at its bound deciding what the database lacks
(a real MariaDB with thousands of tables)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from prisma_doctor.database import Catalog, DatabaseTarget, InspectionFailed, mysql
from prisma_doctor.database.dotenv import ExpansionTooLarge, expand
from prisma_doctor.database.mysql import MAX_RELATIONS, inspect_mysql
from prisma_doctor.database.postgres import inspect_postgres, psql_major
from prisma_doctor.database.sqlite import MAX_OBJECTS
from prisma_doctor.database.target import UnusableUrl, locate_database
from prisma_doctor.database_state import database_findings
from prisma_doctor.masking import mask_command, mask_secrets, mask_url
from prisma_doctor.repair.processes import find_project_processes
from prisma_doctor.schema.datamodel import build_datamodel
from prisma_doctor.schema.locate import load_schema, locate_schema
from prisma_doctor.schema.parser import parse_schema
from tests.database_fixtures import MariaDBServer
from tests.fake_databases import StartAttacker, mysql_asking, postgres_asking, self_signed
from tests.helpers import check_json, codes, finding
from tests.test_diagnosis_database import explain_text, p2022_lines, sqlite_project

TOKEN = "ghp_Attacker0wnsThisToken1234567890"
SCHEMA = """generator client {{
  provider = "prisma-client-js"
}}

datasource db {{
  provider = "{provider}"
  url      = env("DATABASE_URL")
}}

model User {{
  id Int @id
}}
"""


def project(root: Path, env: str, provider: str = "mysql") -> Path:
    (root / "prisma").mkdir(parents=True)
    (root / "package.json").write_text('{"name": "victim", "private": true}\n', encoding="utf-8")
    (root / "prisma" / "schema.prisma").write_text(SCHEMA.format(provider=provider), encoding="utf-8")
    (root / ".env").write_text(env, encoding="utf-8")
    return root


# 1. Clear text.
@pytest.mark.parametrize("plugin", [b"mysql_clear_password", b"dialog"])
def test_a_mysql_server_asking_for_the_password_in_clear_text_gets_nothing(
    attacker: StartAttacker, plugin: bytes
) -> None:
    server = attacker(mysql_asking(plugin))
    url = f"mysql://app:{TOKEN}@127.0.0.1:{server.port}/app"
    answer = inspect_mysql(DatabaseTarget("mysql", url, "test"))
    assert isinstance(answer, InspectionFailed), answer
    assert "clear text" in answer.reason and plugin.decode() in answer.reason, answer.reason
    assert TOKEN not in answer.reason
    assert server.connections >= 1 and TOKEN.encode() not in server.received


@pytest.mark.parametrize("plugin", [b"mysql_clear_password", b"dialog"])
def test_clear_text_goes_only_inside_tls_that_verified_the_server(
    attacker: StartAttacker, tmp_path: Path, plugin: bytes
) -> None:
    """TLS that accepts any certificate (Prisma's default, `sslaccept=accept_invalid_certs`) hides nothing from the
    one in the middle who presents one: the password goes in clear text only to a server whose certificate the URL's
    `sslcert` verified (`sslaccept=strict`)."""
    tls, certificate = self_signed(tmp_path)
    server = attacker(mysql_asking(plugin, tls))
    url = f"mysql://app:{TOKEN}@127.0.0.1:{server.port}/app"
    for unverified in ("?ssl=true", "?sslaccept=accept_invalid_certs", f"?sslcert={certificate}"):
        answer = inspect_mysql(DatabaseTarget("mysql", url + unverified, "test"))
        assert isinstance(answer, InspectionFailed), answer
        assert "clear text" in answer.reason and "not verified" in answer.reason, answer.reason
        assert TOKEN not in answer.reason and TOKEN.encode() not in server.received
    assert server.connections >= 3
    # Verified, the password is sent: the server got it, inside TLS (and the probe's read fails after it).
    inspect_mysql(DatabaseTarget("mysql", f"{url}?sslaccept=strict&sslcert={certificate}", "test"))
    assert TOKEN.encode() in server.received


def test_check_of_a_cloned_repository_sends_no_environment_variable_in_clear(
    attacker: StartAttacker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attack as found: `.env` names the attacker's host and puts `${GITHUB_TOKEN}` in the password."""
    server = attacker(mysql_asking(b"mysql_clear_password"))
    root = project(tmp_path / "victim", f'DATABASE_URL="mysql://app:${{GITHUB_TOKEN}}@127.0.0.1:{server.port}/app"\n')
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    _, report = check_json(root)
    said = finding(report, "db-unreachable")
    assert "clear text" in said["message"], said
    assert TOKEN not in str(report) and server.connections >= 1 and TOKEN.encode() not in server.received


@pytest.mark.parametrize("use_psql", [None, False], ids=["psql-or-pg8000", "pg8000"])
def test_a_postgres_server_asking_for_the_password_in_clear_text_gets_nothing(
    attacker: StartAttacker, use_psql: bool | None
) -> None:
    server = attacker(postgres_asking())
    url = f"postgresql://app:{TOKEN}@127.0.0.1:{server.port}/app"
    answer = inspect_postgres(DatabaseTarget("postgresql", url, "test"), use_psql)
    assert isinstance(answer, InspectionFailed), answer
    assert TOKEN not in answer.reason and "clear" in answer.reason.lower(), answer.reason
    assert server.connections >= 1 and TOKEN.encode() not in server.received


@pytest.mark.parametrize(
    "use_psql", [pytest.param(True, marks=pytest.mark.postgres, id="psql"), pytest.param(False, id="pg8000")]
)
def test_postgres_clear_text_goes_only_inside_tls_that_verified_the_server(
    attacker: StartAttacker, tmp_path: Path, use_psql: bool
) -> None:
    """`sslmode=require` encrypts without verifying: whoever answers with a certificate of their own gets nothing;
    the password goes only to a server the URL's own authority verified (`sslcert` as Prisma names it, `sslrootcert`
    as node-postgres does)."""
    tls, certificate = self_signed(tmp_path)
    server = attacker(postgres_asking(tls))
    url = f"postgresql://app:{TOKEN}@127.0.0.1:{server.port}/app"
    for unverified in ("?sslmode=require", "?sslmode=prefer", "?sslaccept=accept_invalid_certs"):
        answer = inspect_postgres(DatabaseTarget("postgresql", url + unverified, "test"), use_psql)
        assert isinstance(answer, InspectionFailed), answer
        assert TOKEN not in answer.reason and TOKEN.encode() not in server.received, answer.reason
    # pg8000 connects and refuses the request; psql before 16 is not handed the password at all.
    assert server.connections >= 3 if not use_psql or psql_major("psql") >= 16 else server.connections == 0
    # Verified by the authority the URL names, the password is sent inside TLS (and the probe fails after it).
    for verified in (f"?sslaccept=strict&sslcert={certificate}", f"?sslmode=verify-full&sslrootcert={certificate}"):
        before = server.connections
        answer = inspect_postgres(DatabaseTarget("postgresql", url + verified, "test"), use_psql)
        assert isinstance(answer, InspectionFailed) and server.connections > before, answer
        assert TOKEN.encode() in server.received, answer.reason
        server.received = b""
    # An authority that is not the server's: verification fails, and nothing is sent.
    (tmp_path / "other").mkdir()
    _, foreign = self_signed(tmp_path / "other")
    answer = inspect_postgres(
        DatabaseTarget("postgresql", f"{url}?sslaccept=strict&sslcert={foreign}", "test"), use_psql
    )
    assert isinstance(answer, InspectionFailed) and TOKEN.encode() not in server.received, answer


def test_an_untrusted_workspace_never_asks_the_database(attacker: StartAttacker, tmp_path: Path) -> None:
    """What the language server checks with `trusted: false` (its own test: tests/lsp/test_workspace.py)."""
    from prisma_doctor.full_check import inspect_whole

    server = attacker(mysql_asking(b"mysql_clear_password"))
    root = project(tmp_path / "victim", f'DATABASE_URL="mysql://app:{TOKEN}@127.0.0.1:{server.port}/app"\n')
    report = inspect_whole(root, may_ask=False).report
    not_asked = next(f for f in report.findings if f.code == "db-not-asked")
    assert "not trusted" in not_asked.message and TOKEN not in not_asked.message
    assert server.connections == 0
    # Trusted, the same check asks (and the server that asks for clear text gets nothing).
    trusted = inspect_whole(root).report
    assert "db-not-asked" not in [f.code for f in trusted.findings] and server.connections >= 1


# 2. A certificate path that names what is no certificate file.
def test_a_certificate_path_naming_a_fifo_or_a_device_is_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "ca.pem"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        for inspect, url in (
            (inspect_mysql, f"mysql://app:pw@127.0.0.1:1/app?sslaccept=strict&sslcert={path}"),
            (inspect_postgres, f"postgresql://app:pw@127.0.0.1:1/app?sslaccept=strict&sslcert={path}"),
        ):
            started = time.monotonic()
            answer = inspect(DatabaseTarget(url.split(":")[0], url, "test"))
            assert isinstance(answer, InspectionFailed) and "not a regular file" in answer.reason, answer
            assert time.monotonic() - started < 2


# 3. The expansion bomb.
BOMB = "V0=xxxxxxxx\n" + "".join(f"V{i}=" + f"${{V{i - 1}}}" * 8 + "\n" for i in range(1, 10))


def test_a_dotenv_expansion_bomb_is_refused_quickly_and_said(tmp_path: Path) -> None:
    root = project(tmp_path / "victim", BOMB + 'DATABASE_URL="mysql://app:${V9}@db/app"\n')
    started = time.monotonic()
    with pytest.raises(UnusableUrl, match="expand past"):
        locate_database(root, load_schema(locate_schema(root)), {})
    _, report = check_json(root)
    elapsed = time.monotonic() - started
    said = finding(report, "db-not-asked")
    assert "DATABASE_URL" in said["message"] and "expand past" in said["message"]
    assert "client-not-generated" in codes(report), "the rest of the check is not lost"
    assert elapsed < 10, elapsed
    # Ordinary references still expand, from the files and from the environment.
    assert expand("mysql://${USER_NAME}:$PW@h/db", {"USER_NAME": "ada", "PW": "x"}) == "mysql://ada:x@h/db"
    with pytest.raises(ExpansionTooLarge):
        expand("${A}", {"A": "x" * 100}, limit=99)


# 5. Credentials shown.
@pytest.mark.parametrize(
    ("url", "secrets", "shown"),
    [
        ("mysql://root:S3cr#etPw@127.0.0.1:3306/app", ["S3cr", "etPw"], "mysql://****@127.0.0.1:3306/app"),
        ("mysql://root:p@ssw0rd@db/app", ["p@ssw0rd", "ssw0rd"], "mysql://****@db/app"),
        ("mysql://root:a/b?cd@db/app", ["a/b?cd"], "mysql://****@db/app"),
        (" mysql://root:Secr3tPw@db/app", ["Secr3tPw"], " mysql://****@db/app"),
        ("jdbc:mysql://root:Secr3tPw@db/app", ["Secr3tPw"], "jdbc:mysql://****@db/app"),
        (TOKEN, [TOKEN], "****"),
        ("mysql://root:Secr3tPw@db/app?sslpassword=K3yPass", ["Secr3tPw", "K3yPass"], None),
        ("postgresql://ada:p%40ss@db:5432/app", ["p%40ss", "p@ss"], "postgresql://ada:****@db:5432/app"),
        ("file:./dev.db", [], "file:./dev.db"),
        # pnpm's store folders are named `name@version`: a file URL has no user or password (RFC 8089).
        (
            "file:///app/node_modules/.pnpm/tsx@4.21.0/node_modules/tsx/dist/cli.mjs",
            [],
            "file:///app/node_modules/.pnpm/tsx@4.21.0/node_modules/tsx/dist/cli.mjs",
        ),
        ("FILE:///a/b@1.0/x.db?password=K3yPass", ["K3yPass"], "FILE:///a/b@1.0/x.db?password=****"),
    ],
)
def test_a_url_is_masked_whenever_it_is_not_read_whole(url: str, secrets: list[str], shown: str | None) -> None:
    masked = mask_url(url)
    if shown is not None:
        assert masked == shown
    # A driver's message may quote any piece of what it read.
    message = mask_secrets(f"cannot read {url}: {' and '.join(secrets)}", url)
    for secret in secrets:
        assert secret not in masked and secret not in message, (secret, message)


def test_a_url_without_a_password_hides_nothing() -> None:
    """User trial 4, item 26: `postgresql://postgres@127.0.0.1:45953/app` was shown as `****ql://****@…`: its user
    name was taken for a password and masked everywhere, the scheme's `postgres` too."""
    url = "postgresql://postgres@127.0.0.1:45953/app"
    message = f"connection to server failed ({url})"
    assert mask_url(url) == url
    assert mask_secrets(message, url) == message


def test_check_never_prints_a_password_the_url_does_not_encode(tmp_path: Path) -> None:
    for index, password in enumerate(("S3cr#etPw", "p@ssw0rd/x", "a?b#c@d")):
        root = project(tmp_path / str(index), f'DATABASE_URL="mysql://root:{password}@127.0.0.1:1/app"\n')
        _, report = check_json(root)
        for piece in {password, *password.replace("#", " ").replace("@", " ").replace("/", " ").split()}:
            if len(piece) >= 3:
                assert piece not in str(report), (piece, report)


def test_explain_never_prints_a_url_whose_scheme_is_not_at_its_start(tmp_path: Path) -> None:
    for index, url in enumerate((" mysql://root:Secr3tPw@db/app", "jdbc:mysql://root:Secr3tPw@db/app")):
        root = project(tmp_path / str(index), f'DATABASE_URL="{url}"\n')
        found = explain_text(root, p2022_lines("(not available)", "findMany"))
        assert found and "Secr3tPw" not in str(found), found
        assert any("is not a mysql:// or mariadb:// URL" in f["message"] for f in found), found


def test_a_config_env_that_holds_no_url_is_not_printed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path / "victim", "")
    schema = root / "prisma" / "schema.prisma"
    schema.write_text(schema.read_text(encoding="utf-8").replace('  url      = env("DATABASE_URL")\n', ""), "utf-8")
    (root / "prisma.config.ts").write_text(
        'import { defineConfig, env } from "prisma/config";\n'
        'export default defineConfig({ schema: "prisma/schema.prisma", datasource: { url: env("GITHUB_TOKEN") } });\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    _, report = check_json(root)
    said = finding(report, "db-not-asked")
    assert "not a mysql://" in said["message"] and TOKEN not in str(report)


def test_a_process_command_line_is_shown_without_its_passwords(tmp_path: Path) -> None:
    words = ["node", "server.js", "--db=mysql://root:TopSecretPw@db/app", "--password", "Hunter22", "PGPASSWORD=Pg0k"]
    assert mask_command(words) == [
        "node",
        "server.js",
        "--db=mysql://root:****@db/app",
        "--password",
        "****",
        "PGPASSWORD=****",
    ]
    # A real process of the project, as a repair's plan names it.
    root = project(tmp_path / "victim", "")
    child = subprocess.Popen(
        ["node", "-e", "setInterval(() => {}, 1000)", "--", "--db=mysql://root:TopSecretPw@db/app"], cwd=root
    )
    try:
        deadline = time.monotonic() + 10
        found = []
        while not found and time.monotonic() < deadline:
            found = [p for p in find_project_processes(root) if p.pid == child.pid]
            time.sleep(0.1)
        assert found, "the project's node process was not found"
        assert "TopSecretPw" not in found[0].command and "root:****@db" in found[0].command
        assert "TopSecretPw" not in str(found[0].to_json())
    finally:
        child.kill()
        child.wait()


# 6. A catalog cut at its bound.
@pytest.mark.mariadb
def test_a_catalog_cut_at_its_bound_decides_nothing_from_what_it_lacks(
    mariadb: MariaDBServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bound lowered to 300 relations, so that the real server needs only seconds to pass it (the slow suite
    passes the real bound of 5000)."""
    bound = 300
    monkeypatch.setattr(mysql, "MAX_RELATIONS", bound)
    monkeypatch.setattr(
        mysql, "RELATIONS_QUERY", mysql.RELATIONS_QUERY.replace(f"LIMIT {MAX_RELATIONS}", f"LIMIT {bound}")
    )
    cut_before_user(mariadb, bound)


@pytest.mark.mariadb
@pytest.mark.slow
def test_thousands_of_tables_before_user_are_no_missing_user(mariadb: MariaDBServer) -> None:
    cut_before_user(mariadb, MAX_RELATIONS)


def cut_before_user(mariadb: MariaDBServer, bound: int) -> None:
    # More tables than are read, all sorting before `User`; `_prisma_migrations` sorts after them all.
    started = time.monotonic()
    url = mariadb.database(
        "CREATE TABLE `User` (id INT PRIMARY KEY);\n"
        "CREATE TABLE _prisma_migrations (id VARCHAR(36) PRIMARY KEY, migration_name VARCHAR(255), "
        "started_at DATETIME(3), finished_at DATETIME(3), rolled_back_at DATETIME(3));\n"
        "INSERT INTO _prisma_migrations VALUES ('1', '0001_init', NOW(3), NOW(3), NULL);\n"
    )
    for first in range(0, bound + 1, 1000):  # a thousand a time: each call of the client is bounded
        many = range(first, min(first + 1000, bound + 1))
        mariadb.sql(url, "".join(f"CREATE TABLE A{i:05d} (id INT) ENGINE=MEMORY;\n" for i in many))
    print(f"{bound + 1} tables made in {time.monotonic() - started:.1f} s")
    catalog = inspect_mysql(DatabaseTarget("mysql", url, "test"))
    assert isinstance(catalog, Catalog), catalog
    assert catalog.cut is not None and str(bound) in catalog.cut
    assert catalog.relation("User") is None, "the list was cut before `User`: what this test is about"
    assert [m.name for m in catalog.migrations or ()] == ["0001_init"], "read on its own, not from the cut list"
    schema = build_datamodel([parse_schema(SCHEMA.format(provider="mysql"), "/p/prisma/schema.prisma")])
    findings = database_findings(catalog, "db", ["0001_init"], {}, [schema], schema, None)
    assert [f.code for f in findings] == ["db-catalog-cut"], findings


def test_a_runtime_error_is_not_decided_by_a_cut_catalog(tmp_path: Path) -> None:
    """SQLite's objects are read in the order they were made: five thousand made before `User` push it past the cut,
    and the error's explanation says that the database's answer decided nothing."""
    many = "".join(f"CREATE TABLE A{i:05d} (id INTEGER);\n" for i in range(MAX_OBJECTS))
    root = sqlite_project(tmp_path / "app", f'BEGIN;\n{many}CREATE TABLE "User" (id INTEGER PRIMARY KEY);\nCOMMIT;')
    found = explain_text(root, p2022_lines("(not available)", "findMany"))
    assert found and all(f["data"]["database"]["asked"] is False for f in found), found
    assert all("read only in part" in f["message"] and str(MAX_OBJECTS) in f["message"] for f in found)
