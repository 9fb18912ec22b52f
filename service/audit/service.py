"""Audit use cases: append an event in the caller's transaction, verify, list."""

import functools
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from service.audit import group, queries, rules
from service.audit.models import SYSTEM_CHAIN, AuditEvent
from service.audit.rules import (
    GENESIS_HASH,
    BulkHasher,
    ChainCheck,
    check_chain,
    event_hash,
    moment_text,
)
from service.core import row_triggers
from service.core.db import engine_read_for
from service.core.deps import after_commit, is_serial
from service.core.pagination import (
    decode_cursor,
    decode_int_cursor,
    encode_cursor,
    invalid_cursor,
    split_page,
)
from service.core.security import Principal

#: The session's ``info`` key of the chains this transaction appends to: (transaction,
#: {chain: the stripe of it it holds}).
_HELD = "audit_stripes_held"


def _held_stripes(session: Session) -> dict[str, str]:
    """The stripe this transaction holds of each chain it has appended to."""
    transaction = session.get_transaction()
    entry = session.info.get(_HELD)
    if entry is None or entry[0] is not transaction:
        entry = session.info[_HELD] = (transaction, {})
    held: dict[str, str] = entry[1]
    return held


def _append_point(session: Session, chain: str) -> tuple[str, int, str]:
    """(stripe, seq, hash): where this transaction appends its next event of ``chain``, the
    stripe's head locked until commit.

    SQLite runs one write transaction at a time, so a chain is one stripe there. On
    PostgreSQL the lock on a head is held to the commit, and concurrent appends to one chain
    (32 clients reading one subject's report) would queue on it, each waiting out the end of
    the transaction ahead of it (issue 15: 94 req/s, p99 1.5 s, against about 300 over ten
    subjects); so an append takes the first stripe of the chain that no other
    transaction holds, opening a further stripe only when all are held
    (``queries.claim_free_head``). A transaction keeps to the stripe it first took: its
    events of one chain stay in order on one stripe, and it never holds two stripes of one
    chain (or waits for one while holding another)."""
    stripes = rules.chain_stripes(chain)
    if len(stripes) == 1 or session.get_bind().dialect.name != "postgresql":
        head = queries.chain_head_for_update(session, chain)
        last_seq, last_hash = head if head is not None else (0, GENESIS_HASH)
        return chain, last_seq, last_hash
    held = _held_stripes(session)
    stripe = held.get(chain)
    if stripe is not None:
        head = queries.chain_head_for_update(session, stripe)
        if head is not None:  # None: a savepoint that made the head was rolled back
            return stripe, head[0], head[1]
    stripe, last_seq, last_hash = queries.claim_free_head(session, stripes)
    held[chain] = stripe
    return stripe, last_seq, last_hash


def record(
    session: Session,
    *,
    actor: Principal,
    action: str,
    now: datetime,
    subject_id: str | None = None,
    purpose: str | None = None,
    resource_type: str | None = None,
    resource_id: str | None = None,
) -> None:
    """Append an event to its chain (the subject's, or the system chain).

    Runs in the caller's transaction, so the event exists exactly when the action does.
    The head of the stripe appended to is locked until commit: appends about different
    subjects never wait on each other, and on PostgreSQL concurrent appends about one
    subject take different stripes of its chain instead of queueing (``_append_point``).
    """
    session.flush()  # the caller's pending writes go first, in order
    chain, last_seq, last_hash = _append_point(session, subject_id or SYSTEM_CHAIN)
    fields = {
        "chain": chain,
        "seq": last_seq + 1,
        "subject_id": subject_id,
        "actor_id": actor.id,
        "actor_role": actor.role.value,
        "actor_name": actor.name,
        "action": action,
        "purpose": purpose,
        "resource_type": resource_type,
        "resource_id": resource_id,
        "at": now,
    }
    digest = event_hash(prev_hash=last_hash, **fields)  # type: ignore[arg-type]
    queries.append_event(session, event={**fields, "prev_hash": last_hash, "hash": digest})


def record_read(
    session: Session,
    *,
    actor: Principal,
    action: str,
    now: datetime,
    subject_id: str,
    purpose: str,
    resource_type: str,
    resource_id: str,
) -> None:
    """Record a read whose only write is this event: what ``record`` appends, but on a
    database served in parallel, in a route's unit of work, it is appended once the read's
    transaction has committed, with other reads' events (``service.audit.group``), and the
    route answers only once it is committed. On a serial database (SQLite), or outside a
    route, it is appended here, as ``record`` does: there a transaction of its own would
    cost more than it saves."""
    event = NewEvent(
        actor=actor,
        action=action,
        subject_id=subject_id,
        purpose=purpose,
        resource_type=resource_type,
        resource_id=resource_id,
        at=now,
    )
    bind = engine_read_for(session.get_bind())
    if not is_serial(bind) and after_commit(session, lambda: _read_writer(bind).append(event)):
        return
    _record_read_event(session, event)


