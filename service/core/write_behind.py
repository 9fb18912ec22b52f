"""Writes behind: a unit of work's bulk statements run by a helper thread, in order, on the
unit's own connection and in its transaction, while the unit goes on with its Python work.

A deadline run writes tens of thousands of rows (suppressions, events, receipts, notices,
audit events) and spends about as long in Python (scoring, notices, hashing) as in SQLite's
statements. One after the other, the run takes the sum of the two; with its writes behind,
SQLite writes one batch of rows while Python makes the next, on the machine's second core:
the drivers let go of Python's lock (the GIL) while a statement runs.

Inside ``writes_behind(session)``:

- ``execute`` and ``execute_many`` queue a statement for the helper (outside the block, or on
  a connection without a helper, they run it at once: the code that calls them is the same
  either way);
- every other statement on the connection (a query, a flush, a savepoint, the commit) first
  waits until the queue is empty: it runs after every write queued before it, as it would
  without the helper, and the connection is used by one thread at a time;
- the block ends when every queued write has run. The first error of a queued write is
  raised by the next statement of the unit (or by the end of the block), and no write
  queued after it runs: the transaction is then to be rolled back, as it would be had the
  write failed at once. Nothing is dropped quietly: after that, a further write or
  statement in the block, and the block's end, raise ``WriteBehindFailed`` (a rollback
  does not: it undoes the writes).

SQLite's driver lets go of the GIL for the whole of one statement but takes it back between
the rows of an executemany, where a thread then waits for its turn (Python's switch
interval, 5 ms) at every row: on SQLite, an executemany queued here of an ``INSERT ...
VALUES (...)`` runs as inserts of many rows each (``MULTI_ROW_PARAMETERS``), and the other
statements queued are single statements (the callers make them so).
"""

import re
import sqlite3
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session

#: ``Connection.info`` key of the connection's helper while a block is open.
_KEY = "clearfile_write_behind"

#: Bound parameters in one statement of many rows on SQLite, at most: under SQLite's limit
#: of 32,766 (SQLite documentation, "Limits In SQLite", 9: SQLITE_MAX_VARIABLE_NUMBER, the
#: default since 3.32.0; a build's own lower limit is read from the connection). Rows of 13
#: values go 2,461 at a time: in one statement, 500 to 2,500 rows inserted as fast as an
#: executemany, row by row, did; and fewer statements are fewer waits for the GIL (below).
MULTI_ROW_PARAMETERS = 32_000

#: Python's switch interval while a block is open (``sys.setswitchinterval``; the default is
#: 5 ms: Python documentation, ``sys.setswitchinterval``). The helper thread waits for the GIL
#: after each of its statements while the caller runs Python, for up to the interval: 0.2-0.35
#: s of a 10,000-dispute deadline run's 1.3-1.9 s of statements, 0.10-0.17 s at 0.5 ms (its
#: wall time less its CPU time, 3 alternating pairs; ``bench_disputes``, issue 10).
SWITCH_INTERVAL_SECONDS = 0.0005

Job = Callable[[Connection], None]

#: Blocks open in the process (each on its own connection): while there are none, the
#: check every statement makes (``_drain_first``) ends at once, and the switch interval is
#: the process's own again.
_open_blocks = 0
_switch_interval_before = sys.getswitchinterval()
_count_lock = threading.Lock()


class WriteBehindFailed(RuntimeError):
    """A write queued behind the caller failed earlier (its error was raised then): nothing
    more can be queued or read in the block, whose transaction is to be rolled back."""


class WriteBehind:
    """One helper thread running a connection's queued writes, in order."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._jobs: deque[Job] = deque()
        self._changed = threading.Condition()
        self._running = False  # a job taken from the queue has not ended yet
        self._closing = False
        self._error: BaseException | None = None  # the first failure: later jobs are dropped
        self._raised = False  # the failure has been raised in the caller's thread
        self._thread = threading.Thread(target=self._run, name="clearfile-write-behind")
        self._thread.start()

    def submit(self, job: Job) -> None:
        with self._changed:
            if self._error is not None and self._raised:
                raise WriteBehindFailed("a write queued earlier failed") from self._error
            self._jobs.append(job)
            self._changed.notify_all()

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._jobs and not self._closing:
                    self._changed.wait()
                if not self._jobs:
                    return
                job = self._jobs.popleft()
                self._running = True
            failure: BaseException | None = None
            try:
                if self._error is None:
                    job(self._connection)
            except BaseException as error:  # raised in the unit's own thread by ``drain``
                failure = error
            finally:
                with self._changed:
                    if failure is not None:
                        self._error = failure
                    self._running = False
                    self._changed.notify_all()

    def drain(self, *, raising: bool = True) -> None:
        """Wait until every queued write has run. If one failed: raise its error the first
        time, ``WriteBehindFailed`` after that (unless not ``raising``: before a rollback,
        which undoes the writes anyway)."""
        if threading.get_ident() == self._thread.ident:
            return  # the helper's own statement
        with self._changed:
            while self._jobs or self._running:
                self._changed.wait()
            error, raised = self._error, self._raised
            if error is None or not raising:
                return
            self._raised = True
        if raised:
            raise WriteBehindFailed("a write queued earlier failed") from error
        raise error

    def close(self, *, discard: bool) -> None:
        """Stop the helper: after the queued writes have run, or (``discard``) as soon as the
        one running has ended, the rest dropped. Unless ``discard``, raises the first error
        of a write not raised yet."""
        with self._changed:
            if discard:
                self._jobs.clear()
            self._closing = True
            self._changed.notify_all()
        self._thread.join()
        if not discard:
            self.drain()


@contextmanager
def writes_behind(session: Session) -> Iterator[None]:
    """Inside the block, the writes queued by ``execute`` and ``execute_many`` on the
    session's connection run behind the caller (the module's docstring says how). A block
    inside another changes nothing."""
    connection = session.connection()
    if _KEY in connection.info:
        yield
        return
    global _open_blocks, _switch_interval_before
    writer = WriteBehind(connection)
    connection.info[_KEY] = writer
    with _count_lock:
        if not _open_blocks:
            _switch_interval_before = sys.getswitchinterval()
            sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
        _open_blocks += 1
    try:
        yield
    except BaseException:
        connection.info.pop(_KEY, None)
        writer.close(discard=True)
        raise
    else:
        connection.info.pop(_KEY, None)
        writer.close(discard=False)
    finally:
        with _count_lock:
            _open_blocks -= 1
            if not _open_blocks:
                sys.setswitchinterval(_switch_interval_before)


def _writer(connection: Connection) -> WriteBehind | None:
    writer: WriteBehind | None = connection.info.get(_KEY)
    return writer


def submit(connection: Connection, job: Job) -> None:
    """``job(connection)`` now, or behind the caller inside ``writes_behind``: for work on
    the driver's own connection (a ``COPY``), which no SQLAlchemy event sees."""
    writer = _writer(connection)
    if writer is None:
        job(connection)
    else:
        writer.submit(job)


