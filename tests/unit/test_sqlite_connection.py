"""Every SQLite connection Clearfile opens has its settings: write-ahead log, foreign keys,
temporary storage (statement journals, sort b-trees) in memory, and the database file read
through a memory map of 1 GiB."""

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
            assert pragma("PRAGMA mmap_size").scalar() == 1024**3
    finally:
        engine.dispose()
