"""A worker's claims and records, on a database of the test's own (SQLite, or PostgreSQL):
the deliveries a fan-out makes are the worker's own until their lease ends; a clock move's
fan-out leaves them to any worker; a batch's outcomes are each recorded as they came; the
attempts of an endpoint deleted meanwhile are dropped with it, and the pass goes on."""

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from service.core import clock
from service.webhooks import service as webhooks
from service.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from service.webhooks.sender import Answer
from tests.api.test_webhook_processes import OWNER, _seed, factory, own_url  # noqa: F401

LEASE = timedelta(seconds=30)
URL = "http://127.0.0.1:9/hooks"  # never sent to: the tests give the answers


def _in(sessions: sessionmaker[Session], work: Callable[[Session], object]) -> object:
    with sessions() as session:
        result = work(session)
        session.commit()
        return result


def _fan_out(sessions: sessionmaker[Session], claim: webhooks.Claim | None) -> list[webhooks.Job]:
    def work(session: Session) -> list[webhooks.Job]:
        return webhooks.fan_out(session, now=clock.now(session), claim=claim)[1]

    jobs = _in(sessions, work)
    assert isinstance(jobs, list)
    return jobs


def _claim_due(sessions: sessionmaker[Session], claim: webhooks.Claim) -> list[webhooks.Job]:
    jobs = _in(sessions, lambda s: webhooks.claim_due(s, now=clock.now(s), claim=claim))
    assert isinstance(jobs, list)
    return jobs


def test_a_fan_outs_deliveries_are_its_workers_until_the_lease_ends(
    factory: sessionmaker[Session],  # noqa: F811
) -> None:
    ids = _seed(factory, [URL], 3)
    wall = clock.wall_now()
    jobs = _fan_out(factory, webhooks.Claim(wall, LEASE))
    assert sorted(j.outgoing.headers["webhook-id"] for j in jobs) == sorted(ids)
    assert {j.number for j in jobs} == {1}
    assert _claim_due(factory, webhooks.Claim(wall, LEASE)) == []  # another worker: not yet
    later = webhooks.Claim(wall + LEASE + timedelta(seconds=1), LEASE)
    again = _claim_due(factory, later)  # the first worker died: they are sent again
    assert sorted(j.delivery_id for j in again) == sorted(j.delivery_id for j in jobs)
    assert [j.outgoing.body for j in sorted(again, key=lambda j: j.delivery_id)] == [
        j.outgoing.body for j in sorted(jobs, key=lambda j: j.delivery_id)
    ]


def test_a_clock_moves_fan_out_leaves_its_deliveries_to_any_worker(
    factory: sessionmaker[Session],  # noqa: F811
) -> None:
    _seed(factory, [URL], 2)
    assert _fan_out(factory, None) == []
    assert len(_claim_due(factory, webhooks.Claim(clock.wall_now(), LEASE))) == 2


def test_each_outcome_of_a_batch_is_recorded_as_it_came(
    factory: sessionmaker[Session],  # noqa: F811
) -> None:
    _seed(factory, [URL], 5)
    jobs = _fan_out(factory, webhooks.Claim(clock.wall_now(), LEASE))
    codes = [204, 503, 200, 400, None]
    answers = [
        Answer(code, 3, None if code else "connection error: refused", None) for code in codes
    ]
    _in(
        factory,
        lambda s: webhooks.record(
            s, results=list(zip(jobs, answers, strict=True)), now=clock.now(s)
        ),
    )
    with factory() as session:
        rows = {d.id: d for d in session.scalars(select(WebhookDelivery))}
        attempts = {a.delivery_id: a for a in session.scalars(select(WebhookAttempt))}
    expected = ["delivered", "pending", "delivered", "failed", "pending"]
    for job, code, status in zip(jobs, codes, expected, strict=True):
        row = rows[job.delivery_id]
        assert (row.status, row.attempts, row.lease_until) == (status, 1, None)
        assert (row.next_attempt_at is not None) == (status == "pending")
        assert row.first_attempt_at is not None
        assert (attempts[job.delivery_id].number, attempts[job.delivery_id].status_code) == (
            1,
            code,
        )


def test_attempts_of_an_endpoint_deleted_meanwhile_are_dropped_and_the_pass_goes_on(
    factory: sessionmaker[Session],  # noqa: F811
) -> None:
    _seed(factory, [URL, URL.replace("/hooks", "/other")], 2)
    jobs = _fan_out(factory, webhooks.Claim(clock.wall_now(), LEASE))
    assert len(jobs) == 4
    with factory() as session:
        gone = session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.url == URL)).one()
        webhooks.delete_endpoint(session, owner=OWNER, endpoint_id=gone.id)
        session.commit()
    answers = [Answer(204, 1, None, None)] * len(jobs)
    _in(
        factory,
        lambda s: webhooks.record(
            s, results=list(zip(jobs, answers, strict=True)), now=clock.now(s)
        ),
    )
    with factory() as session:
        statuses = list(session.scalars(select(WebhookDelivery.status)))
        attempts = list(session.scalars(select(WebhookAttempt.delivery_id)))
    kept = sorted(j.delivery_id for j in jobs if j.endpoint_id != gone.id)
    assert statuses == ["delivered", "delivered"]
    assert sorted(attempts) == kept
