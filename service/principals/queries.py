"""The principals domain's SQL."""

import functools
from collections import namedtuple
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from service.core import clock, libpq, write_behind
from service.core.bulk import CHUNK_ROWS, insert_rows, load_rows
from service.core.db import READ_ONLY_UNIT
from service.core.libpq import PreparedSelect
from service.principals.models import ApiKey, NationalId, Principal, Subject

_SUBJECT_COLUMNS = tuple(c.name for c in Subject.__table__.c)
#: A subject's row as ``subject_row`` gives it, from the columns the key's statement adds.
_SubjectRow = namedtuple("_SubjectRow", _SUBJECT_COLUMNS)  # type: ignore[misc]  # noqa: PYI024

_PRINCIPAL_BY_KEY = (
    select(
        Principal.id,
        Principal.role,
        Principal.name,
        clock.OFFSET.label("clock_offset"),
        *(c.label(f"subject_{c.name}") for c in Subject.__table__.c),
    )
    .join(ApiKey, ApiKey.principal_id == Principal.id)
    .outerjoin(Subject, Subject.id == Principal.id)
    .where(ApiKey.key_hash == bindparam("key_hash"))
)

#: ``Session.info`` key of the caller's own subject row, read with its key in a read-only
#: unit of work (``principal_by_key_hash``) and given by ``subject_row`` from then on.
_CALLER_SUBJECT = "clearfile_caller_subject"


#: A row of ``_PRINCIPAL_BY_KEY`` as read straight from the driver (``_by_key_from_driver``).
_ByKeyRow = namedtuple(  # type: ignore[misc]  # noqa: PYI024
    "_ByKeyRow", [str(c.key) for c in _PRINCIPAL_BY_KEY.selected_columns]
)


def principal_by_key_hash(session: Session, key_hash: str) -> Any | None:
    """The key's principal as a row (id, role, name) with the sandbox clock's offset
    (clock_offset): every request's first query, one statement for both.

    A subject's key brings its subject's row in the same statement, kept in the session. In
    a read-only unit of work (``service.core.deps.read_only``: nothing is written in it, so
    the row cannot change under it) ``subject_row`` then gives that row instead of reading
    it again: a subject reading their own file makes one statement, not two (on
    PostgreSQL, one round trip less).

    On PostgreSQL the statement goes straight to the driver (``_by_key_from_driver``)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        row = _by_key_from_driver(connection, key_hash)
    else:
        row = connection.execute(_PRINCIPAL_BY_KEY, {"key_hash": key_hash}).first()
    if row is not None and row.subject_id is not None:
        session.info[_CALLER_SUBJECT] = _SubjectRow(
            *(getattr(row, f"subject_{name}") for name in _SUBJECT_COLUMNS)
        )
    return row


@functools.cache
def _by_key_processors(dialect: Any) -> tuple[Callable[[Any], Any] | None, ...]:
    """Each column of ``_PRINCIPAL_BY_KEY``'s result processor on the dialect (None: the
    driver's value as it is)."""
    return tuple(
        c.type.dialect_impl(dialect).result_processor(dialect, None)
        for c in _PRINCIPAL_BY_KEY.selected_columns
    )


#: ``_PRINCIPAL_BY_KEY`` as PostgreSQL runs it on every request (``_by_key_from_driver``).
_PRINCIPAL_BY_KEY_PREPARED = PreparedSelect(_PRINCIPAL_BY_KEY, "clearfile_principal_by_key")


def _by_key_from_driver(connection: Any, key_hash: str) -> Any | None:
    """``_PRINCIPAL_BY_KEY``'s row read through libpq (``service.core.libpq``), each value
    through its column's result processor as SQLAlchemy would: the same row for a fraction
    of the CPU. SQLAlchemy's execution of this one statement cost about 140 us more than a
    psycopg cursor's on an idle machine, and the cursor's about 75 us more than libpq's;
    a server on PostgreSQL reading reports under 32 connections served 10-35 % more with it
    read through the cursor than through SQLAlchemy (``bench_report_load``, alternating
    runs; issue 15).

    On a connection in autocommit (a read-only unit's) it goes through libpq, in a
    transaction through a psycopg cursor (``PreparedSelect.first``). When the driver refuses
    it (``libpq.UNAVAILABLE``), it runs again through SQLAlchemy, so that the error is
    SQLAlchemy's own: a connection lost (PostgreSQL restarted) then renews the pool, as
    ``service.core.db.make_engine`` relies on, where a driver's error would leave every other
    stale connection to fail a request of its own."""
    values = _PRINCIPAL_BY_KEY_PREPARED.first(connection, {"key_hash": key_hash})
    if values is libpq.UNAVAILABLE:
        return connection.execute(_PRINCIPAL_BY_KEY, {"key_hash": key_hash}).first()
    if values is None:
        return None
    processors = _by_key_processors(connection.dialect)
    return _ByKeyRow(
        *(v if p is None or v is None else p(v) for v, p in zip(values, processors, strict=True))
    )


