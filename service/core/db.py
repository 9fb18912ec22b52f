"""Engine, sessions and the declarative base.

A route's work is one transaction: the session dependency provides the session, services
only ``flush()``, and the route's unit of work (``service.core.deps.UnitOfWorkRoute``)
commits when the route returns, or rolls back on any error.
"""

import weakref
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, text
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


#: Connections a server process keeps to PostgreSQL, and the worker threads its database
#: work runs in (``service.core.deps.limit_worker_threads`` sets the thread limit to this):
#: one connection per thread, so a request never waits for a connection and the pool never
#: opens one per request. More threads would not serve faster: Python runs one of them at a
#: time (the GIL), and each extra one lengthens every other's wait for it while holding a
#: transaction open. (anyio's default of 40 threads over SQLAlchemy's pool of 20 made the
#: pool open and close an overflow connection, a new PostgreSQL backend, for about one
#: request in twenty under 32 connections: issue 15.)
PG_POOL_SIZE = 16
#: Connections for the work a process runs on its event loop (read-only units of work, the
#: group writer's batches: ``service.core.deps.read_only``), one at a time, beside its
#: threads' ``PG_POOL_SIZE``.
PG_LOOP_CONNECTIONS = 1
#: Connections beyond ``PG_POOL_SIZE`` for work outside the thread limit (a job, a test).
PG_POOL_OVERFLOW = 4

#: PostgreSQL's ``synchronous_commit`` for Clearfile's connections: ``off``, the durability
#: SQLite has here (WAL with ``synchronous=NORMAL``): a crash of the machine may lose the
#: last commits (PostgreSQL: at most three times ``wal_writer_delay``, 600 ms by default),
#: never half of one, and the database stays consistent (PostgreSQL 15 documentation,
#: 30.4 "Asynchronous Commit"). A commit then does not wait for its WAL to reach the disk,
#: so the locks a write takes (an audit chain's head) are held for that much less. A
#: database URL that sets ``options`` itself (``?options=-c%20synchronous_commit%3Don``)
#: keeps its own.
PG_SYNCHRONOUS_COMMIT = "off"


#: Where SQLite keeps its temporary storage (statement journals, sort b-trees): memory.
SQLITE_TEMP_STORE = "MEMORY"

#: SQLite's page cache of the connection, in KiB (``PRAGMA cache_size`` with a negative
#: value is a size in KiB: SQLite documentation, "PRAGMA cache_size"; the default is 2,000
#: KiB). A deadline run or a purge writes tens of thousands of rows over many tables and
#: indexes in one transaction: with the default cache, SQLite spills dirty pages to the WAL
#: before the commit and reads them back (a third of the run's system time on a 100,000
#: subject file). One connection per process (``make_engine``): 64 MiB at most, per process.
SQLITE_CACHE_KIB = 65_536

#: SQLite's page cache, in KiB, from a clock move's time rules to the end of its transaction
#: (``bulk_cache``): the dirty pages of a 10,000-dispute deadline run and a month's purge on
#: a 100,000-subject file (about 120 MiB) stay in memory to the commit, where 64 MiB spilled
#: 58 MiB of them to the WAL during the run, in the thread that writes (``write_behind``).
#: In 5 alternating runs each from one saved database, the writes took 1.32 s of CPU against
#: 1.45 s and the call 2.17 s against 2.30 s (medians; ``bench_disputes``, issue 10).
SQLITE_BULK_CACHE_KIB = 262_144


#: How much of an SQLite database file a connection reads through a memory map, in bytes
#: (``PRAGMA mmap_size``; SQLite documentation, "Memory-Mapped I/O": pages are read in place
#: from the operating system's cache instead of copied by a read() call into SQLite's own
#: cache; writes still go through SQLite's cache; 0, no map, is SQLite's default). 1 GiB: a
#: 100,000-subject file (about 730 MiB) whole; past the map, pages are read as before. A
#: deadline run's call on that file, in a new process, took less time in 11 of 15 alternating
#: pairs (the medians 0.09-0.14 s lower, about 4 %, in the two sets; ``bench_disputes``, issue
#: 10), where its reads of many files' rows copied each page from the kernel.
SQLITE_MMAP_BYTES = 1 << 30


#: ``Connection.info`` key: the connection caches ``SQLITE_BULK_CACHE_KIB`` to the end of
#: its transaction (``bulk_cache``).
_BULK_CACHE = "clearfile_bulk_cache"


def bulk_cache(session: Session) -> None:
    """On SQLite, the session's connection caches up to ``SQLITE_BULK_CACHE_KIB`` of pages
    instead of ``SQLITE_CACHE_KIB`` from now to the end of its transaction (elsewhere,
    nothing). The cache goes back to its size just before the transaction's COMMIT or
    ROLLBACK, not earlier: a smaller cache inside the transaction makes SQLite write the dirty
    pages above it to the WAL at the next page a statement needs (the commit's own writes
    made early, in the middle of the transaction: 0.3-0.6 s for the 120 MiB of a clock move's
    time rules, in about half of the runs), where just before the COMMIT it frees only the
    clean pages and the commit writes the dirty ones once, as it would have anyway."""
    connection = session.connection()
    if connection.dialect.name != "sqlite" or _BULK_CACHE in connection.info:
        return
    connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_BULK_CACHE_KIB}")
    connection.info[_BULK_CACHE] = True


