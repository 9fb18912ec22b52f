"""Writes behind (``service.core.write_behind``): queued writes run in a helper thread, in
order, in the unit's transaction; every other statement of the unit waits for them; the
first failure is raised by the unit's next statement or by the end of the block, and nothing
queued after it runs; on SQLite an executemany goes as statements of many rows each, which
write exactly the rows the executemany writes. On both databases."""

import sys
import threading
import time
from contextlib import nullcontext, suppress
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from schemas.common import Role
from service.core import write_behind
from service.core.bulk import insert_tuples
from service.core.security import new_id
from service.disputes import service as disputes
from service.file import queries as file_queries
from service.file.models import Inquiry
from service.principals import queries as principal_queries
from service.principals.models import Principal, Subject
from service.sandbox import service as sandbox

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _principals(n: int, stem: str) -> list[tuple[str, str, str, datetime]]:
    return [(f"{stem}{k:05d}", Role.lender.value, f"Lender {stem} {k}", NOW) for k in range(n)]


def _insert(session: Session, rows: list[tuple[str, str, str, datetime]]) -> None:
    insert_tuples(session, Principal.__table__, ("id", "role", "name", "created_at"), rows)


def _names(session: Session, stem: str) -> dict[str, str]:
    found = session.execute(
        select(Principal.id, Principal.name).where(Principal.id.like(f"{stem}%"))
    )
    return {principal_id: name for principal_id, name in found}


def test_rows_queued_behind_are_all_there_for_the_next_read(session: Session) -> None:
    # More rows than one multi-row statement holds (4 columns: 3,250 rows a statement).
    rows = _principals(7_001, "wba")
    with write_behind.writes_behind(session):
        _insert(session, rows)
        assert _names(session, "wba") == {r[0]: r[2] for r in rows}


def test_queued_writes_run_in_the_helper_thread_in_order(session: Session) -> None:
    ran: list[tuple[str, int]] = []

    def job(name: str) -> write_behind.Job:
        def run(_connection: Connection) -> None:
            time.sleep(0.05 if name == "first" else 0)
            ran.append((name, threading.get_ident()))

        return run

    with write_behind.writes_behind(session):
        write_behind.submit(session.connection(), job("first"))
        write_behind.submit(session.connection(), job("second"))
        assert ran == []  # not run by the caller: queued
        session.execute(select(1))  # waits for both
        assert [name for name, _ in ran] == ["first", "second"]
        assert {thread for _, thread in ran} != {threading.get_ident()}


def test_a_read_waits_for_a_slow_write_queued_before_it(session: Session) -> None:
    def slow_insert(connection: Connection) -> None:
        time.sleep(0.2)
        connection.execute(
            insert(Principal),
            [{"id": "wbslow", "role": Role.lender.value, "name": "Slow", "created_at": NOW}],
        )

    with write_behind.writes_behind(session):
        write_behind.submit(session.connection(), slow_insert)
        assert _names(session, "wbslow") == {"wbslow": "Slow"}


def test_outside_a_block_a_write_runs_at_once_in_the_callers_thread(session: Session) -> None:
    threads: list[int] = []
    write_behind.submit(session.connection(), lambda _c: threads.append(threading.get_ident()))
    assert threads == [threading.get_ident()]
    _insert(session, _principals(3, "wbnow"))
    assert len(_names(session, "wbnow")) == 3


def test_a_failed_write_is_raised_by_the_next_statement_and_what_follows_it_never_runs(
    session: Session,
) -> None:
    _insert(session, _principals(1, "wbdup"))
    after: list[str] = []

    def block() -> None:
        with write_behind.writes_behind(session):
            _insert(session, _principals(1, "wbdup"))  # the same id again
            write_behind.submit(session.connection(), lambda _c: after.append("ran"))
            session.execute(select(1))

    savepoint = session.begin_nested()
    with pytest.raises(IntegrityError):
        block()
    savepoint.rollback()
    assert after == []


def test_the_end_of_the_block_raises_a_failure_no_statement_raised(session: Session) -> None:
    _insert(session, _principals(1, "wbend"))
    savepoint = session.begin_nested()
    with pytest.raises(IntegrityError), write_behind.writes_behind(session):  # noqa: PT012
        _insert(session, _principals(1, "wbend"))
    savepoint.rollback()


def test_an_error_of_the_caller_is_the_one_raised_and_the_helper_stops(session: Session) -> None:
    before = {t.name for t in threading.enumerate()}

    def block() -> None:
        with write_behind.writes_behind(session):
            _insert(session, _principals(10, "wbcaller"))
            raise LookupError("the caller's own")

    savepoint = session.begin_nested()
    with pytest.raises(LookupError):
        block()
    savepoint.rollback()
    assert {t.name for t in threading.enumerate()} <= before
    session.execute(select(1))  # the connection is the caller's alone again


def test_a_block_inside_another_changes_nothing(session: Session) -> None:
    with write_behind.writes_behind(session):
        with write_behind.writes_behind(session):
            _insert(session, _principals(2, "wbin"))
        _insert(session, _principals(2, "wbout"))
    assert len(_names(session, "wbin")) == len(_names(session, "wbout")) == 2


def _subjects(session: Session, n: int, stem: str) -> list[str]:
    ids = [f"{stem}{k:03d}" for k in range(n)]
    session.execute(
        insert(Principal),
        [{"id": i, "role": Role.subject.value, "name": i, "created_at": NOW} for i in ids],
    )
    session.execute(
        insert(Subject),
        [
            {
                "id": i,
                "given_name": "Wanda",
                "family_name": "Behind",
                "date_of_birth": date(1990, 1, 1),
                "addresses": [],
                "created_at": NOW,
            }
            for i in ids
        ],
    )
    return ids


