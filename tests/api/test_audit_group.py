"""Reads' audit events appended once the read commits, together (``service.audit.group``):
the writer's batching, the events it appends, and a read whose event cannot be written."""

import asyncio
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.common import Role
from service.audit import group
from service.audit import service as audit
from service.audit.models import AuditEvent
from service.audit.queries import HeadsBusy
from service.core.security import Principal
from tests.conftest import Actor

#: After every other event of the test (those of its set-up are at the real clock).
START = datetime(2031, 3, 2, 9, 30, tzinfo=UTC)


def test_a_batch_is_committed_on_the_event_loop_without_waiting_for_a_lock() -> None:
    """With every head free, the batch's transaction runs on the loop's own thread, told
    not to wait for a lock (``wait=False``)."""
    calls: list[tuple[list[int], bool, threading.Thread]] = []

    def write(_session: Any, events: Sequence[int], wait: bool) -> None:
        calls.append((list(events), wait, threading.current_thread()))

    async def scenario() -> threading.Thread:
        writer = group._Writer(_FakeBind(), write)
        await asyncio.gather(*(writer.append(k) for k in range(3)))
        return threading.current_thread()

    loop_thread = asyncio.run(scenario())
    assert calls == [([0, 1, 2], False, loop_thread)]


def test_a_batch_whose_head_is_held_commits_from_a_thread_and_reads_meanwhile_join_the_next() -> (
    None
):
    """When another transaction holds a head (``HeadsBusy``), the batch is written again from
    a database thread, waiting for the lock there, while the loop goes on: the reads that
    arrive meanwhile wait, and go in one batch after it, on the loop again; each read is
    answered once its own batch has committed."""
    calls: list[tuple[list[int], bool]] = []
    first_started, release_first = threading.Event(), threading.Event()

    def write(_session: Any, events: Sequence[int], wait: bool) -> None:
        calls.append((list(events), wait))
        if events[0] == 0 and not wait:
            raise HeadsBusy("could not obtain lock on row in relation audit_chain_heads")
        if events[0] == 0:
            first_started.set()
            release_first.wait(5)

    async def scenario() -> None:
        writer = group._Writer(_FakeBind(), write)
        first = asyncio.ensure_future(writer.append(0))
        await asyncio.get_running_loop().run_in_executor(None, first_started.wait, 5)
        rest = [asyncio.ensure_future(writer.append(k)) for k in range(1, 40)]
        await asyncio.sleep(0.01)  # the loop is free while the first batch waits
        assert not first.done()
        assert not any(r.done() for r in rest)  # waiting for the batch in progress
        release_first.set()
        await asyncio.gather(first, *rest)

    asyncio.run(scenario())
    assert calls == [([0], False), ([0], True), (list(range(1, 40)), False)]


def test_a_batch_of_more_than_the_most_per_transaction_is_split_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(group, "MAX_BATCH_EVENTS", 4)
    batches: list[list[int]] = []

    async def scenario() -> None:
        writer = group._Writer(_FakeBind(), lambda _s, events, _w: batches.append(list(events)))
        await asyncio.gather(*(writer.append(k) for k in range(10)))

    asyncio.run(scenario())
    assert [e for batch in batches for e in batch] == list(range(10))
    assert max(len(batch) for batch in batches) == 4


def test_when_a_batch_cannot_be_written_each_of_its_reads_fails_and_the_next_batch_is_written() -> (
    None
):
    written: list[list[int]] = []

    def write(_session: Any, events: Sequence[int], _wait: bool) -> None:
        if 13 in events:
            raise RuntimeError("disk full")
        written.append(list(events))

    async def scenario() -> list[Any]:
        writer = group._Writer(_FakeBind(), write)
        failing = await asyncio.gather(writer.append(13), return_exceptions=True)
        later = await asyncio.gather(writer.append(14), return_exceptions=True)
        return [*failing, *later]

    failed, later = asyncio.run(scenario())
    assert isinstance(failed, group.EventNotRecorded)
    assert isinstance(failed.__cause__, RuntimeError)
    assert later is None
    assert written == [[14]]


class _FakeBind:
    """Stands for a database: the fake ``write`` ignores its session, which never connects."""


@pytest.mark.parametrize("count", [1, 2, 3, 12])
def test_the_writer_appends_what_record_would_each_read_at_its_own_moment(
    session: Session, make_subject: Callable[..., Actor], count: int
) -> None:
    """One by one (a small batch) or in bulk, each read's event carries its own moment and
    the chain the one-by-one appends would give."""
    readers = [make_subject(), make_subject()]
    events = [
        audit.NewEvent(
            actor=Principal(id=readers[k % 2].id, role=Role.subject, name="A reader"),
            action="report.read",
            subject_id=readers[k % 2].id,
            purpose="self_access",
            resource_type="report",
            resource_id=readers[k % 2].id,
            at=START + timedelta(seconds=k, microseconds=k),
        )
        for k in range(count)
    ]

    def appended() -> list[tuple[Any, ...]]:
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_id.in_([r.id for r in readers]), AuditEvent.at >= START)
            .order_by(AuditEvent.id)
        )
        return [(e.chain, e.seq, e.action, e.at, e.prev_hash, e.hash) for e in rows]

    with session.begin_nested() as savepoint:
        for e in events:
            assert e.at is not None
            audit.record(
                session,
                actor=e.actor,
                action=e.action,
                now=e.at,
                subject_id=e.subject_id,
                purpose=e.purpose,
                resource_type=e.resource_type,
                resource_id=e.resource_id,
            )
        one_by_one = appended()
        savepoint.rollback()
    assert [row[3] for row in one_by_one] == [e.at for e in events]
    with session.begin_nested() as savepoint:
        audit._append_reads(session, events)
        assert appended() == one_by_one
        assert audit.verify(session).valid
        savepoint.rollback()


def test_a_report_whose_read_cannot_be_recorded_is_not_served(
    app: FastAPI,
    client: TestClient,
    make_subject: Callable[..., Actor],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every read is accounted for: when its event cannot be written (appended inline or by
    the group writer), the subject gets an error, never the report."""
    me = make_subject()
    assert client.get("/v1/me/report", headers=me.headers).status_code == 200

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(audit.queries, "append_event", broken)
    monkeypatch.setattr(audit.queries, "append_events", broken)
    with TestClient(app, raise_server_exceptions=False) as failing:
        answer = failing.get("/v1/me/report", headers=me.headers)
    assert answer.status_code == 500
    assert "accounts" not in answer.text
    monkeypatch.undo()
    log = client.get("/v1/me/access-log", headers=me.headers).json()["items"]
    assert [e["action"] for e in log].count("report.read") == 1
