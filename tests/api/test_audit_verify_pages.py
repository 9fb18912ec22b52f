"""GET /v1/audit/verify: bounded per call, paged by cursor with each page linked to the
last event of the page before, and run off the event loop."""

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from service.audit import service as audit_service
from service.audit.models import AuditEvent
from tests.conftest import Actor


def walk(client: TestClient, auditor: Actor, limit: int) -> list[dict[str, Any]]:
    """Every page of verification, following next_cursor."""
    pages: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        resp = client.get("/v1/audit/verify", params=params, headers=auditor.headers)
        assert resp.status_code == 200, resp.text
        pages.append(resp.json())
        cursor = pages[-1]["next_cursor"]
        if cursor is None or not pages[-1]["valid"]:
            return pages
        params = {"limit": limit, "cursor": cursor}


@pytest.fixture
def log(
    client: TestClient, make_subject: Callable[..., Actor], make_auditor: Callable[..., Actor]
) -> tuple[Actor, list[Actor]]:
    subjects = [make_subject() for _ in range(3)]
    for subject in subjects:
        for _ in range(2):
            client.get("/v1/me/report", headers=subject.headers)
    return make_auditor(), subjects


def events_of(session: Session, subject: Actor) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.chain == subject.id).order_by(AuditEvent.seq)
    return list(session.scalars(stmt))


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_pages_check_the_whole_log_once(
    client: TestClient, log: tuple[Actor, list[Actor]], limit: int
) -> None:
    auditor, _ = log
    whole = client.get("/v1/audit/verify", headers=auditor.headers).json()
    assert whole["valid"] is True
    assert whole["next_cursor"] is None

    pages = walk(client, auditor, limit)

    assert all(p["valid"] for p in pages)
    assert [p["events_checked"] for p in pages[:-1]] == [limit] * (len(pages) - 1)
    assert sum(p["events_checked"] for p in pages) == whole["events_checked"]
    assert pages[-1]["next_cursor"] is None


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_an_edited_middle_event_is_found_on_its_page(
    client: TestClient, session: Session, log: tuple[Actor, list[Actor]], limit: int
) -> None:
    auditor, subjects = log
    middle = events_of(session, subjects[1])[1]
    session.execute(update(AuditEvent).where(AuditEvent.id == middle.id).values(action="x"))
    session.flush()

    last = walk(client, auditor, limit)[-1]

    assert last["valid"] is False
    assert last["first_bad_event"] == middle.id


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_a_deleted_first_event_breaks_the_link_across_pages(
    client: TestClient, session: Session, log: tuple[Actor, list[Actor]], limit: int
) -> None:
    auditor, subjects = log
    events = events_of(session, subjects[0])
    session.execute(delete(AuditEvent).where(AuditEvent.id == events[0].id))
    session.flush()

    last = walk(client, auditor, limit)[-1]

    assert last["valid"] is False
    assert last["first_bad_event"] == events[1].id


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_a_deleted_tail_is_found_when_its_chain_ends_a_page(
    client: TestClient, session: Session, log: tuple[Actor, list[Actor]], limit: int
) -> None:
    auditor, subjects = log
    newest = events_of(session, subjects[2])[-1]
    session.execute(delete(AuditEvent).where(AuditEvent.id == newest.id))
    session.flush()

    last = walk(client, auditor, limit)[-1]

    assert last["valid"] is False
    assert subjects[2].id in last["reason"]


@pytest.mark.parametrize("limit", [1, 2, 5, 10_000])
def test_a_deleted_tail_of_the_last_chain_is_found_on_the_last_page(
    client: TestClient, session: Session, log: tuple[Actor, list[Actor]], limit: int
) -> None:
    auditor, _ = log
    last_chain = session.scalars(
        select(AuditEvent.chain).order_by(AuditEvent.chain.desc()).limit(1)
    ).one()
    newest = session.scalars(
        select(AuditEvent).where(AuditEvent.chain == last_chain).order_by(AuditEvent.seq.desc())
    ).first()
    assert newest is not None
    session.execute(delete(AuditEvent).where(AuditEvent.id == newest.id))
    session.flush()

    last = walk(client, auditor, limit)[-1]

    assert last["valid"] is False
    assert last_chain in last["reason"]


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_a_chain_that_lost_every_event_is_found(
    client: TestClient, session: Session, log: tuple[Actor, list[Actor]], limit: int
) -> None:
    auditor, subjects = log
    session.execute(delete(AuditEvent).where(AuditEvent.chain == subjects[1].id))
    session.flush()

    last = walk(client, auditor, limit)[-1]

    assert last["valid"] is False
    assert subjects[1].id in last["reason"]


def test_verify_checks_the_chain_in_a_worker_thread(
    client: TestClient, log: tuple[Actor, list[Actor]], monkeypatch: pytest.MonkeyPatch
) -> None:
    auditor, _ = log
    on_loop: list[bool] = []
    real = audit_service.check_chain

    def check_chain(*args: Any, **kwargs: Any) -> Any:
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)
        return real(*args, **kwargs)

    monkeypatch.setattr(audit_service, "check_chain", check_chain)
    resp = client.get("/v1/audit/verify", headers=auditor.headers)

    assert resp.status_code == 200
    assert on_loop == [False]


def test_health_answers_while_verify_runs(
    app: FastAPI,
    client: TestClient,
    log: tuple[Actor, list[Actor]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Verify holds its page until /healthz has answered: that can only happen if the event
    loop is free while verify works."""
    auditor, _ = log
    health_answered = threading.Event()
    waited: list[bool] = []
    real = audit_service.check_chain

    def slow_check_chain(*args: Any, **kwargs: Any) -> Any:
        waited.append(health_answered.wait(timeout=5))
        return real(*args, **kwargs)

    monkeypatch.setattr(audit_service, "check_chain", slow_check_chain)

    async def main() -> tuple[int, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            statuses: dict[str, int] = {}

            async def verify() -> None:
                resp = await c.get("/v1/audit/verify", headers=auditor.headers)
                statuses["verify"] = resp.status_code

            async def health() -> None:
                resp = await c.get("/healthz")
                statuses["health"] = resp.status_code
                health_answered.set()

            async with anyio.create_task_group() as group:
                group.start_soon(verify)
                await anyio.sleep(0.05)
                group.start_soon(health)
            return statuses["verify"], statuses["health"]

    assert anyio.run(main) == (200, 200)
    assert waited == [True]
