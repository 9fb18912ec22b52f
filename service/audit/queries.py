"""The audit domain's SQL."""

import secrets
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from psycopg.errors import LockNotAvailable
from sqlalchemy import String, and_, any_, bindparam, or_, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from service.audit.models import AuditChainHead, AuditEvent
from service.audit.rules import GENESIS_HASH
from service.core import write_behind
from service.core.bulk import CHUNK_ROWS, insert_tuples
from service.core.prepared import PreparedInsert, compiled_once
from service.core.sets import in_values, values_param

_HEAD_FOR_UPDATE = (
    select(AuditChainHead.seq, AuditChainHead.hash)
    .where(AuditChainHead.chain == bindparam("chain"))
    .with_for_update()
)


def chain_head_for_update(session: Session, chain: str) -> tuple[int, str] | None:
    """(seq, hash) of the chain's last event, locking the head row until commit."""
    row = session.connection().execute(_HEAD_FOR_UPDATE, {"chain": chain}).first()
    return None if row is None else (row.seq, row.hash)


#: The first of the named heads that no other transaction holds, locked (PostgreSQL's
#: ``FOR UPDATE SKIP LOCKED``: a head another transaction has locked is passed over, not
#: waited for). The names go as one array parameter (``= ANY``), not an expanding ``IN``,
#: which SQLAlchemy renders anew for each execution.
_STRIPES = bindparam("chains", type_=ARRAY(String))
_FREE_HEAD = (
    select(AuditChainHead.chain, AuditChainHead.seq, AuditChainHead.hash)
    .where(AuditChainHead.chain == any_(_STRIPES))
    .order_by(AuditChainHead.chain)
    .limit(1)
    .with_for_update(skip_locked=True)
)
_HEADS_NAMED = select(AuditChainHead.chain).where(AuditChainHead.chain == any_(_STRIPES))
#: The class of PostgreSQL advisory locks that guard the opening of a stripe: the first
#: key of ``pg_try_advisory_xact_lock(key1, key2)``, the second being a hash of the name.
STRIPE_LOCK_CLASS = 0x0A0D17
#: Open a stripe: make its head, at seq 0, unless another transaction is making it now (it
#: holds the stripe's advisory lock: this does not wait for it) or it exists already; the
#: head made is this transaction's until it commits. A row back: made.
_OPEN_STRIPE = text(
    "INSERT INTO audit_chain_heads (chain, seq, hash) "
    "SELECT CAST(:chain AS text), 0, :hash "
    "WHERE pg_try_advisory_xact_lock(:lock_class, hashtext(CAST(:chain AS text))) "
    "ON CONFLICT (chain) DO NOTHING RETURNING chain"
)
#: Make a chain's first head, at seq 0, unless it exists (waiting for a transaction making
#: it now to end).
_NEW_HEAD = text(
    "INSERT INTO audit_chain_heads (chain, seq, hash) VALUES (:chain, 0, :hash) "
    "ON CONFLICT (chain) DO NOTHING"
)


def claim_free_head(session: Session, stripes: Sequence[str]) -> tuple[str, int, str]:
    """PostgreSQL: (stripe, seq, hash) of one of a chain's ``stripes``, its head locked until
    commit, waiting for no other transaction if it can: the first stripe no other
    transaction holds; else the first that no one is opening, opened now; else, when every
    stripe is open and held, one of them at random, waited for. (A chain with no head at
    all yet, being made by another transaction: its first stripe, once made.)"""
    connection = session.connection()
    row = connection.execute(_FREE_HEAD, {"chains": list(stripes)}).first()
    if row is not None:
        return row.chain, row.seq, row.hash
    existing = list(connection.execute(_HEADS_NAMED, {"chains": list(stripes)}).scalars())
    opened = set(existing)
    for stripe in stripes:
        if stripe in opened:
            continue
        params = {"chain": stripe, "hash": GENESIS_HASH, "lock_class": STRIPE_LOCK_CLASS}
        if connection.execute(_OPEN_STRIPE, params).first() is not None:
            return stripe, 0, GENESIS_HASH
    if existing:
        chain = existing[secrets.randbelow(len(existing))]
    else:
        chain = stripes[0]
        connection.execute(_NEW_HEAD, {"chain": chain, "hash": GENESIS_HASH})
    head = chain_head_for_update(session, chain)
    if head is None:  # pragma: no cover - seen to exist, or made, just above
        raise RuntimeError(f"the audit chain head {chain} vanished")
    return chain, head[0], head[1]