def _record_read_event(session: Session, event: "NewEvent") -> None:
    """``record`` for a read's event, at the read's own moment."""
    if event.at is None:  # pragma: no cover - record_read gives every event its moment
        raise ValueError("a read's event without its moment")
    record(
        session,
        actor=event.actor,
        action=event.action,
        now=event.at,
        subject_id=event.subject_id,
        purpose=event.purpose,
        resource_type=event.resource_type,
        resource_id=event.resource_id,
    )


def _append_reads(session: Session, events: Sequence["NewEvent"], wait: bool = True) -> None:
    """The group writer's transaction: the events ``record_bulk`` would append (each with its
    read's own moment), the database moving each chain's head row by row as it inserts
    them (the trigger of migration 0003). For a batch of reads (a few dozen events at most,
    on as many chains) that is cheaper than deferring the trigger and moving each head once:
    four round trips to PostgreSQL in all (BEGIN, the heads locked, the events inserted in
    one executemany, COMMIT) instead of seven; three, the heads being locked with the
    BEGIN (``queries.chain_heads_for_update_with_begin``). ``wait=False``: raise
    ``queries.HeadsBusy`` instead of waiting for a head another transaction holds."""
    moment = events[0].at
    if moment is None:  # pragma: no cover - record_read gives every event its moment
        raise ValueError("a read's event without its moment")
    rows, _moved, _own_moments = _chained_rows(
        session,
        events,
        moment,
        functools.partial(queries.chain_heads_for_update_with_begin, wait=wait),
    )
    queries.append_events(session, events=rows, at=None)


def _read_writer(bind: Any) -> "group._Writer[NewEvent]":
    return group.writer(bind, _append_reads)


class NewEvent(NamedTuple):
    """An event for ``record_bulk``: the arguments ``record`` takes; its moment, ``at``,
    when it has one of its own (a read's, appended later: ``record_read``), else the batch's."""

    actor: Principal
    action: str
    subject_id: str | None = None
    purpose: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    at: datetime | None = None


_CHAIN_AND_SEQ = operator.itemgetter(0, 1)


class LockedHeads:
    """The heads of chains read, and locked until commit, ahead of the bulk appends to them
    (``lock_heads``): each ``record_bulk`` given them chains its events on from them, and
    moves them to its last, with no statement of its own before its insert. A run whose
    writes go behind it (``write_behind``) reads them before its first write, which a read
    later would have to wait for."""

    def __init__(self, chains: set[str], heads: dict[str, tuple[int, str]]) -> None:
        self.chains = chains
        self.heads = heads  # moved on by each append

    def of(self, _session: Session, chains: Sequence[str]) -> dict[str, tuple[int, str]]:
        """The heads, for ``_chained_rows``: every chain must have been locked ahead."""
        missing = set(chains) - self.chains
        if missing:
            raise RuntimeError(f"audit chains not locked ahead: {sorted(missing)[:3]}")
        return self.heads


def lock_heads(session: Session, subject_ids: Iterable[str | None]) -> LockedHeads:
    """The heads of the chains the events of ``subject_ids`` (None: the system's) go on,
    read and locked in one statement, in chain order, for ``record_bulk``'s ``heads``."""
    held = _held_stripes(session)
    chains = {held.get(s or SYSTEM_CHAIN, s or SYSTEM_CHAIN) for s in subject_ids}
    return LockedHeads(chains, queries.chain_heads_for_update(session, sorted(chains)))


def record_bulk(
    session: Session,
    *,
    events: Sequence[NewEvent],
    now: datetime,
    heads: LockedHeads | None = None,
) -> None:
    """Append many events at once (a job's or a deadline run's): exactly the events, in the
    same order on each chain and with the same hashes, that calling ``record`` for each in
    turn would append. The heads of every chain concerned are read, and locked, in one
    statement; the events are inserted in one executemany with the head trigger deferred
    (migration 0010), and each chain's head is then moved once, to its last event, in one
    more executemany: a head per chain instead of one per event.

    A chain's events go on the stripe this transaction holds of it already, else on the
    chain's own (first) stripe, waited for if another transaction holds it: a batch opens
    no stripes (what ``record`` would do alone, as it does with no other transaction
    appending to the chain).

    With ``heads`` (``lock_heads``), the heads are not read here: the events chain on from
    those, and those are moved."""
    if not events:
        return
    lock = queries.chain_heads_for_update if heads is None else heads.of
    rows, moved, own_moments = _chained_rows(session, events, now, lock)
    # Inserted chain by chain, each in its order: the rows of a chain go into the same pages
    # of the chain's index one after another (a deadline run's 39,000 events of 19,000
    # chains inserted 25 % faster than in the order made, a chain's events far apart). Each
    # chain's events keep their order, and events of different chains have none.
    rows.sort(key=_CHAIN_AND_SEQ)
    with row_triggers.deferred(session, row_triggers.AUDIT_HEADS):
        queries.append_events(session, events=rows, at=None if own_moments else now)
        queries.move_heads(session, [(c, seq, h) for c, (seq, h) in moved.items()])


