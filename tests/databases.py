"""Databases of a test's own on the PostgreSQL server under test: for tests whose transactions
must really commit (races, several processes), which the rolled-back test database cannot hold."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from service.core.db import make_engine, make_sessionmaker
from service.core.migrate import upgrade


@contextmanager
def fresh_postgres_database(database_url: str, prefix: str) -> Iterator[str]:
    """The URL of a new, empty database on ``database_url``'s server, named ``prefix_<random>``;
    dropped afterwards, even with connections still open to it."""
    base = make_url(database_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def migrated_sessions(url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on the database at ``url``, migrated to the head first."""
    upgrade(url)
    engine = make_engine(url)
    try:
        yield make_sessionmaker(engine)
    finally:
        engine.dispose()


@contextmanager
def migrated_postgres_sessions(database_url: str, prefix: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a fresh database (``fresh_postgres_database``) migrated to the head."""
    with fresh_postgres_database(database_url, prefix) as url, migrated_sessions(url) as sessions:
        yield sessions
