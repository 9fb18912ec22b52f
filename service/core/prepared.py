"""Inserts compiled once and sent straight to the driver: for the rows a request writes on
its hot path (a lender's pull writes an inquiry and its events on every call).

Executing a Core ``INSERT`` costs SQLAlchemy, on every call, the statement's cache key and
its per-parameter processing; for a row or two that is most of the insert's cost. A
``PreparedInsert`` compiles its statement once per dialect and hands each call's values,
each through its column's bind processing (a JSON column's value encoded, a timestamp made
the text SQLite stores), to ``exec_driver_sql``: the same SQL and values as the Core insert,
in the caller's transaction, still seen by the engine's statement events.

Only a domain's queries module uses one, for its own table. ``compiled_once`` is the same
once-per-dialect compilation for any statement a queries module sends to the driver itself.
"""

import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert
from sqlalchemy.engine import Compiled, Dialect
from sqlalchemy.orm import Session

_COMPILED: "weakref.WeakKeyDictionary[Dialect, dict[Any, Compiled]]" = weakref.WeakKeyDictionary()


def compiled_once(statement: Any, dialect: Dialect) -> Compiled:
    """``statement`` (a module-level one: it is kept by identity) compiled for the dialect
    once: its text as the dialect's driver takes it (``str``), its parameters' defaults
    (``params``), its positional order where the driver takes ``?``."""
    by_statement = _COMPILED.get(dialect)
    if by_statement is None:
        by_statement = _COMPILED[dialect] = {}
    found = by_statement.get(statement)
    if found is None:
        found = by_statement[statement] = statement.compile(dialect=dialect)
    return found


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    #: Each column's bind processing, if it has any.
    processors: Mapping[str, Callable[[Any], Any]]
    #: The columns, and their bind processing, in the order of the statement's positional
    #: parameters (SQLite's ``?``); None where the driver takes named parameters
    #: (psycopg's ``%(name)s``).
    positional: tuple[tuple[str, Callable[[Any], Any] | None], ...] | None


class PreparedInsert:
    """``INSERT INTO table (columns) VALUES (...)``, for rows given as mappings of those
    columns' values."""

    def __init__(self, table: Any, columns: Sequence[str]) -> None:
        self.table = table
        self.columns = tuple(columns)
        self._by_dialect: weakref.WeakKeyDictionary[Dialect, _Compiled] = (
            weakref.WeakKeyDictionary()
        )

    def _compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect)
        if found is None:
            statement = insert(self.table).values(
                {name: bindparam(name, type_=self.table.c[name].type) for name in self.columns}
            )
            compiled = statement.compile(dialect=dialect)
            processors = {}
            for name in self.columns:
                impl = self.table.c[name].type.dialect_impl(dialect)
                process = impl.bind_processor(dialect)
                if process is not None:
                    processors[name] = process
            positions = getattr(compiled, "positiontup", None)
            found = _Compiled(
                sql=str(compiled),
                processors=processors,
                positional=None
                if positions is None
                else tuple((name, processors.get(name)) for name in positions),
            )
            self._by_dialect[dialect] = found
        return found

    def execute(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert ``rows`` in one statement (an executemany for more than one), in the
        session's transaction, after its pending writes."""
        if not rows:
            return
        session.flush()  # the session's pending writes go first, in order
        connection = session.connection()
        compiled = self._compiled(connection.dialect)
        params: list[Any]
        if compiled.positional is not None:
            positional = compiled.positional
            params = [
                tuple([row[name] if p is None else p(row[name]) for name, p in positional])
                for row in rows
            ]
        else:
            processors = compiled.processors
            params = [
                {
                    name: (processors[name](row[name]) if name in processors else row[name])
                    for name in self.columns
                }
                for row in rows
            ]
        connection.exec_driver_sql(compiled.sql, params[0] if len(params) == 1 else params)
