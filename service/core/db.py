"""Engine, sessions and the declarative base.

A route's work is one transaction: the session dependency provides the session, services
only ``flush()``, and the route's unit of work (``service.core.deps.UnitOfWorkRoute``)
commits when the route returns, or rolls back on any error.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite returns naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create the engine; on SQLite turn on WAL and foreign keys, and take the write lock
    at BEGIN so that concurrent writers queue on ``busy_timeout`` instead of failing."""
    if is_sqlite(url):
        # One connection per process: SQLite runs one writer at a time anyway, and waiting
        # for the pool is a fair queue, where SQLite's busy handler sleeps and polls (which
        # gives a long tail of latency under concurrent requests).
        in_memory = url in {"sqlite://", "sqlite:///:memory:"}
        pooling = {} if in_memory else {"pool_size": 1, "max_overflow": 0, "pool_timeout": 60}
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            **{**pooling, **kwargs},
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not pysqlite, emit BEGIN (SQLAlchemy docs, "Serializable
            # isolation / Savepoints / Transactional DDL" for pysqlite).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True, **kwargs)


def make_sessionmaker(bind: Any, **kwargs: Any) -> sessionmaker[Session]:
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=True, **kwargs)
