"""Webhook use cases: endpoints (the secret shown once, rotated with an overlap), their
deliveries made from the event outbox, attempts recorded with their outcome, retries by the
sandbox clock, replays and test events. Sending itself is ``sender``; the loop ``worker``."""

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from schemas.common import Page, Role
from schemas.events import EventType
from schemas.notices import NoticeKind
from schemas.webhooks import (
    AttemptRead,
    DeliveryRead,
    DeliveryStatus,
    EndpointCreate,
    EndpointCreated,
    EndpointRead,
    EndpointUpdate,
    Replay,
    Replayed,
    SecretRotated,
)
from service.audit import purposes
from service.core.errors import FieldError, NotFound, UrlNotAllowed
from service.core.pagination import decode_keyset, decode_typed_cursor, keyset_of, split_page
from service.core.security import Principal, SequentialIds, new_id
from service.events import service as events
from service.events.models import Event
from service.notices import service as notices
from service.principals import service as principals
from service.webhooks import queries, rules, sender
from service.webhooks.models import WebhookEndpoint

#: The most events one replay queues (replay again from the last one's time for more).
MAX_REPLAY = 10_000
#: Events fanned out, and deliveries claimed, per transaction of a worker.
BATCH = 500
#: Who disables an endpoint: the delivery rules, not a person.
RULE_ACTOR = Principal(id="rule", role=Role.admin, name="Clearfile webhook delivery rules")


def _endpoint_read(endpoint: WebhookEndpoint) -> EndpointRead:
    return EndpointRead(
        id=endpoint.id,
        url=endpoint.url,
        event_types=[EventType(t) for t in endpoint.event_types],
        description=endpoint.description,
        enabled=endpoint.enabled,
        disabled_reason=endpoint.disabled_reason,
        disabled_at=endpoint.disabled_at,
        created_at=endpoint.created_at,
        previous_secret_expires_at=endpoint.previous_secret_expires_at,
    )


def _check_url(url: str, networks: Sequence[rules.Network]) -> None:
    try:
        sender.check_url(url, networks)
    except rules.UrlProblem as exc:
        raise UrlNotAllowed(
            detail=f"Webhooks are not sent to {url}: {exc}.",
            errors=[FieldError("url", str(exc))],
        ) from exc


def create_endpoint(
    session: Session,
    *,
    owner: Principal,
    body: EndpointCreate,
    networks: Sequence[rules.Network],
    now: datetime,
) -> EndpointCreated:
    url = str(body.url)
    _check_url(url, networks)
    endpoint = WebhookEndpoint(
        id=new_id("whe"),
        principal_id=owner.id,
        url=url,
        event_types=[t.value for t in body.event_types],
        description=body.description,
        secret=rules.new_secret(),
        previous_secret=None,
        previous_secret_expires_at=None,
        enabled=True,
        disabled_reason=None,
        disabled_at=None,
        failing_since=None,
        created_at=now,
    )
    queries.add(session, endpoint)
    return EndpointCreated(**_endpoint_read(endpoint).model_dump(), secret=endpoint.secret)


def _own(
    session: Session, owner: Principal, endpoint_id: str, *, for_update: bool = False
) -> WebhookEndpoint:
    endpoint = queries.endpoint_of(session, owner.id, endpoint_id, for_update=for_update)
    if endpoint is None:
        raise NotFound(detail="No such webhook endpoint.")
    return endpoint


def list_endpoints(
    session: Session, *, owner: Principal, cursor: str | None, limit: int
) -> Page[EndpointRead]:
    rows = queries.endpoints_of(
        session, owner.id, after=decode_typed_cursor(cursor, str), limit=limit + 1
    )
    page, next_cursor = split_page(rows, limit, lambda e: e.id)
    return Page[EndpointRead](items=[_endpoint_read(e) for e in page], next_cursor=next_cursor)


def get_endpoint(session: Session, *, owner: Principal, endpoint_id: str) -> EndpointRead:
    return _endpoint_read(_own(session, owner, endpoint_id))


def update_endpoint(
    session: Session,
    *,
    owner: Principal,
    endpoint_id: str,
    body: EndpointUpdate,
    networks: Sequence[rules.Network],
) -> EndpointRead:
    """Change the URL, the types or the description; ``enabled: true`` re-enables a
    disabled endpoint (its pending deliveries go out again), ``false`` pauses it."""
    endpoint = _own(session, owner, endpoint_id, for_update=True)
    if body.url is not None:
        _check_url(str(body.url), networks)
        endpoint.url = str(body.url)
    if body.event_types is not None:
        endpoint.event_types = [t.value for t in body.event_types]
    if "description" in body.model_fields_set:
        endpoint.description = body.description
    if body.enabled is True and not endpoint.enabled:
        endpoint.enabled = True
        endpoint.disabled_reason = endpoint.disabled_at = endpoint.failing_since = None
    elif body.enabled is False and endpoint.enabled:
        endpoint.enabled = False
        endpoint.disabled_reason = "disabled by its owner"
    session.flush()
    return _endpoint_read(endpoint)


