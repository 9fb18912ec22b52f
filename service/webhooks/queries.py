"""The webhooks domain's SQL; never commits."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, delete, exists, or_, select, update
from sqlalchemy.orm import Session

from service.core.prepared import PreparedInsert
from service.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

PENDING = "pending"


def add(session: Session, row: Any) -> None:
    session.add(row)
    session.flush()


def endpoints_of(
    session: Session, principal_id: str, *, after: str | None, limit: int
) -> Sequence[WebhookEndpoint]:
    query = select(WebhookEndpoint).where(WebhookEndpoint.principal_id == principal_id)
    if after is not None:
        query = query.where(WebhookEndpoint.id > after)
    return session.scalars(query.order_by(WebhookEndpoint.id).limit(limit)).all()


def endpoint_of(
    session: Session, principal_id: str, endpoint_id: str, *, for_update: bool = False
) -> WebhookEndpoint | None:
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, WebhookEndpoint.principal_id == principal_id
    )
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def delete_endpoint(session: Session, endpoint: WebhookEndpoint) -> None:
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    session.delete(endpoint)
    session.flush()


def any_enabled_endpoint(session: Session) -> bool:
    stmt = select(exists().where(WebhookEndpoint.enabled.is_(True)))
    return bool(session.execute(stmt).scalar())


def enabled_endpoints_of(
    session: Session, principal_ids: Sequence[str]
) -> Sequence[WebhookEndpoint]:
    if not principal_ids:
        return []
    return session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.principal_id.in_(principal_ids), WebhookEndpoint.enabled.is_(True)
        )
    ).all()


_INSERT_DELIVERY = PreparedInsert(
    WebhookDelivery.__table__,
    [
        "id",
        "endpoint_id",
        "event_id",
        "event_type",
        "status",
        "attempts",
        "next_attempt_at",
        "first_attempt_at",
        "lease_until",
        "created_at",
    ],
)


def insert_deliveries(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Straight to the table in one statement (no ORM unit of work: nothing reads them back
    here), after the session's pending writes."""
    _INSERT_DELIVERY.execute(session, rows)


def deliveries_of(
    session: Session, endpoint_id: str, *, before: tuple[datetime, str] | None, limit: int
) -> Sequence[WebhookDelivery]:
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if before is not None:
        at, rid = before
        query = query.where(
            or_(
                WebhookDelivery.created_at < at,
                and_(WebhookDelivery.created_at == at, WebhookDelivery.id < rid),
            )
        )
    return session.scalars(
        query.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()).limit(limit)
    ).all()


def attempts_of(session: Session, delivery_ids: Sequence[str]) -> Sequence[WebhookAttempt]:
    if not delivery_ids:
        return []
    return session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(delivery_ids))
        .order_by(WebhookAttempt.delivery_id, WebhookAttempt.number)
    ).all()


def claim_due(session: Session, *, now: datetime, wall: datetime, limit: int) -> list[str]:
    """Ids of due deliveries of enabled endpoints that no worker holds, locked so that
    another worker's claim skips them (PostgreSQL; SQLite has one writer at a time)."""
    rows = session.execute(
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == PENDING,
            WebhookDelivery.next_attempt_at <= now,
            or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < wall),
            WebhookEndpoint.enabled.is_(True),
        )
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
        .with_for_update(of=WebhookDelivery, skip_locked=True)
    ).all()
    return [r[0] for r in rows]


def lease(session: Session, ids: Sequence[str], until: datetime) -> None:
    session.execute(
        update(WebhookDelivery).where(WebhookDelivery.id.in_(ids)).values(lease_until=until)
    )


def claimed(
    session: Session, ids: Sequence[str]
) -> Sequence[Row[str, str, str, int, datetime | None]]:
    """(id, endpoint_id, event_id, attempts, first_attempt_at) of these deliveries."""
    return session.execute(
        select(
            WebhookDelivery.id,
            WebhookDelivery.endpoint_id,
            WebhookDelivery.event_id,
            WebhookDelivery.attempts,
            WebhookDelivery.first_attempt_at,
        ).where(WebhookDelivery.id.in_(ids))
    ).all()


def update_deliveries(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Each delivery's outcome (``id``, ``status``, ``attempts``, ``next_attempt_at``,
    ``first_attempt_at``), its lease ended: one statement for all the deliveries with the
    same outcome (a batch delivered at its first attempt is one)."""
    if not rows:
        return
    session.flush()
    alike: dict[tuple[Any, ...], list[str]] = {}
    for row in rows:
        outcome = (row["status"], row["attempts"], row["next_attempt_at"], row["first_attempt_at"])
        alike.setdefault(outcome, []).append(row["id"])
    for (status, attempts, next_attempt_at, first_attempt_at), ids in alike.items():
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ids))
            .values(
                status=status,
                attempts=attempts,
                next_attempt_at=next_attempt_at,
                first_attempt_at=first_attempt_at,
                lease_until=None,
            )
            .execution_options(synchronize_session=False)
        )


_INSERT_ATTEMPT = PreparedInsert(
    WebhookAttempt.__table__,
    ["delivery_id", "number", "at", "status_code", "latency_ms", "error", "response_excerpt"],
)


def insert_attempts(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    _INSERT_ATTEMPT.execute(session, rows)


def endpoints_by_ids(
    session: Session, ids: Sequence[str], *, for_update: bool = False
) -> Sequence[WebhookEndpoint]:
    query = select(WebhookEndpoint).where(WebhookEndpoint.id.in_(ids))
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).all()
