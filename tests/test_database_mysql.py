"""Asking a MySQL or MariaDB database: URLs as Prisma and @prisma/adapter-mariadb write them, a real MariaDB's
catalog (tables and views with their database, triggers with their statements, `_prisma_migrations`) read in a
session that cannot write, over TCP and the unix socket, and the failures (refused, silent, wrong password) said
without the password."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import pymysql
import pytest

from prisma_doctor.database import Catalog, DatabaseProbe, DatabaseTarget, InspectionFailed, trigger_problems
from prisma_doctor.database.catalog import READ_FAILED, UNREACHABLE
from prisma_doctor.database.mysql import begin_read_only, connection_params, inspect_mysql
from prisma_doctor.database.target import locate_database
from prisma_doctor.schema.locate import load_schema, locate_schema
from tests.captures.mariadb_server import PASSWORD, free_port
from tests.database_fixtures import MariaDBServer

# A database as a team's history leaves it: `User.name` and `User.touchedAt` dropped after a view and two triggers
# were written against them, `Audit.who` dropped under the trigger that fills it, one migration that failed.
HISTORY = """
CREATE TABLE `User` (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(191) NOT NULL UNIQUE, name VARCHAR(191) NULL,
  touchedAt DATETIME(3) NULL);
CREATE TABLE Audit (id INT AUTO_INCREMENT PRIMARY KEY, at DATETIME, who TEXT);
CREATE TRIGGER user_touch BEFORE UPDATE ON `User` FOR EACH ROW SET NEW.touchedAt = NOW(3);
DELIMITER //
CREATE TRIGGER audit AFTER INSERT ON `User` FOR EACH ROW BEGIN
  # INSERT INTO Nowhere (x) in a comment is not code
  INSERT INTO Audit (at, who) VALUES (NOW(), NEW.email);
END//
DELIMITER ;
CREATE VIEW UserSummary AS SELECT id, email, name FROM `User`;
CREATE VIEW UserEmails AS SELECT id, email FROM `User`;
ALTER TABLE `User` DROP COLUMN touchedAt, DROP COLUMN name;
ALTER TABLE Audit DROP COLUMN who;
CREATE TABLE _prisma_migrations (id VARCHAR(36) PRIMARY KEY, checksum VARCHAR(64) NOT NULL, finished_at DATETIME(3),
  migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at DATETIME(3),
  started_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), applied_steps_count INT NOT NULL DEFAULT 0);
INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at) VALUES
  ('1', 'a', NOW(3), '0001_init', '2026-01-01'), ('2', 'b', NULL, '0002_audit', '2026-01-02');