def delete_endpoint(session: Session, *, owner: Principal, endpoint_id: str) -> EndpointRead:
    endpoint = _own(session, owner, endpoint_id, for_update=True)
    read = _endpoint_read(endpoint)
    queries.delete_endpoint(session, endpoint)
    return read


def rotate_secret(
    session: Session, *, owner: Principal, endpoint_id: str, now: datetime
) -> SecretRotated:
    """A new secret; the old one keeps signing too for ``rules.ROTATION_OVERLAP``."""
    endpoint = _own(session, owner, endpoint_id, for_update=True)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + rules.ROTATION_OVERLAP
    endpoint.secret = rules.new_secret()
    session.flush()
    return SecretRotated(
        id=endpoint.id,
        secret=endpoint.secret,
        previous_secret_expires_at=endpoint.previous_secret_expires_at,
    )


def _delivery(
    endpoint_id: str,
    event: Event | events.Unfanned,
    now: datetime,
    did: str,
    lease_until: datetime | None = None,
) -> dict[str, object]:
    return {
        "id": did,
        "endpoint_id": endpoint_id,
        "event_id": event.id,
        "event_type": event.type,
        "status": DeliveryStatus.pending.value,
        "attempts": 0,
        "next_attempt_at": now,
        "first_attempt_at": None,
        "lease_until": lease_until,
        "created_at": now,
    }


def send_test(
    session: Session, *, owner: Principal, endpoint_id: str, now: datetime
) -> DeliveryRead:
    """A ``webhook.test`` event delivered to this endpoint only."""
    endpoint = _own(session, owner, endpoint_id)
    event = events.emit_test(session, owner_id=owner.id, endpoint_id=endpoint.id, now=now)
    did = new_id("whd")
    queries.insert_deliveries(session, [_delivery(endpoint.id, event, now, did)])
    return DeliveryRead(
        id=did,
        event_id=event.id,
        event_type=EventType.webhook_test,
        status=DeliveryStatus.pending,
        attempts=[],
        next_attempt_at=now,
        created_at=now,
    )


def replay(
    session: Session, *, owner: Principal, endpoint_id: str, body: Replay, now: datetime
) -> Replayed:
    """Queue the event again (same ``webhook-id``: receivers deduplicate), or every event
    of the endpoint's types since a moment."""
    endpoint = _own(session, owner, endpoint_id)
    if body.since is None:
        event = events.event_of(session, recipient_id=owner.id, event_id=body.event_id or "")
        if event is None:
            raise NotFound(detail="No such event of yours.")
        chosen: Sequence[Event] = [event]
    else:
        chosen = events.events_since(
            session,
            recipient_id=owner.id,
            since=body.since,
            types=endpoint.event_types,
            limit=MAX_REPLAY,
        )
    ids = SequentialIds("whd")
    queries.insert_deliveries(session, [_delivery(endpoint.id, e, now, ids.next()) for e in chosen])
    return Replayed(replayed=len(chosen))


def list_deliveries(
    session: Session, *, owner: Principal, endpoint_id: str, cursor: str | None, limit: int
) -> Page[DeliveryRead]:
    """The endpoint's delivery log, newest first, each with every attempt."""
    endpoint = _own(session, owner, endpoint_id)
    rows = queries.deliveries_of(
        session, endpoint.id, before=decode_keyset(cursor), limit=limit + 1
    )
    page, next_cursor = split_page(rows, limit, lambda d: keyset_of(d.created_at, d.id))
    attempts: dict[str, list[AttemptRead]] = {d.id: [] for d in page}
    for a in queries.attempts_of(session, [d.id for d in page]):
        attempts[a.delivery_id].append(
            AttemptRead(
                number=a.number,
                at=a.at,
                status_code=a.status_code,
                latency_ms=a.latency_ms,
                error=a.error,
                response_excerpt=a.response_excerpt,
            )
        )
    items = [
        DeliveryRead(
            id=d.id,
            event_id=d.event_id,
            event_type=EventType(d.event_type),
            status=DeliveryStatus(d.status),
            attempts=attempts[d.id],
            next_attempt_at=d.next_attempt_at,
            created_at=d.created_at,
        )
        for d in page
    ]
    return Page[DeliveryRead](items=items, next_cursor=next_cursor)


