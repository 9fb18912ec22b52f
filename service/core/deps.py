"""FastAPI dependencies: the request's transaction, its clock reading, and its caller."""

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from schemas.common import Role
from service.core import clock
from service.core.config import Settings
from service.core.errors import FieldError, InvalidInput, RoleNotPermitted
from service.core.security import Principal
from service.principals.service import authenticate


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request; committed before the response is sent.

    Async on purpose: opening a session does no I/O (it connects on first use, in a worker
    thread), and the commit is one short statement; this saves two thread-pool hops."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with factory() as session, session.begin():
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_now(session: SessionDep) -> datetime:
    return clock.now(session)


NowDep = Annotated[datetime, Depends(get_now)]

_bearer = HTTPBearer(auto_error=False, description="An API key issued by the sandbox admin")


def get_principal(
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    return authenticate(session, settings, credentials.credentials if credentials else None)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets only the given roles through (403 role-not-permitted)."""

    allowed = ", ".join(r.value for r in roles)

    async def _check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise RoleNotPermitted(
                detail=f"The {principal.role.value} role may not do this; it is for: {allowed}."
            )
        return principal

    return _check


AdminDep = Annotated[Principal, Depends(require(Role.admin))]
SubjectDep = Annotated[Principal, Depends(require(Role.subject))]
FurnisherDep = Annotated[Principal, Depends(require(Role.furnisher))]
LenderDep = Annotated[Principal, Depends(require(Role.lender))]
AuditorDep = Annotated[Principal, Depends(require(Role.auditor))]


_DECLARED: dict[int, frozenset[str]] = {}


def _declared_params(route: APIRoute) -> frozenset[str]:
    declared = _DECLARED.get(id(route))
    if declared is None:
        declared = frozenset(p.alias for p in get_flat_params(route.dependant))
        _DECLARED[id(route)] = declared
    return declared


async def reject_unknown_query(request: Request) -> None:
    """No field outside the schema is accepted: that holds for query parameters too; and
    no text carries NUL characters."""
    if not request.query_params:
        return
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    with_nul = sorted(k for k, v in request.query_params.multi_items() if "\x00" in k + v)
    if with_nul:
        raise InvalidInput(
            detail="Query parameters may not contain NUL characters.",
            errors=[FieldError(f"query.{k}", "contains a NUL character") for k in with_nul],
        )
    unknown = sorted(set(request.query_params) - _declared_params(route))
    if unknown:
        raise InvalidInput(
            detail="Unknown query parameter(s): " + ", ".join(unknown) + ".",
            errors=[
                FieldError(f"query.{name}", "not a parameter of this operation") for name in unknown
            ],
        )
