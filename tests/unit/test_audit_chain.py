"""The audit hash chain detects edits, deletions and a lost tail."""

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.audit.rules import (
    CANONICAL_JSON,
    CHAIN_NAME_LENGTH,
    GENESIS_HASH,
    MAX_CHAIN_STRIPES,
    chain_stripes,
    check_chain,
    event_hash,
    fields_hash,
)
from tests.factories import ChainEvent


def _chain(name: str, n: int, first_id: int, subject: str | None = None) -> list[ChainEvent]:
    events, prev = [], GENESIS_HASH
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(n):
        fields = dict(
            chain=name,
            seq=i + 1,
            subject_id=subject or name,
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


def test_a_chain_has_its_own_name_as_first_stripe_then_numbered_ones() -> None:
    stripes = chain_stripes("sub_0123456789abcdef0123")
    assert len(stripes) == MAX_CHAIN_STRIPES
    assert stripes[:3] == [
        "sub_0123456789abcdef0123",
        "sub_0123456789abcdef0123:1",
        "sub_0123456789abcdef0123:2",
    ]
    assert len(set(stripes)) == len(stripes)
    assert chain_stripes("system")[1] == "system:1"


def test_a_name_with_no_room_for_a_stripe_number_is_one_stripe() -> None:
    longest = "s" * (CHAIN_NAME_LENGTH - len(f":{MAX_CHAIN_STRIPES - 1}"))
    assert len(chain_stripes(longest)) == MAX_CHAIN_STRIPES
    assert max(len(name) for name in chain_stripes(longest)) == CHAIN_NAME_LENGTH
    assert chain_stripes(longest + "s") == [longest + "s"]


def _striped() -> list[ChainEvent]:
    """Subject s1's chain in three stripes (events in (chain, seq) order, as verify reads)."""
    return _chain("s1", 3, 1) + _chain("s1:1", 3, 10, "s1") + _chain("s1:2", 2, 20, "s1")


@pytest.mark.parametrize("stripe", ["s1", "s1:1", "s1:2"])
def test_each_stripe_is_checked_as_a_chain(stripe: str) -> None:
    events = _striped()
    heads = _heads(events)
    assert check_chain(events, heads).valid
    own = [k for k, e in enumerate(events) if e.chain == stripe]
    edited = list(events)
    edited[own[1]] = replace(events[own[1]], actor_name="Somebody Else")
    assert check_chain(edited, heads).first_bad_event == events[own[1]].id
    missing = [e for k, e in enumerate(events) if k != own[0]]
    assert check_chain(missing, heads).first_bad_event == events[own[1]].id
    inserted = list(events)
    inserted.insert(own[1], replace(events[own[1]], id=99, action="forged"))
    assert not check_chain(inserted, heads).valid
    tail = [e for k, e in enumerate(events) if k != own[-1]]
    assert f"chain {stripe} is missing its tail" == check_chain(tail, heads).reason
    lost = [e for e in events if e.chain != stripe]
    assert f"chain {stripe} lost all its events" == check_chain(lost, heads).reason


#: Two events and their hashes, pinned: the hash of an event never changes, or every
#: stored chain would stop verifying.
_KNOWN = [
    (
        {
            "prev_hash": GENESIS_HASH,
            "chain": "sub_0123456789abcdef0123",
            "seq": 7,
            "subject_id": "sub_0123456789abcdef0123",
            "actor_id": "clearfile",
            "actor_role": "admin",
            "actor_name": "Clearfile (scheduled rule) — é",
            "action": "dispute.unverified",
            "purpose": "dispute",
            "resource_type": "dispute",
            "resource_id": "dsp_00aa",
            "at": datetime(2026, 12, 17, 12, 0, 0, 120, tzinfo=UTC),
        },
        "93661ae32b8be4bdd225c099126dfd9e8e5be57f38e7f0e591737eeddcd7819f",
    ),
    (
        {
            "prev_hash": "f" * 64,
            "chain": "system",
            "seq": 1,
            "subject_id": None,
            "actor_id": "admin",
            "actor_role": "admin",
            "actor_name": "Sandbox operator",
            "action": "clock.moved",
            "purpose": None,
            "resource_type": None,
            "resource_id": None,
            "at": datetime(2026, 12, 17, 12, 0, tzinfo=UTC),
        },
        "4ce935ca75668721dc88d5c5dfa0311a74ca7940c73297cbac9cefa83dc58fc4",
    ),
]


@pytest.mark.parametrize(("fields", "digest"), _KNOWN)
def test_an_event_hash_is_the_sha256_of_its_canonical_json(
    fields: dict[str, Any], digest: str
) -> None:
    canonical = json.dumps(
        [
            *(v for k, v in fields.items() if k != "at"),
            fields["at"].isoformat(timespec="microseconds"),
        ],
        separators=(",", ":"),
        ensure_ascii=True,
    )
    assert hashlib.sha256(canonical.encode()).hexdigest() == digest
    assert event_hash(**fields) == digest


_text = st.text(max_size=30)
_optional = st.none() | _text


@given(
    fields=st.tuples(
        _text,
        _text,
        st.integers(min_value=0, max_value=2**62),
        _optional,
        _text,
        _text,
        _text,
        _text,
        _optional,
        _optional,
        _optional,
        _text,
    )
)
def test_the_hash_writes_out_the_canonical_json_of_the_fields(fields: tuple[Any, ...]) -> None:
    canonical = CANONICAL_JSON.encode(list(fields))
    assert fields_hash(*fields) == hashlib.sha256(canonical.encode()).hexdigest()
