"""The delivery worker: inside ``clearfile serve`` (the app's lifespan) and as
``clearfile deliver``. Each pass fans out new events, claims due deliveries (leased on the
wall clock, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several processes never make one
attempt twice), sends them with no transaction open, and records the attempts. A process
killed mid-pass leaves its claims to lapse; another pass then sends them again, so every
event is delivered at least once (receivers deduplicate by ``webhook-id``)."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from service.core import clock
from service.core.config import Settings
from service.core.deps import run_db_turn
from service.webhooks import rules, service
from service.webhooks.sender import Answer, Sender

log = logging.getLogger("clearfile.webhooks")

T = TypeVar("T")


def make_sender(settings: Settings) -> Sender:
    return Sender(
        rules.parse_networks(settings.webhook_allowed_networks), settings.webhook_timeout_seconds
    )


def _recorder(results: list[tuple[service.Job, Answer]]) -> Callable[[Session], None]:
    def _record(session: Session) -> None:
        service.record(session, results=results, now=clock.now(session))

    return _record


def _unit(factory: sessionmaker[Session], work: Callable[[Session], T]) -> T:
    with factory() as session:
        result = work(session)
        session.commit()
        return result


def deliver_once(factory: sessionmaker[Session], settings: Settings) -> int:
    """One pass, synchronously (tests, and the walkthrough of a retry schedule): fan out,
    claim, send, record. How many attempts were made."""
    jobs: list[service.Job] = []
    while True:
        fanned, made = _unit(factory, _turn(_lease(settings), []))
        jobs += made
        if not made and fanned < service.BATCH:
            break
    if not jobs:
        return 0

    async def send() -> list[Answer]:
        sender = make_sender(settings)
        try:
            return await sender.send_all([j.outgoing for j in jobs])
        finally:
            sender.close()

    answers = asyncio.run(send())
    _unit(factory, _recorder(list(zip(jobs, answers, strict=True))))
    return len(jobs)


Results = list[tuple[service.Job, Answer]]


def _lease(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.webhook_lease_seconds)


def _turn(lease: timedelta, results: Results) -> Callable[[Session], tuple[int, list[service.Job]]]:
    """A pass's one transaction: record the previous pass's attempts, fan out a batch of new
    events (their deliveries claimed as they are made), then claim a batch of other due
    deliveries (retries, replays). One database turn where three would do, on the serial
    database the requests take turns at too."""

    def _work(session: Session) -> tuple[int, list[service.Job]]:
        now, claim = clock.now(session), service.Claim(clock.wall_now(), lease)
        if results:
            service.record(session, results=results, now=now)
        fanned, jobs = service.fan_out(session, now=now, claim=claim)
        if len(jobs) < service.BATCH:
            jobs += service.claim_due(
                session, now=now, claim=claim, limit=service.BATCH - len(jobs)
            )
        return fanned, jobs

    return _work


async def _pass(
    factory: sessionmaker[Session], settings: Settings, sender: Sender, results: Results
) -> tuple[bool, Results]:
    """Record ``results``, fan out, claim, send. Whether a full batch was met (more work
    waiting), and this pass's attempts, which the next pass records (they stay leased till
    then: a process that dies first leaves them to be sent again, at least once)."""
    turn = _turn(_lease(settings), results)
    fanned, jobs = await run_db_turn(factory, turn, bounded=True)
    sent: Results = []
    if jobs:
        answers = await sender.send_all([j.outgoing for j in jobs])
        sent = list(zip(jobs, answers, strict=True))
    return fanned >= service.BATCH or len(jobs) >= service.BATCH, sent


#: After a pass fails (the database unreachable, say), the worker waits its poll interval
#: times 2 per failure in a row (exponential backoff), so a lasting outage is neither hammered
#: nor logged ten times a second ...
FAILURE_BACKOFF_FACTOR = 2.0
#: ... up to this many seconds, so that delivery resumes soon after the outage ends.
MAX_FAILURE_BACKOFF_SECONDS = 30.0


class Health:
    """The worker's state between passes: how many passes failed in a row, how long to
    wait before the next, and what to log, once per change of state (failing, recovered)
    rather than once per pass."""

    def __init__(self, poll_seconds: float) -> None:
        self.poll_seconds = poll_seconds
        self.failures = 0

    def failed(self, exc: BaseException) -> float:
        self.failures += 1
        if self.failures == 1:
            log.error(
                "webhook delivery passes are failing; retrying with backoff up to %.0f s",
                MAX_FAILURE_BACKOFF_SECONDS,
                exc_info=exc,
            )
        return self.wait()

    def succeeded(self) -> None:
        if self.failures:
            log.warning("webhook delivery works again after %d failed passes", self.failures)
        self.failures = 0

    def wait(self) -> float:
        """Seconds to wait before the next pass when the last one found nothing or failed."""
        if not self.failures:
            return self.poll_seconds
        backoff = self.poll_seconds * FAILURE_BACKOFF_FACTOR ** min(self.failures, 64)
        return min(backoff, max(MAX_FAILURE_BACKOFF_SECONDS, self.poll_seconds))


async def run(
    factory: sessionmaker[Session], settings: Settings, stop: asyncio.Event | None = None
) -> None:
    """Deliver until stopped (the last attempts recorded): a pass, then at once another
    while a pass meets a full batch (a backlog); otherwise the poll interval's wait, in
    which new events gather into the next pass's batch (a pass per event would take the
    database's turns from requests: the wait adds at most ``webhook_poll_seconds`` to a
    delivery). After a failed pass, a wait that grows with each failure in a row
    (``Health``). Attempts waiting to be recorded never wait past half their lease."""
    sender = make_sender(settings)
    stop = stop or asyncio.Event()
    health = Health(settings.webhook_poll_seconds)
    results: Results = []
    try:
        while not stop.is_set():
            try:
                backlog, results = await _pass(factory, settings, sender, results)
            except Exception as exc:  # a failed pass must not end delivery
                # Its attempts go unrecorded; their leases lapse and they are sent again.
                results = []
                wait = health.failed(exc)
            else:
                health.succeeded()
                wait = 0.0 if backlog else health.wait()
            if results:
                wait = min(wait, settings.webhook_lease_seconds / 2)
            if wait:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await stop.wait()
        if results:
            try:
                await run_db_turn(factory, _recorder(results), bounded=True)
            except Exception:  # their leases lapse and they are sent again
                log.exception("the last webhook attempts could not be recorded")
    finally:
        sender.close()


@contextlib.asynccontextmanager
async def delivery_worker(
    factory: sessionmaker[Session], settings: Settings
) -> AsyncIterator[None]:
    """Run the worker while the context is open (not when ``settings.webhook_worker`` is off)."""
    if not settings.webhook_worker:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(run(factory, settings, stop))
    try:
        yield
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def run_forever(factory: sessionmaker[Session], settings: Settings) -> None:
    """``clearfile deliver``: the worker in a process of its own, until interrupted."""
    asyncio.run(run(factory, settings))