def national_id_holder(session: Session, national_id: str) -> str | None:
    """The id of the subject holding ``national_id`` (the ``national_ids`` lookup)."""
    return session.scalar(
        select(NationalId.subject_id).where(NationalId.national_id == national_id)
    )


def _national_id_rows(subjects: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``national_ids`` lookup rows of new subject rows (those with a national id)."""
    return [
        {"national_id": s["national_id"], "subject_id": s["id"]}
        for s in subjects
        if s.get("national_id") is not None
    ]


_SUBJECT_ROW = select(Subject.__table__).where(Subject.id == bindparam("subject_id"))
_SUBJECT_ROW_FOR_UPDATE = _SUBJECT_ROW.with_for_update()


def subject_row(session: Session, subject_id: str, *, lock: bool = False) -> Any | None:
    """The subject's identity as a plain row (the report's hot path); with ``lock``, the
    row locked until commit (PostgreSQL; SQLite has one writer at a time anyway). The
    caller's own, when read with their key (``principal_by_key_hash``)."""
    if not lock and session.info.get(READ_ONLY_UNIT):
        known = session.info.get(_CALLER_SUBJECT)
        if known is not None and known.id == subject_id:
            return known
    stmt = _SUBJECT_ROW_FOR_UPDATE if lock else _SUBJECT_ROW
    return session.connection().execute(stmt, {"subject_id": subject_id}).first()


_PRINCIPAL = select(Principal.id, Principal.role, Principal.name).where(
    Principal.id == bindparam("principal_id")
)


def principal_row(session: Session, principal_id: str) -> Any | None:
    """The principal's (id, role, name) as a row, or None."""
    return session.connection().execute(_PRINCIPAL, {"principal_id": principal_id}).first()


_REVISION = select(Subject.file_revision).where(Subject.id == bindparam("subject_id"))
_REVISION_FOR_UPDATE = _REVISION.with_for_update()


def file_revision(session: Session, subject_id: str, *, lock: bool = False) -> str | None:
    """The subject's file revision; with ``lock``, the subject's row locked until commit
    (PostgreSQL; SQLite has one writer at a time anyway)."""
    stmt = _REVISION_FOR_UPDATE if lock else _REVISION
    value: str | None = session.connection().execute(stmt, {"subject_id": subject_id}).scalar()
    return value


#: Straight to the driver (SQLite's and psycopg's placeholders): a bulk path's statement.
_NEW_REVISION_QMARK = "UPDATE subjects SET file_revision = ? WHERE id = ?"
_NEW_REVISION_FORMAT = _NEW_REVISION_QMARK.replace("?", "%s")
#: ``_NEW_REVISION_QMARK`` for many rows in one statement (``write_behind.execute_many``).
_NEW_REVISIONS_SQLITE = (
    "UPDATE subjects SET file_revision = v.revision FROM (SELECT column1 AS revision, "
    "column2 AS id FROM (VALUES {rows})) AS v WHERE subjects.id = v.id"
)


def new_file_revisions(session: Session, revisions: Sequence[tuple[str, str]]) -> None:
    """Set each subject's file revision, (subject_id, revision) in the order given, in one
    executemany (the rows locked until commit)."""
    if revisions:
        connection = session.connection()
        qmark = connection.dialect.paramstyle == "qmark"
        write_behind.execute_many(
            connection,
            _NEW_REVISION_QMARK if qmark else _NEW_REVISION_FORMAT,
            [(revision, subject_id) for subject_id, revision in revisions],
            sqlite_rows=_NEW_REVISIONS_SQLITE,
        )


def insert_principals_and_subjects(
    session: Session, principals: Sequence[dict[str, Any]], subjects: Sequence[dict[str, Any]]
) -> None:
    """Bulk-insert principal rows, then subject rows (each subject has its principal row),
    and the national-id lookup rows of those with one."""
    insert_rows(session, Principal.__table__, principals)
    insert_rows(session, Subject.__table__, subjects)
    insert_rows(session, NationalId.__table__, _national_id_rows(subjects))


def load_principals_and_subjects(
    session: Session, principals: Sequence[dict[str, Any]], subjects: Sequence[dict[str, Any]]
) -> None:
    """Load principal rows, then subject rows, the driver's fastest way (COPY on
    PostgreSQL): every column given; and the national-id lookup rows of those with one."""
    load_rows(session, Principal.__table__, principals)
    load_rows(session, Subject.__table__, subjects)
    load_rows(session, NationalId.__table__, _national_id_rows(subjects))


def existing_subject_ids(session: Session, subject_ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(subject_ids), CHUNK_ROWS):
        part = list(subject_ids[start : start + CHUNK_ROWS])
        found.update(session.scalars(select(Subject.id).where(Subject.id.in_(part))))
    return found


def subject_rows_by_national_ids(session: Session, national_ids: Sequence[str]) -> list[Any]:
    rows: list[Any] = []
    unique = sorted(set(national_ids))
    for start in range(0, len(unique), CHUNK_ROWS):
        stmt = select(Subject.__table__).where(
            Subject.national_id.in_(unique[start : start + CHUNK_ROWS])
        )
        rows.extend(session.connection().execute(stmt).all())
    return rows