"""


def mysql(url: str) -> DatabaseTarget:
    return DatabaseTarget("mysql", url, "test")


# URLs.
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "mysql://ada:p%40ss@db.example:3307/app?connection_limit=5",
            ("db.example", 3307, "ada", "p@ss", "app", None, False, False),
        ),
        (
            "mysql://root@localhost/app?socket=(/run/mysqld/mysqld.sock)",
            ("localhost", 3306, "root", None, "app", "/run/mysqld/mysqld.sock", False, False),
        ),
        ("mysql://u:p@h/app?sslaccept=strict", ("h", 3306, "u", "p", "app", None, True, True)),
        ("mysql://u:p@h/app?sslcert=/ca.pem", ("h", 3306, "u", "p", "app", None, True, False)),
        ("mariadb://u:p@h:3310/app?ssl=true", ("h", 3310, "u", "p", "app", None, True, False)),
        ("mariadb://u@h/app?socketPath=/tmp/m.sock", ("h", 3306, "u", None, "app", "/tmp/m.sock", False, False)),
    ],
)
def test_urls_are_read_as_prisma_and_the_adapter_read_them(url: str, expected: tuple[object, ...]) -> None:
    params = connection_params(url)
    got = (
        params.host,
        params.port,
        params.user,
        params.password,
        params.database,
        params.socket,
        params.tls,
        params.verify,
    )
    assert got == expected


@pytest.mark.parametrize("url", ["mysql://u:pw@h/app", "mariadb://u:pw@h/app"])
def test_a_mysql_datasource_is_located_with_either_scheme(tmp_path: Path, url: str) -> None:
    (tmp_path / "prisma").mkdir()
    (tmp_path / "prisma" / "schema.prisma").write_text(
        'datasource db {\n  provider = "mysql"\n  url = env("DATABASE_URL")\n}\n'
    )
    (tmp_path / ".env").write_text(f"DATABASE_URL={url}\n")
    target = locate_database(tmp_path, load_schema(locate_schema(tmp_path)), environ={})
    assert (target.provider, target.origin) == ("mysql", "DATABASE_URL from .env")
    assert "pw" not in target.shown


# A real MariaDB.
@pytest.mark.mariadb
def test_the_catalog_names_every_trigger_what_its_code_lacks_and_the_broken_view(mariadb: MariaDBServer) -> None:
    started = time.monotonic()
    url = mariadb.database(HISTORY)
    name = url.rsplit("/", 1)[1]
    catalog = inspect_mysql(mysql(url))
    assert isinstance(catalog, Catalog), catalog
    assert time.monotonic() - started < 5
    assert catalog.server.startswith("MariaDB 10.") and catalog.english_messages
    mariadb.server.sql("", "SET GLOBAL lc_messages = 'fr_FR'")
    try:
        french = inspect_mysql(mysql(mariadb.database("")))
    finally:
        mariadb.server.sql("", "SET GLOBAL lc_messages = 'en_US'")
    assert isinstance(french, Catalog) and french.messages_language == "fr_FR" and not french.english_messages
    assert catalog.default_schema == name
    user = catalog.relation("User")
    assert user is not None and (user.kind, user.columns, user.schema) == ("table", ("id", "email"), name)
    # On Linux (lower_case_table_names = 0) `user` is another table; column names never differ by case.
    assert catalog.table_case_sensitive and catalog.relation("user") is None and user.has_column("EMAIL", False)
    assert not catalog.case_sensitive
    emails = catalog.relation("UserEmails")
    assert emails is not None and emails.kind == "view" and emails.columns == ("id", "email") and not emails.broken
    summary = catalog.relation("UserSummary")
    assert summary is not None and summary.kind == "view" and "references invalid" in (summary.broken or "")
    by_name = {t.name: t for t in catalog.triggers}
    assert (by_name["user_touch"].events, by_name["user_touch"].timing) == (("UPDATE",), "BEFORE")
    assert by_name["user_touch"].source == "SET NEW.touchedAt = NOW(3)"
    assert "NEW.email" in by_name["audit"].source and by_name["audit"].schema == name
    problems = sorted((p.trigger.name, p.table, p.column) for p in trigger_problems(catalog, user))
    assert problems == [("audit", "Audit", "who"), ("user_touch", "User", "touchedAt")], "the comment is not code"
    assert [p.trigger.name for p in trigger_problems(catalog, user, {"UPDATE"})] == ["user_touch"]
    assert trigger_problems(catalog, user, set()) == [], "a read fires no trigger"
    assert catalog.migrations is not None
    assert [(m.name, m.failed) for m in catalog.migrations] == [("0001_init", False), ("0002_audit", True)]


@pytest.mark.mariadb
def test_a_database_never_migrated_has_no_migrations_and_the_socket_url_works(mariadb: MariaDBServer) -> None:
    mariadb.database("CREATE TABLE Post (id INT PRIMARY KEY); CREATE TABLE Comment (id INT PRIMARY KEY);")
    url = mariadb.database("CREATE TABLE Post (id INT PRIMARY KEY);")
    through_socket = f"mysql://prisma:{PASSWORD}@localhost/{url.rsplit('/', 1)[1]}?socket=({mariadb.server.socket})"
    for target in (url, through_socket, url.replace("mysql://", "mariadb://", 1)):
        catalog = inspect_mysql(mysql(target))
        assert isinstance(catalog, Catalog), catalog
        assert catalog.migrations is None
        assert [r.name for r in catalog.relations if r.schema == catalog.default_schema] == ["Post"]
        assert catalog.relation("Comment") is None, "another database's table is not this one's"
        post = catalog.relation("Post")
        assert post is not None and post.schema == catalog.default_schema


@pytest.mark.mariadb
def test_tls_as_prisma_asks_for_it(mariadb: MariaDBServer) -> None:
    if not mariadb.server.tls:
        pytest.skip("openssl is not installed: the test server offers no TLS")
    url = mariadb.database("CREATE TABLE Post (id INT PRIMARY KEY);")
    # Prisma's default accepts the server's certificate as it is (here self-signed)...
    for query in ("?sslaccept=accept_invalid_certs", "?sslcert=/nonexistent-but-unread.pem", ""):
        assert isinstance(inspect_mysql(mysql(url + query)), Catalog), query
    # ...and `sslaccept=strict` verifies it, which a self-signed certificate fails, unless `sslcert` names it (a
    # relative path is read from the schema's folder, as Prisma reads it).
    failed = inspect_mysql(mysql(url + "?sslaccept=strict"))
    assert isinstance(failed, InspectionFailed) and "certificate" in failed.reason.lower(), failed
    assert PASSWORD not in failed.reason
    certificate = mariadb.server.certificate
    strict = url.replace("127.0.0.1", "localhost") + "?sslaccept=strict&sslcert="
    assert isinstance(inspect_mysql(mysql(strict + str(certificate))), Catalog)
    beside_schema = DatabaseTarget("mysql", strict + certificate.name, "test", (certificate.parent,))
    assert isinstance(inspect_mysql(beside_schema), Catalog)


@pytest.mark.mariadb
def test_the_session_cannot_write(mariadb: MariaDBServer) -> None:
    url = mariadb.database("CREATE TABLE Post (id INT PRIMARY KEY);")
    params = connection_params(url)
    connection = pymysql.connect(
        host=params.host, port=params.port, user=params.user, password=params.password, database=params.database
    )
    try:
        with connection.cursor() as cursor:
            begin_read_only(pymysql, cursor)
            with pytest.raises(pymysql.MySQLError, match="READ ONLY"):
                cursor.execute("INSERT INTO Post (id) VALUES (1)")
            cursor.execute("ROLLBACK")
            with pytest.raises(pymysql.MySQLError, match="READ ONLY"):
                cursor.execute("INSERT INTO Post (id) VALUES (2)")
    finally:
        connection.close()
    assert mariadb.sql(url, "SELECT COUNT(*) FROM Post").strip() == "0"


@pytest.mark.mariadb
def test_a_wrong_password_is_said_without_either_password(mariadb: MariaDBServer) -> None:
    url = mariadb.database("").replace(PASSWORD, "hunter2-wrong")
    failed = inspect_mysql(mysql(url))
    assert isinstance(failed, InspectionFailed)
    assert "Access denied" in failed.reason and "prisma:****@" in failed.reason
    assert "hunter2-wrong" not in failed.reason and PASSWORD not in failed.reason
    # The server answered, and refused: not the same finding as no connection (database_state.py).
    assert failed.kind == READ_FAILED


def test_without_pymysql_the_reason_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pymysql", None)  # `import pymysql` now raises ImportError
    failed = inspect_mysql(mysql("mysql://ada:hunter2@127.0.0.1:1/app"))
    assert isinstance(failed, InspectionFailed) and "PyMySQL is not available" in failed.reason


def test_a_refused_connection_is_a_reason_without_the_password() -> None:
    failed = inspect_mysql(mysql(f"mysql://ada:hunter2@127.0.0.1:{free_port()}/app"))
    assert isinstance(failed, InspectionFailed)
    assert "refused" in failed.reason.lower(), failed.reason
    assert "hunter2" not in failed.reason and "ada:****@" in failed.reason
    assert failed.kind == UNREACHABLE


def test_a_silent_server_times_out() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"mysql://ada:hunter2@127.0.0.1:{silent.getsockname()[1]}/app"
        started = time.monotonic()
        answer = DatabaseProbe(mysql(url)).inspection(wait=True)
    assert isinstance(answer, InspectionFailed)
    assert "timeout" in answer.reason.lower() or "timed out" in answer.reason.lower(), answer.reason
    assert time.monotonic() - started < 12 and "hunter2" not in answer.reason
