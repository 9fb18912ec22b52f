"""Bulk inserts for jobs: Core ``INSERT`` statements of many rows, in chunks.

Only a domain's queries module calls this, for its own tables.
"""

import functools
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from operator import itemgetter
from typing import Any, Final

from sqlalchemy import JSON, Connection, Text, bindparam, cast, insert
from sqlalchemy.orm import Session

from service.core import write_behind
from service.core.prepared import compiled_once

#: Rows per INSERT statement.
CHUNK_ROWS = 5_000

#: From how many rows a batch insert on PostgreSQL goes by ``COPY`` (``copy_tuples``) rather
#: than an executemany of INSERTs: a COPY is one statement for the server, where an
#: executemany, pipelined by psycopg, is still one INSERT executed per row.
COPY_FROM_ROWS = 100


def insert_rows(session: Session, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts of column values) into ``table``, ``CHUNK_ROWS`` at a time, in
    the caller's transaction."""
    for start in range(0, len(rows), CHUNK_ROWS):
        session.execute(insert(table), list(rows[start : start + CHUNK_ROWS]))


_UNHASHABLE = (dict, list)


def _make_dumps() -> Callable[[Any], str]:
    """``json.dumps`` with its default arguments (SQLAlchemy's JSON serializer), the very
    text, by one C encoder made once: ``json.dumps`` makes a new one for every value, which
    costs more than encoding a small object. Plain ``json.dumps`` where the interpreter has
    no C encoder."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython has it
        return json.dumps
    encode = make(
        None,  # no check for circular references: a value to store is a tree
        json.JSONEncoder().default,  # what cannot be encoded raises TypeError
        json.encoder.encode_basestring_ascii,
        None,  # no indent
        ": ",
        ", ",
        False,  # keys in their order
        False,  # a key JSON cannot write (not text, number, bool or None) raises TypeError
        True,  # NaN and infinities as json.dumps writes them
    )

    def dumps(value: Any) -> str:
        return "".join(encode(value, 0))

    return dumps


#: The JSON text ``json.dumps(value)`` gives (a property test compares them).
dumps = _make_dumps()


def _json_text(value: Any) -> str | None:
    """A JSON column's value as the JSON text psycopg's ``Json`` would send, and
    SQLAlchemy's JSON type would store as text on SQLite (None: NULL)."""
    return None if value is None else dumps(value)


def _bound(process: Any, column: Sequence[Any]) -> list[Any]:
    """``process`` applied to every value of a column, once per distinct value (a bulk
    load's timestamps are mostly one moment, its ``now``; its rows often share one list),
    told apart by value, or by identity for a dict or list (the column holds them all alive
    meanwhile)."""
    if not column:
        return []
    if isinstance(column[0], _UNHASHABLE):
        by_id: dict[int, Any] = {}
        return [
            by_id[id(v)] if id(v) in by_id else by_id.setdefault(id(v), process(v)) for v in column
        ]
    done: dict[Any, Any] = {}
    out = []
    for v in column:
        try:
            out.append(done[v])
        except KeyError:
            out.append(done.setdefault(v, process(v)))
    return out


def insert_tuples(
    session: Session,
    table: Any,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    same: dict[str, Any] | None = None,
    json_text: bool = False,
    encoded: Collection[str] = (),
) -> None:
    """Insert ``rows`` (tuples of the values of ``columns``, in that order), each with the
    values of ``same`` (columns every row shares), into ``table`` in one executemany straight
    to the driver, in the caller's transaction. The statement is compiled once; each value
    goes through its column type's bind processing (a JSON column's value is encoded, a
    timestamp made the text SQLite stores) column by column, a shared value once, without
    SQLAlchemy's per-row parameter handling. With ``json_text``, a JSON column's values
    are encoded here as ``json.dumps`` encodes them (``dumps``: the text SQLAlchemy's JSON
    type makes) and sent as that text, a value several rows share encoded once. The JSON
    columns named in ``encoded`` are given as JSON text already (a model's
    ``model_dump_json``), stored as it is. For the large bulk writes of a job or a deadline
    run."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    shared = dict(same or {})
    names = [*columns, *shared]
    as_text = set(encoded)
    if json_text:
        as_text |= {name for name in columns if isinstance(table.c[name].type, JSON)}
    compiled = compiled_once(
        _insert_statement(table, tuple(names), frozenset(as_text), dialect.name), dialect
    )
    positions = getattr(compiled, "positiontup", None)

    def processor(name: str) -> Any:
        return table.c[name].type.dialect_impl(dialect).bind_processor(dialect)

    values: list[Sequence[Any]] = list(zip(*rows, strict=True))
    for k, name in enumerate(columns):
        if name in encoded:
            continue  # JSON text already: sent as it is
        process = (
            _json_text if json_text and isinstance(table.c[name].type, JSON) else processor(name)
        )
        if process is not None:
            values[k] = _bound(process, values[k])
    for name, value in shared.items():
        process = processor(name)
        values.append([process(value) if process is not None else value] * len(rows))
    params: list[Any]
    if positions is not None:  # e.g. SQLite's "?": tuples in the statement's order
        params = list(zip(*(values[names.index(name)] for name in positions), strict=True))
    else:  # e.g. psycopg's "%(name)s": mappings
        params = [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]
    write_behind.execute_many(connection, str(compiled), params)


@functools.cache
def _insert_statement(
    table: Any, names: tuple[str, ...], as_text: frozenset[str], dialect_name: str
) -> Any:
    """``insert_tuples``' statement for these columns: one object for each combination (the
    code's own, a few dozen), so that ``compiled_once`` compiles it once per dialect.
    Compiling it anew took about a quarter of the CPU of a group writer's batch of a few
    events (issue 15)."""
    return insert(table).values(
        {
            name: _encoded_param(name, table.c[name].type, dialect_name)
            if name in as_text
            else bindparam(name, type_=table.c[name].type)
            for name in names
        }
    )


def _encoded_param(name: str, type_: Any, dialect_name: str) -> Any:
    """The parameter of a JSON column given as JSON text: bound as text, and on PostgreSQL
    cast to the column's type (SQLite keeps JSON as text)."""
    if not isinstance(type_, JSON):
        raise ValueError(f"{name} is not a JSON column: only JSON can be given encoded")
    param = bindparam(name, type_=Text)
    return cast(param, type_) if dialect_name == "postgresql" else param


