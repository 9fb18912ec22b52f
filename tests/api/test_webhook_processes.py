"""Delivery across real processes, each against a database of its own that commits for real:

- a server (``clearfile serve``) killed with SIGKILL mid-delivery and started again delivers
  every event at least once to a real receiver (its claims lapse after the lease);
- two ``clearfile deliver`` processes on one PostgreSQL deliver each event exactly once per
  endpoint (``FOR UPDATE SKIP LOCKED``; the lease never lapses here);
- the event feed never skips an event whose transaction took an earlier ``seq`` but
  committed later (two PostgreSQL connections)."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from schemas.common import Role
from schemas.events import EventType
from schemas.webhooks import EndpointCreate
from service.core import clock
from service.core.db import make_engine, make_sessionmaker
from service.core.migrate import upgrade
from service.core.security import Principal
from service.events import service as events
from service.webhooks import rules
from service.webhooks import service as webhooks
from service.webhooks.models import WebhookAttempt, WebhookDelivery
from tests.api.test_webhooks import Receiver
from tests.databases import fresh_postgres_database

OWNER = Principal(id="fur_processes", role=Role.furnisher, name="Fictional Process Lender")
#: Generous: two cores are shared by the whole test run and other work.
PATIENCE_SECONDS = 90.0


@pytest.fixture
def own_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, migrated database that this test alone uses: a SQLite file, or a
    PostgreSQL database created for it and dropped afterwards."""
    if not database_url.startswith("postgresql"):
        url = f"sqlite:///{tmp_path / 'processes.db'}"
        upgrade(url)
        yield url
        return
    with fresh_postgres_database(database_url, "hooks") as url:
        upgrade(url)
        yield url


