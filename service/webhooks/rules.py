"""Webhook rules with their figures: signing (Standard Webhooks), the retry schedule, when an
endpoint is disabled, and which addresses a delivery may go to. Pure: no database, no clock."""

import base64
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from enum import Enum
from urllib.parse import urlsplit

# --- signing (Standard Webhooks: https://www.standardwebhooks.com, "Signature scheme") ------

#: The prefix of a signing secret; the rest is the base64 of the key's bytes.
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
#: 24 random bytes (192 bits): the spec asks for between 24 and 64.
SECRET_BYTES = 24
#: After a rotation, deliveries are signed with the previous secret too for this long, so a
#: receiver can switch secrets without losing a delivery (Svix and Stripe use 24 hours).
ROTATION_OVERLAP = timedelta(hours=24)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` under the secret's key."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signature_header(
    secrets_in_use: Iterable[str], msg_id: str, timestamp: int, body: bytes
) -> str:
    """Every secret in use signs (space-separated): the receiver accepts any one."""
    return " ".join(signature(s, msg_id, timestamp, body) for s in secrets_in_use)


# --- retries ----------------------------------------------------------------------------------

#: Retries stop this long after the first attempt (the issue: "for 3 days").
RETRY_WINDOW = timedelta(days=3)
#: The first retry's delay; each next one doubles it (exponential backoff) ...
FIRST_RETRY_DELAY = timedelta(seconds=5)
#: ... up to this (so the retries over 3 days number about 20, not 15 ever sparser ones).
MAX_RETRY_DELAY = timedelta(hours=6)
#: Each delay is drawn from [1 - JITTER, 1] of its nominal value ("equal jitter"), so the
#: retries of many deliveries that failed together do not all arrive together.
JITTER = 0.5
#: An endpoint whose every attempt has failed for this long is disabled (a notice tells its
#: owner): the whole retry window of a delivery, with no success in between.
DISABLE_AFTER = RETRY_WINDOW
#: A delivery succeeds on a 2xx answer (Standard Webhooks).
SUCCESS = range(200, 300)
#: 410 Gone: the receiver says the endpoint is no more; delivering stops and the endpoint
#: is disabled.
GONE = 410
#: Answers worth a retry besides 5xx: request timeout and too many requests.
RETRYABLE_4XX = frozenset({408, 429})
#: How much of a receiver's answer the delivery log keeps.
RESPONSE_EXCERPT_CHARS = 500


class Verdict(Enum):
    delivered = "delivered"
    retry = "retry"
    failed = "failed"
    gone = "gone"


def verdict(status_code: int | None) -> Verdict:
    """What an attempt's answer means. None: a timeout or a connection error, retried like
    a 5xx; another 4xx is the receiver refusing the message, which a retry will not change."""
    if status_code is None or status_code >= 500 or status_code in RETRYABLE_4XX:
        return Verdict.retry
    if status_code in SUCCESS:
        return Verdict.delivered
    if status_code == GONE:
        return Verdict.gone
    return Verdict.failed


def retry_delay(attempts_made: int, jitter_draw: float) -> timedelta:
    """The delay after the ``attempts_made``-th failed attempt; ``jitter_draw`` in [0, 1)."""
    doublings = min(max(attempts_made - 1, 0), 32)
    nominal: timedelta = min(FIRST_RETRY_DELAY * (2**doublings), MAX_RETRY_DELAY)
    return nominal * (1 - JITTER * jitter_draw)


def next_attempt(
    *, first_attempt_at: datetime, attempts_made: int, now: datetime, jitter_draw: float
) -> datetime | None:
    """When to try again, or None when that would leave the retry window."""
    at = now + retry_delay(attempts_made, jitter_draw)
    return at if at <= first_attempt_at + RETRY_WINDOW else None


def should_disable(*, failing_since: datetime, now: datetime) -> bool:
    return now - failing_since >= DISABLE_AFTER


# --- where a delivery may go (no server-side request forgery) ----------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> list[Network]:
    return [
        ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()
    ]


class UrlProblem(ValueError):
    """Why a URL may not be delivered to."""


def url_parts(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL without credentials in it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UrlProblem("only http and https URLs are delivered to")
    if parts.username is not None or parts.password is not None:
        raise UrlProblem("a URL may not carry credentials")
    if not parts.hostname:
        raise UrlProblem("the URL names no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UrlProblem("the URL's port is not valid") from exc
    return parts.scheme, parts.hostname, port


def allowed_address(addresses: Sequence[str], networks: Sequence[Network]) -> str:
    """The first address to connect to, when every address the host resolves to is inside
    an allowed network (one outside refuses the host: DNS can answer differently later)."""
    if not addresses:
        raise UrlProblem("the host does not resolve")
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if not any(ip in net for net in networks):
            raise UrlProblem(
                f"it resolves to {ip}, outside the networks the sandbox operator allows "
                "(CLEARFILE_WEBHOOK_ALLOWED_NETWORKS)"
            )
    return addresses[0]
