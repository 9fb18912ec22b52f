"""The scoring domain's SQL: receipts, and the batch scorer's chunked reads of the file.

The batch reads (``*_rows_between``) are Core selects over the file's tables for a range of
subjects, run on the session's connection: one statement per table and chunk, plain rows,
dates as ISO text (``CAST(... AS VARCHAR)`` gives ``YYYY-MM-DD`` on SQLite and PostgreSQL
alike) and each account's receipt record built by the database as JSON text, so that a chunk
of subjects costs three queries, no ORM object and no JSON encoding in Python. They only
read; which items are on the file is decided by the file rules, in ``service.jobs.score_all``.
Rows come in no set order (no ``ORDER BY``): ``score_all`` groups them by subject, a stable
sort of small integers in Python, and the characteristics do not depend on the order within a
subject. On PostgreSQL the order cost a sort of every chunk's accounts, their JSON text
included, which spilled to disk past ``work_mem`` (issue 15); a population loaded in id order
comes back grouped already.
"""

from collections.abc import Sequence
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    String,
    Text,
    bindparam,
    cast,
    func,
    insert,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from service.core import write_behind
from service.core.bulk import COPY_FROM_ROWS, copy_text, copy_text_column, copy_text_value
from service.core.pagination import older_than
from service.core.prepared import PreparedInsert
from service.core.sets import in_values
from service.file.models import Inquiry, PublicRecord
from service.furnishing.models import Account
from service.principals.models import Subject
from service.scoring.models import ScoreReceipt

# --- receipts ------------------------------------------------------------------------------


#: A receipt's insert, compiled once per dialect: through ``Session.execute`` the ORM's
#: insert path (the statement's cache key, the bulk-insert machinery) took about a tenth of
#: a score request's time under 32 clients, more than the receipt's JSON and the insert.
_INSERT_RECEIPT = PreparedInsert(ScoreReceipt.__table__, ScoreReceipt.__table__.columns.keys())


def add_receipt(session: Session, receipt: ScoreReceipt) -> None:
    """Insert the receipt in one statement (a score's hot path needs no ORM unit of work
    for it; ``receipt`` stays a plain object, not in the session)."""
    _INSERT_RECEIPT.execute(
        session, [{name: getattr(receipt, name) for name in _INSERT_RECEIPT.columns}]
    )


def receipt_of_subject(session: Session, subject_id: str, receipt_id: str) -> ScoreReceipt | None:
    stmt = select(ScoreReceipt).where(
        ScoreReceipt.subject_id == subject_id, ScoreReceipt.id == receipt_id
    )
    return session.scalars(stmt).first()


def receipts_of_subject(
    session: Session, subject_id: str, *, before: tuple[datetime, str] | None, limit: int
) -> Sequence[ScoreReceipt]:
    """Newest first (computed_at, then id, both descending), after the keyset ``before``."""
    stmt = select(ScoreReceipt).where(
        ScoreReceipt.subject_id == subject_id,
        older_than(ScoreReceipt.computed_at, ScoreReceipt.id, before),
    )
    stmt = stmt.order_by(ScoreReceipt.computed_at.desc(), ScoreReceipt.id.desc()).limit(limit)
    return session.scalars(stmt).all()


# --- the batch scorer's reads --------------------------------------------------------------


def count_subjects(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Subject)).scalar_one())


def subject_ids_after(session: Session, after: str | None, limit: int) -> list[str]:
    """The next ``limit`` subject ids in id order (keyset)."""
    stmt = select(Subject.id).order_by(Subject.id).limit(limit)
    if after is not None:
        stmt = stmt.where(Subject.id > after)
    return [row[0] for row in _rows(session, stmt)]


def _postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _text(session: Session, column: Any) -> Any:
    """A DATE as ``YYYY-MM-DD`` text (what SQLite holds already; PostgreSQL casts it)."""
    if _postgresql(session):
        return cast(column, String)
    return type_coerce(column, String)


def _json_array(session: Session, *columns: Any) -> Any:
    """The columns as one JSON array, as text, computed by the database (dates become
    ``YYYY-MM-DD`` strings on both)."""
    if _postgresql(session):
        return cast(func.json_build_array(*columns), Text)
    return func.json_array(*columns)


def _utc_day(session: Session, column: Any) -> Any:
    """The UTC day of a ``UTCDateTime`` as ``YYYY-MM-DD`` text (SQLite holds UTC text)."""
    if _postgresql(session):
        return cast(cast(func.timezone("UTC", column), Date), String)
    return func.substr(column, 1, 10)