# --- the relay: from the outbox to deliveries, attempts and their outcomes --------------------


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed delivery: what to send, and what the record of its attempt needs."""

    delivery_id: str
    endpoint_id: str
    number: int
    first_attempt_at: datetime | None
    outgoing: sender.Outgoing


@dataclass(frozen=True, slots=True)
class Claim:
    """A worker's claim: deliveries are its until ``wall + lease`` (the wall clock: moving
    the sandbox clock must not end a lease early). The ``webhook-timestamp`` of what it
    sends is the wall clock's too, as receivers check it against theirs."""

    wall: datetime
    lease: timedelta

    @property
    def until(self) -> datetime:
        return self.wall + self.lease


def fan_out(
    session: Session, *, now: datetime, claim: Claim | None = None, limit: int = BATCH
) -> tuple[int, list[Job]]:
    """Make the deliveries of events not yet fanned out: one per enabled endpoint of the
    event's recipient that takes its type and existed when it happened. How many events,
    and, given a ``claim``, the deliveries made, claimed at once for the caller to send
    (as ``claim_due`` would claim them, without reading back what was just written).

    While no endpoint is enabled there is nothing to make: the events waiting are marked
    fanned out (to no one) in one statement, without reading them, as fanning each out would
    have done."""
    if not queries.any_enabled_endpoint(session):
        events.mark_all_fanned(session)
        return 0, []
    claimed = events.claim_unfanned(session, limit=limit)
    if not claimed:
        return 0, []
    endpoints: dict[str, list[WebhookEndpoint]] = {}
    for endpoint in queries.enabled_endpoints_of(
        session, sorted({e.recipient_id for e in claimed})
    ):
        endpoints.setdefault(endpoint.principal_id, []).append(endpoint)
    ids = SequentialIds("whd")
    made = [
        (ids.next(), endpoint, event)
        for event in claimed
        for endpoint in endpoints.get(event.recipient_id, ())
        if event.type in endpoint.event_types and endpoint.created_at <= event.at
    ]
    lease_until = claim.until if claim is not None else None
    queries.insert_deliveries(
        session,
        [_delivery(endpoint.id, event, now, did, lease_until) for did, endpoint, event in made],
    )
    events.mark_fanned(session, [e.seq for e in claimed])
    if claim is None:
        return len(claimed), []
    signing = _Signing(now, claim)
    return len(claimed), [
        signing.job(did, endpoint, event, 1, None) for did, endpoint, event in made
    ]


class _Signing:
    """Signed requests of one claim: each endpoint's secrets in use found once."""

    def __init__(self, now: datetime, claim: Claim) -> None:
        self.now = now
        self.stamp = int(claim.wall.timestamp())
        self._secrets: dict[str, list[str]] = {}

    def job(
        self,
        delivery_id: str,
        endpoint: WebhookEndpoint,
        event: events.EventFacts,
        number: int,
        first_attempt_at: datetime | None,
    ) -> Job:
        secrets_in_use = self._secrets.get(endpoint.id)
        if secrets_in_use is None:
            secrets_in_use = self._secrets[endpoint.id] = _secrets_in_use(endpoint, self.now)
        body = _body(event)
        headers = {
            "content-type": "application/json",
            "user-agent": "Clearfile-Webhooks/1",
            "webhook-id": event.id,
            "webhook-timestamp": str(self.stamp),
            "webhook-signature": rules.signature_header(secrets_in_use, event.id, self.stamp, body),
        }
        return Job(
            delivery_id=delivery_id,
            endpoint_id=endpoint.id,
            number=number,
            first_attempt_at=first_attempt_at,
            outgoing=sender.Outgoing(endpoint.url, headers, body),
        )


def _body(event: events.EventFacts) -> bytes:
    return json.dumps(
        {
            "type": event.type,
            "timestamp": event.at.isoformat().replace("+00:00", "Z"),
            "data": {
                "id": event.id,
                "resource_type": event.resource_type,
                "resource_id": event.resource_id,
                **event.data,
            },
        },
        separators=(",", ":"),
    ).encode()


