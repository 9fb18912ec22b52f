"""The audit hash chain detects edits, deletions and a lost tail."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from service.audit.rules import GENESIS_HASH, check_chain, event_hash
from tests.factories import ChainEvent


def _chain(name: str, n: int, first_id: int) -> list[ChainEvent]:
    events, prev = [], GENESIS_HASH
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(n):
        fields = dict(
            chain=name,
            seq=i + 1,
            subject_id=name,
            actor_id="a",
            actor_role="subject",
            actor_name="A",
            action="report.read",
            purpose=None,
            resource_type=None,
            resource_id=None,
            at=start + timedelta(minutes=i),
        )
        digest = event_hash(prev_hash=prev, **fields)  # type: ignore[arg-type]
        events.append(ChainEvent(id=first_id + i, prev_hash=prev, hash=digest, **fields))  # type: ignore[arg-type]
        prev = digest
    return events


def _heads(events: list[ChainEvent]) -> dict[str, tuple[int, str]]:
    return {e.chain: (e.seq, e.hash) for e in events}


def test_intact_chains_verify() -> None:
    events = _chain("s1", 3, 1) + _chain("s2", 2, 10)
    result = check_chain(events, _heads(events))
    assert result.valid
    assert result.events_checked == 5


def test_edited_event_is_found() -> None:
    events = _chain("s1", 3, 1)
    heads = _heads(events)
    events[1] = replace(events[1], action="report.deleted")
    result = check_chain(events, heads)
    assert not result.valid
    assert result.first_bad_event == 2


def test_deleted_middle_event_is_found() -> None:
    events = _chain("s1", 3, 1)
    heads = _heads(events)
    del events[1]
    result = check_chain(events, heads)
    assert not result.valid
    assert result.first_bad_event == 3


def test_deleted_last_event_is_found_through_the_head() -> None:
    events = _chain("s1", 3, 1)
    heads = _heads(events)
    result = check_chain(events[:-1], heads)
    assert not result.valid
    assert result.first_bad_event is None
    assert "tail" in (result.reason or "")


def test_rehashed_forgery_still_breaks_the_link_to_the_head() -> None:
    events = _chain("s1", 2, 1)
    heads = _heads(events)
    forged = replace(events[1], action="forged")
    forged = replace(
        forged,
        hash=event_hash(
            **{
                k: getattr(forged, k)
                for k in (
                    "prev_hash",
                    "chain",
                    "seq",
                    "subject_id",
                    "actor_id",
                    "actor_role",
                    "actor_name",
                    "action",
                    "purpose",
                    "resource_type",
                    "resource_id",
                    "at",
                )
            }
        ),
    )
    result = check_chain([events[0], forged], heads)
    assert not result.valid
