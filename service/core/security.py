"""API keys: generated once, shown once, stored as SHA-256 hashes.

Keys are 192-bit random tokens, so a fast hash is the right tool (no password stretching
is needed for high-entropy secrets); comparison of the admin key is constant-time.
"""

import hashlib
import hmac
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