def _processed(
    dialect: Any,
    table: Any,
    columns: Sequence[str],
    rows: Sequence[Any],
    *,
    json_text: bool = False,
) -> list[Any]:
    """The columns of ``rows`` (tuples in ``columns``' order) through their column types'
    bind processing (a JSON value encoded, a timestamp made what the driver takes), as
    lists, one per column. With ``json_text``, a JSON column's values are made their JSON
    text by ``json.dumps`` itself (for a ``COPY``, which takes text as it is: the very text
    psycopg's ``Json`` wrapper, SQLAlchemy's bind processing, would send, without a
    wrapper and a dumper per value; a list or dict shared by many rows encoded once)."""
    values: list[Any] = [list(column) for column in zip(*rows, strict=True)]
    for k, name in enumerate(columns):
        if json_text and isinstance(table.c[name].type, JSON):
            values[k] = _bound(_json_text, values[k])
            continue
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            values[k] = _bound(process, values[k])
    return values


def load_rows(session: Session, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Load ``rows`` (dicts, every one with the same keys: all the columns a row needs, since
    no Python-side default is applied) into ``table`` the fastest way the driver has, in the
    caller's transaction: on PostgreSQL ``COPY ... FROM STDIN`` through psycopg's
    ``cursor.copy``; elsewhere (SQLite) one executemany straight to the driver
    (``insert_tuples``). The database's own defaults and triggers apply either way. For the
    large loads of a job (a population)."""
    if not rows:
        return
    columns = list(rows[0])
    pick = itemgetter(*columns)
    tuples = [pick(row) for row in rows] if len(columns) > 1 else [(pick(r),) for r in rows]
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        insert_tuples(session, table, columns, tuples, json_text=True)
        return
    values = _processed(connection.dialect, table, columns, tuples, json_text=True)
    copy_tuples(session, table, columns, list(zip(*values, strict=True)))


def copy_tuples(
    session: Session, table: Any, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """PostgreSQL only: ``COPY table (columns) FROM STDIN`` of ``rows`` (tuples of values the
    driver takes as they are: a JSON column's value as JSON text or psycopg's ``Json``),
    through psycopg's ``cursor.copy`` on the session's connection, in its transaction. Row
    triggers and defaults apply as for an INSERT."""
    with _copy_from_stdin(session, table, columns) as copy:
        write = copy.write_row
        for row in rows:
            write(row)


@contextmanager
def _copy_from_stdin(session: Session, table: Any, columns: Sequence[str]) -> Iterator[Any]:
    """psycopg's ``Copy`` of ``COPY table (columns) FROM STDIN`` on the session's
    connection, in its transaction."""
    connection = session.connection()
    write_behind.wait(connection)  # the driver's connection is used here, not through SQLAlchemy
    with _copy_on(connection, table, columns) as copy:
        yield copy


@contextmanager
def _copy_on(connection: Connection, table: Any, columns: Sequence[str]) -> Iterator[Any]:
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    target = connection.dialect.identifier_preparer.format_table(table)
    raw: Any = connection.connection.dbapi_connection  # a psycopg Connection
    if raw is None:  # pragma: no cover - a session's connection is checked out
        raise RuntimeError("no driver connection")
    with raw.cursor() as cursor, cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
        yield copy


#: How ``COPY``'s text format writes NULL, and the characters a value must have escaped there
#: (backslash, and the newline, carriage return and tab that end a row or a field:
#: PostgreSQL 15 documentation, COPY, "Text Format").
COPY_NULL: Final = "\\N"
_COPY_ESCAPES: Final = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def copy_text_column(values: Sequence[str]) -> Sequence[str]:
    """``values`` as fields of ``COPY``'s text format: as they are when none holds a
    character to escape (ids and JSON text hold none but for a backslash in a JSON string),
    which is looked for in the whole column at once; otherwise each escaped."""
    joined = "".join(values)
    if "\\" in joined or "\n" in joined or "\r" in joined or "\t" in joined:
        return [v.translate(_COPY_ESCAPES) for v in values]
    return values


def copy_text_value(value: Any) -> str:
    """One value as a field of ``COPY``'s text format: NULL, text (escaped), a whole number,
    a day, or an aware moment (ISO 8601, which PostgreSQL reads with its offset)."""
    if value is None:
        return COPY_NULL
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to COPY")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"no COPY text for {type(value).__name__}")


def copy_text(session: Session, table: Any, columns: Sequence[str], text: str) -> None:
    """PostgreSQL only: ``COPY table (columns) FROM STDIN`` of ``text``, lines of ``COPY``'s
    text format (a row each, a field per column, each field escaped: ``copy_text_column``,
    ``copy_text_value``), sent as one block on the session's connection, in its
    transaction: the rows cost no Python call each, where ``copy_tuples`` formats them value
    by value. Row triggers and defaults apply as for an INSERT."""
    if not text:
        return

    def run(connection: Connection) -> None:
        with _copy_on(connection, table, columns) as copy:
            copy.write(text)

    write_behind.submit(session.connection(), run)
