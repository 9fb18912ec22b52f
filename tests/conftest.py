"""Test harness: one migrated database per run, or per worker process of a parallel run
(pytest-xdist); each test inside a transaction that is rolled back afterwards (SQLAlchemy's
"join a session into an external transaction").

SQLite by default (a temporary file, no server); PostgreSQL when
``CLEARFILE_TEST_DATABASE_URL`` is set. A test reaches the database under test only through
a fixture named ``database_url`` (this one, or a module's own that reads the variable), so a
run on PostgreSQL runs only the tests that use one, directly or through the fixtures built
on it: any other test runs the very same code on either database, and CI has just run it on
SQLite (``CLEARFILE_TEST_EVERYTHING=1`` runs them all).
"""

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.orm import Session

from service.app import create_app
from service.core import clock
from service.core.config import Settings
from service.core.db import make_engine, make_sessionmaker
from service.core.migrate import upgrade
from tests.databases import fresh_postgres_database

ADMIN_KEY = "cf_admin_test_key"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, leave out the tests that do not use the database under test."""
    url = os.environ.get("CLEARFILE_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql") or os.environ.get("CLEARFILE_TEST_EVERYTHING"):
        return
    kept, left_out = [], []
    for item in items:
        uses_database = "database_url" in getattr(item, "fixturenames", ())
        (kept if uses_database else left_out).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The database under test. Under pytest-xdist each worker process has one of its own: on
    PostgreSQL a database created for it on the server named (and dropped afterwards), since
    the session's engine drops and remakes the schema; on SQLite a file in its own temporary
    directory."""
    url = os.environ.get("CLEARFILE_TEST_DATABASE_URL")
    if not url:
        path: Path = tmp_path_factory.mktemp("db") / "clearfile-test.db"
        yield f"sqlite:///{path}"
    elif os.environ.get("PYTEST_XDIST_WORKER"):
        with fresh_postgres_database(url, f"clearfile_{os.environ['PYTEST_XDIST_WORKER']}") as own:
            yield own
    else:
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    if database_url.startswith("postgresql"):
        eng = make_engine(database_url)
        with eng.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        eng.dispose()
    upgrade(database_url)
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        admin_key=ADMIN_KEY,
        load_fixtures=False,
        due_work_interval_seconds=0,
        webhook_worker=False,
    )


@pytest.fixture(scope="session")
def app(settings: Settings, engine: Engine) -> FastAPI:
    application = create_app(settings)
    application.state.engine.dispose()
    return application


@pytest.fixture
def connection(engine: Engine, app: FastAPI) -> Iterator[Connection]:
    """A connection in an outer transaction that every session of the test joins."""
    conn = engine.connect()
    outer = conn.begin()
    previous = app.state.sessionmaker
    app.state.sessionmaker = make_sessionmaker(conn, join_transaction_mode="create_savepoint")
    try:
        yield conn
    finally:
        app.state.sessionmaker = previous
        outer.rollback()
        conn.close()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    """A session for direct checks and set-up, inside the test's transaction."""
    factory = make_sessionmaker(connection, join_transaction_mode="create_savepoint")
    with factory() as s:
        yield s


@pytest.fixture
def client(app: FastAPI, connection: Connection) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=True) as c:
        yield c


@pytest.fixture
def set_clock(session: Session) -> Callable[[datetime], datetime]:
    """Put the sandbox clock at a moment (tests may move it back; the API may not)."""

    def _set(moment: datetime) -> datetime:
        with session.begin_nested():
            clock.set_now(session, moment)
        return moment

    return _set


@dataclass
class Actor:
    id: str
    api_key: str
    body: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_KEY}"}

_counter = {"n": 0}


def _next() -> int:
    _counter["n"] += 1
    return _counter["n"]


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return dict(ADMIN_HEADERS)


@pytest.fixture
def make_subject(client: TestClient) -> Callable[..., Actor]:
    def _make(**overrides: Any) -> Actor:
        n = _next()
        body = {
            "given_name": "Testa",
            "family_name": f"Sandboxer{n}",
            "date_of_birth": "1985-04-12",
            "national_id": f"000-{n % 100:02d}-{n % 10000:04d}",
        }
        body.update(overrides)
        resp = client.post("/v1/sandbox/subjects", json=body, headers=ADMIN_HEADERS)
        assert resp.status_code == 201, resp.text
        data = resp.json()
        return Actor(id=data["id"], api_key=data["api_key"], body=data)

    return _make


def _org_factory(client: TestClient, role: str) -> Callable[..., Actor]:
    def _make(name: str | None = None) -> Actor:
        resp = client.post(
            f"/v1/sandbox/{role}s",
            json={"name": name or f"Fictional {role.title()} {_next()}"},
            headers=ADMIN_HEADERS,
        )
        assert resp.status_code == 201, resp.text
        data = resp.json()
        return Actor(id=data["id"], api_key=data["api_key"], body=data)

    return _make


@pytest.fixture
def make_furnisher(client: TestClient) -> Callable[..., Actor]:
    return _org_factory(client, "furnisher")


@pytest.fixture
def make_lender(client: TestClient) -> Callable[..., Actor]:
    return _org_factory(client, "lender")


@pytest.fixture
def make_auditor(client: TestClient) -> Callable[..., Actor]:
    return _org_factory(client, "auditor")


@pytest.fixture
def headers_by_role(
    set_clock: Callable[[datetime], datetime],
    make_subject: Callable[..., Actor],
    make_furnisher: Callable[..., Actor],
    make_lender: Callable[..., Actor],
    make_auditor: Callable[..., Actor],
) -> dict[str, dict[str, str]]:
    """The headers of one fresh principal of each role (and of no one), with the clock set."""
    set_clock(datetime(2026, 11, 15, 12, 0, tzinfo=UTC))
    return {
        "admin": dict(ADMIN_HEADERS),
        "subject": make_subject().headers,
        "furnisher": make_furnisher().headers,
        "lender": make_lender().headers,
        "auditor": make_auditor().headers,
        "anonymous": {},
    }


@pytest.fixture
def count_queries(engine: Engine) -> Iterator[Callable[[], int]]:
    """How many SQL statements the engine has executed since the fixture started."""
    seen = {"n": 0}

    def _count(*_args: Any) -> None:
        seen["n"] += 1

    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield lambda: seen["n"]
    finally:
        event.remove(engine, "before_cursor_execute", _count)
