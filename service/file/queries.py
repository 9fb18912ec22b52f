"""The file domain's SQL: inquiries and public records."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.orm import Session

from service.core import write_behind
from service.core.bulk import insert_tuples, load_rows
from service.core.prepared import PreparedInsert
from service.core.sets import in_values
from service.file.models import Inquiry, ItemFlag, PublicRecord, Statement
from service.file.rules import SUPPRESSED
from service.principals.models import Principal

_INQUIRIES = (
    select(*Inquiry.__table__.c, Principal.name.label("lender_name"))
    .join(Principal, Principal.id == Inquiry.lender_id)
    .where(Inquiry.subject_id == bindparam("subject_id"))
    .order_by(Inquiry.at.desc(), Inquiry.id)
)
_PUBLIC_RECORDS = (
    select(PublicRecord.__table__)
    .where(PublicRecord.subject_id == bindparam("subject_id"))
    .order_by(PublicRecord.filed_on.desc(), PublicRecord.id)
)


def inquiries_of_subject(session: Session, subject_id: str) -> Sequence[tuple[Any, str]]:
    """The subject's inquiries, newest first, as (row, lender name)."""
    rows = session.connection().execute(_INQUIRIES, {"subject_id": subject_id}).all()
    return [(row, row.lender_name) for row in rows]


def public_records_of_subject(session: Session, subject_id: str) -> Sequence[Any]:
    """The subject's public records as rows, newest first."""
    return session.connection().execute(_PUBLIC_RECORDS, {"subject_id": subject_id}).all()


#: Found by the range of ``ix_inquiries_at`` (migration 0013). Sorted here, not in SQL: with
#: ``ORDER BY id`` SQLite's planner walks the whole primary key instead, to skip a sort.
INQUIRIES_BEFORE = select(Inquiry.id, Inquiry.subject_id, Inquiry.at).where(
    Inquiry.at < bindparam("moment")
)


def inquiries_before(session: Session, moment: datetime) -> Sequence[tuple[str, str, datetime]]:
    """(id, subject_id, at) of the inquiries made before ``moment``, in id order."""
    rows = session.execute(INQUIRIES_BEFORE, {"moment": moment})
    return sorted((i, s, at) for i, s, at in rows)


#: The delete of one inquiry by its whole primary key, straight to the driver (SQLite's and
#: psycopg's placeholders).
_DELETE_INQUIRY_QMARK = "DELETE FROM inquiries WHERE id = ? AND subject_id = ?"
_DELETE_INQUIRY_FORMAT = _DELETE_INQUIRY_QMARK.replace("?", "%s")
#: ``_DELETE_INQUIRY_QMARK`` for many keys in one statement (``write_behind.execute_many``),
#: each found by its key (SQLite plans ``(id, subject_id) IN (VALUES ...)`` as a scan).
_DELETE_INQUIRIES_SQLITE = (
    "WITH doomed (id, subject_id) AS (VALUES {rows}) "
    "DELETE FROM inquiries WHERE (id, subject_id) IN (SELECT id, subject_id FROM doomed)"
)


def delete_inquiries(session: Session, keys: Sequence[tuple[str, str]]) -> None:
    """Delete the inquiries named by their keys, (id, subject_id), in one executemany
    straight to the driver: each row found by its whole primary key (an ``IN`` list of
    thousands of ids was rendered anew for each statement), the keys passed as they are
    (no per-row parameter processing: they are text)."""
    if not keys:
        return
    session.flush()
    connection = session.connection()
    sql = (
        _DELETE_INQUIRY_QMARK
        if connection.dialect.paramstyle == "qmark"
        else _DELETE_INQUIRY_FORMAT
    )
    write_behind.execute_many(connection, sql, keys, sqlite_rows=_DELETE_INQUIRIES_SQLITE)


def public_records_filed_before(session: Session, cutoff: date) -> Sequence[PublicRecord]:
    return session.scalars(select(PublicRecord).where(PublicRecord.filed_on <= cutoff)).all()


_INSERT_INQUIRY = PreparedInsert(
    Inquiry.__table__, ["id", "subject_id", "lender_id", "purpose", "kind", "at"]
)


