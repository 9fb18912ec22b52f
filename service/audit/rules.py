"""The hash chain: pure functions, no database."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from json.encoder import encode_basestring_ascii
from typing import Protocol

#: The canonical JSON of an event (the array of its fields): compact, ASCII only. The
#: definition: ``fields_hash`` writes the same text out field by field, and a property test
#: compares the two.
CANONICAL_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True)

#: prev_hash of the first event of every chain.
GENESIS_HASH = "0" * 64

#: The width of a chain's name (``audit_events.chain``, ``audit_chain_heads.chain``).
CHAIN_NAME_LENGTH = 40

#: The most stripes a chain is split into (``chain_stripes``). A stripe is opened only when
#: every open one is locked by another transaction's append at that moment, so a chain has as
#: many as its peak of concurrent appends, which the servers' connections bound: 20 per
#: process (``PG_POOL_SIZE`` + ``PG_POOL_OVERFLOW``), so 32 let two processes' worth of
#: requests on one subject all append at once. Past it an append waits for a stripe.
MAX_CHAIN_STRIPES = 32

#: Between a chain's name and the number of one of its further stripes: ``sub_...:3``.
STRIPE_SEPARATOR = ":"


class ChainedEvent(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def chain(self) -> str: ...
    @property
    def seq(self) -> int: ...
    @property
    def subject_id(self) -> str | None: ...
    @property
    def actor_id(self) -> str: ...
    @property
    def actor_role(self) -> str: ...
    @property
    def actor_name(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def purpose(self) -> str | None: ...
    @property
    def resource_type(self) -> str | None: ...
    @property
    def resource_id(self) -> str | None: ...
    @property
    def at(self) -> datetime: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...


def chain_stripes(chain: str) -> list[str]:
    """The names of a chain's stripes, the chain's own name first: each stripe is a hash
    chain of its own (its events numbered from 1, each linked to the one before), and the
    stripes together hold the chain's events. A name too long for the column to carry a
    stripe number has the one stripe."""
    names = [chain] + [f"{chain}{STRIPE_SEPARATOR}{n}" for n in range(1, MAX_CHAIN_STRIPES)]
    return names if len(names[-1]) <= CHAIN_NAME_LENGTH else [chain]


def event_hash(
    *,
    prev_hash: str,
    chain: str,
    seq: int,
    subject_id: str | None,
    actor_id: str,
    actor_role: str,
    actor_name: str,
    action: str,
    purpose: str | None,
    resource_type: str | None,
    resource_id: str | None,
    at: datetime,
) -> str:
    """SHA-256 over the canonical JSON of the event and the hash before it."""
    return fields_hash(
        prev_hash,
        chain,
        seq,
        subject_id,
        actor_id,
        actor_role,
        actor_name,
        action,
        purpose,
        resource_type,
        resource_id,
        moment_text(at),
    )


def moment_text(at: datetime) -> str:
    """An event's moment as its hash reads it."""
    return at.isoformat(timespec="microseconds")


#: What the canonical encoder makes of a string: quoted, escaped, ASCII only.
_quoted = encode_basestring_ascii


def fields_hash(
    prev_hash: str,
    chain: str,
    seq: int,
    subject_id: str | None,
    actor_id: str,
    actor_role: str,
    actor_name: str,
    action: str,
    purpose: str | None,
    resource_type: str | None,
    resource_id: str | None,
    at_text: str,
    /,
) -> str:
    """``event_hash`` of the event's fields given in order, its moment as ``moment_text``
    (a bulk append's events share one). The canonical JSON array is written out as
    ``CANONICAL_JSON`` would encode it: each string through the encoder's own quoting, the
    sequence number as an integer, an absent value as ``null``."""
    middle = _shared_text(actor_id, actor_role, actor_name, action, purpose, resource_type)
    return _digest(prev_hash, chain, seq, subject_id, middle, resource_id, _quoted(at_text))


def _shared_text(
    actor_id: str,
    actor_role: str,
    actor_name: str,
    action: str,
    purpose: str | None,
    resource_type: str | None,
) -> str:
    """The canonical text of the fields a bulk append's events often share."""
    return (
        f"{_quoted(actor_id)},{_quoted(actor_role)},{_quoted(actor_name)},"
        f"{_quoted(action)},{'null' if purpose is None else _quoted(purpose)},"
        f"{'null' if resource_type is None else _quoted(resource_type)}"
    )


