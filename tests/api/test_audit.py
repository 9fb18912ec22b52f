"""Audit log through HTTP: every read and write is recorded; tampering is detected."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from schemas.common import Role
from service.audit import service as audit
from service.audit.models import SYSTEM_CHAIN, AuditChainHead, AuditEvent
from service.core.row_triggers import RowTriggerDeferral
from service.core.security import Principal
from tests.conftest import Actor


def test_verify_is_valid_after_normal_use(
    client: TestClient, make_subject: Callable[..., Actor], make_auditor: Callable[..., Actor]
) -> None:
    subject = make_subject()
    client.get("/v1/me/report", headers=subject.headers)
    auditor = make_auditor()
    body = client.get("/v1/audit/verify", headers=auditor.headers).json()
    assert body["valid"] is True
    assert body["events_checked"] >= 3
    assert body["first_bad_event"] is None


def _subject_events(session: Session, subject_id: str) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.subject_id == subject_id).order_by(AuditEvent.seq)
    return list(session.scalars(stmt))


def _read_reports(
    client: TestClient, session: Session, subject: Actor, times: int
) -> list[AuditEvent]:
    """Read the subject's report ``times`` times; the subject's events, oldest first."""
    for _ in range(times):
        client.get("/v1/me/report", headers=subject.headers)
    return _subject_events(session, subject.id)


def _tamper_and_verify(
    client: TestClient, session: Session, auditor: Actor, statement: Any
) -> dict[str, Any]:
    """Change the log behind the API's back, then ask the auditor's verify endpoint."""
    session.execute(statement)
    session.flush()
    body: dict[str, Any] = client.get("/v1/audit/verify", headers=auditor.headers).json()
    return body


def test_every_event_moves_its_chains_head(
    client: TestClient, session: Session, make_subject: Callable[..., Actor]
) -> None:
    """The database moves the head with each insert (migration 0003's trigger): from the
    chain's first event, which creates it, to its newest."""
    subject = make_subject()
    for reads in (1, 3):
        newest = _read_reports(client, session, subject, reads)[-1]
        head = session.get(AuditChainHead, subject.id)
        assert head is not None
        session.refresh(head)
        assert (head.seq, head.hash) == (newest.seq, newest.hash)


def test_edited_event_is_detected(
    client: TestClient,
    session: Session,
    make_subject: Callable[..., Actor],
    make_auditor: Callable[..., Actor],
) -> None:
    first = _read_reports(client, session, make_subject(), 1)[0]
    body = _tamper_and_verify(
        client,
        session,
        make_auditor(),
        update(AuditEvent).where(AuditEvent.id == first.id).values(actor_name="Somebody Else"),
    )
    assert body["valid"] is False
    assert body["first_bad_event"] == first.id


def test_deleted_event_is_detected(
    client: TestClient,
    session: Session,
    make_subject: Callable[..., Actor],
    make_auditor: Callable[..., Actor],
) -> None:
    events = _read_reports(client, session, make_subject(), 2)
    body = _tamper_and_verify(
        client, session, make_auditor(), delete(AuditEvent).where(AuditEvent.id == events[1].id)
    )
    assert body["valid"] is False
    assert body["first_bad_event"] == events[2].id


def test_deleted_newest_event_is_detected(
    client: TestClient,
    session: Session,
    make_subject: Callable[..., Actor],
    make_auditor: Callable[..., Actor],
) -> None:
    events = _read_reports(client, session, make_subject(), 1)
    body = _tamper_and_verify(
        client, session, make_auditor(), delete(AuditEvent).where(AuditEvent.id == events[-1].id)
    )
    assert body["valid"] is False


def test_auditor_lists_events_in_pages(
    client: TestClient, make_subject: Callable[..., Actor], make_auditor: Callable[..., Actor]
) -> None:
    subject = make_subject()
    for _ in range(3):
        client.get("/v1/me/report", headers=subject.headers)
    auditor = make_auditor()
    first = client.get(
        "/v1/audit/events",
        params={"subject_id": subject.id, "limit": 2},
        headers=auditor.headers,
    ).json()
    assert [e["seq"] for e in first["items"]] == [1, 2]
    second = client.get(
        "/v1/audit/events",
        params={"subject_id": subject.id, "limit": 2, "cursor": first["next_cursor"]},
        headers=auditor.headers,
    ).json()
    assert [e["seq"] for e in second["items"]] == [3, 4]
    assert all(e["subject_id"] == subject.id for e in first["items"] + second["items"])


def test_bad_cursor_is_a_problem(client: TestClient, make_auditor: Callable[..., Actor]) -> None:
    auditor = make_auditor()
    resp = client.get("/v1/audit/events", params={"cursor": "!!"}, headers=auditor.headers)
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["errors"][0]["field"] == "query.cursor"


def test_a_bulk_append_moves_each_head_once_and_verify_still_sees_tampering(
    client: TestClient,
    session: Session,
    make_subject: Callable[..., Actor],
    make_auditor: Callable[..., Actor],
) -> None:
    """``record_bulk`` defers the head trigger and moves each chain's head itself, to its
    last event (migration 0010): a chain it starts, one it extends by several events, and
    the system chain. After it the trigger moves heads again, and the auditor's verify
    still finds an edited, a missing or an inserted event among the bulk's."""
    subject, other = make_subject(), make_subject()
    _read_reports(client, session, subject, 1)
    fresh = "sub_bulk_chain_" + subject.id[-8:]
    actor = Principal(id="clearfile", role=Role.admin, name="Clearfile (scheduled rule)")
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    chains = [subject.id, fresh, None, subject.id, other.id, subject.id]
    auditor = make_auditor()
    with session.begin_nested() as savepoint:
        audit.record_bulk(
            session,
            events=[
                audit.NewEvent(actor=actor, action=f"test.bulk.{k}", subject_id=chain)
                for k, chain in enumerate(chains)
            ],
            now=now,
        )
        for chain in {c or SYSTEM_CHAIN for c in chains}:
            newest = session.scalars(
                select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq.desc())
            ).first()
            head = session.get(AuditChainHead, chain)
            assert newest is not None
            assert head is not None
            session.refresh(head)
            assert (head.seq, head.hash) == (newest.seq, newest.hash), chain
        assert session.scalars(select(RowTriggerDeferral.name)).all() == []
        # The trigger is back: a single append moves the head again.
        newest = _read_reports(client, session, subject, 1)[-1]
        head = session.get(AuditChainHead, subject.id)
        assert head is not None
        session.refresh(head)
        assert (head.seq, head.hash) == (newest.seq, newest.hash)
        assert client.get("/v1/audit/verify", headers=auditor.headers).json()["valid"] is True
        bulk = {e.action: e for e in _subject_events(session, subject.id)}
        last_of_other = _subject_events(session, other.id)[-1]
        for tamper in (
            update(AuditEvent)
            .where(AuditEvent.id == bulk["test.bulk.3"].id)
            .values(action="test.bulk.edited"),
            delete(AuditEvent).where(AuditEvent.id == last_of_other.id),
            update(AuditEvent).where(AuditEvent.chain == fresh).values(seq=AuditEvent.seq + 1),
        ):
            with session.begin_nested() as tampered:
                body = _tamper_and_verify(client, session, auditor, tamper)
                assert body["valid"] is False, tamper
                tampered.rollback()
        savepoint.rollback()
