"""The audit domain's SQL."""

from collections.abc import Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit.models import AuditChainHead, AuditEvent


def chain_head_for_update(session: Session, chain: str) -> AuditChainHead | None:
    return session.get(AuditChainHead, chain, with_for_update=True)


def all_heads(session: Session) -> dict[str, tuple[int, str]]:
    rows = session.execute(select(AuditChainHead.chain, AuditChainHead.seq, AuditChainHead.hash))
    return {chain: (seq, h) for chain, seq, h in rows}


def events_in_chain_order(session: Session, batch: int = 5000) -> Iterator[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.chain, AuditEvent.seq)
    yield from session.scalars(stmt.execution_options(yield_per=batch))


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
