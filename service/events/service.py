"""Events: written by each domain at the point of its change, in the same transaction (an
outbox: an event exists exactly when its change does), one row per recipient with only
what that recipient may see. The helpers below are the one place that says who is told
what; a domain calls the helper of its change and never builds a payload itself."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from schemas.common import Page
from schemas.events import EventRead, EventType
from schemas.file import InquiryKind
from service.core.pagination import decode_cursor, invalid_cursor, split_page
from service.core.security import ADMIN_ID, Principal, ProcessIds, SequentialIds
from service.events import queries
from service.events.models import Event, EventWatermark


@dataclass(frozen=True, slots=True)
class Told:
    """One recipient of an event and what they are told."""

    recipient_id: str
    data: Mapping[str, Any]


#: The ids of the events written a change at a time (a lender's pull writes two).
_EVENT_IDS = ProcessIds("evt")


def _row(
    *,
    type: EventType,
    told: Told,
    now: datetime,
    resource_type: str,
    resource_id: str,
    subject_id: str | None,
) -> dict[str, Any]:
    return {
        "id": _EVENT_IDS.next(),
        "recipient_id": told.recipient_id,
        "subject_id": subject_id,
        "type": type.value,
        "at": now,
        "resource_type": resource_type,
        "resource_id": resource_id,
        "data": dict(told.data),
        "fanned_out": False,
    }


def emit(
    session: Session,
    *,
    type: EventType,
    now: datetime,
    resource_type: str,
    resource_id: str,
    subject_id: str | None,
    to: Iterable[Told],
) -> None:
    """Write the event once per recipient, in the caller's transaction."""
    queries.insert_events(
        session,
        [
            _row(
                type=type,
                told=t,
                now=now,
                resource_type=resource_type,
                resource_id=resource_id,
                subject_id=subject_id,
            )
            for t in to
        ],
    )


def emit_test(session: Session, *, owner_id: str, endpoint_id: str, now: datetime) -> Event:
    """A test event for one endpoint: in its owner's feed, delivered only to that endpoint
    (it is written as fanned out; the webhooks queue its one delivery)."""
    row = _row(
        type=EventType.webhook_test,
        told=Told(owner_id, {"endpoint_id": endpoint_id, "message": "A test event."}),
        now=now,
        resource_type="webhook_endpoint",
        resource_id=endpoint_id,
        subject_id=None,
    )
    row["fanned_out"] = True
    event = Event(**row)
    session.add(event)
    session.flush()
    return event


# --- who is told what, per change ---------------------------------------------------------------


def account_changed(
    session: Session,
    *,
    created: bool,
    account_id: str,
    account_ref: str,
    subject_id: str,
    furnisher_id: str,
    version: int,
    changed: Sequence[str],
    now: datetime,
) -> None:
    """The subject and the account's furnisher."""
    accounts_changed(
        session,
        [(created, account_id, account_ref, subject_id, furnisher_id, version, changed)],
        now=now,
    )


#: (created, account_id, account_ref, subject_id, furnisher_id, version, changed)
AccountChange = tuple[bool, str, str, str, str, int, Sequence[str]]


def accounts_changed(session: Session, changes: Sequence[AccountChange], *, now: datetime) -> None:
    """``account_changed`` for many accounts in one statement (a Metro 2 import)."""
    rows: list[tuple[Any, ...]] = []
    ids = SequentialIds("evt")
    for created, account_id, ref, subject_id, furnisher_id, version, changed in changes:
        kind = EventType.account_created if created else EventType.account_updated
        common = {"account_id": account_id, "account_ref": ref, "version": version}
        common["changed"] = list(changed)
        rows += _tuples(
            kind,
            (
                Told(subject_id, {**common, "furnisher_id": furnisher_id}),
                Told(furnisher_id, {**common, "subject_id": subject_id}),
            ),
            resource_type="account",
            resource_id=account_id,
            subject_id=subject_id,
            ids=ids,
        )
    queries.insert_event_tuples(session, rows, at=now)


def inquiry_recorded(
    session: Session,
    *,
    inquiry_id: str,
    subject_id: str,
    lender_id: str,
    purpose: str,
    kind: str,
    now: datetime,
) -> None:
    """The subject always; the lender only of its own hard inquiry (a soft inquiry is
    visible only to the subject)."""
    to = [
        Told(
            subject_id,
            {"inquiry_id": inquiry_id, "lender_id": lender_id, "purpose": purpose, "kind": kind},
        )
    ]
    if kind == InquiryKind.hard:  # a lender never learns of a soft inquiry
        to.append(
            Told(
                lender_id,
                {
                    "inquiry_id": inquiry_id,
                    "subject_id": subject_id,
                    "purpose": purpose,
                    "kind": kind,
                },
            )
        )
    emit(
        session,
        type=EventType.inquiry_recorded,
        now=now,
        resource_type="inquiry",
        resource_id=inquiry_id,
        subject_id=subject_id,
        to=to,
    )