def _secrets_in_use(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    in_use = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and now < expires:
        in_use.append(endpoint.previous_secret)
    return in_use


def claim_due(session: Session, *, now: datetime, claim: Claim, limit: int = BATCH) -> list[Job]:
    """Claim due deliveries (retries, replays, tests, those made by a clock move or left by a
    worker that stopped) for this worker, and build their signed requests."""
    ids = queries.claim_due(session, now=now, wall=claim.wall, limit=limit)
    if not ids:
        return []
    queries.lease(session, ids, claim.until)
    deliveries = queries.claimed(session, ids)
    by_id = events.events_by_ids(session, sorted({d.event_id for d in deliveries}))
    endpoints = {
        e.id: e
        for e in queries.endpoints_by_ids(session, sorted({d.endpoint_id for d in deliveries}))
    }
    signing = _Signing(now, claim)
    jobs = []
    for delivery in deliveries:
        event = by_id.get(delivery.event_id)
        if event is None:  # pragma: no cover - events are never deleted while deliveries live
            continue
        jobs.append(
            signing.job(
                delivery.id,
                endpoints[delivery.endpoint_id],
                event,
                delivery.attempts + 1,
                delivery.first_attempt_at,
            )
        )
    return jobs


def _draw() -> float:
    return secrets.randbelow(1_000_000) / 1_000_000


def record(
    session: Session, *, results: Sequence[tuple[Job, sender.Answer]], now: datetime
) -> None:
    """Record each attempt and what follows from it: delivered, retried later, given up;
    an endpoint answering 410, or failing for ``rules.DISABLE_AFTER``, is disabled."""
    if not results:
        return
    endpoints = {
        e.id: e
        for e in queries.endpoints_by_ids(
            session, sorted({job.endpoint_id for job, _ in results}), for_update=True
        )
    }
    updates, attempts = [], []
    for job, answer in results:
        endpoint = endpoints.get(job.endpoint_id)
        if endpoint is None:  # deleted since, with its deliveries: nothing left to record
            continue
        first = job.first_attempt_at or now
        attempts.append(
            {
                "delivery_id": job.delivery_id,
                "number": job.number,
                "at": now,
                "status_code": answer.status_code,
                "latency_ms": answer.latency_ms,
                "error": answer.error,
                "response_excerpt": answer.excerpt,
            }
        )
        verdict = rules.verdict(answer.status_code)
        next_at = None
        if verdict is rules.Verdict.retry:
            next_at = rules.next_attempt(
                first_attempt_at=first, attempts_made=job.number, now=now, jitter_draw=_draw()
            )
        status = {
            rules.Verdict.delivered: DeliveryStatus.delivered,
            rules.Verdict.retry: DeliveryStatus.pending if next_at else DeliveryStatus.failed,
            rules.Verdict.failed: DeliveryStatus.failed,
            rules.Verdict.gone: DeliveryStatus.gone,
        }[verdict]
        updates.append(
            {
                "id": job.delivery_id,
                "status": status.value,
                "attempts": job.number,
                "next_attempt_at": next_at,
                "first_attempt_at": first,
            }
        )
        if verdict is rules.Verdict.delivered:
            if endpoint.failing_since is not None:
                endpoint.failing_since = None
            continue
        endpoint.failing_since = endpoint.failing_since or now
        if endpoint.enabled and verdict is rules.Verdict.gone:
            _disable(session, endpoint, "the receiver answered 410 Gone", now)
        elif endpoint.enabled and rules.should_disable(
            failing_since=endpoint.failing_since, now=now
        ):
            _disable(
                session,
                endpoint,
                f"every attempt failed since {endpoint.failing_since.isoformat()}",
                now,
            )
    queries.update_deliveries(session, updates)
    queries.insert_attempts(session, attempts)
    session.flush()


def _disable(session: Session, endpoint: WebhookEndpoint, reason: str, now: datetime) -> None:
    """Disable the endpoint and tell its owner: an event in their feed and, for a subject,
    a notice. Its pending deliveries wait; ``PATCH {enabled: true}`` sends them."""
    endpoint.enabled = False
    endpoint.disabled_reason = reason
    endpoint.disabled_at = now
    events.endpoint_disabled(
        session, owner_id=endpoint.principal_id, endpoint_id=endpoint.id, reason=reason, now=now
    )
    if principals.principal_in_role(session, endpoint.principal_id, Role.subject) is not None:
        notices.send(
            session,
            actor=RULE_ACTOR,
            subject_id=endpoint.principal_id,
            kind=NoticeKind.webhook_endpoint_disabled,
            content={
                "title": "Your webhook endpoint was disabled",
                "summary": f"Deliveries to {endpoint.url} stopped: {reason}. Enable it again "
                f'with PATCH /v1/webhooks/endpoints/{endpoint.id} {{"enabled": true}}.',
            },
            purpose=purposes.SELF_ACCESS,
            now=now,
        )


def run_due(session: Session, *, now: datetime) -> None:
    """On a clock move: fan out what waits, so the retries and deliveries that fall due at
    the new time are ready for the delivery worker (which then sends them: a running
    server's, ``clearfile deliver``, or ``worker.deliver_once``). While no endpoint is
    enabled nothing can fall due: the events waiting are left to the worker, which marks
    them fanned out to no one (``fan_out``) outside the clock's transaction."""
    if not queries.any_enabled_endpoint(session):
        return
    while fan_out(session, now=now)[0]:
        pass
