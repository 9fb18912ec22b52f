"""The disputes domain's SQL."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from service.core.pagination import older_than
from service.core.sets import in_values
from service.disputes.models import Dispute


def add(session: Session, dispute: Dispute) -> None:
    session.add(dispute)
    session.flush()


def dispute_of_subject(session: Session, subject_id: str, dispute_id: str) -> Dispute | None:
    stmt = select(Dispute).where(Dispute.id == dispute_id, Dispute.subject_id == subject_id)
    return session.scalars(stmt).first()


def dispute_of_furnisher(session: Session, furnisher_id: str, dispute_id: str) -> Dispute | None:
    stmt = select(Dispute).where(Dispute.id == dispute_id, Dispute.furnisher_id == furnisher_id)
    return session.scalars(stmt).first()


def disputes_of_subject(
    session: Session, subject_id: str, *, before: tuple[datetime, str] | None, limit: int | None
) -> Sequence[Dispute]:
    stmt = (
        select(Dispute)
        .where(Dispute.subject_id == subject_id, older_than(Dispute.filed_at, Dispute.id, before))
        .order_by(Dispute.filed_at.desc(), Dispute.id.desc())
        .limit(limit)
    )
    return session.scalars(stmt).all()


def disputes_of_furnisher(
    session: Session,
    furnisher_id: str,
    *,
    status: str | None,
    before: tuple[datetime, str] | None,
    limit: int,
) -> Sequence[Dispute]:
    stmt = select(Dispute).where(
        Dispute.furnisher_id == furnisher_id, older_than(Dispute.filed_at, Dispute.id, before)
    )
    if status is not None:
        stmt = stmt.where(Dispute.status == status)
    stmt = stmt.order_by(Dispute.filed_at.desc(), Dispute.id.desc()).limit(limit)
    return session.scalars(stmt).all()


def open_dispute_on(
    session: Session, subject_id: str, item_type: str, item_id: str, field: str | None
) -> Dispute | None:
    stmt = select(Dispute).where(
        Dispute.subject_id == subject_id,
        Dispute.item_type == item_type,
        Dispute.item_id == item_id,
        Dispute.status == "open",
    )
    if field is not None:
        stmt = stmt.where((Dispute.field == field) | Dispute.field.is_(None))
    return session.scalars(stmt).first()


def resolved_disputes_on(
    session: Session, subject_id: str, item_type: str, item_id: str, field: str | None
) -> Sequence[Dispute]:
    stmt = (
        select(Dispute)
        .where(
            Dispute.subject_id == subject_id,
            Dispute.item_type == item_type,
            Dispute.item_id == item_id,
            Dispute.status == "resolved",
            Dispute.field.is_(None) if field is None else Dispute.field == field,
        )
        .order_by(Dispute.resolved_at.desc())
    )
    return session.scalars(stmt).all()


def close(session: Session, dispute_id: str, values: dict[str, Any]) -> bool:
    """Resolve an open dispute: True for the one write that finds it open (a furnisher's
    answer and the deadline racing each other: the second finds it resolved)."""
    session.flush()
    result = session.execute(
        update(Dispute)
        .where(Dispute.id == dispute_id, Dispute.status == "open")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def due_ids(session: Session, now: datetime) -> Sequence[str]:
    """Open disputes whose deadline has passed, oldest first."""
    stmt = (
        select(Dispute.id)
        .where(Dispute.status == "open", Dispute.due_at <= now)
        .order_by(Dispute.due_at, Dispute.id)
    )
    return session.scalars(stmt).all()


def blocks_due_ids(session: Session, now: datetime) -> Sequence[str]:
    """Open identity-theft disputes whose block has fallen due."""
    stmt = (
        select(Dispute.id)
        .where(Dispute.status == "open", Dispute.block_due_at <= now)
        .order_by(Dispute.block_due_at, Dispute.id)
    )
    return session.scalars(stmt).all()


def disputes_by_ids(session: Session, ids: Sequence[str]) -> Sequence[Dispute]:
    """The disputes, in the order of ``ids``."""
    found = {d.id: d for d in session.scalars(select(Dispute).where(Dispute.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


class DueDispute(NamedTuple):
    """An open dispute whose block or deadline has come, as a deadline run reads it."""

    id: str
    subject_id: str
    item_type: str
    item_id: str
    due_at: datetime
    block_due_at: datetime | None
    furnisher_id: str | None
    account_ref: str | None
    field: str | None


def due_disputes(session: Session, now: datetime) -> list[DueDispute]:
    """Every open dispute whose deadline or identity-theft block has come."""
    stmt = select(
        Dispute.id,
        Dispute.subject_id,
        Dispute.item_type,
        Dispute.item_id,
        Dispute.due_at,
        Dispute.block_due_at,
        Dispute.furnisher_id,
        Dispute.account_ref,
        Dispute.field,
    ).where(Dispute.status == "open", or_(Dispute.due_at <= now, Dispute.block_due_at <= now))
    return [DueDispute(*row) for row in session.execute(stmt)]


def close_due(
    session: Session,
    dispute_ids: Sequence[str],
    values: dict[str, Any],
    *,
    block: bool,
    now: datetime,
) -> set[str]:
    """Resolve those of the disputes that are still open and still due (their block, with
    ``block``, else their deadline), in one statement, each as of when it fell due
    (``resolved_at``); the ids of the disputes it resolved. As with ``close``, a furnisher's
    answer committed first leaves its dispute out."""
    session.flush()
    due = Dispute.block_due_at if block else Dispute.due_at
    result = session.execute(
        update(Dispute)
        .where(in_values(Dispute.id, dispute_ids), Dispute.status == "open", due <= now)
        .values(**values, resolved_at=case((due < now, due), else_=now))
        .returning(Dispute.id)
        .execution_options(synchronize_session=False)
    )
    return set(result.scalars())


def counts_by_status_outcome(session: Session) -> Sequence[Any]:
    stmt = select(Dispute.status, Dispute.outcome, func.count()).group_by(
        Dispute.status, Dispute.outcome
    )
    return session.execute(stmt).all()


def resolution_spans(session: Session) -> Sequence[Any]:
    stmt = select(Dispute.filed_at, Dispute.resolved_at).where(Dispute.status == "resolved")
    return session.execute(stmt).all()


def count_overdue(session: Session, now: datetime) -> int:
    stmt = (
        select(func.count())
        .select_from(Dispute)
        .where(Dispute.status == "open", Dispute.due_at < now)
    )
    return int(session.execute(stmt).scalar_one())
