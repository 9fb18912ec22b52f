"""The events domain's SQL; never commits."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.core.prepared import PreparedInsert
from service.events.models import Event, EventWatermark

#: Every column but ``seq``, which the database numbers.
_INSERT = PreparedInsert(
    Event.__table__,
    [
        "id",
        "recipient_id",
        "subject_id",
        "type",
        "at",
        "resource_type",
        "resource_id",
        "data",
        "fanned_out",
    ],
)


def insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert the event rows in one statement, straight to the table (the hot path of every
    change: no ORM unit of work is needed for rows nothing reads back here)."""
    _INSERT.execute(session, rows)


def feed(
    session: Session, recipient_id: str, *, after: int | None, types: Sequence[str], limit: int
) -> Sequence[Event]:
    query = select(Event).where(Event.recipient_id == recipient_id)
    if after is not None:
        query = query.where(Event.seq > after)
    if types:
        query = query.where(Event.type.in_(types))
    return session.scalars(query.order_by(Event.seq).limit(limit)).all()


def event_of(session: Session, recipient_id: str, event_id: str) -> Event | None:
    return session.scalars(
        select(Event).where(Event.id == event_id, Event.recipient_id == recipient_id)
    ).first()


def events_since(
    session: Session, recipient_id: str, since: datetime, types: Sequence[str], limit: int
) -> Sequence[Event]:
    return session.scalars(
        select(Event)
        .where(Event.recipient_id == recipient_id, Event.at >= since, Event.type.in_(types))
        .order_by(Event.seq)
        .limit(limit)
    ).all()


def claim_unfanned(session: Session, limit: int) -> Sequence[Event]:
    """The oldest events not yet fanned out, locked (other workers skip them)."""
    return session.scalars(
        select(Event)
        .where(Event.fanned_out.is_(False))
        .order_by(Event.seq)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()


def mark_fanned(session: Session, seqs: Sequence[int]) -> None:
    if seqs:
        session.execute(update(Event).where(Event.seq.in_(seqs)).values(fanned_out=True))


def mark_all_fanned(session: Session) -> int:
    """Mark every event not yet fanned out as fanned out; how many."""
    result = session.execute(
        update(Event)
        .where(Event.fanned_out.is_(False))
        .values(fanned_out=True)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def events_by_ids(session: Session, ids: Sequence[str]) -> Sequence[Event]:
    return session.scalars(select(Event).where(Event.id.in_(ids))).all() if ids else []


def watermark(session: Session, name: str) -> EventWatermark | None:
    return session.get(EventWatermark, name, with_for_update=True)


def add_watermark(session: Session, mark: EventWatermark) -> None:
    session.add(mark)
    session.flush()