def _end_bulk_cache(connection: Any) -> None:
    if connection.dialect.name != "sqlite" or connection.invalidated or connection.closed:
        return  # (a lost connection's info cannot be read; its cache went with it)
    if connection.info.pop(_BULK_CACHE, None) is None:
        return
    # Straight to the driver: no statement of the unit's is to run inside its COMMIT. A
    # connection that cannot take it (lost) leaves the cache larger, and the unit's own
    # outcome stands.
    with suppress(Exception):
        connection.connection.dbapi_connection.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")


for _name in ("commit", "rollback"):
    event.listen(Engine, _name, _end_bulk_cache)


#: ``Session.info`` key set on the session of a read-only unit of work
#: (``service.core.deps.read_only``): nothing will be written in it.
READ_ONLY_UNIT = "clearfile_read_only_unit"

#: The execution option that marks a read-only unit of work's connection on PostgreSQL.
READ_ONLY_OPTION = "clearfile_read_only"


class WriteOutsideTransaction(RuntimeError):
    """A statement other than a SELECT on a read-only unit of work's connection: in
    autocommit it would commit alone, apart from whatever else the route wrote."""


def _refuse_writes_in_autocommit(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    if not conn.get_execution_options().get(READ_ONLY_OPTION):
        return
    text = statement.lstrip()
    if not text[:6].upper().startswith("SELECT"):
        raise WriteOutsideTransaction(
            "a read-only unit of work ran a statement that is not a SELECT: " + text[:60]
        )


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
            # Temporary storage in memory: the statement journal of each write inside a
            # transaction (the pages it changes, kept until the statement ends, to undo it
            # alone) and the b-trees of a large sort. In files (this build's default), a
            # bulk write wrote every page it changed there too, to no purpose after the
            # statement.
            cursor.execute(f"PRAGMA temp_store={SQLITE_TEMP_STORE}")
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    connect_args: dict[str, Any] = {}
    if url.startswith("postgresql") and "options=" not in url:
        connect_args["options"] = f"-c synchronous_commit={PG_SYNCHRONOUS_COMMIT}"
    # No pre-ping (a round trip per checkout, two per request): after PostgreSQL restarts,
    # the first statement on a stale connection fails, SQLAlchemy then replaces every
    # connection of the pool, and the next requests get new ones.
    options: dict[str, Any] = {
        "pool_size": PG_POOL_SIZE + PG_LOOP_CONNECTIONS,
        "max_overflow": PG_POOL_OVERFLOW,
        "connect_args": connect_args,
    }
    engine = create_engine(url, **{**options, **kwargs})
    event.listen(engine, "before_cursor_execute", _refuse_writes_in_autocommit)
    return engine


#: Each engine's read-only engine (``read_only_engine``), and back.
_READ_ONLY_ENGINES: "weakref.WeakKeyDictionary[Engine, Engine]" = weakref.WeakKeyDictionary()
_READ_FOR: "weakref.WeakKeyDictionary[Engine, weakref.ref[Engine]]" = weakref.WeakKeyDictionary()


def read_only_engine(engine: Engine) -> Engine:
    """The engine a read-only unit of work (``service.core.deps.read_only``) on ``engine``'s
    database (PostgreSQL) takes its connection from: ``make_engine``'s, with each of its
    connections in autocommit from the moment it connects, and marked ``READ_ONLY_OPTION``
    (a statement that would write is refused there). Switching one of ``engine``'s pooled
    connections to autocommit on checkout and back on its return cost SQLAlchemy and
    psycopg about 60-100 us of CPU per read (158 us under 32 connections); a connection
    that stays in autocommit costs neither. Its pool holds ``PG_LOOP_CONNECTIONS``
    (read-only units run on the event loop, one at a time). Made once per engine; disposed
    with it."""
    found = _READ_ONLY_ENGINES.get(engine)
    if found is None:
        reads = make_engine(
            engine.url.render_as_string(hide_password=False),
            isolation_level="AUTOCOMMIT",
            pool_size=PG_LOOP_CONNECTIONS,
        )
        event.listen(engine, "engine_disposed", lambda _engine: reads.dispose())
        found = _READ_ONLY_ENGINES[engine] = reads.execution_options(**{READ_ONLY_OPTION: True})
        _READ_FOR[found] = weakref.ref(engine)
    return found


def engine_read_for(bind: Any) -> Any:
    """The engine a read-only engine (``read_only_engine``) reads for; any other bind as it
    is. Work that writes (a read's audit event, appended after it) goes there."""
    primary = _READ_FOR.get(bind) if isinstance(bind, Engine) else None
    found = primary() if primary is not None else None
    return bind if found is None else found


def make_sessionmaker(bind: Any, **kwargs: Any) -> sessionmaker[Session]:
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=True, **kwargs)


def refresh_planner_statistics(session: Session) -> None:
    """After a bulk load on PostgreSQL, gather the planner's statistics of the database's
    tables now (``ANALYZE``), in the session's transaction: PostgreSQL's documentation,
    "Populating a Database", 14.4.9 "Run ANALYZE Afterwards". Autovacuum would do it later,
    or never where it is off (as on the machines of the README's figures), and until then
    the planner guesses the tables' sizes. SQLite's planner needs no statistics for the
    loaded tables' queries (each has its index): nothing is done there."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE"))