class DisputeFacts(NamedTuple):
    """What a dispute's events say, and to whom (``_dispute_told``, ``_item_told``)."""

    dispute_id: str
    subject_id: str
    furnisher_id: str | None
    item_type: str
    item_id: str
    account_ref: str | None


def _dispute_told(facts: DisputeFacts, status: str, outcome: str | None) -> list[Told]:
    """The subject; and the furnisher of the disputed account, about its own account only
    (a dispute of an inquiry, a public record or the identity has no furnisher)."""
    data = {
        "dispute_id": facts.dispute_id,
        "item_type": facts.item_type,
        "item_id": facts.item_id,
        "status": status,
        "outcome": outcome,
    }
    to = [Told(facts.subject_id, data)]
    if facts.furnisher_id is not None and facts.item_type == "account":
        to.append(Told(facts.furnisher_id, {**data, "account_ref": facts.account_ref}))
    return to


def _item_told(facts: DisputeFacts) -> list[Told]:
    """An item suppressed or reinserted: the subject, and the account's furnisher."""
    data = {"item_type": facts.item_type, "item_id": facts.item_id, "dispute_id": facts.dispute_id}
    to = [Told(facts.subject_id, data)]
    if facts.furnisher_id is not None and facts.item_type == "account":
        to.append(Told(facts.furnisher_id, {**data, "account_ref": facts.account_ref}))
    return to


def _tuples(
    type: EventType,
    to: Iterable[Told],
    *,
    resource_type: str,
    resource_id: str,
    subject_id: str | None,
    ids: SequentialIds,
) -> list[tuple[Any, ...]]:
    """The event's rows, one per recipient, as the tuples ``queries.insert_event_tuples``
    takes (a bulk path's): each recipient's ``data`` object as it is, so rows that share
    one share its encoding."""
    return [
        (
            ids.next(),
            t.recipient_id,
            subject_id,
            type.value,
            resource_type,
            resource_id,
            t.data if isinstance(t.data, dict) else dict(t.data),
        )
        for t in to
    ]


def dispute_event(
    session: Session,
    *,
    type: EventType,
    facts: DisputeFacts,
    status: str,
    outcome: str | None,
    now: datetime,
) -> None:
    emit(
        session,
        type=type,
        now=now,
        resource_type="dispute",
        resource_id=facts.dispute_id,
        subject_id=facts.subject_id,
        to=_dispute_told(facts, status, outcome),
    )


def item_event(session: Session, *, type: EventType, facts: DisputeFacts, now: datetime) -> None:
    emit(
        session,
        type=type,
        now=now,
        resource_type=facts.item_type,
        resource_id=facts.item_id,
        subject_id=facts.subject_id,
        to=_item_told(facts),
    )


def disputes_resolved(
    session: Session,
    resolved: Sequence[tuple[DisputeFacts, str, bool, bool]],
    *,
    now: datetime,
) -> None:
    """The events of many disputes resolved at once (a deadline run), in one statement: for
    each (facts, outcome, overdue, suppressed), ``dispute.resolved``, ``dispute.overdue``
    when its deadline passed unanswered, and ``item.suppressed`` when its item left the file,
    each to whom ``_dispute_told`` and ``_item_told`` say, with what they say: the events
    ``dispute_event`` and ``item_event`` write one by one, made by the database from the
    disputes' facts (``queries.insert_dispute_results``)."""
    queries.insert_dispute_results(
        session,
        [
            (
                f.dispute_id,
                f.subject_id,
                f.furnisher_id,
                f.item_type,
                f.item_id,
                f.account_ref,
                outcome,
                overdue,
                suppressed,
            )
            for f, outcome, overdue, suppressed in resolved
        ],
        types=(
            EventType.dispute_resolved.value,
            EventType.dispute_overdue.value,
            EventType.item_suppressed.value,
        ),
        status="resolved",
        stem=SequentialIds("evt").stem,
        at=now,
    )


def consent_event(
    session: Session,
    *,
    type: EventType,
    consent_id: str,
    subject_id: str,
    lender_id: str,
    purpose: str,
    scope: Sequence[str],
    expires_on: date,
    now: datetime,
) -> None:
    """The subject and the lender the consent names."""
    data = {
        "consent_id": consent_id,
        "subject_id": subject_id,
        "lender_id": lender_id,
        "purpose": purpose,
        "scope": list(scope),
        "expires_on": expires_on.isoformat(),
    }
    emit(
        session,
        type=type,
        now=now,
        resource_type="consent",
        resource_id=consent_id,
        subject_id=subject_id,
        to=[Told(subject_id, data), Told(lender_id, data)],
    )


def freeze_event(session: Session, *, type: EventType, subject_id: str, now: datetime) -> None:
    """The subject only: a freeze says nothing to a lender until it refuses a pull."""
    emit(
        session,
        type=type,
        now=now,
        resource_type="freeze",
        resource_id=subject_id,
        subject_id=subject_id,
        to=[Told(subject_id, {"frozen": type is EventType.freeze_placed})],
    )


