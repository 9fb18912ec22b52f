"""Pausing Python's cyclic garbage collector around a bulk piece of work."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector inside the block. Bulk work (a job's chunks, a
    deadline run's batches) allocates many tuples, lists and dicts that it keeps until it
    has written them, none in a reference cycle: the collector would walk them again and
    again, in full collections too, for nothing. Reference counting still frees them; the
    few cycles the work leaves (a session's) wait for the collector, which resumes after
    the block as it was before it (a block inside another leaves it paused)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