def wait(connection: Connection) -> None:
    """Wait for the writes queued on ``connection`` (before using its driver's connection
    directly, which no SQLAlchemy event sees)."""
    writer = _writer(connection)
    if writer is not None:
        writer.drain()


def execute(connection: Connection, statement: Any, parameters: Any = None) -> None:
    """``connection.execute(statement, parameters)`` (a Core statement), behind the caller
    inside ``writes_behind``; its result is not kept."""

    def run(c: Connection) -> None:
        c.execute(statement, parameters)

    submit(connection, run)


#: An insert of one row of parameters: what comes before its row, the row, what follows.
_ONE_ROW_INSERT = re.compile(r"^(INSERT INTO .*\) VALUES )(\([?, ]+\))(.*)$", re.DOTALL)


def execute_many(
    connection: Connection,
    sql: str,
    rows: Sequence[Sequence[Any]],
    *,
    sqlite_rows: str | None = None,
) -> None:
    """``connection.exec_driver_sql(sql, rows)`` (an executemany straight to the driver),
    behind the caller inside ``writes_behind``. There, on SQLite, in statements of many rows
    each (the module's docstring says why): an ``INSERT ... VALUES (?, ...)`` by itself,
    another statement as ``sqlite_rows`` says, its ``{rows}`` standing for the rows'
    placeholders (``(?, ?), (?, ?)``), which must mean ``sql`` for each row."""
    if not rows:
        return
    writer = _writer(connection)
    if writer is None:
        connection.exec_driver_sql(sql, list(rows))
        return
    if connection.dialect.name == "sqlite":
        width = len(rows[0])
        one = "(" + ", ".join(["?"] * width) + ")"
        insert = _ONE_ROW_INSERT.match(sql)
        if sqlite_rows is None and insert is not None:
            sqlite_rows = insert.group(1) + "{rows}" + insert.group(3)
        if sqlite_rows is not None:
            limit = connection.connection.dbapi_connection.getlimit(  # type: ignore[union-attr]
                sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER
            )
            per = max(1, min(MULTI_ROW_PARAMETERS, limit) // width)
            for start in range(0, len(rows), per):
                part = rows[start : start + per]
                statement = sqlite_rows.replace("{rows}", ", ".join([one] * len(part)))
                flat = tuple(chain.from_iterable(part))
                writer.submit(_driver_sql(statement, flat))
            return
    writer.submit(_driver_sql(sql, list(rows)))


def _driver_sql(sql: str, parameters: Any) -> Job:
    def run(connection: Connection) -> None:
        connection.exec_driver_sql(sql, parameters)

    return run


def _open_writer(connection: Connection) -> WriteBehind | None:
    """The connection's helper if a block is open on it (the common case first: no block
    open in the process)."""
    if not _open_blocks or connection.closed or connection.invalidated:
        return None
    return _writer(connection)


def _drain_first(connection: Connection, *_args: Any) -> None:
    writer = _open_writer(connection)
    if writer is not None:
        writer.drain()


def _drain_before_rollback(connection: Connection, *_args: Any) -> None:
    writer = _open_writer(connection)
    if writer is not None:
        writer.drain(raising=False)


# Every statement of the unit's own thread (a query, a flush, the transaction's own
# statements) waits for the writes queued before it, on every engine; a rollback too, but
# it raises no failure of theirs (it undoes them).
for _name in ("before_cursor_execute", "commit", "savepoint", "release_savepoint"):
    event.listen(Engine, _name, _drain_first)
for _name in ("rollback", "rollback_savepoint"):
    event.listen(Engine, _name, _drain_before_rollback)
