"""The cyclic garbage collector is paused inside ``collector_paused`` and left after it as it
was before it, whatever happens inside."""

import gc
from collections.abc import Iterator

import pytest

from service.core.collector import collector_paused


@pytest.fixture
def collector_restored() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    if enabled:
        gc.enable()
    else:
        gc.disable()


@pytest.mark.usefixtures("collector_restored")
def test_paused_inside_and_running_again_after() -> None:
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves it paused for the outer
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_restored")
def test_running_again_after_an_error_inside() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_restored")
def test_left_paused_when_it_was_paused_before() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
