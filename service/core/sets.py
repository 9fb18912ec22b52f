"""``column IN`` a list of many values, as one parameter: the whole list bound once.

An expanding ``IN`` (``column.in_(values)``) is rendered anew for each list, one placeholder
per value: for the thousands of ids of a deadline run's batch, SQLAlchemy names and binds each
value, and SQLite prepares a statement thousands of terms long each time. ``in_values`` binds
the list as one value instead: on SQLite a JSON array read by ``json_each`` (SQLite
documentation, "The json_each() and json_tree() table-valued functions"), on PostgreSQL an
array compared with ``= ANY`` (PostgreSQL 15 documentation, 9.24.3). The statement's text is
the same for any list, so it is compiled and prepared once; both databases still find the
rows by the column's index.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Text, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine

from service.core.bulk import dumps


class TextList(TypeDecorator[Sequence[str]]):
    """A list of text values bound as one parameter: a PostgreSQL ``text[]``; elsewhere its
    JSON text (an array of strings)."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(Text()))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Sequence[str] | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return list(value)
        return dumps(list(value))


class _in_values(FunctionElement[bool]):  # noqa: N801 - a SQL construct's name
    """``column IN`` the list: a condition, not a boolean value (no type, so that SQLite
    is not made to compare it with 1)."""

    inherit_cache = True
    name = "in_values"


@compiles(_in_values)
def _in_json_each(element: _in_values, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = list(element.clauses)
    each = func.json_each(values).table_valued("value")
    return compiler.process(column.in_(select(each.c.value)), **kw)


@compiles(_in_values, "postgresql")
def _equals_any(element: _in_values, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = list(element.clauses)
    return f"{compiler.process(column, **kw)} = ANY({compiler.process(values, **kw)})"


def in_values(
    column: ColumnElement[Any] | InstrumentedAttribute[Any],
    values: Sequence[str] | BindParameter[Any],
) -> ColumnElement[bool]:
    """``column IN values`` with the list bound as one parameter (``TextList``): the values
    themselves, or a ``values_param`` to give at execution."""
    param = (
        values
        if isinstance(values, BindParameter)
        else bindparam(None, list(values), type_=TextList())
    )
    return _in_values(column, param)


def values_param(name: str) -> BindParameter[Sequence[str]]:
    """A named parameter for ``in_values`` in a statement compiled once, given at execution."""
    return bindparam(name, type_=TextList())