@pytest.mark.parametrize("behind", [False, True], ids=["at once", "behind"])
def test_new_file_revisions_set_each_subject_its_own(session: Session, behind: bool) -> None:
    ids = _subjects(session, 5, f"sub_wbrev{int(behind)}_")
    revisions = [(ids[0], "a0a0a0a0a0a0a0a0"), (ids[2], "b1b1b1b1b1b1b1b1"), (ids[3], "c2c2")]
    untouched = session.scalar(select(Subject.file_revision).where(Subject.id == ids[1]))
    with write_behind.writes_behind(session) if behind else nullcontext():
        principal_queries.new_file_revisions(session, revisions)
    found = {
        subject_id: revision
        for subject_id, revision in session.execute(
            select(Subject.id, Subject.file_revision).where(Subject.id.in_(ids))
        )
    }
    assert found[ids[0]] == "a0a0a0a0a0a0a0a0"
    assert found[ids[2]] == "b1b1b1b1b1b1b1b1"
    assert found[ids[3]] == "c2c2"
    assert found[ids[1]] == untouched


@pytest.mark.parametrize("behind", [False, True], ids=["at once", "behind"])
def test_deleting_inquiries_deletes_exactly_the_keys_given(session: Session, behind: bool) -> None:
    lender = new_id("len")
    session.execute(
        insert(Principal),
        [{"id": lender, "role": Role.lender.value, "name": "Lender", "created_at": NOW}],
    )
    one, two = _subjects(session, 2, f"sub_wbinq{int(behind)}_")
    keys = [(f"inq_wb{int(behind)}_{k}", one if k % 2 else two) for k in range(6)]
    session.execute(
        insert(Inquiry),
        [
            {"id": i, "subject_id": s, "lender_id": lender, "purpose": "credit_application"}
            | {"kind": "hard", "at": NOW}
            for i, s in keys
        ],
    )
    # the third key names the right inquiry on the wrong subject: not a key of any
    doomed = [keys[0], keys[1], (keys[2][0], one if keys[2][1] == two else two), keys[5]]
    with write_behind.writes_behind(session) if behind else nullcontext():
        file_queries.delete_inquiries(session, doomed)
    left = {
        (inquiry_id, subject_id)
        for inquiry_id, subject_id in session.execute(
            select(Inquiry.id, Inquiry.subject_id).where(Inquiry.subject_id.in_([one, two]))
        )
    }
    assert left == {keys[2], keys[3], keys[4]}


def test_under_a_lower_limit_of_parameters_the_statements_hold_fewer_rows(
    session: Session,
) -> None:
    """A build of SQLite may allow fewer parameters a statement than the default: the rows
    then go fewer at a time, all of them still."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        pytest.skip("SQLite's limit of parameters")
    import sqlite3

    driver = connection.connection.dbapi_connection
    assert driver is not None
    before = driver.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    try:
        rows = _principals(1_000, "wblimit")
        with write_behind.writes_behind(session):
            _insert(session, rows)
        assert _names(session, "wblimit") == {r[0]: r[2] for r in rows}
    finally:
        driver.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, before)


def test_the_switch_interval_is_short_inside_a_block_and_the_processs_own_after(
    session: Session,
) -> None:
    before = sys.getswitchinterval()
    with write_behind.writes_behind(session):
        assert sys.getswitchinterval() == pytest.approx(0.0005)
    assert sys.getswitchinterval() == before


def test_a_clock_moves_time_rules_write_behind_with_the_bulk_cache(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, object] = {}
    resolve_due = disputes.resolve_due

    def watched(inner: Session, *args: Any, **kwargs: Any) -> int:
        connection = inner.connection()
        threads: list[int] = []
        write_behind.submit(connection, lambda _c: threads.append(threading.get_ident()))
        inner.execute(select(1))
        seen["behind"] = threads != [threading.get_ident()]
        if connection.dialect.name == "sqlite":
            seen["cache"] = connection.exec_driver_sql("PRAGMA cache_size").scalar()
        return resolve_due(inner, *args, **kwargs)

    monkeypatch.setattr(disputes, "resolve_due", watched)
    sandbox.run_due_work(session, now=NOW)
    assert seen["behind"] is True
    if session.connection().dialect.name == "sqlite":
        assert seen["cache"] == -256 * 1024


def test_after_a_failure_was_raised_a_further_write_is_refused_not_dropped(
    session: Session,
) -> None:
    _insert(session, _principals(1, "wbagain"))
    savepoint = session.begin_nested()
    refused: list[str] = []

    def block() -> None:
        with write_behind.writes_behind(session):
            _insert(session, _principals(1, "wbagain"))  # the same id again
            with suppress(IntegrityError):
                session.execute(select(1))
            try:
                _insert(session, _principals(1, "wbagainlater"))  # would be lost
            except write_behind.WriteBehindFailed:
                refused.append("at once")

    with pytest.raises(write_behind.WriteBehindFailed):
        block()
    savepoint.rollback()
    assert refused == ["at once"]


def test_a_failure_caught_inside_the_block_is_raised_again_at_its_end(session: Session) -> None:
    _insert(session, _principals(1, "wbcaught"))
    savepoint = session.begin_nested()

    def block() -> None:
        with write_behind.writes_behind(session):
            _insert(session, _principals(1, "wbcaught"))
            with suppress(IntegrityError):
                session.execute(select(1))

    with pytest.raises(write_behind.WriteBehindFailed):
        block()
    savepoint.rollback()
