"""Read-only units of work (``service.core.deps.read_only``): on PostgreSQL their statements
run outside any transaction (no BEGIN, no COMMIT), and a write there is refused before it
runs, so nothing commits alone. Each test has a database of its own whose transactions
really commit (the shared test database is rolled back around every test)."""

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from psycopg.pq import TransactionStatus
from sqlalchemy import event, func, literal_column, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from service.app import create_app
from service.audit import service as audit
from service.audit.models import AuditChainHead, AuditEvent
from service.core import clock, libpq
from service.core.config import Settings
from service.core.db import (
    READ_ONLY_OPTION,
    READ_ONLY_UNIT,
    WriteOutsideTransaction,
    engine_read_for,
    read_only_engine,
)
from service.core.deps import SessionDep, domain_router, read_only
from service.core.migrate import upgrade
from service.core.security import hash_key
from service.principals import queries
from service.principals.models import Subject
from service.sandbox.fixtures import load_fixtures
from tests.conftest import Actor
from tests.databases import fresh_postgres_database

#: A fixture persona's key (fixtures/personas.yaml).
SUBJECT_KEY = "cf_subject_sandbox_ada_testwell"
#: A fixture furnisher's key.
FURNISHER_KEY = "cf_furnisher_sandbox_card_co"

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@contextmanager
def _app_of_its_own(database_url: str, name: str) -> Iterator[FastAPI]:
    if not database_url.startswith("postgresql"):
        pytest.skip(
            "a PostgreSQL engine of its own: autocommit reads, units of work on the event loop "
            "or in database threads, the writer's head locks"
        )
    with fresh_postgres_database(database_url, name) as url:
        upgrade(url)
        app = create_app(
            Settings(database_url=url, admin_key="cf_admin_test_key", webhook_worker=False)
        )
        with app.state.sessionmaker() as session, session.begin():
            load_fixtures(session, now=clock.now(session))
        try:
            yield app
        finally:
            app.state.engine.dispose()


@pytest.fixture
def pg_app(database_url: str) -> Iterator[FastAPI]:
    with _app_of_its_own(database_url, "read_only") as app:
        yield app


@pytest.fixture(scope="module")
def keys_app(database_url: str) -> Iterator[FastAPI]:
    """One app for the tests that only read keys (each on a connection of its own): a fresh
    database and its migrations take about 2 s."""
    with _app_of_its_own(database_url, "read_only_keys") as app:
        yield app


def _transaction_statuses(engine: Engine) -> list[tuple[bool, TransactionStatus]]:
    """For every statement the engine, or its read-only engine, runs from now on: whether it
    ran on a read-only unit of work's connection, and whether that connection was in a
    transaction once it had."""
    seen: list[tuple[bool, TransactionStatus]] = []

    def _after(conn: Any, *_args: Any) -> None:
        read_only = bool(conn.get_execution_options().get(READ_ONLY_OPTION))
        seen.append((read_only, conn.connection.dbapi_connection.info.transaction_status))

    event.listen(engine, "after_cursor_execute", _after)
    event.listen(read_only_engine(engine), "after_cursor_execute", _after)
    return seen


def test_a_report_read_takes_a_connection_in_autocommit_and_switches_none(
    pg_app: FastAPI,
) -> None:
    """A read-only unit's connection comes from the read-only engine's pool, where every
    connection stays in autocommit; the engine's own connections are never switched to it
    (and back) for a read."""
    engine = pg_app.state.engine
    reads = read_only_engine(engine)
    assert read_only_engine(engine) is reads
    assert engine_read_for(reads) is engine
    taken: list[tuple[str, bool]] = []

    def _checkout(pool: str) -> Callable[..., None]:
        def _taken(dbapi_connection: Any, *_args: Any) -> None:
            taken.append((pool, dbapi_connection.autocommit))

        return _taken

    event.listen(engine.pool, "checkout", _checkout("engine"))
    event.listen(reads.pool, "checkout", _checkout("read-only"))
    with TestClient(pg_app) as client:
        for _ in range(3):
            r = client.get("/v1/me/report", headers={"Authorization": f"Bearer {SUBJECT_KEY}"})
            assert r.status_code == 200, r.text
    assert ("read-only", True) in taken
    assert {autocommit for pool, autocommit in taken if pool == "read-only"} == {True}
    # The engine's own connections: the writer's transactions, never autocommit.
    assert {autocommit for pool, autocommit in taken if pool == "engine"} <= {False}
    engine.dispose()
    assert reads.pool.checkedin() == 0  # disposed with its engine