def _rows(session: Session, stmt: Any) -> list[tuple[Any, ...]]:
    """The rows of a Core select as the driver returns them (plain tuples: no ORM layer, no
    Row objects; the batch selects only text and integers, which need no conversion)."""
    result = session.connection().execute(stmt)
    try:
        rows: list[tuple[Any, ...]] = list(result.cursor.fetchall())
    finally:
        result.close()
    return rows


def _account_columns(session: Session) -> tuple[Any, ...]:
    """The batch row of an account (see ``account_rows_between``)."""
    return (
        Account.subject_id,
        _json_array(
            session,
            Account.account_type,
            Account.opened_on,
            Account.credit_limit_cents,
            Account.original_amount_cents,
            Account.balance_cents,
            Account.past_due_cents,
            Account.status,
            Account.payment_history,
            Account.date_of_first_delinquency,
            Account.closed_on,
            Account.as_of,
        ),
        Account.status
        + Account.payment_history
        + _text(session, Account.opened_on)
        + _text(session, Account.as_of),
        Account.account_type,
        Account.credit_limit_cents,
        Account.balance_cents,
        _text(session, Account.date_of_first_delinquency),
        _text(session, Account.closed_on),
    )


def account_rows_between(session: Session, first: str, last: str) -> list[tuple[Any, ...]]:
    """Every account of the subjects whose id is in ``[first, last]``, in no set order:
    ``(subject_id, inputs, packed, account_type, credit_limit_cents, balance_cents,
    date_of_first_delinquency, closed_on)``, ``inputs`` being the JSON array of
    ``receipts.ACCOUNT_FIELDS``, ``packed`` the fixed-width fields of
    ``engine.columns.PACKED_*``, and the dates ``YYYY-MM-DD`` text."""
    stmt = select(*_account_columns(session)).where(
        Account.subject_id >= first,
        Account.subject_id <= last,
    )
    return _rows(session, stmt)


def inquiry_rows_between(
    session: Session, first: str, last: str, *, since: date
) -> list[tuple[Any, ...]]:
    """``(subject_id, day, kind)`` of the inquiries made on or after the UTC day ``since`` by
    the subjects in ``[first, last]`` (``day`` the UTC day as text), in no set order.

    The day is compared as the text the row gives (``at >= since``'s midnight, exactly):
    no index matches it, so the database reads the chunk's inquiries by subject and filters
    them. A condition on ``at`` itself let PostgreSQL AND the subject range with a scan of
    ``ix_inquiries_at`` (nearly every inquiry is recent), which at 1,000,000 subjects cost
    0.3 s a chunk, 15 times the read of its inquiries (issue 15): without statistics, and
    with them too once psycopg prepares the statement, whose generic plan cannot see that
    the day lets nearly every row through."""
    day = _utc_day(session, Inquiry.at)
    stmt = select(Inquiry.subject_id, day, Inquiry.kind).where(
        Inquiry.subject_id >= first, Inquiry.subject_id <= last, day >= since.isoformat()
    )
    return _rows(session, stmt)


def public_record_rows_between(session: Session, first: str, last: str) -> list[tuple[Any, ...]]:
    """``(subject_id, chapter, status, filed_on)`` of the bankruptcies of the subjects in
    ``[first, last]``, in no set order (``filed_on`` as text)."""
    stmt = select(
        PublicRecord.subject_id,
        PublicRecord.chapter,
        PublicRecord.status,
        _text(session, PublicRecord.filed_on),
    ).where(PublicRecord.subject_id >= first, PublicRecord.subject_id <= last)
    return _rows(session, stmt)


# --- the files of a set of subjects, in the report's order ------------------------------------
#
# For a rescore after a change (a deadline run): the rows of ``account_rows_between`` and the
# others, for any set of subjects, each with its item id (the file domain may have taken the
# item off the file) and in the order the report lists them, so that each receipt's inputs are
# the ones ``file_input`` would give.


