"""The caller of a request: its key authenticated, its role checked and the sandbox clock
read, as one FastAPI dependency per role (``AdminDep``, ``SubjectDep``, ...)."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, cast

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from schemas.common import Role
from service.core.config import Settings
from service.core.deps import (
    InTransaction,
    SessionDep,
    in_db_thread,
    is_serial,
    session_factory,
)
from service.core.errors import DomainError, RoleNotPermitted
from service.core.security import Principal
from service.principals.service import authenticate

_bearer = HTTPBearer(auto_error=False, description="An API key issued by the sandbox admin")


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking, and the sandbox clock's reading for this request."""

    principal: Principal
    now: datetime


def _read_caller(
    session: Session, settings: Settings, key: str | None, roles: tuple[Role, ...]
) -> Caller:
    """The caller, read in ``session``: 401 for a missing or unknown key, 403 when its role
    is not one of ``roles``."""
    principal, now = authenticate(session, settings, key)
    if principal.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise RoleNotPermitted(
            detail=f"The {principal.role.value} role may not do this; it is for: {allowed}."
        )
    return Caller(principal=principal, now=now)


def _read_caller_apart(
    factory: sessionmaker[Session], settings: Settings, key: str | None, roles: tuple[Role, ...]
) -> Caller:
    with factory() as session:
        return _read_caller(session, settings, key, roles)


class _CallerInTransaction(InTransaction):
    """The caller, read as the first work of the route's transaction (``InTransaction``)."""

    def __init__(
        self, request: Request, session: Session, key: str | None, roles: tuple[Role, ...]
    ) -> None:
        super().__init__(request, session)
        self.factory = session_factory(request)
        self.settings: Settings = request.app.state.settings
        self.key, self.roles = key, roles

    def resolve(self) -> Caller:
        return _read_caller(self.session, self.settings, self.key, self.roles)

    async def refusal(self) -> DomainError | None:
        try:
            await in_db_thread(
                _read_caller_apart, self.factory, self.settings, self.key, self.roles
            )
        except DomainError as refused:
            return refused
        return None


BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def require(*roles: Role) -> Callable[..., Awaitable[Caller]]:
    """A dependency giving the caller (principal and clock reading) when its role is one of
    ``roles``, else 403 role-not-permitted (401 for a missing or unknown key).

    On SQLite (``is_serial``) the caller is read here, as the first work of the route's
    own transaction: the request runs on the event loop from here to its commit without
    yielding, so the caller, the clock reading and the route's work are one snapshot, for
    one BEGIN and one COMMIT. Elsewhere the route's work runs in a worker thread, and the
    caller is read there, first thing in the same transaction (``InTransaction``): one hop
    to a thread per request, not two, and no transaction of its own.

    One dependency does it all: FastAPI walks every dependency's sub-dependencies on every
    request, even when cached, so each extra layer is paid per request."""

    async def _caller_in_role(
        request: Request, session: SessionDep, credentials: BearerDep
    ) -> Caller:
        key = credentials.credentials if credentials else None
        if is_serial(session.get_bind()):
            return _read_caller(session, request.app.state.settings, key, roles)
        return cast(Caller, _CallerInTransaction(request, session, key, roles))

    return _caller_in_role


AdminDep = Annotated[Caller, Depends(require(Role.admin))]
SubjectDep = Annotated[Caller, Depends(require(Role.subject))]
FurnisherDep = Annotated[Caller, Depends(require(Role.furnisher))]
LenderDep = Annotated[Caller, Depends(require(Role.lender))]
AuditorDep = Annotated[Caller, Depends(require(Role.auditor))]
AnyRoleDep = Annotated[Caller, Depends(require(*Role))]