def test_a_report_read_on_postgresql_runs_outside_a_transaction_and_its_event_commits(
    pg_app: FastAPI,
) -> None:
    engine = pg_app.state.engine
    seen = _transaction_statuses(engine)
    with TestClient(pg_app) as client:
        r = client.get("/v1/me/report", headers={"Authorization": f"Bearer {SUBJECT_KEY}"})
        assert r.status_code == 200, r.text
        # the caller, the file's revision and, read once, the file: no transaction
        reads = [status for read_only, status in seen if read_only]
        assert len(reads) >= 2
        assert set(reads) == {TransactionStatus.IDLE}
        # the read's event, appended after it by the group writer: in a transaction
        assert {status for read_only, status in seen if not read_only} == {
            TransactionStatus.INTRANS
        }
        seen.clear()
        # a route that is not read-only keeps its transaction
        r = client.get("/v1/me/access-log", headers={"Authorization": f"Bearer {SUBJECT_KEY}"})
        assert r.status_code == 200, r.text
        assert seen
        assert set(seen) == {(False, TransactionStatus.INTRANS)}
    with pg_app.state.sessionmaker() as session:
        logged = session.scalar(select(func.count()).where(AuditEvent.action == "report.read"))
    assert logged == 1


def test_a_write_in_a_read_only_unit_of_work_is_refused_and_nothing_commits(
    pg_app: FastAPI,
) -> None:
    with pg_app.state.engine.begin() as conn:
        conn.execute(text("CREATE TABLE read_only_probe (x integer)"))
    router = domain_router()

    @router.get("/probe")
    @read_only
    def probe(session: SessionDep) -> dict[str, int]:
        session.execute(text("INSERT INTO read_only_probe VALUES (1)"))
        return {"x": 1}

    pg_app.include_router(router)
    with TestClient(pg_app, raise_server_exceptions=True) as client:
        with pytest.raises(WriteOutsideTransaction, match="not a SELECT: INSERT"):
            client.get("/probe")
    with pg_app.state.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM read_only_probe")) == 0


@pytest.mark.parametrize("read_only", [True, False])
def test_the_callers_subject_row_read_with_the_key_is_reused_only_in_a_read_only_unit(
    session: Session,
    make_subject: Callable[..., Actor],
    count_queries: Callable[[], int],
    read_only: bool,
) -> None:
    """A subject's key brings their row; a read-only unit of work (which writes nothing,
    so the row cannot change in it) takes the row from there, any other reads it again,
    since it may have changed the file since."""
    me = make_subject()
    if read_only:
        session.info[READ_ONLY_UNIT] = True
    assert queries.principal_by_key_hash(session, hash_key(me.api_key)) is not None
    session.execute(update(Subject).where(Subject.id == me.id).values(file_revision="changed"))
    before = count_queries()
    row = queries.subject_row(session, me.id)
    assert row is not None
    assert row.given_name == me.body["given_name"]
    if read_only:
        assert count_queries() == before
        assert row.file_revision != "changed"  # what the key's statement read
    else:
        assert count_queries() == before + 1
        assert row.file_revision == "changed"
    # another subject's row, or one to lock, is always read
    assert queries.subject_row(session, me.id, lock=True).file_revision == "changed"