def _chained_rows(
    session: Session,
    events: Sequence[NewEvent],
    now: datetime,
    lock_heads: Callable[[Session, Sequence[str]], dict[str, tuple[int, str]]],
) -> tuple[list[tuple[Any, ...]], dict[str, tuple[int, str]], bool]:
    """``record_bulk``'s events as rows of ``queries.EVENT_COLUMNS`` (each with its own
    moment last, when any event has one), each linked to the one before it on its chain,
    the heads of the chains concerned locked first (by ``lock_heads``); with each chain's
    last (seq, hash), and whether the rows carry their own moments."""
    session.flush()  # the caller's pending writes go first, in order
    held = _held_stripes(session)
    for base in {e.subject_id or SYSTEM_CHAIN for e in events}:
        held.setdefault(base, base)
    chains = sorted({held[e.subject_id or SYSTEM_CHAIN] for e in events})
    heads = lock_heads(session, chains)
    rows: list[tuple[Any, ...]] = []
    append = rows.append
    # Who acted, as its event's columns say it: a batch's events have few actors, each
    # written out once (by identity: a Principal's hash costs more than the rest of a row).
    actors: dict[int, tuple[str, str, str]] = {}
    moved: dict[str, tuple[int, str]] = {}
    own_moments = any(e.at is not None for e in events)
    now_text = moment_text(now)
    moments: dict[datetime, str] = {now: now_text}  # each moment written out once
    hasher = BulkHasher()
    first_head = (0, GENESIS_HASH)
    for e in events:
        actor = e.actor
        who = actors.get(id(actor))
        if who is None:
            who = actors[id(actor)] = (actor.id, actor.role.value, actor.name)
        at = e.at
        if at is None:
            at_text = now_text
        else:
            at_text = moments.get(at) or moments.setdefault(at, moment_text(at))
        subject_id = e.subject_id
        chain = held[subject_id or SYSTEM_CHAIN]
        last_seq, last_hash = heads.get(chain, first_head)
        seq = last_seq + 1
        facts = (subject_id, *who, e.action, e.purpose, e.resource_type, e.resource_id)
        digest = hasher(last_hash, chain, seq, *facts, at_text)
        row = (chain, seq, *facts, last_hash, digest)
        append(row + (now if at is None else at,) if own_moments else row)
        heads[chain] = moved[chain] = (seq, digest)
    return rows, moved, own_moments


#: The most events one call of verify checks: the work of a call stays bounded however
#: long the log grows; a longer log is verified page by page (``next_cursor``).
MAX_VERIFY_EVENTS = 10_000


@dataclass(frozen=True)
class Verification:
    """One page of verification: the check, and the cursor of the next page (None when the
    page reached the end of the log)."""

    check: ChainCheck
    next_cursor: str | None = None

    @property
    def valid(self) -> bool:
        return self.check.valid


def verify(
    session: Session, *, cursor: str | None = None, limit: int | None = None
) -> Verification:
    """Recompute the hash chains from the event after ``cursor`` on, at most ``limit``
    events (all of them when None). The cursor names the last event the previous page
    checked, whose hash the next event must link to."""
    after: tuple[str, int, str] | None = None
    value = decode_cursor(cursor)
    if value is not None:
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not isinstance(value[0], str)
            or not isinstance(value[1], int)
            or isinstance(value[1], bool)
        ):
            raise invalid_cursor()
        chain, seq = value
        last_hash = queries.event_hash_at(session, chain, seq)
        if last_hash is None:
            raise invalid_cursor()
        after = (chain, seq, last_hash)
    position = None if after is None else (after[0], after[1])
    fetch = None if limit is None else limit + 1
    events = list(queries.events_in_chain_order(session, after=position, limit=fetch))
    more = limit is not None and len(events) > limit
    page = events[:limit] if more else events
    check = check_chain(page, queries.all_heads(session), after=after, complete=not more)
    if check.valid and not more and after is not None:
        lost = queries.chains_without_events(session)
        if lost:
            reason = f"chain {lost[0]} lost all its events"
            check = ChainCheck(False, check.events_checked, None, reason)
    if not check.valid or not more:
        return Verification(check)
    return Verification(check, encode_cursor([page[-1].chain, page[-1].seq]))


def list_events(
    session: Session,
    *,
    subject_id: str | None,
    after_id: int | None,
    limit: int,
    newest_first: bool = False,
) -> Sequence[AuditEvent]:
    return queries.events_page(
        session, subject_id=subject_id, after_id=after_id, limit=limit, newest_first=newest_first
    )


def events_page(
    session: Session,
    *,
    subject_id: str | None,
    cursor: str | None,
    limit: int,
    newest_first: bool = False,
) -> tuple[Sequence[AuditEvent], str | None]:
    """One page of events and the cursor of the next (None on the last page)."""
    rows = list_events(
        session,
        subject_id=subject_id,
        after_id=decode_int_cursor(cursor),
        limit=limit + 1,
        newest_first=newest_first,
    )
    return split_page(rows, limit, lambda event: event.id)
