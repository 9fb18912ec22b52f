"""Every SQLite connection Clearfile opens has its settings: write-ahead log, foreign keys,
temporary storage (statement journals, sort b-trees) in memory, and the database file read
through a memory map of 1 GiB; a clock move's time rules cache 256 MiB of pages to the end
of their transaction."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from service.core.db import bulk_cache, make_engine

#: ``PRAGMA temp_store``'s answer for MEMORY.
_MEMORY = 2


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """An engine on a new SQLite file, made as Clearfile makes every engine."""
    made = make_engine(f"sqlite:///{tmp_path / 'settings.db'}")
    try:
        yield made
    finally:
        made.dispose()


def test_a_connection_keeps_its_temporary_storage_in_memory(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as connection:
        pragma = connection.exec_driver_sql
        assert pragma("PRAGMA temp_store").scalar() == _MEMORY
        assert pragma("PRAGMA journal_mode").scalar() == "wal"
        assert pragma("PRAGMA foreign_keys").scalar() == 1
        assert pragma("PRAGMA mmap_size").scalar() == 1024**3


def _cache_kib(session: Session) -> int:
    return -int(session.connection().exec_driver_sql("PRAGMA cache_size").scalar() or 0)


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_the_bulk_cache_lasts_to_the_end_of_the_transaction(
    sqlite_engine: Engine, end: str
) -> None:
    with Session(sqlite_engine) as session:
        with session.begin() as transaction:
            assert _cache_kib(session) == 64 * 1024
            bulk_cache(session)
            assert _cache_kib(session) == 256 * 1024
            session.connection().exec_driver_sql("CREATE TABLE t (x)")
            assert _cache_kib(session) == 256 * 1024  # not shrunk inside the transaction
            getattr(transaction, end)()
        with session.begin():  # the same connection (a pool of one), in its next transaction
            assert _cache_kib(session) == 64 * 1024


def test_a_savepoint_rolled_back_leaves_the_bulk_cache_to_the_transaction(
    sqlite_engine: Engine,
) -> None:
    with Session(sqlite_engine) as session, session.begin():
        savepoint = session.begin_nested()
        bulk_cache(session)
        savepoint.rollback()
        assert _cache_kib(session) == 256 * 1024
    with session.begin():
        assert _cache_kib(session) == 64 * 1024


def test_a_lost_connection_rolls_back_with_its_bulk_cache(sqlite_engine: Engine) -> None:
    """A connection invalidated inside the clock move's transaction (lost): its rollback
    raises nothing for the bulk cache, and the next transaction has the usual cache."""
    with Session(sqlite_engine) as session:
        session.begin()
        bulk_cache(session)
        session.connection().invalidate()
        session.rollback()
        with session.begin():
            assert _cache_kib(session) == 64 * 1024