def test_a_read_only_unit_runs_on_the_event_loop_and_any_other_in_a_database_thread(
    pg_app: FastAPI,
) -> None:
    """On PostgreSQL a read-only unit of work runs where SQLite's work does, on the event
    loop (no hand-over to a thread and back); a unit that may write keeps its thread."""
    ran_in: dict[str, threading.Thread] = {}
    router = domain_router()

    @router.get("/probe/read")
    @read_only
    def read(session: SessionDep) -> dict[str, int]:
        ran_in["read-only"] = threading.current_thread()
        return {"x": session.execute(text("SELECT 1")).scalar_one()}

    @router.get("/probe/write")
    def write(session: SessionDep) -> dict[str, int]:
        ran_in["may write"] = threading.current_thread()
        return {"x": session.execute(text("SELECT 1")).scalar_one()}

    @pg_app.get("/probe/loop")
    async def loop() -> dict[str, int]:
        ran_in["loop"] = threading.current_thread()
        return {"x": 1}

    pg_app.include_router(router)
    with TestClient(pg_app) as client:
        for path in ("/probe/read", "/probe/write", "/probe/loop"):
            assert client.get(path).status_code == 200
    assert ran_in["read-only"] is ran_in["loop"]
    assert ran_in["may write"] is not ran_in["loop"]
    assert ran_in["may write"].name.startswith("clearfile-db")


def test_a_report_read_whose_chain_head_is_held_waits_for_it_off_the_event_loop(
    pg_app: FastAPI,
) -> None:
    """The group writer commits on the event loop only when no lock stands in its way: with
    the subject's chain head held by another transaction, the read waits (its event is
    written from a database thread once the head is free) while the loop answers others."""
    headers = {"Authorization": f"Bearer {SUBJECT_KEY}"}
    engine = pg_app.state.engine
    with TestClient(pg_app) as client:
        assert client.get("/v1/me/report", headers=headers).status_code == 200
        with pg_app.state.sessionmaker() as session:
            chain = session.scalars(
                select(AuditEvent.chain).where(AuditEvent.action == "report.read")
            ).one()
        with engine.connect() as locker, ThreadPoolExecutor(2) as pool:
            locker.execute(
                select(AuditChainHead.seq).where(AuditChainHead.chain == chain).with_for_update()
            )
            try:
                read = pool.submit(client.get, "/v1/me/report", headers=headers)
                time.sleep(0.5)
                assert not read.done()  # its event cannot be written yet
                healthz = pool.submit(client.get, "/healthz").result(timeout=10)
                assert healthz.status_code == 200
                assert not read.done()
            finally:
                locker.rollback()
            assert read.result(timeout=30).status_code == 200
    with pg_app.state.sessionmaker() as session:
        events = session.scalars(
            select(AuditEvent.seq).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)
        ).all()
        assert session.scalar(select(func.count()).where(AuditEvent.action == "report.read")) == 2
        assert audit.verify(session).valid
    assert events == list(range(events[0], events[0] + len(events)))