def account_rows_of(session: Session, subject_ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """``(id, *account_rows_between's row)`` of the subjects' accounts, by subject, each
    subject's in the report's order (opened on, then id)."""
    stmt = (
        select(Account.id, *_account_columns(session))
        .where(in_values(Account.subject_id, subject_ids))
        .order_by(Account.subject_id, Account.opened_on, Account.id)
    )
    return _rows(session, stmt)


def inquiry_rows_of(session: Session, subject_ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """``(id, subject_id, day, kind)`` of the subjects' inquiries (``day`` the UTC day as
    text), by subject, each subject's newest first, ties by id."""
    stmt = (
        select(Inquiry.id, Inquiry.subject_id, _utc_day(session, Inquiry.at), Inquiry.kind)
        .where(in_values(Inquiry.subject_id, subject_ids))
        .order_by(Inquiry.subject_id, Inquiry.at.desc(), Inquiry.id)
    )
    return _rows(session, stmt)


def public_record_rows_of(session: Session, subject_ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """``(id, subject_id, chapter, status, filed_on)`` of the subjects' bankruptcies, by
    subject, each subject's newest first, ties by id."""
    stmt = (
        select(
            PublicRecord.id,
            PublicRecord.subject_id,
            PublicRecord.chapter,
            PublicRecord.status,
            _text(session, PublicRecord.filed_on),
        )
        .where(in_values(PublicRecord.subject_id, subject_ids))
        .order_by(PublicRecord.subject_id, PublicRecord.filed_on.desc(), PublicRecord.id)
    )
    return _rows(session, stmt)


#: The receipt columns that hold JSON.
JSON_COLUMNS = ("inputs", "characteristics", "factors", "reasons", "no_score_reasons")
#: The receipt columns that differ from row to row in a batch, in the order of its rows.
BATCH_COLUMNS = ("id", "subject_id", "score", *JSON_COLUMNS)


def insert_encoded_receipts(
    session: Session, rows: Sequence[Sequence[Any]], *, same: dict[str, Any]
) -> None:
    """Bulk insert receipts: ``rows`` hold the ``BATCH_COLUMNS`` (the JSON ones as JSON text
    already, stored as it is), ``same`` the columns every row shares.

    On PostgreSQL one ``COPY`` of text assembled here (``_copy_receipts``); elsewhere one
    executemany straight to the driver: the statement is compiled once, the shared values
    go through their column types once, and the rows are passed as they are (no per-row
    parameter processing: the batch inserts a whole chunk at a time).
    """
    if not rows:
        return
    if _postgresql(session) and len(rows) >= COPY_FROM_ROWS:  # COPY: the JSON text as it is
        _copy_receipts(session, rows, same)
        return
    connection = session.connection()
    dialect = connection.dialect
    table = ScoreReceipt.__table__
    values: dict[str, Any] = {}
    for name in (*BATCH_COLUMNS, *same):
        param = bindparam(name, type_=Text if name in JSON_COLUMNS else table.c[name].type)
        values[name] = cast(param, JSON) if name in JSON_COLUMNS and _postgresql(session) else param
    compiled = insert(ScoreReceipt).values(values).compile(dialect=dialect)
    constants: dict[str, Any] = {}
    for name, value in same.items():
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        constants[name] = process(value) if process is not None else value
    params: list[Any]
    if compiled.positiontup is not None:  # e.g. SQLite's "?": tuples in the statement's order
        names = [*BATCH_COLUMNS, *constants]
        shared = tuple(constants.values())
        pick = itemgetter(*(names.index(n) for n in compiled.positiontup))
        params = [pick((*row, *shared)) for row in rows]
    else:  # e.g. psycopg's "%(name)s": mappings
        params = [dict(zip(BATCH_COLUMNS, row, strict=True), **constants) for row in rows]
    write_behind.execute_many(connection, str(compiled), params)


def _copy_receipts(session: Session, rows: Sequence[Sequence[Any]], same: dict[str, Any]) -> None:
    """``insert_encoded_receipts`` on PostgreSQL: one ``COPY`` whose text is assembled here,
    a line per receipt, the shared values written once (``copy_tuples`` formatted every
    value of every row, the shared moment and day too: most of the batch's writing time)."""
    ids, subjects, scores, *texts = (list(column) for column in zip(*rows, strict=True))
    escaped = [copy_text_column(column) for column in (ids, subjects, *texts)]
    tail = "".join("\t" + copy_text_value(value) for value in same.values())
    null = copy_text_value(None)
    lines = [
        f"{i}\t{s}\t{null if score is None else score}\t{a}\t{b}\t{c}\t{d}\t{e}{tail}\n"
        for i, s, score, a, b, c, d, e in zip(*escaped[:2], scores, *escaped[2:], strict=True)
    ]
    copy_text(session, ScoreReceipt.__table__, [*BATCH_COLUMNS, *same], "".join(lines))