def _digest(
    prev_hash: str,
    chain: str,
    seq: int,
    subject_id: str | None,
    shared_text: str,
    resource_id: str | None,
    quoted_moment: str,
) -> str:
    payload = (
        f"[{_quoted(prev_hash)},{_quoted(chain)},{int.__repr__(seq)},"
        f"{'null' if subject_id is None else _quoted(subject_id)},{shared_text},"
        f"{'null' if resource_id is None else _quoted(resource_id)},{quoted_moment}]"
    )
    return hashlib.sha256(payload.encode()).hexdigest()


class BulkHasher:
    """``fields_hash`` for the many events of one bulk append, the same digests: the quoted
    text of the fields a batch's events share (who acted, what, why, on what kind of thing,
    when) is written once per combination, not once per event."""

    __slots__ = ("_middles", "_moments")

    def __init__(self) -> None:
        self._middles: dict[tuple[str, str, str, str, str | None, str | None], str] = {}
        self._moments: dict[str, str] = {}

    def __call__(
        self,
        prev_hash: str,
        chain: str,
        seq: int,
        subject_id: str | None,
        actor_id: str,
        actor_role: str,
        actor_name: str,
        action: str,
        purpose: str | None,
        resource_type: str | None,
        resource_id: str | None,
        at_text: str,
        /,
    ) -> str:
        key = (actor_id, actor_role, actor_name, action, purpose, resource_type)
        middle = self._middles.get(key)
        if middle is None:
            middle = self._middles[key] = _shared_text(*key)
        moment = self._moments.get(at_text)
        if moment is None:
            moment = self._moments[at_text] = _quoted(at_text)
        return _digest(prev_hash, chain, seq, subject_id, middle, resource_id, moment)


def hash_of(event: ChainedEvent) -> str:
    return event_hash(
        prev_hash=event.prev_hash,
        chain=event.chain,
        seq=event.seq,
        subject_id=event.subject_id,
        actor_id=event.actor_id,
        actor_role=event.actor_role,
        actor_name=event.actor_name,
        action=event.action,
        purpose=event.purpose,
        resource_type=event.resource_type,
        resource_id=event.resource_id,
        at=event.at,
    )


@dataclass(frozen=True)
class ChainCheck:
    valid: bool
    events_checked: int
    first_bad_event: int | None = None
    reason: str | None = None


def check_chain(
    events: Iterable[ChainedEvent],
    heads: dict[str, tuple[int, str]],
    *,
    after: tuple[str, int, str] | None = None,
    complete: bool = True,
) -> ChainCheck:
    """Check events ordered by (chain, seq) against the recorded chain heads.

    Detects an edited event (its hash no longer matches), a deleted event (a gap in seq or
    a broken prev_hash link), and a deleted tail (the head names a later event).

    One page of the log at a time: ``after`` is the (chain, seq, hash) of the event just
    before ``events`` (checked on the page before), and ``complete`` is False while more
    events follow, so the last chain's tail is not yet due. A chain that lost every event
    is found here only when the whole log is one page (``after`` None and ``complete``).
    """
    checked = 0
    current: str | None = None
    expected_seq = 1
    prev = GENESIS_HASH
    if after is not None:
        current, expected_seq, prev = after[0], after[1] + 1, after[2]
    seen: set[str] = set()

    def head_mismatch(chain: str, seq: int, last_hash: str) -> bool:
        head = heads.get(chain)
        return head is not None and head != (seq, last_hash)

    for event in events:
        if event.chain != current:
            if current is not None and head_mismatch(current, expected_seq - 1, prev):
                return ChainCheck(False, checked, None, f"chain {current} is missing its tail")
            current = event.chain
            seen.add(current)
            expected_seq, prev = 1, GENESIS_HASH
        checked += 1
        if event.seq != expected_seq or event.prev_hash != prev:
            return ChainCheck(False, checked, event.id, "an event before this one is missing")
        if hash_of(event) != event.hash:
            return ChainCheck(False, checked, event.id, "this event was altered")
        prev = event.hash
        expected_seq += 1
    if not complete:
        return ChainCheck(True, checked)
    if current is not None and head_mismatch(current, expected_seq - 1, prev):
        return ChainCheck(False, checked, None, f"chain {current} is missing its tail")
    if after is not None:
        return ChainCheck(True, checked)
    for chain, (seq, _hash) in heads.items():
        if chain not in seen and seq > 0:
            return ChainCheck(False, checked, None, f"chain {chain} lost all its events")
    return ChainCheck(True, checked)