@pytest.mark.parametrize("autocommit", [True, False])
def test_the_key_read_straight_to_the_driver_gives_the_row_sqlalchemy_would(
    keys_app: FastAPI, autocommit: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the caller's row is read straight through the driver (libpq in
    autocommit, a psycopg cursor in a transaction): the same values as SQLAlchemy's row,
    each through its column's processing (a moment in UTC, whatever the connection's time
    zone), for a subject, an organisation and an unknown key."""
    keys = [SUBJECT_KEY, FURNISHER_KEY, "cf_subject_no_such_key"]
    with keys_app.state.sessionmaker() as session:
        options = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
        connection = session.connection(execution_options=options)
        connection.execute(text("SET TIME ZONE 'Pacific/Auckland'"))
        through_libpq = _libpq_rows(monkeypatch, connection)
        for key in keys:
            expected = connection.execute(
                queries._PRINCIPAL_BY_KEY, {"key_hash": hash_key(key)}
            ).first()
            row = queries._by_key_from_driver(connection, hash_key(key))
            if expected is None:
                assert row is None
                continue
            assert row is not None
            assert [repr(v) for v in row] == [repr(v) for v in expected]
            assert row._fields == tuple(expected._fields)
        assert len(through_libpq) == (len(keys) if autocommit else 0)
        subject_row = queries._by_key_from_driver(connection, hash_key(SUBJECT_KEY))
        assert subject_row.subject_created_at.tzinfo is not None
        assert subject_row.subject_created_at.utcoffset().total_seconds() == 0


def _libpq_rows(monkeypatch: pytest.MonkeyPatch, connection: Connection) -> list[Any]:
    """What ``_by_key_from_driver`` reads through libpq on ``connection`` from now on (a
    statement it leaves to SQLAlchemy is not in it)."""
    read: list[Any] = []
    prepared = queries._PRINCIPAL_BY_KEY_PREPARED
    through = prepared._through_libpq
    driver = connection.connection.dbapi_connection

    def _through(conn: Any, *args: Any) -> Any:
        row = through(conn, *args)
        if conn is driver and row is not libpq.UNAVAILABLE:
            read.append(row)
        return row

    monkeypatch.setattr(prepared, "_through_libpq", _through)
    return read


@pytest.mark.parametrize("autocommit", [True, False])
def test_the_key_read_goes_through_libpq_only_in_autocommit(
    keys_app: FastAPI, autocommit: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libpq runs the key's statement on a connection in autocommit (a read-only unit of
    work's); in a transaction a psycopg cursor runs it, sending the BEGIN first, so the key
    is read in the transaction as every other statement is."""
    with keys_app.state.sessionmaker() as session:
        connection = session.connection(
            execution_options={"isolation_level": "AUTOCOMMIT"} if autocommit else {}
        )
        driver = connection.connection.dbapi_connection
        assert driver.info.transaction_status == TransactionStatus.IDLE
        read = _libpq_rows(monkeypatch, connection)
        assert queries.principal_by_key_hash(session, hash_key(SUBJECT_KEY)) is not None
        assert len(read) == (1 if autocommit else 0)
        expected = TransactionStatus.IDLE if autocommit else TransactionStatus.INTRANS
        assert driver.info.transaction_status == expected
        assert queries.principal_by_key_hash(session, hash_key(SUBJECT_KEY)) is not None
        assert len(read) == (2 if autocommit else 0)


@pytest.mark.parametrize("forget", ["DEALLOCATE ALL", "DISCARD ALL"])
def test_the_keys_statement_is_prepared_again_when_the_connection_forgot_it(
    keys_app: FastAPI, forget: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection whose prepared statements were dropped has the key's statement prepared
    again, and still reads it through libpq; one that knows it already, though the pool's
    record of it was lost, reads it too."""
    with keys_app.state.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        read = _libpq_rows(monkeypatch, connection)
        key_hash = hash_key(SUBJECT_KEY)
        first = queries._by_key_from_driver(connection, key_hash)
        connection.execute(text(forget))
        again = queries._by_key_from_driver(connection, key_hash)
        connection.connection.info.clear()  # the statement is still prepared on it
        third = queries._by_key_from_driver(connection, key_hash)
    assert first is not None
    assert again == first
    assert third == first
    assert len(read) == 3


def test_a_statement_libpq_cannot_run_is_left_to_the_caller(keys_app: FastAPI) -> None:
    """A statement PostgreSQL refuses is ``UNAVAILABLE`` from libpq, and the connection
    is left as it was, for the caller to run it through SQLAlchemy."""
    broken = libpq.PreparedSelect(select(literal_column("no_such_column")), "clearfile_test")
    with keys_app.state.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        assert broken.first(connection, {}) is libpq.UNAVAILABLE
        assert connection.execute(text("SELECT 1")).scalar() == 1


@pytest.mark.parametrize("autocommit", [True, False])
def test_a_lost_connection_under_the_keys_statement_is_sqlalchemys_error(
    pg_app: FastAPI, autocommit: bool
) -> None:
    """The key's statement goes through libpq, but a connection lost under it (its
    backend ended, as when PostgreSQL restarts) is reported as SQLAlchemy reports it, the
    connection invalidated, so the pool is renewed instead of failing once per connection:
    on a read-only unit's connection (autocommit) as on a transaction's."""
    engine = pg_app.state.engine
    with pg_app.state.sessionmaker() as session:
        options = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
        driver = session.connection(execution_options=options).connection.dbapi_connection
        pid = driver.info.backend_pid
        with engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(DBAPIError) as lost:
            queries.principal_by_key_hash(session, hash_key(SUBJECT_KEY))
    assert lost.value.connection_invalidated
