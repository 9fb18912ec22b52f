"""A serving process's WAL checkpoints (``service.core.wal``): made by a thread of their
own, the serving connections checkpointing themselves only at the backstop."""

import sqlite3
import time
from pathlib import Path

from service.core import wal
from service.core.db import make_engine


def _in_database_file(path: Path, table: str) -> bool:
    """Whether the database file itself, the WAL ignored, holds ``table``: whether a
    checkpoint has copied the commit that made it."""
    connection = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        found = connection.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = ?", (table,)
        ).fetchone()
        return bool(found[0])
    finally:
        connection.close()


def test_a_thread_checkpoints_while_the_connections_wait_for_the_backstop(tmp_path: Path) -> None:
    path = tmp_path / "serving.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with wal.checkpoints_in_background(engine):
            with engine.begin() as conn:
                pages = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
                assert pages == wal.SERVING_AUTOCHECKPOINT_PAGES
                conn.exec_driver_sql("CREATE TABLE written (x INTEGER)")
                conn.exec_driver_sql("INSERT INTO written VALUES (1)")
            # Far below the backstop: only the thread copies the commit into the file.
            deadline = time.monotonic() + 20 * wal.CHECKPOINT_INTERVAL_SECONDS + 5
            while not _in_database_file(path, "written"):
                assert time.monotonic() < deadline, "the thread made no checkpoint"
                time.sleep(wal.CHECKPOINT_INTERVAL_SECONDS / 5)
        engine.dispose()
        # Outside, a connection opened anew checkpoints itself as SQLite does by default.
        with engine.begin() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
    finally:
        engine.dispose()


def test_nothing_runs_for_a_database_in_memory() -> None:
    engine = make_engine("sqlite://")
    with wal.checkpoints_in_background(engine), engine.begin() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
    engine.dispose()
