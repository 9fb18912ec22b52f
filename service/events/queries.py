"""The events domain's SQL; never commits."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, or_, select, text, update
from sqlalchemy.orm import Session

from service.core.bulk import insert_tuples
from service.core.prepared import PreparedInsert
from service.events.models import (
    NOT_FANNED_OUT,
    Event,
    EventWatermark,
    feed_horizon,
    own_txid,
)

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


#: The events not yet fanned out, as the partial index that finds them says it.
_NOT_FANNED_OUT = text(NOT_FANNED_OUT)

#: The columns of ``insert_event_tuples``' tuples: those that differ from row to row.
_OWN = ("id", "recipient_id", "subject_id", "type", "resource_type", "resource_id", "data")


def insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert the event rows (one change's few) in one statement, straight to the table (the
    hot path of every change: no ORM unit of work is needed for rows nothing reads back
    here). A bulk path's many go by ``insert_event_tuples``."""
    if not rows:
        return
    session.flush()  # the session's pending writes go first, in order
    _INSERT.execute(session, rows)


def insert_event_tuples(session: Session, rows: Sequence[tuple[Any, ...]], *, at: datetime) -> None:
    """Insert events given as tuples of the columns that differ from row to row (``_OWN``'s
    order), all of the moment ``at``, in one executemany (``insert_tuples``): a bulk path's
    events, without a dict per row. A ``data`` object several rows share is encoded once."""
    if not rows:
        return
    session.flush()  # the session's pending writes go first, in order
    insert_tuples(
        session,
        Event.__table__,
        _OWN,
        rows,
        same={"at": at, "fanned_out": False},
        json_text=True,
    )


def feed(
    session: Session,
    recipient_id: str,
    *,
    after: tuple[int, int] | None,
    types: Sequence[str],
    limit: int,
) -> Sequence[Event]:
    """The recipient's events after the (txid, seq) cursor, of transactions that have all
    ended below the snapshot's horizon (``models.feed_horizon`` says why)."""
    ended = or_(Event.txid < feed_horizon(), Event.txid == own_txid())
    query = select(Event).where(Event.recipient_id == recipient_id, ended)
    if after is not None:
        txid, seq = after
        query = query.where(or_(Event.txid > txid, and_(Event.txid == txid, Event.seq > seq)))
    if types:
        query = query.where(Event.type.in_(types))
    return session.scalars(query.order_by(Event.txid, Event.seq).limit(limit)).all()


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


def claim_unfanned(
    session: Session, limit: int
) -> Sequence[Row[int, str, str, str, datetime, str, str, dict[str, Any]]]:
    """(seq, id, recipient_id, type, at, resource_type, resource_id, data) of the oldest
    events not yet fanned out, locked (other workers skip them): all that their deliveries
    and the bodies sent need. Columns, not entities: a worker reads thousands a second."""
    return session.execute(
        select(
            Event.seq,
            Event.id,
            Event.recipient_id,
            Event.type,
            Event.at,
            Event.resource_type,
            Event.resource_id,
            Event.data,
        )
        .where(_NOT_FANNED_OUT)
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
        .where(_NOT_FANNED_OUT)
        .values(fanned_out=True)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def events_by_ids(
    session: Session, ids: Sequence[str]
) -> Sequence[Row[str, str, datetime, str, str, dict[str, Any]]]:
    """(id, type, at, resource_type, resource_id, data) of these events."""
    if not ids:
        return []
    return session.execute(
        select(
            Event.id, Event.type, Event.at, Event.resource_type, Event.resource_id, Event.data
        ).where(Event.id.in_(ids))
    ).all()


def watermark(session: Session, name: str) -> EventWatermark | None:
    return session.get(EventWatermark, name, with_for_update=True)


def add_watermark(session: Session, mark: EventWatermark) -> None:
    session.add(mark)
    session.flush()
