"""The web front's own use cases: signing in and out (server-side sessions). Everything a
page shows or does is the domain services' work, called by the routes as the API calls it."""

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from schemas.common import Role
from service.core import clock
from service.core.config import Settings
from service.core.errors import FieldError, Unauthenticated
from service.core.security import ADMIN_ID, Principal, hash_key
from service.principals.service import authenticate, authenticate_hash
from service.web import queries, render
from service.web.models import WebSession
from service.web.rules import SESSION_LIFETIME

#: The role that may sign in to each area.
AREA_ROLE = {"portal": Role.subject, "console": Role.admin}


@dataclass(frozen=True, slots=True)
class WebCaller:
    """A signed-in browser: who it is, the sandbox clock's reading, its form token."""

    principal: Principal
    now: datetime
    csrf_token: str
    token: str
    area: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_form_token() -> str:
    return secrets.token_urlsafe(32)


def same_token(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison of two form tokens; a missing one never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


class WrongKey(Unauthenticated):
    """A sign-in with a key that is not valid for the area."""


def sign_in(session: Session, settings: Settings, *, area: str, key: str) -> tuple[WebCaller, str]:
    """Open a session for ``key`` in ``area``: the caller and the cookie's token.

    Only a subject's key opens the portal and only the admin key the console; any other
    key is refused as not valid here, so a key's role cannot be probed from the page."""
    role = AREA_ROLE[area]
    key = key.strip()
    refusal = WrongKey(
        detail="This key does not open this page.",
        errors=[FieldError("key", "not a valid key for this sign-in")],
    )
    if not key:
        raise WrongKey(
            detail="Enter your key.", errors=[FieldError("key", "enter the key to sign in")]
        )
    try:
        principal, now = authenticate(session, settings, key)
    except Unauthenticated:
        raise refusal from None
    if principal.role is not role:
        raise refusal
    wall = clock.wall_now()
    queries.delete_expired(session, wall)
    token = secrets.token_urlsafe(32)
    csrf = new_form_token()
    queries.add(
        session,
        WebSession(
            token_hash=_token_hash(token),
            area=area,
            key_hash=hash_key(key),
            principal_id=principal.id if role is Role.subject else None,
            csrf_token=csrf,
            created_at=wall,
            expires_at=wall + SESSION_LIFETIME,
        ),
    )
    return WebCaller(principal, now, csrf, token, area), token


def signed_in(
    session: Session, settings: Settings, *, area: str, token: str | None
) -> WebCaller | None:
    """The session ``token`` names in ``area``, re-authenticated, or None (no token, an
    unknown or expired one, another area's, or one whose key no longer opens the area)."""
    if not token:
        return None
    row = queries.session_row(session, _token_hash(token))
    if row is None or row.area != area or row.expires_at <= clock.wall_now():
        return None
    try:
        principal, now = authenticate_hash(session, settings, row.key_hash)
    except Unauthenticated:
        return None
    if principal.role is not AREA_ROLE[area] or principal.id != (row.principal_id or ADMIN_ID):
        return None
    return WebCaller(principal, now, row.csrf_token, token, area)


def sign_out(session: Session, *, token: str) -> None:
    queries.delete_session(session, _token_hash(token))


def keep_session(session: Session, caller: WebCaller, settings: Settings) -> None:
    """Store the console operator's session again after a reset emptied every table, so
    the operator stays signed in to the sandbox they just reset."""
    wall = clock.wall_now()
    queries.add(
        session,
        WebSession(
            token_hash=_token_hash(caller.token),
            area=caller.area,
            key_hash=hash_key(settings.admin_key),
            principal_id=None,
            csrf_token=caller.csrf_token,
            created_at=wall,
            expires_at=wall + SESSION_LIFETIME,
        ),
    )


def filter_log(events: Sequence[Any], *, role: str | None, action: str | None) -> list[Any]:
    """The access log's entries by the actor's role and the action, as the page filters it."""
    return [
        e
        for e in events
        if (role is None or e.actor_role == role) and (action is None or e.action == action)
    ]


def item_names(report: Any) -> dict[str, str]:
    """What a person calls each item of the file, by its id: an account by its furnisher
    and reference, an inquiry by who made it and when, a bankruptcy by its chapter."""
    names = {report.subject.id: "My identity details"}
    for a in report.accounts:
        names[a.id] = f"{a.furnisher.name} {a.account_ref}"
    for i in report.inquiries:
        names[i.id] = f"Inquiry by {i.lender_name} on {render.day(i.at)}"
    for r in report.public_records:
        names[r.id] = f"Chapter {r.chapter} bankruptcy filed {render.day(r.filed_on)}"
    return names