@pytest.fixture
def factory(own_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(own_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def _seed(factory: sessionmaker[Session], urls: list[str], count: int) -> set[str]:
    """An endpoint per URL for OWNER, then ``count`` events for OWNER, committed: their ids."""
    with factory() as session:
        now = clock.now(session)
        for url in urls:
            webhooks.create_endpoint(
                session,
                owner=OWNER,
                body=EndpointCreate.model_validate(
                    {"url": url, "event_types": [EventType.account_updated.value]}
                ),
                networks=rules.parse_networks("127.0.0.0/8"),
                now=now,
            )
        for n in range(count):
            events.emit(
                session,
                type=EventType.account_updated,
                now=now,
                resource_type="account",
                resource_id=f"acc_process_{n}",
                subject_id=None,
                to=[events.Told(OWNER.id, {"n": n})],
            )
        session.commit()
    with factory() as session:
        return set(session.scalars(select(events.Event.id)).all())


def _env(url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("CLEARFILE_ADMIN_KEY", None)
    env.update(
        {
            "CLEARFILE_DATABASE_URL": url,
            "CLEARFILE_LOAD_FIXTURES": "false",
            "CLEARFILE_DUE_WORK_INTERVAL_SECONDS": "0",
            "CLEARFILE_WEBHOOK_POLL_SECONDS": "0.05",
        }
    )
    env.update(extra)
    return env


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "service.cli", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _serve(url: str, port: int, **extra: str) -> subprocess.Popen[bytes]:
    process = _start(["serve", "--port", str(port), "--no-access-log"], _env(url, **extra))
    deadline = time.monotonic() + PATIENCE_SECONDS
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):  # noqa: S310 - loopback
                return process
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("the server did not start") from None
            time.sleep(0.1)


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    process.wait(timeout=30)


def _statuses(factory: sessionmaker[Session]) -> Counter[str]:
    with factory() as session:
        return Counter(session.scalars(select(WebhookDelivery.status)).all())


class HoldingReceiver(Receiver):
    """A receiver that, while ``holding``, reads each request and then keeps it waiting
    (the sender is mid-delivery), recording it in ``held``; ``received`` records only the
    requests it answered."""

    def __init__(self) -> None:
        super().__init__()
        self.holding = threading.Event()
        self.release = threading.Event()
        self.held: list[str] = []
        handler = self.server.RequestHandlerClass
        original = handler.do_POST  # type: ignore[attr-defined]
        outer = self

        def do_post(self: Any) -> None:
            if outer.holding.is_set():
                self.rfile.read(int(self.headers["content-length"]))
                outer.held.append(self.headers["webhook-id"])
                outer.release.wait(PATIENCE_SECONDS)
                self.close_connection = True
                return
            original(self)

        handler.do_POST = do_post  # type: ignore[attr-defined]
        # The sender of a held request is killed: answering its closed socket fails, quietly.
        self.server.handle_error = lambda *_: None  # type: ignore[method-assign]

    def delivered_ids(self) -> list[str]:
        return [headers["webhook-id"] for headers, _ in self.received]


@pytest.fixture
def holding_receiver() -> Iterator[HoldingReceiver]:
    r = HoldingReceiver()
    yield r
    r.release.set()
    r.close()


def test_a_server_killed_mid_delivery_delivers_every_event_once_started_again(
    own_url: str, factory: sessionmaker[Session], holding_receiver: HoldingReceiver
) -> None:
    receiver = holding_receiver
    first_burst = 40
    ids = _seed(factory, [receiver.url], first_burst)
    receiver.holding.set()
    port = _free_port()
    # A short lease: the deliveries the killed server held are claimable again soon after.
    lease = {"CLEARFILE_WEBHOOK_LEASE_SECONDS": "2", "CLEARFILE_WEBHOOK_TIMEOUT_SECONDS": "1"}
    server = _serve(own_url, port, **lease)
    try:
        _wait_for(lambda: len(receiver.held) >= 1, "a delivery in flight")
    finally:
        _stop(server, signal.SIGKILL)  # mid-delivery: no answer read, nothing recorded
    in_flight = set(receiver.held)
    receiver.holding.clear()
    receiver.release.set()
    # Events committed while no server runs wait in the outbox too.
    with factory() as session:
        events.emit(
            session,
            type=EventType.account_updated,
            now=clock.now(session),
            resource_type="account",
            resource_id="acc_while_down",
            subject_id=None,
            to=[events.Told(OWNER.id, {"n": "while down"})],
        )
        session.commit()
    with factory() as session:
        ids = set(session.scalars(select(events.Event.id)).all())
    assert len(ids) == first_burst + 1

    server = _serve(own_url, port, **lease)
    try:
        _wait_for(lambda: ids <= set(receiver.delivered_ids()), "every event delivered")
        _wait_for(lambda: _statuses(factory) == {"delivered": len(ids)}, "every delivery recorded")
    finally:
        _stop(server)

    # Every event arrived, those in flight at the kill included (again: receivers
    # deduplicate by webhook-id).
    assert set(receiver.delivered_ids()) == ids
    assert in_flight
    assert in_flight <= ids


def test_two_worker_processes_on_postgresql_deliver_each_event_once_per_endpoint(
    database_url: str, own_url: str, factory: sessionmaker[Session]
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several delivery processes share one PostgreSQL, not one SQLite file")
    first, second = Receiver(), Receiver()
    try:
        count = 600
        _seed(factory, [first.url, second.url], count)
        workers = [_start(["deliver"], _env(own_url)) for _ in range(2)]
        try:
            _wait_for(
                lambda: _statuses(factory) == {"delivered": 2 * count},
                "every event delivered to both endpoints",
            )
            time.sleep(1.0)  # room for a second delivery of anything, were there one
        finally:
            for worker in workers:
                _stop(worker)
        for receiver in (first, second):
            per_id = Counter(h["webhook-id"] for h, _ in receiver.received)
            assert len(per_id) == count
            assert set(per_id.values()) == {1}, per_id.most_common(3)
        with factory() as session:
            attempts = Counter(session.scalars(select(WebhookAttempt.delivery_id)).all())
        assert len(attempts) == 2 * count
        assert set(attempts.values()) == {1}
    finally:
        first.close()
        second.close()


def test_the_feed_never_skips_an_event_that_commits_after_a_later_one(
    database_url: str, factory: sessionmaker[Session]
) -> None:
    """Transaction A takes the lowest seq, B two higher ones; B commits, a poller reads the
    feed a page at a time, then A commits. The poller, going on from its cursor, still gets
    A's event (read by seq alone, its cursor would already be past it)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite's writers take turns: a later seq always commits later")

    def write(session: Session, n: int) -> str:
        events.emit(
            session,
            type=EventType.account_updated,
            now=clock.now(session),
            resource_type="account",
            resource_id=f"acc_race_{n}",
            subject_id=None,
            to=[events.Told(OWNER.id, {"n": n})],
        )
        newest = select(events.Event.id).order_by(events.Event.seq.desc()).limit(1)
        return str(session.scalars(newest).one())

    seen: list[str] = []
    cursor: str | None = None

    def poll() -> None:
        """Page by page from the cursor, as a consumer does; the cursor advances with each
        page that has a next one (on the last page the consumer keeps its cursor)."""
        nonlocal cursor
        while True:
            with factory() as session:
                page = events.feed(session, caller=OWNER, types=[], cursor=cursor, limit=1)
            seen.extend(item.id for item in page.items if item.id not in seen)
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    with factory() as a, factory() as b:
        early = write(a, 1)
        late = [write(b, 2), write(b, 3)]
        b.commit()
        poll()
        assert seen == []  # A still runs: B's events wait behind it, not past it
        a.commit()
    # Served once every older transaction has ended (another test's, on this cluster, too).
    _wait_for(lambda: poll() or len(seen) >= 3, "the three events in the feed")
    assert seen == [early, *late]
    with factory() as session:
        rows = session.execute(select(events.Event.id, events.Event.seq))
        seqs = {row.id: row.seq for row in rows}
    assert seqs[early] < seqs[late[0]] < seqs[late[1]]  # the earliest seq did commit last