def insert_inquiry(session: Session, row: dict[str, Any]) -> None:
    """One inquiry (every column of the table), after the session's pending writes."""
    _INSERT_INQUIRY.execute(session, [row])


def insert_inquiries_bulk(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Load inquiry rows (every column) the driver's fastest way (COPY on PostgreSQL)."""
    load_rows(session, Inquiry.__table__, rows)


def insert_public_records_bulk(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Load public record rows (every column) the driver's fastest way."""
    load_rows(session, PublicRecord.__table__, rows)


# --- what disputes do to the file: flags and statements --------------------------------------

_ACTIVE_FLAGS = select(
    ItemFlag.kind, ItemFlag.item_type, ItemFlag.item_id, ItemFlag.field, ItemFlag.dispute_id
).where(ItemFlag.subject_id == bindparam("subject_id"), ItemFlag.until.is_(None))
_STATEMENTS = (
    select(Statement.__table__)
    .where(Statement.subject_id == bindparam("subject_id"))
    .order_by(Statement.at.desc(), Statement.id)
)


def active_flags(session: Session, subject_id: str) -> Sequence[Any]:
    """(kind, item_type, item_id, field, dispute_id) of the file's flags in force."""
    return session.connection().execute(_ACTIVE_FLAGS, {"subject_id": subject_id}).all()


def any_suppressed_between(session: Session, first: str, last: str) -> bool:
    """Whether any subject whose id is in ``[first, last]`` has an item taken off the file."""
    stmt = select(
        exists().where(
            ItemFlag.subject_id >= first,
            ItemFlag.subject_id <= last,
            ItemFlag.kind == SUPPRESSED,
            ItemFlag.until.is_(None),
        )
    )
    return bool(session.connection().execute(stmt).scalar())


def suppressed_items_of_subjects(
    session: Session, subject_ids: Sequence[str]
) -> Sequence[tuple[str, str]]:
    """(item_type, item_id) of the suppressions in force on the subjects' files."""
    stmt = select(ItemFlag.item_type, ItemFlag.item_id).where(
        in_values(ItemFlag.subject_id, subject_ids),
        ItemFlag.kind == SUPPRESSED,
        ItemFlag.until.is_(None),
    )
    return [(t, i) for t, i in session.connection().execute(stmt)]


def statements_of_subject(session: Session, subject_id: str) -> Sequence[Any]:
    return session.connection().execute(_STATEMENTS, {"subject_id": subject_id}).all()


def add_rows(session: Session, rows: Sequence[ItemFlag | Statement]) -> None:
    session.add_all(rows)
    session.flush()


def flag_of_dispute(session: Session, dispute_id: str, kind: str) -> ItemFlag | None:
    """The dispute's flag of ``kind`` in force, locked until commit."""
    stmt = select(ItemFlag).where(
        ItemFlag.dispute_id == dispute_id, ItemFlag.kind == kind, ItemFlag.until.is_(None)
    )
    return session.scalars(stmt.with_for_update()).first()


def end_flags(session: Session, dispute_ids: Sequence[str], kind: str, at: datetime) -> None:
    """End the disputes' flags of ``kind`` in force at ``at`` (behind the caller inside
    ``write_behind.writes_behind``: the session's objects are not updated)."""
    session.flush()
    write_behind.execute(
        session.connection(),
        update(ItemFlag)
        .where(
            in_values(ItemFlag.dispute_id, dispute_ids),
            ItemFlag.kind == kind,
            ItemFlag.until.is_(None),
        )
        .values(until=at),
    )


def insert_flags_bulk(
    session: Session, rows: Sequence[tuple[Any, ...]], *, kind: str, since: datetime
) -> None:
    """Insert flags of one ``kind`` and moment, in force, on no field: ``rows`` of (id,
    subject_id, item_type, item_id, dispute_id, reason)."""
    insert_tuples(
        session,
        ItemFlag.__table__,
        ("id", "subject_id", "item_type", "item_id", "dispute_id", "reason"),
        rows,
        same={"kind": kind, "since": since, "field": None, "until": None, "certification": None},
    )


def statement_of_dispute(session: Session, dispute_id: str) -> Statement | None:
    return session.scalars(select(Statement).where(Statement.dispute_id == dispute_id)).first()
