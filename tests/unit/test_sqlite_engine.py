"""The SQLite engine's connection settings (service.core.db.make_engine)."""

from pathlib import Path

from service.core.db import make_engine


def test_a_file_database_keeps_a_larger_write_ahead_log_than_sqlites_default(
    tmp_path: Path,
) -> None:
    """A commit checkpoints only past 10,000 pages of log (SQLite's default is 1,000): the hot
    pages every request rewrites are copied back ten times less often (issue 9's pull rate)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 10_000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
