"""A database that does not answer costs one deadline, not one per question: the probe's whole inspection is bounded
(not each read), a question given up on is not waited for again, and no second connection is made while the first
is under way or soon after it got no answer. Against a real socket server that trickles its answer or stays silent
(tests/fake_databases.py), and the reasons told apart: no connection, no answer, an answer that refused the read."""

from __future__ import annotations

import pytest

from prisma_doctor.database import DatabaseProbe, DatabaseTarget, InspectionFailed
from prisma_doctor.database.catalog import NO_ANSWER, UNREACHABLE
from prisma_doctor.database.deadline import Deadline
from prisma_doctor.database.mysql import inspect_mysql
from prisma_doctor.database.postgres import inspect_postgres
from tests.captures.mariadb_server import free_port
from tests.fake_databases import FakeDatabase, silent, trickling_mysql, trickling_postgres, wait_until


def test_a_trickling_answer_is_cut_at_the_inspections_deadline() -> None:
    with FakeDatabase(trickling_mysql(0.5)) as server:
        failed = inspect_mysql(DatabaseTarget("mysql", server.url(), "test"), Deadline(2))
    assert isinstance(failed, InspectionFailed) and failed.kind == NO_ANSWER, failed
    assert "no whole answer within 2 s" in failed.reason and "hunter2" not in failed.reason


def test_a_burst_of_questions_waits_for_one_deadline_on_one_connection() -> None:
    with FakeDatabase(trickling_mysql(0.5)) as server:
        probe = DatabaseProbe(DatabaseTarget("mysql", server.url(), "test"), deadline=2)
        answers = [probe.inspection(wait=True) for _ in range(5)]
        # The question given up on ends (its connection cut), and the next is not asked at once.
        assert wait_until(lambda: not probe.pending)
        answers.append(probe.inspection(wait=True))
        assert server.connections == 1 and probe.questions == 1
    assert all(isinstance(a, InspectionFailed) and a.kind == NO_ANSWER for a in answers), answers


def test_a_silent_server_is_not_asked_again_while_its_question_hangs() -> None:
    with FakeDatabase(silent) as server:
        probe = DatabaseProbe(DatabaseTarget("mysql", server.url(), "test"), deadline=2)
        # A caller that waits less than the deadline (a check) leaves the question to the next one.
        early = probe.inspection(wait=True, within=0.5)
        first = probe.inspection(wait=True)
        # Given up on at its deadline: the next caller hears the same at once, without a second connection.
        second = probe.inspection(wait=True)
        assert server.connections == 1
    assert isinstance(early, InspectionFailed) and "no whole answer within 0.5 s" in early.reason
    assert isinstance(first, InspectionFailed) and first.kind == NO_ANSWER
    assert second == first and "no whole answer within 2 s" in first.reason, (first, second)


def test_no_connection_is_told_apart_from_no_answer() -> None:
    failed = DatabaseProbe(DatabaseTarget("mysql", f"mysql://ada:hunter2@127.0.0.1:{free_port()}/app", "t")).inspection(
        wait=True
    )
    assert isinstance(failed, InspectionFailed) and failed.kind == UNREACHABLE, failed


@pytest.mark.parametrize(
    "use_psql", [pytest.param(True, marks=pytest.mark.postgres, id="psql"), pytest.param(False, id="pg8000")]
)
def test_a_postgres_url_on_a_trickling_server_is_cut_at_the_deadline(use_psql: bool) -> None:
    with FakeDatabase(trickling_postgres(0.5)) as server:
        # No password: an older psql is not handed one for a connection that TLS does not protect.
        target = DatabaseTarget("postgresql", f"postgresql://ada@127.0.0.1:{server.port}/app", "test")
        failed = inspect_postgres(target, use_psql, Deadline(2))
    assert isinstance(failed, InspectionFailed) and failed.kind == NO_ANSWER, failed
    assert "no whole answer within 2 s" in failed.reason
