"""Every SQLite connection Clearfile opens has its settings: write-ahead log, foreign keys,
temporary storage (statement journals, sort b-trees) in memory, and the database file read
through a memory map of 1 GiB; a bulk block (a clock move's time rules) caches 256 MiB of pages."""

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


def test_a_bulk_block_caches_256_mib_of_pages_and_64_after(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as session, session.begin():
        cache = session.connection().exec_driver_sql
        assert cache("PRAGMA cache_size").scalar() == -64 * 1024
        with bulk_cache(session):
            assert cache("PRAGMA cache_size").scalar() == -256 * 1024
        assert cache("PRAGMA cache_size").scalar() == -64 * 1024


def test_a_bulk_block_that_fails_still_leaves_the_cache_as_it_was(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as session, session.begin():
        with pytest.raises(LookupError), bulk_cache(session):
            raise LookupError("the block's own")
        assert session.connection().exec_driver_sql("PRAGMA cache_size").scalar() == -65536
