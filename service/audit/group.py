"""Group commit of reads' audit events, on a database served in parallel (PostgreSQL).

A read whose only write is its audit event (a subject reading their report) would append
the event in its own transaction: on PostgreSQL that is two more round trips per read (lock
a stripe of the chain's head, insert the event) and a head lock held until the read's
commit. Instead the read's transaction only reads, and once it has committed, the event
joins the events of the other reads that committed meanwhile: one writer per process and
database appends them all in one transaction (``record_bulk``: one statement locks every
head concerned, one executemany inserts the events, one moves the heads), while the reads
that arrive during that transaction gather for the next. Each read answers only once its
event is committed (``service.core.deps.after_commit``): no read is ever served without
its event, and an event that cannot be written turns its read into an error.

The events are those ``record`` would append, each with its read's clock reading; on each
chain in the order the batches commit, which is the order of their reads' commits or
close to it (a chain's order is the order of appending, as under concurrent appends).

A batch is committed on the event loop, like a read-only unit of work
(``service.core.deps.read_only``): its three round trips cost less than the two hops to a
thread and back, each a hand-over of the GIL between threads. It then never waits for a
lock: it takes the heads with NOWAIT, and when another transaction holds one (another
process's writer, a job appending to that chain), the batch is committed from a database
thread instead, waiting there as long as it must while the loop serves other requests."""

import asyncio
import weakref
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from service.audit.queries import HeadsBusy
from service.core.db import make_sessionmaker
from service.core.deps import in_db_thread

E = TypeVar("E")

#: The most reads' events one transaction of the writer appends: a batch stays as short
#: as a few requests' work, however many reads are waiting.
MAX_BATCH_EVENTS = 256


class _Writer(Generic[E]):
    """Appends the events handed to it, in batches, one transaction at a time."""

    def __init__(self, bind: Any, write: Callable[[Session, Sequence[E], bool], None]) -> None:
        # A test binds sessions to one connection in an outer transaction: the writer's
        # transactions are savepoints in it (an engine's are transactions of their own).
        self.factory = make_sessionmaker(bind, join_transaction_mode="create_savepoint")
        self.write = write
        self.waiting: list[tuple[E, asyncio.Future[None]]] = []
        self.draining = False

    async def append(self, event: E) -> None:
        loop = asyncio.get_running_loop()
        committed: asyncio.Future[None] = loop.create_future()
        self.waiting.append((event, committed))
        if not self.draining:
            self.draining = True
            task = loop.create_task(self._drain())
            _DRAINS.add(task)
            task.add_done_callback(_DRAINS.discard)
        await committed

    def _commit(self, events: Sequence[E], wait: bool = True) -> None:
        with self.factory() as session:
            self.write(session, events, wait)
            session.commit()

    def _commit_on_loop(self, events: Sequence[E]) -> bool:
        """Commit the batch here, on the event loop, unless that would wait for a lock:
        whether it was committed (if not, nothing was written)."""
        try:
            self._commit(events, wait=False)
        except HeadsBusy:
            return False
        return True

    async def _drain(self) -> None:
        try:
            while self.waiting:
                batch = self.waiting[:MAX_BATCH_EVENTS]
                del self.waiting[:MAX_BATCH_EVENTS]
                events = [event for event, _ in batch]
                try:
                    if not self._commit_on_loop(events):
                        await in_db_thread(self._commit, events)
                except Exception as error:
                    for _, committed in batch:
                        if not committed.done():
                            failed = EventNotRecorded("the read's audit event was not recorded")
                            failed.__cause__ = error
                            committed.set_exception(failed)
                else:
                    for _, committed in batch:
                        if not committed.done():  # done: the read's request was cancelled
                            committed.set_result(None)
        finally:
            self.draining = False


class EventNotRecorded(RuntimeError):
    """A read's audit event could not be committed: the read is not answered."""


#: Running drains (the event loop keeps only a weak reference to a task).
_DRAINS: set["asyncio.Task[None]"] = set()
_Writers = weakref.WeakKeyDictionary[Any, _Writer[Any]]
#: Each event loop's writers, by database: a writer's futures belong to one loop.
_WRITERS: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Writers]" = (
    weakref.WeakKeyDictionary()
)


def writer(bind: Any, write: Callable[[Session, Sequence[E], bool], None]) -> _Writer[E]:
    """The running event loop's writer for the database ``bind`` (an engine, or a test's
    connection)."""
    loop = asyncio.get_running_loop()
    writers = _WRITERS.get(loop)
    if writers is None:
        writers = _WRITERS[loop] = weakref.WeakKeyDictionary()
    found = writers.get(bind)
    if found is None:
        found = writers[bind] = _Writer(bind, write)
    return found
