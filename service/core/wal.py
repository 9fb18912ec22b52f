"""SQLite: a serving process's WAL checkpoints, made in a thread of their own.

Every commit appends the pages it changed to the WAL (a lender's pull about 15, a report
read about 5); SQLite copies them back into the database file (a checkpoint) once the WAL
holds ``wal_autocheckpoint`` pages, 1000 by default, in the connection that committed, and
with ``synchronous=NORMAL`` a checkpoint syncs the WAL and then the database file to disk.
A server process has one connection (``service.core.db.make_engine``) and does its
database work on the event loop (``service.core.deps.is_serial``), so each of those
checkpoints stalled every request in flight for two fsyncs: 5 to 40 ms on this machine's
shared disk, once every ~65 pulls. Timed in one process, a pull's commits stalled more than
5 ms for 60-540 us per pull on average (a report read's, at a third of the pages, 13-145 us),
up to twice the median commit itself (150-250 us).

In a serving process (``checkpoints_in_background``, from the app's lifespan) a thread
checkpoints instead, every ``CHECKPOINT_INTERVAL_SECONDS``, on a connection of its own:
PASSIVE, so it neither waits for nor holds up the writer, and it releases the GIL while
SQLite copies and syncs. The serving connection keeps an automatic checkpoint, at
``SERVING_AUTOCHECKPOINT_PAGES``, as the backstop that lets the WAL start over: SQLite
rewinds the WAL only when a write begins with every frame already copied, which the
thread's checkpoints, overlapping the requests' commits, seldom leave; the backstop's
checkpoint, on the event loop between two requests, copies what the thread has not yet
(little) and the next write rewinds. The WAL file so stays under that many pages, and the
event loop waits on a checkpoint once per that many pages instead of once per 1000.
Durability is unchanged: a commit is not synced either way (``synchronous=NORMAL``: a
power loss may lose the last commits, never the database), and each checkpoint syncs as
before.
"""

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, event

log = logging.getLogger("clearfile.wal")

#: How often the thread checkpoints (seconds). At a pull's ~15 pages and ~300 pulls a
#: second, a quarter second is ~1,100 pages: about what SQLite's default checkpoint would
#: copy at once, so the WAL holds no more than before between the thread's checkpoints.
CHECKPOINT_INTERVAL_SECONDS = 0.25

#: The serving connection's own automatic checkpoint (pages of the WAL; 4 KiB each): the
#: backstop that rewinds the WAL (see the module's docstring), ten times SQLite's default.
SERVING_AUTOCHECKPOINT_PAGES = 10_000


def _database_file(engine: Engine) -> str | None:
    """The SQLite database file of ``engine``, or None (another database, or in memory)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database


def _checkpoint_loop(path: str, stop: threading.Event) -> None:
    connection = sqlite3.connect(path, timeout=0, check_same_thread=True)
    try:
        while not stop.wait(CHECKPOINT_INTERVAL_SECONDS):
            try:
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error as exc:  # busy, say: the next turn tries again
                log.debug("background WAL checkpoint skipped: %s", exc)
    finally:
        connection.close()


@contextlib.contextmanager
def checkpoints_in_background(engine: Engine) -> Iterator[None]:
    """While inside, a thread makes ``engine``'s WAL checkpoints (a SQLite file database;
    nothing otherwise), and the connections ``engine`` opens from now on checkpoint
    themselves only at ``SERVING_AUTOCHECKPOINT_PAGES`` (a serving process opens its one
    connection with the first request, after this has begun; one already open keeps
    SQLite's default, and so checkpoints as before)."""
    path = _database_file(engine)
    if path is None:
        yield
        return

    def _backstop(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={SERVING_AUTOCHECKPOINT_PAGES}")

    event.listen(engine, "connect", _backstop)
    stop = threading.Event()
    thread = threading.Thread(
        target=_checkpoint_loop, args=(path, stop), name="clearfile-wal-checkpoint", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        event.remove(engine, "connect", _backstop)