#: The columns of an event ``append_events`` inserts, in the order of its tuples.
EVENT_COLUMNS = (
    "chain",
    "seq",
    "subject_id",
    "actor_id",
    "actor_role",
    "actor_name",
    "action",
    "purpose",
    "resource_type",
    "resource_id",
    "prev_hash",
    "hash",
)


def append_events(
    session: Session, *, events: Sequence[tuple[Any, ...]], at: datetime | None
) -> None:
    """Insert the events (tuples of ``EVENT_COLUMNS``, all ``at`` one moment; with ``at``
    None, each tuple's last value is its own moment) in their order, in one executemany;
    the database moves each chain's head to its last event (the trigger of migration 0003)
    unless the caller deferred that (``move_heads``)."""
    table = AuditEvent.__table__
    if at is None:
        insert_tuples(session, table, (*EVENT_COLUMNS, "at"), events)
    else:
        insert_tuples(session, table, EVENT_COLUMNS, events, same={"at": at})


#: The upsert of one head, straight to the driver (SQLite's and psycopg's placeholders).
_MOVE_HEAD_QMARK = (
    "INSERT INTO audit_chain_heads (chain, seq, hash) VALUES (?, ?, ?) "
    "ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash"
)
_MOVE_HEAD_FORMAT = _MOVE_HEAD_QMARK.replace("?", "%s")


def move_heads(session: Session, heads: Sequence[tuple[str, int, str]]) -> None:
    """Move each chain's head to (chain, seq, hash), creating it for a new chain, in one
    executemany (what the trigger of migration 0003 does per event, for a bulk append that
    deferred it)."""
    if not heads:
        return
    connection = session.connection()
    sql = _MOVE_HEAD_QMARK if connection.dialect.paramstyle == "qmark" else _MOVE_HEAD_FORMAT
    write_behind.execute_many(connection, sql, heads)


#: One event's insert, compiled once per dialect (every request that writes appends one).
_INSERT_ONE_EVENT = PreparedInsert(
    AuditEvent.__table__, [name for name in AuditEvent.__table__.columns.keys() if name != "id"]
)


def append_event(session: Session, *, event: dict[str, Any]) -> None:
    """Insert the event (every column but the id); the database moves its chain's head to
    it in the same statement (the trigger of migration 0003)."""
    _INSERT_ONE_EVENT.execute(session, [event])


#: One statement for any list of chains (the list bound as one value, ``in_values``: the
#: statement is the same for every list).
_HEADS_FOR_UPDATE = (
    select(AuditChainHead.chain, AuditChainHead.seq, AuditChainHead.hash)
    .where(in_values(AuditChainHead.chain, values_param("chains")))
    .order_by(AuditChainHead.chain)
    .with_for_update()
)
#: ``_HEADS_FOR_UPDATE`` refused at once (SQLSTATE 55P03) when another transaction holds one
#: of the heads, instead of waiting for it.
_HEADS_FOR_UPDATE_NOWAIT = _HEADS_FOR_UPDATE.with_for_update(nowait=True)


class HeadsBusy(Exception):
    """Another transaction holds the head of a chain the batch appends to
    (``chain_heads_for_update_with_begin`` with ``wait=False``)."""


def chain_heads_for_update(session: Session, chains: Sequence[str]) -> dict[str, tuple[int, str]]:
    """(seq, hash) of each chain's last event, locking the head rows until commit, in
    chain order (so that concurrent batches lock in one order and cannot deadlock)."""
    heads: dict[str, tuple[int, str]] = {}
    for start in range(0, len(chains), CHUNK_ROWS):
        part = list(chains[start : start + CHUNK_ROWS])
        for chain, seq, digest in session.connection().execute(_HEADS_FOR_UPDATE, {"chains": part}):
            heads[chain] = (seq, digest)
    return heads


