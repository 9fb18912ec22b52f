"""Audit use cases: append an event in the caller's transaction, verify, list."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from service.audit import queries
from service.audit.models import SYSTEM_CHAIN, AuditEvent
from service.audit.rules import GENESIS_HASH, ChainCheck, check_chain, event_hash
from service.core.pagination import decode_int_cursor, split_page
from service.core.security import Principal


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
    The chain head row is locked, so concurrent appends to one chain queue, while appends
    about different subjects never wait on each other.
    """
    session.flush()  # the caller's pending writes go first, in order
    chain = subject_id or SYSTEM_CHAIN
    head = queries.chain_head_for_update(session, chain)
    last_seq, last_hash = head if head is not None else (0, GENESIS_HASH)
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


def verify(session: Session) -> ChainCheck:
    return check_chain(queries.events_in_chain_order(session), queries.all_heads(session))


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
