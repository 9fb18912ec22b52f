"""Every SQLite connection Clearfile opens has its settings: write-ahead log, foreign keys,
temporary storage (statement journals, sort b-trees) in memory, and a 256 MiB page cache."""

from pathlib import Path

from service.core.db import make_engine

#: ``PRAGMA temp_store``'s answer for MEMORY.
_MEMORY = 2


def test_a_connection_keeps_its_temporary_storage_in_memory(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'settings.db'}")
    try:
        with engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA temp_store").scalar() == _MEMORY
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_a_connection_caches_256_mib_of_pages(tmp_path: Path) -> None:
    """Not SQLite's 2 MiB: a large transaction's changed pages stay in the cache until its
    commit instead of spilling to the WAL one by one (``SQLITE_CACHE_KIB``)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'settings.db'}")
    try:
        with engine.connect() as connection:
            # A negative cache_size is a size in KiB (SQLite documentation, PRAGMA cache_size).
            assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == -262_144
    finally:
        engine.dispose()
