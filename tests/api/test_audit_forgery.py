"""Forgeries that rewrite hashes are still found.

The rule: each event's hash covers the event and the hash of the event before it, and each
event names that hash as its ``prev_hash``. So a forger who edits an event and recomputes its
hash must either leave the next event pointing at the old hash (a broken link) or relink it,
which changes what the next event's own hash covers (it no longer matches).
"""

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit.models import AuditEvent
from service.audit.rules import GENESIS_HASH, check_chain, event_hash, hash_of
from tests.conftest import Actor
from tests.factories import ChainEvent


def _events_of_reads(client: TestClient, session: Session, subject: Actor) -> list[AuditEvent]:
    for _ in range(3):
        assert client.get("/v1/me/report", headers=subject.headers).status_code == 200
    stmt = select(AuditEvent).where(AuditEvent.subject_id == subject.id).order_by(AuditEvent.seq)
    events = list(session.scalars(stmt))
    assert len(events) >= 4
    return events


def _forge(session: Session, event: AuditEvent) -> str:
    """Edit ``event`` and give it the hash its new content has; its new hash."""
    event.action = "report.never_read"
    event.actor_name = "Somebody Else"
    event.hash = hash_of(event)
    session.flush()
    return event.hash


def _verify(client: TestClient, auditor: Actor) -> dict[str, Any]:
    resp = client.get("/v1/audit/verify", headers=auditor.headers)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def test_a_forged_middle_event_with_its_successor_relinked_is_found(
    client: TestClient,
    session: Session,
    make_subject: Callable[..., Actor],
    make_auditor: Callable[..., Actor],
) -> None:
    auditor = make_auditor()
    events = _events_of_reads(client, session, make_subject())
    middle, successor = events[1], events[2]
    successor.prev_hash = _forge(session, middle)
    session.flush()

    body = _verify(client, auditor)
    assert body["valid"] is False
    # The relinked successor's own hash covers the hash it names, which has changed.
    assert body["first_bad_event"] == successor.id


def test_a_forged_middle_event_left_unlinked_is_found_at_its_successor(
    client: TestClient,
    session: Session,
    make_subject: Callable[..., Actor],
    make_auditor: Callable[..., Actor],
) -> None:
    auditor = make_auditor()
    events = _events_of_reads(client, session, make_subject())
    middle, successor = events[1], events[2]
    _forge(session, middle)  # its own hash matches its content again

    body = _verify(client, auditor)
    assert body["valid"] is False
    # The successor still names the old hash: the link to its predecessor is broken.
    assert body["first_bad_event"] == successor.id


def _fields(seq: int, action: str) -> dict[str, Any]:
    return {
        "chain": "sub_hand",
        "seq": seq,
        "subject_id": "sub_hand",
        "actor_id": "len_hand",
        "actor_role": "lender",
        "actor_name": "Hand Lender",
        "action": action,
        "purpose": "credit_application",
        "resource_type": "report",
        "resource_id": None,
        "at": datetime(2026, 2, seq, 9, 30, tzinfo=UTC),
    }


def test_an_events_hash_covers_the_hash_before_it() -> None:
    same = _fields(2, "report.read")
    assert event_hash(prev_hash="a" * 64, **same) != event_hash(prev_hash="b" * 64, **same)
    assert event_hash(prev_hash=GENESIS_HASH, **same) != event_hash(prev_hash="1" * 64, **same)


def test_a_chain_whose_forged_event_was_rehashed_and_successor_relinked_fails() -> None:
    chain: list[ChainEvent] = []
    prev = GENESIS_HASH
    for seq, action in enumerate(["subject.created", "report.read", "report.read"], start=1):
        fields = _fields(seq, action)
        digest = event_hash(prev_hash=prev, **fields)
        chain.append(ChainEvent(id=100 + seq, prev_hash=prev, hash=digest, **fields))
        prev = digest
    heads = {"sub_hand": (3, chain[-1].hash)}
    assert check_chain(chain, heads).valid

    forged = replace(chain[1], action="report.never_read")
    forged = replace(forged, hash=hash_of(forged))
    relinked = replace(chain[2], prev_hash=forged.hash)
    result = check_chain([chain[0], forged, relinked], heads)
    assert not result.valid
    assert result.first_bad_event == relinked.id

    unlinked = check_chain([chain[0], forged, chain[2]], heads)
    assert not unlinked.valid
    assert unlinked.first_bad_event == chain[2].id
