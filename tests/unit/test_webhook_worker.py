"""The delivery worker's loop: after failed passes it backs off exponentially, up to a cap,
and logs once when passes start failing and once when they work again, not every pass."""

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from service.core.config import Settings
from service.core.db import make_engine, make_sessionmaker
from service.core.migrate import upgrade
from service.webhooks import worker


def test_waits_double_with_each_failure_up_to_the_cap_and_reset_on_success() -> None:
    health = worker.Health(poll_seconds=0.1)
    assert health.wait() == 0.1
    waits = [health.failed(RuntimeError("down")) for _ in range(12)]
    assert waits[:4] == pytest.approx([0.2, 0.4, 0.8, 1.6])
    assert all(b >= a for a, b in zip(waits, waits[1:], strict=False))
    assert max(waits) == worker.MAX_FAILURE_BACKOFF_SECONDS
    assert waits[-1] == worker.MAX_FAILURE_BACKOFF_SECONDS
    health.succeeded()
    assert health.wait() == 0.1
    assert health.failed(RuntimeError("down again")) == pytest.approx(0.2)


def test_a_poll_longer_than_the_cap_is_never_shortened() -> None:
    health = worker.Health(poll_seconds=60.0)
    assert health.failed(RuntimeError("down")) == 60.0


class _Flaky(Session):
    """A session that cannot be opened while ``down`` (the database unreachable)."""

    down = True
    opened = 0
    stop: asyncio.Event | None = None
    loop: asyncio.AbstractEventLoop | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls = type(self)
        cls.opened += 1
        if cls.opened == 6:  # five failed passes: the database comes back
            cls.down = False
        if cls.opened >= 12 and cls.stop is not None and cls.loop is not None:
            cls.loop.call_soon_threadsafe(cls.stop.set)
        if cls.down:
            raise ConnectionError("the database is unreachable")
        super().__init__(*args, **kwargs)


def test_a_failing_database_is_logged_once_then_its_recovery_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    upgrade(url)
    engine = make_engine(url)
    factory = sessionmaker(bind=engine, class_=_Flaky, expire_on_commit=False)
    settings = Settings(database_url=url, webhook_poll_seconds=0.001)

    async def main() -> None:
        _Flaky.stop, _Flaky.loop = asyncio.Event(), asyncio.get_running_loop()
        await asyncio.wait_for(worker.run(factory, settings, _Flaky.stop), timeout=30)

    with caplog.at_level(logging.INFO, logger="clearfile.webhooks"):
        asyncio.run(main())
    engine.dispose()
    messages = [r.getMessage() for r in caplog.records]
    assert len([m for m in messages if "failing" in m]) == 1, messages
    assert messages[-1] == "webhook delivery works again after 5 failed passes", messages
    assert len(messages) == 2, messages


def test_the_worker_runs_by_default_and_not_when_settings_say_so(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lifespan.db'}"
    upgrade(url)
    engine = make_engine(url)
    factory = sessionmaker(bind=engine)

    async def tasks_inside(settings: Settings) -> int:
        before = len(asyncio.all_tasks())
        async with worker.delivery_worker(factory, settings):
            await asyncio.sleep(0)
            return len(asyncio.all_tasks()) - before

    assert Settings().webhook_worker is True  # production: `clearfile serve` delivers
    assert asyncio.run(tasks_inside(Settings(database_url=url))) == 1
    assert asyncio.run(tasks_inside(Settings(database_url=url, webhook_worker=False))) == 0
    engine.dispose()


def test_attempts_are_recorded_by_the_next_pass_or_when_the_worker_stops(tmp_path: Path) -> None:
    from sqlalchemy import select

    from service.webhooks.models import WebhookDelivery
    from tests.api.test_webhook_processes import _seed
    from tests.api.test_webhooks import Receiver

    url = f"sqlite:///{tmp_path / 'record.db'}"
    upgrade(url)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    receiver = Receiver()
    # A long poll: after sending, the worker waits before its next pass, so only the stop
    # can record what it sent.
    settings = Settings(database_url=url, webhook_poll_seconds=60)
    try:
        _seed(factory, [receiver.url], 3)

        async def main() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(worker.run(factory, settings, stop))
            while len(receiver.received) < 3:
                await asyncio.sleep(0.01)
            with factory() as session:
                assert set(session.scalars(select(WebhookDelivery.status))) == {"pending"}
            stop.set()
            await asyncio.wait_for(task, 30)

        asyncio.run(main())
        with factory() as session:
            assert list(session.scalars(select(WebhookDelivery.status))) == ["delivered"] * 3
    finally:
        receiver.close()
        engine.dispose()
