"""API keys: generated once, shown once, stored as SHA-256 hashes.

Keys are 192-bit random tokens, so a fast hash is the right tool (no password stretching
is needed for high-entropy secrets); comparison of the admin key is constant-time.
"""

import hashlib
import hmac
import itertools
import os
import secrets
from dataclasses import dataclass

from schemas.common import Role

ADMIN_ID = "admin"


@dataclass(frozen=True)
class Principal:
    """Who is asking: id, role and display name."""

    id: str
    role: Role
    name: str


ADMIN = Principal(id=ADMIN_ID, role=Role.admin, name="Sandbox operator")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key(role: Role) -> str:
    return f"cf_{role.value}_{secrets.token_urlsafe(24)}"


def key_prefix(key: str) -> str:
    return key[:12]


def same_key(given: str, expected: str) -> bool:
    return hmac.compare_digest(hash_key(given), hash_key(expected))


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(10)}"


class SequentialIds:
    """Ids shaped like ``new_id`` (prefix and 20 hex digits) for a bulk write: a random
    8-digit batch part and a 12-digit counter, so that a bulk insert appends to the
    primary-key and foreign-key indexes in order instead of scattering. Unique across batches
    by the batch part; no more guessable than it matters, since every read is checked against
    its owner."""

    def __init__(self, prefix: str) -> None:
        self.stem = f"{prefix}_{secrets.token_hex(4)}"
        self.count = 0

    def next(self) -> str:
        self.count += 1
        return f"{self.stem}{self.count:012x}"

    def take(self, n: int) -> list[str]:
        """The next ``n`` ids, in ascending order."""
        first, self.count = self.count + 1, self.count + n
        stem = self.stem
        return [f"{stem}{k:012x}" for k in range(first, self.count + 1)]


#: ``ProcessIds``' counter starts at a random point below this, so that two processes that
#: drew the same random part (one chance in 2**32) still count in ranges far apart; the 12
#: digits leave 2**48 - 2**44 ids after it.
PROCESS_IDS_START_BELOW = 1 << 44


class ProcessIds:
    """Ids shaped like ``new_id`` for rows written one or two at a time on a hot path (a
    lender's pull writes an inquiry and two events on every call): a random 8-digit part
    per process and a 12-digit counter, starting at a random point, so that the rows one
    process writes in turn sit next to each other in the table's unique index. A commit
    then writes one leaf page of that index, the page the previous commit wrote, where
    random ids each wrote a page of their own anywhere in it (a WAL frame each, and a page
    each for the next checkpoint to copy). Unique across processes by the random part (a
    child process after ``fork`` draws its own); as guessable as ``SequentialIds``, which
    matters as little, since every read is checked against its owner."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._start()
        os.register_at_fork(after_in_child=self._start)

    def _start(self) -> None:
        self.stem = f"{self.prefix}_{secrets.token_hex(4)}"
        self.counter = itertools.count(secrets.randbelow(PROCESS_IDS_START_BELOW))

    def next(self) -> str:
        return f"{self.stem}{next(self.counter):012x}"
