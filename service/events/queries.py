"""The events domain's SQL; never commits."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, bindparam, or_, select, text, update
from sqlalchemy.orm import Session

from service.core import write_behind
from service.core.bulk import dumps, insert_tuples
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


#: The events of disputes resolved together (``service.disputes_resolved``), written by the
#: database from one JSON array of the disputes' facts, each ``[dispute id, subject id,
#: furnisher id or null, item type, item id, account ref or null, outcome, overdue,
#: suppressed]``: per dispute, in its order, ``dispute.resolved``, ``dispute.overdue`` (if
#: overdue) and ``item.suppressed`` (if suppressed), each to the subject and then, for an
#: account with a furnisher, to the furnisher with the account's ref (what
#: ``service._dispute_told`` and ``service._item_told`` say). Ids are ``:stem`` and a 12-digit
#: number unique to each row (``SequentialIds``' shape). The facts are read once
#: (``MATERIALIZED``), not once per row made of them. ``_DISPUTE_RESULTS_PARTS``: what differs
#: by database.
_DISPUTE_RESULTS = """
WITH facts AS MATERIALIZED ({facts}),
told (n, type, to_furnisher) AS (
    VALUES (1, {resolved}, {no}), (2, {resolved}, {yes}), (3, {overdue}, {no}),
           (4, {overdue}, {yes}), (5, {suppressed}, {no}), (6, {suppressed}, {yes})
)
INSERT INTO events
    (id, recipient_id, subject_id, type, at, resource_type, resource_id, data, fanned_out)
SELECT {event_id},
       CASE WHEN told.to_furnisher THEN facts.furnisher_id ELSE facts.subject_id END,
       facts.subject_id,
       told.type,
       :at,
       CASE WHEN told.n >= 5 THEN facts.item_type ELSE 'dispute' END,
       CASE WHEN told.n >= 5 THEN facts.item_id ELSE facts.dispute_id END,
       CASE
           WHEN told.n < 5 AND NOT told.to_furnisher THEN {object}(
               'dispute_id', facts.dispute_id, 'item_type', facts.item_type,
               'item_id', facts.item_id, 'status', CAST(:status AS text), 'outcome', facts.outcome)
           WHEN told.n < 5 THEN {object}(
               'dispute_id', facts.dispute_id, 'item_type', facts.item_type,
               'item_id', facts.item_id, 'status', CAST(:status AS text), 'outcome', facts.outcome,
               'account_ref', facts.account_ref)
           WHEN NOT told.to_furnisher THEN {object}(
               'item_type', facts.item_type, 'item_id', facts.item_id,
               'dispute_id', facts.dispute_id)
           ELSE {object}(
               'item_type', facts.item_type, 'item_id', facts.item_id,
               'dispute_id', facts.dispute_id, 'account_ref', facts.account_ref)
       END,
       {no}
FROM facts CROSS JOIN told
WHERE (NOT told.to_furnisher OR (facts.furnisher_id IS NOT NULL AND facts.item_type = 'account'))
  AND (told.n NOT IN (3, 4) OR facts.overdue)
  AND (told.n < 5 OR facts.suppressed)
ORDER BY facts.pos, told.n
"""
#: Each element of the facts' JSON array as the columns of ``facts``, by database.
_DISPUTE_RESULTS_PARTS = {
    "sqlite": {
        "facts": "SELECT f.key AS pos, "
        "json_extract(f.value, '$[0]') AS dispute_id, "
        "json_extract(f.value, '$[1]') AS subject_id, "
        "json_extract(f.value, '$[2]') AS furnisher_id, "
        "json_extract(f.value, '$[3]') AS item_type, "
        "json_extract(f.value, '$[4]') AS item_id, "
        "json_extract(f.value, '$[5]') AS account_ref, "
        "json_extract(f.value, '$[6]') AS outcome, "
        "json_extract(f.value, '$[7]') AS overdue, "
        "json_extract(f.value, '$[8]') AS suppressed "
        "FROM json_each(:facts) AS f",
        "event_id": "printf('%s%012x', :stem, facts.pos * 6 + told.n)",
        "object": "json_object",
        "yes": "1",
        "no": "0",
    },
    "postgresql": {
        "facts": "SELECT f.pos, "
        "f.value ->> 0 AS dispute_id, "
        "f.value ->> 1 AS subject_id, "
        "f.value ->> 2 AS furnisher_id, "
        "f.value ->> 3 AS item_type, "
        "f.value ->> 4 AS item_id, "
        "f.value ->> 5 AS account_ref, "
        "f.value ->> 6 AS outcome, "
        "CAST(f.value ->> 7 AS boolean) AS overdue, "
        "CAST(f.value ->> 8 AS boolean) AS suppressed "
        "FROM json_array_elements(CAST(:facts AS json)) WITH ORDINALITY AS f (value, pos)",
        "event_id": "CAST(:stem AS text) || lpad(to_hex(facts.pos * 6 + told.n), 12, '0')",
        "object": "json_build_object",
        "yes": "true",
        "no": "false",
    },
}


def insert_dispute_results(
    session: Session,
    facts: Sequence[Sequence[Any]],
    *,
    types: tuple[str, str, str],
    status: str,
    stem: str,
    at: datetime,
) -> None:
    """Insert the events of disputes resolved together (``_DISPUTE_RESULTS``): ``facts`` in
    its order, ``types`` the resolved, overdue and suppressed event types, ``status`` the
    disputes' status, the ids ``stem`` and a counter from 1. One statement, whatever their
    number: the rows are made by the database, with no Python work per row."""
    if not facts:
        return
    session.flush()  # the session's pending writes go first, in order
    connection = session.connection()
    parts = _DISPUTE_RESULTS_PARTS[
        "postgresql" if connection.dialect.name == "postgresql" else "sqlite"
    ]
    resolved, overdue, suppressed = (
        f"CAST(:{name} AS text)" for name in ("resolved", "overdue", "suppressed")
    )
    statement = text(
        _DISPUTE_RESULTS.format(resolved=resolved, overdue=overdue, suppressed=suppressed, **parts)
    ).bindparams(bindparam("at", type_=Event.__table__.c.at.type))
    write_behind.execute(
        connection,
        statement,
        {
            "facts": dumps(facts),
            "resolved": types[0],
            "overdue": types[1],
            "suppressed": types[2],
            "status": status,
            "stem": stem,
            "at": at,
        },
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
