"""The running server's schedule: what falls due on the sandbox clock runs by itself.

Moving the sandbox clock runs every rule that has fallen due at once; between moves the
clock ticks on with the wall clock, and deadlines pass by themselves (a dispute's 30 days,
an identity-theft block's 4 business days). A server runs them every
``Settings.due_work_interval_seconds``, each run one transaction, taking its turn at the
database like a request. A run that fails is logged and the next one tries again.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from sqlalchemy.orm import Session, sessionmaker

from service.core.deps import run_db_turn
from service.sandbox import service as sandbox

log = logging.getLogger("clearfile.scheduler")


async def run_due_work_once(factory: sessionmaker[Session]) -> None:
    await run_db_turn(factory, sandbox.run_due_work_now)


async def _every(factory: sessionmaker[Session], interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await run_due_work_once(factory)
        except Exception:  # a failed run must not end the schedule
            log.exception("the scheduled run of due work failed; it runs again in %ss", interval)


@contextlib.asynccontextmanager
async def due_work_schedule(factory: sessionmaker[Session], interval: float) -> AsyncIterator[None]:
    """Run due work every ``interval`` seconds while the context is open (never if 0)."""
    if interval <= 0:
        yield
        return
    task = asyncio.create_task(_every(factory, interval))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
