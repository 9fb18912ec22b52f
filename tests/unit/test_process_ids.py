"""``ProcessIds``: ids shaped like ``new_id``, in order within a process (so one process's
rows sit side by side in their unique index), and unique across processes."""

import os
import re

from service.core.security import ProcessIds, new_id

SHAPE = re.compile(r"^evt_[0-9a-f]{20}$")


def test_ids_are_shaped_like_new_ids_and_follow_each_other_in_order() -> None:
    ids = ProcessIds("evt")
    made = [ids.next() for _ in range(1000)]
    assert SHAPE.match(new_id("evt"))
    assert all(SHAPE.match(i) for i in made)
    assert made == sorted(made)
    assert len(set(made)) == len(made)


def test_two_generators_and_a_forked_child_draw_their_own_ids() -> None:
    first, second = ProcessIds("evt"), ProcessIds("evt")
    assert first.next()[:12] != second.next()[:12]  # the random part (1 chance in 2**32)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id, then out at once
        os.write(write, first.next().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    assert SHAPE.match(child)
    assert child[:12] != first.next()[:12]
