"""The caller of a request: its key authenticated, its role checked and the sandbox clock
read, as one FastAPI dependency per role (``AdminDep``, ``SubjectDep``, ...)."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from schemas.common import Role
from service.core.config import Settings
from service.core.deps import SessionDep, in_db_thread, is_serial, session_factory
from service.core.errors import RoleNotPermitted
from service.core.security import Principal
from service.principals.service import authenticate

_bearer = HTTPBearer(auto_error=False, description="An API key issued by the sandbox admin")


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking, and the sandbox clock's reading for this request."""

    principal: Principal
    now: datetime


def _read_caller(session: Session, settings: Settings, key: str | None) -> Caller:
    principal, now = authenticate(session, settings, key)
    return Caller(principal=principal, now=now)


def _read_caller_apart(
    factory: sessionmaker[Session], settings: Settings, key: str | None
) -> Caller:
    with factory() as session:
        return _read_caller(session, settings, key)


BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def _read_request_caller(
    request: Request, session: Session, credentials: HTTPAuthorizationCredentials | None
) -> Caller:
    """Authenticate the key and read the clock, together.

    On SQLite (``is_serial``) this is the first work of the route's own transaction: the
    request runs on the event loop from here to its commit without yielding, so the caller,
    the clock reading and the route's work are one snapshot, for one BEGIN and one COMMIT.
    Elsewhere it is a short transaction of its own in a worker thread, so that no
    connection is held across the hop to the route's thread."""
    settings: Settings = request.app.state.settings
    key = credentials.credentials if credentials else None
    if is_serial(session.get_bind()):
        return _read_caller(session, settings, key)
    return await in_db_thread(_read_caller_apart, session_factory(request), settings, key)


def require(*roles: Role) -> Callable[..., Awaitable[Caller]]:
    """A dependency giving the caller (principal and clock reading) when its role is one of
    ``roles``, else 403 role-not-permitted.

    One dependency does it all: FastAPI walks every dependency's sub-dependencies on every
    request, even when cached, so each extra layer is paid per request."""

    allowed = ", ".join(r.value for r in roles)

    async def _caller_in_role(
        request: Request, session: SessionDep, credentials: BearerDep
    ) -> Caller:
        caller = await _read_request_caller(request, session, credentials)
        if caller.principal.role not in roles:
            raise RoleNotPermitted(
                detail=f"The {caller.principal.role.value} role may not do this; "
                f"it is for: {allowed}."
            )
        return caller

    return _caller_in_role


AdminDep = Annotated[Caller, Depends(require(Role.admin))]
SubjectDep = Annotated[Caller, Depends(require(Role.subject))]
FurnisherDep = Annotated[Caller, Depends(require(Role.furnisher))]
LenderDep = Annotated[Caller, Depends(require(Role.lender))]
AuditorDep = Annotated[Caller, Depends(require(Role.auditor))]
AnyRoleDep = Annotated[Caller, Depends(require(*Role))]