def notice_created(
    session: Session, *, notice_id: str, subject_id: str, kind: str, now: datetime
) -> None:
    """The subject, whose notice it is."""
    notices_created(session, [(notice_id, subject_id, kind)], now=now)


def notices_created(
    session: Session, created: Sequence[tuple[str, str, str]], *, now: datetime
) -> None:
    """``notice_created`` for many (notice id, subject id, kind) at once, in one insert."""
    ids = SequentialIds("evt")
    created_type = EventType.notice_created.value
    rows = [
        (ids.next(), subject_id, subject_id, created_type, "notice", notice_id)
        + ({"notice_id": notice_id, "kind": kind},)
        for notice_id, subject_id, kind in created
    ]
    queries.insert_event_tuples(session, rows, at=now)


def clock_advanced(session: Session, *, before: datetime, after: datetime) -> None:
    """The sandbox operator."""
    emit(
        session,
        type=EventType.clock_advanced,
        now=after,
        resource_type="clock",
        resource_id="sandbox",
        subject_id=None,
        to=[Told(ADMIN_ID, {"from": before.isoformat(), "to": after.isoformat()})],
    )


def endpoint_disabled(
    session: Session, *, owner_id: str, endpoint_id: str, reason: str, now: datetime
) -> None:
    """The endpoint's owner (the notice that the endpoint stopped receiving)."""
    emit(
        session,
        type=EventType.webhook_endpoint_disabled,
        now=now,
        resource_type="webhook_endpoint",
        resource_id=endpoint_id,
        subject_id=None,
        to=[Told(owner_id, {"endpoint_id": endpoint_id, "reason": reason})],
    )


def advance_watermark(session: Session, *, name: str, now: datetime) -> datetime | None:
    """Move the named watermark to ``now``; the moment it stood at before (None the first
    time, when there is nothing earlier to announce)."""
    mark = queries.watermark(session, name)
    if mark is None:
        queries.add_watermark(session, EventWatermark(name=name, at=now))
        return None
    before = mark.at
    if now > before:
        mark.at = now
        session.flush()
    return before


# --- reading: the feed, and the relay's view for the webhooks ------------------------------------


def read(event: Event) -> EventRead:
    return EventRead(
        id=event.id,
        type=EventType(event.type),
        at=event.at,
        resource_type=event.resource_type,
        resource_id=event.resource_id,
        data=event.data,
    )


def feed(
    session: Session,
    *,
    caller: Principal,
    types: Sequence[EventType],
    cursor: str | None,
    limit: int,
) -> Page[EventRead]:
    """The caller's own events, oldest first after the cursor: the (txid, seq) of the last
    event served, so that no event committed later is ever skipped (``queries.feed``)."""
    rows = queries.feed(
        session,
        caller.id,
        after=_feed_cursor(cursor),
        types=[t.value for t in types],
        limit=limit + 1,
    )
    page, next_cursor = split_page(rows, limit, lambda e: [e.txid, e.seq])
    return Page[EventRead](items=[read(e) for e in page], next_cursor=next_cursor)


def _feed_cursor(cursor: str | None) -> tuple[int, int] | None:
    """A feed cursor: [txid, seq]; a bare seq (issued before events had a txid, all of which
    have txid 0) still reads as [0, seq]."""
    value = decode_cursor(cursor)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return 0, value
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return value[0], value[1]
    raise invalid_cursor()


def event_of(session: Session, *, recipient_id: str, event_id: str) -> Event | None:
    return queries.event_of(session, recipient_id, event_id)


def events_since(
    session: Session, *, recipient_id: str, since: datetime, types: Sequence[str], limit: int
) -> Sequence[Event]:
    return queries.events_since(session, recipient_id, since, types, limit)


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What a delivery's body says of its event."""

    id: str
    type: str
    at: datetime
    resource_type: str
    resource_id: str
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Unfanned(EventFacts):
    """An event waiting to be fanned out: its facts, and to whom and in what order."""

    seq: int
    recipient_id: str


def claim_unfanned(session: Session, *, limit: int) -> list[Unfanned]:
    return [
        Unfanned(event_id, type, at, resource_type, resource_id, data, seq, recipient_id)
        for seq, event_id, recipient_id, type, at, resource_type, resource_id, data in (
            queries.claim_unfanned(session, limit)
        )
    ]


def mark_fanned(session: Session, seqs: Sequence[int]) -> None:
    queries.mark_fanned(session, seqs)


def mark_all_fanned(session: Session) -> int:
    """Every event waiting is fanned out to no one (when no endpoint is enabled); how many."""
    return queries.mark_all_fanned(session)


def events_by_ids(session: Session, ids: Sequence[str]) -> dict[str, EventFacts]:
    return {
        event_id: EventFacts(event_id, type, at, resource_type, resource_id, data)
        for event_id, type, at, resource_type, resource_id, data in queries.events_by_ids(
            session, ids
        )
    }