def chain_heads_for_update_with_begin(
    session: Session, chains: Sequence[str], *, wait: bool = True
) -> dict[str, tuple[int, str]]:
    """``chain_heads_for_update`` as the first statement of a transaction on PostgreSQL,
    sent with its BEGIN in one round trip (psycopg's pipeline mode) where psycopg would
    otherwise wait for the BEGIN's answer first. Straight to the driver: in pipeline mode a
    result has no description until it is fetched, which SQLAlchemy needs at once (the
    statement is ``chain_heads_for_update``'s, compiled for psycopg). Elsewhere
    (SQLite: no round trips) ``chain_heads_for_update``.

    ``wait=False`` (PostgreSQL): raise ``HeadsBusy`` at once, the transaction then failed,
    where the lock would be waited for."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return chain_heads_for_update(session, chains)
    dbapi = connection.connection.dbapi_connection
    if dbapi is None:  # pragma: no cover - a checked-out connection always has one
        raise RuntimeError("no database connection")
    statement = _HEADS_FOR_UPDATE if wait else _HEADS_FOR_UPDATE_NOWAIT
    sql = str(compiled_once(statement, connection.dialect))
    try:
        with dbapi.pipeline(), dbapi.cursor() as cursor:  # type: ignore[attr-defined]
            cursor.execute(sql, {"chains": list(chains)})
            return {chain: (seq, digest) for chain, seq, digest in cursor.fetchall()}
    except LockNotAvailable as busy:
        raise HeadsBusy(str(busy)) from busy


def all_heads(session: Session) -> dict[str, tuple[int, str]]:
    rows = session.execute(select(AuditChainHead.chain, AuditChainHead.seq, AuditChainHead.hash))
    return {chain: (seq, h) for chain, seq, h in rows}


def events_in_chain_order(
    session: Session,
    batch: int = 5000,
    *,
    after: tuple[str, int] | None = None,
    limit: int | None = None,
) -> Iterator[AuditEvent]:
    """Events in (chain, seq) order; those after the event at ``after``, at most ``limit``."""
    stmt = select(AuditEvent).order_by(AuditEvent.chain, AuditEvent.seq)
    if after is not None:
        chain, seq = after
        stmt = stmt.where(
            or_(AuditEvent.chain > chain, and_(AuditEvent.chain == chain, AuditEvent.seq > seq))
        )
    if limit is not None:
        stmt = stmt.limit(limit)
    yield from session.scalars(stmt.execution_options(yield_per=batch))


def event_hash_at(session: Session, chain: str, seq: int) -> str | None:
    """The hash of the event at (chain, seq), if there is one."""
    stmt = select(AuditEvent.hash).where(AuditEvent.chain == chain, AuditEvent.seq == seq)
    return session.execute(stmt).scalar_one_or_none()


def chains_without_events(session: Session) -> list[str]:
    """Chains whose head names events while the log holds none of them."""
    has_event = select(AuditEvent.id).where(AuditEvent.chain == AuditChainHead.chain).exists()
    stmt = select(AuditChainHead.chain).where(AuditChainHead.seq > 0, ~has_event)
    return list(session.scalars(stmt.order_by(AuditChainHead.chain)))


def events_page(
    session: Session,
    *,
    subject_id: str | None,
    after_id: int | None,
    limit: int,
    newest_first: bool,
) -> Sequence[AuditEvent]:
    stmt = select(AuditEvent)
    if subject_id is not None:
        stmt = stmt.where(AuditEvent.subject_id == subject_id)
    if after_id is not None:
        stmt = stmt.where(AuditEvent.id < after_id if newest_first else AuditEvent.id > after_id)
    order = AuditEvent.id.desc() if newest_first else AuditEvent.id.asc()
    return session.scalars(stmt.order_by(order).limit(limit)).all()
