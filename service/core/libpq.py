"""A hot read sent straight to the driver (PostgreSQL): one prepared ``SELECT`` per connection,
executed through libpq itself where it can be, its row loaded by psycopg's own loaders.

A psycopg cursor's ``execute`` spends, for a one-row read, most of its time in Python: the
cursor, its prepared-statement cache, each parameter's adaptation, the non-blocking
protocol stepped by a generator. On this machine a prepared one-row ``SELECT`` took 110 us
of CPU and 148 us of wall time that way, and 35 us of CPU and 71 us of wall time through
psycopg's documented libpq wrapper (``Connection.pgconn``, ``psycopg.pq``), with the row
loaded by psycopg's ``Transformer`` (``psycopg.adapt``: the loaders a cursor uses, so the
values are the same). Every request a server answers begins with such a read (the caller's
key, ``service.principals.queries``), on the event loop for a read-only unit of work, whose
connection is in autocommit.

libpq runs it only on a connection in autocommit and outside pipeline mode: there a failed
statement aborts nothing, so a connection that forgot the statement (``DEALLOCATE ALL``)
has it prepared again and run. Inside a transaction (or at its start, where psycopg sends
the ``BEGIN`` before a cursor's first statement and libpq would not) it runs through a
psycopg cursor, as a prepared statement, where psycopg's own bookkeeping keeps it right.
When either reports an error, ``first`` answers ``UNAVAILABLE`` and the caller runs the
statement through SQLAlchemy, whose error (a connection lost, say) is then its own, with
the pool's handling of it.
"""

from collections.abc import Mapping
from typing import Any, Final

import psycopg
from psycopg import pq
from psycopg.adapt import Transformer
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from service.core.prepared import compiled_once

#: ``first``'s answer when the driver refused the statement: the caller runs it another way.
UNAVAILABLE: Final = object()

#: SQLSTATE 26000, invalid_sql_statement_name: the connection no longer knows the statement
#: (``DEALLOCATE`` or ``DISCARD ALL`` ran on it).
_UNKNOWN_STATEMENT = b"26000"
#: SQLSTATE 42P05, duplicate_prepared_statement: the connection knows it already.
_KNOWN_STATEMENT = b"42P05"

#: Where a pooled connection's record keeps the names of the statements libpq prepared on it.
_PREPARED = "clearfile_libpq_prepared"

#: The PostgreSQL dialect with ``$1`` parameters, the form ``PQprepare`` takes.
_DOLLAR = postgresql.psycopg.dialect(paramstyle="numeric_dollar")  # type: ignore[no-untyped-call]


class PreparedSelect:
    """``statement`` (a module-level SELECT), prepared as ``name`` on each PostgreSQL
    connection that runs it through libpq, its first row read."""

    def __init__(self, statement: Any, name: str) -> None:
        compiled = statement.compile(dialect=_DOLLAR)
        self.statement = statement
        self.name = name.encode("ascii")
        self.sql = str(compiled).encode("utf-8")
        self.order: tuple[str, ...] = tuple(compiled.positiontup or ())
        self.defaults: Mapping[str, Any] = compiled.params

    def first(self, connection: Connection, params: Mapping[str, Any]) -> Any:
        """The first row as a tuple of psycopg's values, None without one, or
        ``UNAVAILABLE``."""
        fairy = connection.connection
        driver: Any = fairy.dbapi_connection
        pgconn = getattr(driver, "pgconn", None)
        if pgconn is None:
            return UNAVAILABLE
        values = {**self.defaults, **params}
        if (
            driver.autocommit
            and pgconn.transaction_status == pq.TransactionStatus.IDLE
            and pgconn.pipeline_status == pq.PipelineStatus.OFF
        ):
            prepared: set[bytes] = fairy.info.setdefault(_PREPARED, set())
            return self._through_libpq(driver, pgconn, prepared, values)
        compiled = compiled_once(self.statement, connection.dialect)
        try:
            with driver.cursor() as cursor:
                cursor.execute(str(compiled), values, prepare=True)
                return cursor.fetchone()
        except psycopg.Error:
            return UNAVAILABLE

    def _through_libpq(
        self, driver: Any, pgconn: Any, prepared: set[bytes], params: Mapping[str, Any]
    ) -> Any:
        values = [self._text(params[name]) for name in self.order]
        if self.name not in prepared:
            if not self._prepare(pgconn):
                return UNAVAILABLE
            prepared.add(self.name)
        result = pgconn.exec_prepared(self.name, values)
        if (
            result.status == pq.ExecStatus.FATAL_ERROR
            and result.error_field(pq.DiagnosticField.SQLSTATE) == _UNKNOWN_STATEMENT
            and self._prepare(pgconn)
        ):
            result = pgconn.exec_prepared(self.name, values)
        if result.status != pq.ExecStatus.TUPLES_OK:
            prepared.discard(self.name)
            return UNAVAILABLE
        if result.ntuples == 0:
            return None
        loader = Transformer(driver)
        loader.set_pgresult(result)
        return loader.load_row(0, tuple)

    def _prepare(self, pgconn: Any) -> bool:
        """Whether the connection now knows the statement."""
        result = pgconn.prepare(self.name, self.sql)
        return bool(
            result.status == pq.ExecStatus.COMMAND_OK
            or result.error_field(pq.DiagnosticField.SQLSTATE) == _KNOWN_STATEMENT
        )

    @staticmethod
    def _text(value: Any) -> bytes | None:
        """A parameter in PostgreSQL's text format (the statement casts each one)."""
        return None if value is None else str(value).encode("utf-8")
