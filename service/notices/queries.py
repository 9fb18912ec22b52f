"""The notices domain's SQL."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core.bulk import insert_tuples
from service.core.pagination import older_than
from service.notices.models import Notice


def add(session: Session, notice: Notice) -> None:
    session.add(notice)
    session.flush()


def insert_bulk(session: Session, rows: Sequence[tuple[Any, ...]], *, at: datetime) -> None:
    """Insert notices sent ``at`` one moment: ``rows`` of (id, subject_id, kind, content),
    the content as its JSON text already (``NoticeRead.model_dump_json``), stored as it is."""
    insert_tuples(
        session,
        Notice.__table__,
        ("id", "subject_id", "kind", "content"),
        rows,
        same={"at": at},
        encoded=("content",),
    )


def notices_of_subject(
    session: Session, subject_id: str, *, before: tuple[datetime, str] | None, limit: int
) -> Sequence[Notice]:
    """The subject's notices, newest first."""
    stmt = (
        select(Notice)
        .where(Notice.subject_id == subject_id, older_than(Notice.at, Notice.id, before))
        .order_by(Notice.at.desc(), Notice.id.desc())
        .limit(limit)
    )
    return session.scalars(stmt).all()


def notice_of_subject(session: Session, subject_id: str, notice_id: str) -> Notice | None:
    stmt = select(Notice).where(Notice.id == notice_id, Notice.subject_id == subject_id)
    return session.scalars(stmt).first()
