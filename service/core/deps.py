"""FastAPI dependencies: the request's session and unit of work, its clock reading, and its
caller."""

import asyncio
import functools
import inspect
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from schemas.common import Role
from service.core.config import Settings
from service.core.errors import FieldError, InvalidInput, RoleNotPermitted
from service.core.security import Principal
from service.principals.service import authenticate

T = TypeVar("T")


def _factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    return factory


_SERIAL_LOCKS: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]" = (
    weakref.WeakKeyDictionary()
)


def _serial_lock() -> asyncio.Lock:
    """The running event loop's turn at the serial database (``_is_serial``)."""
    loop = asyncio.get_running_loop()
    lock = _SERIAL_LOCKS.get(loop)
    if lock is None:
        lock = _SERIAL_LOCKS[loop] = asyncio.Lock()
    return lock


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's session. It connects on first use, inside the route's worker thread,
    and the route's unit of work commits it there (see ``UnitOfWorkRoute``): a connection
    is never held across a hop between the event loop and a worker thread.

    On SQLite the process has one connection, so a request takes its turn at it here,
    awaiting without blocking the event loop while a route in a worker thread
    (``in_worker_thread``) holds it; otherwise waiting for the connection would stall
    every request, those that need no database included."""
    session = _factory(request)()
    try:
        if _is_serial(session.get_bind()):
            async with _serial_lock():
                yield session
        else:
            yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


_bearer = HTTPBearer(auto_error=False, description="An API key issued by the sandbox admin")


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking, and the sandbox clock's reading for this request."""

    principal: Principal
    now: datetime


def _is_serial(bind: Any) -> bool:
    """SQLite: one connection per process (``make_engine``), so database work is serial
    whatever runs it. It then runs on the event loop: the hops to and from a worker thread
    would only add latency (measured in bench/bench_report_load.py). Other databases serve
    requests in parallel, from worker threads."""
    return bool(bind.dialect.name == "sqlite")


async def run_db_work(bind: Any, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking database work where it belongs for this database (see ``_is_serial``)."""
    if _is_serial(bind):
        return work(*args, **kwargs)
    return await run_in_threadpool(work, *args, **kwargs)


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

    On SQLite (``_is_serial``) this is the first work of the route's own transaction: the
    request runs on the event loop from here to its commit without yielding, so the caller,
    the clock reading and the route's work are one snapshot, for one BEGIN and one COMMIT.
    Elsewhere it is a short transaction of its own in a worker thread, so that no
    connection is held across the hop to the route's thread."""
    settings: Settings = request.app.state.settings
    key = credentials.credentials if credentials else None
    if _is_serial(session.get_bind()):
        return _read_caller(session, settings, key)
    return await run_in_threadpool(_read_caller_apart, _factory(request), settings, key)


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


_DECLARED: dict[int, frozenset[str]] = {}


def _declared_params(route: APIRoute) -> frozenset[str]:
    declared = _DECLARED.get(id(route))
    if declared is None:
        declared = frozenset(p.alias for p in get_flat_params(route.dependant))
        _DECLARED[id(route)] = declared
    return declared


async def reject_unknown_query(request: Request) -> None:
    """No field outside the schema is accepted: that holds for query parameters too; and
    no text, a path's ids included, carries NUL characters (PostgreSQL cannot compare
    with them)."""
    path_nul = sorted(k for k, v in request.path_params.items() if "\x00" in str(v))
    if path_nul:
        raise InvalidInput(
            detail="Path parameters may not contain NUL characters.",
            errors=[FieldError(f"path.{k}", "contains a NUL character") for k in path_nul],
        )
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


_IN_WORKER_THREAD = "_clearfile_in_worker_thread"


def in_worker_thread(endpoint: Callable[..., T]) -> Callable[..., T]:
    """Mark a route whose work may take long (it grows with the data): it runs in a worker
    thread on every database, SQLite included, so the event loop goes on serving others."""
    setattr(endpoint, _IN_WORKER_THREAD, True)
    return endpoint


def _unit_of_work(endpoint: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """Run a sync endpoint as one unit of work: whatever it wrote is committed (or rolled
    back on any error) before it returns, in the same thread as its work. So a database
    connection, or a row lock, is never held while the request waits for the event loop or
    for a free thread: under load that wait would stretch every lock, and with more
    requests than threads it could never end."""

    def work(*args: Any, **kwargs: Any) -> Any:
        sessions = [v for v in kwargs.values() if isinstance(v, Session)]
        try:
            result = endpoint(*args, **kwargs)
        except BaseException:
            for session in sessions:
                session.rollback()
            raise
        for session in sessions:
            session.commit()
        return result

    off_loop = getattr(endpoint, _IN_WORKER_THREAD, False)

    @functools.wraps(endpoint)
    async def run(*args: Any, **kwargs: Any) -> Any:
        session = next((v for v in kwargs.values() if isinstance(v, Session)), None)
        if session is None or off_loop:
            return await run_in_threadpool(work, *args, **kwargs)
        return await run_db_work(session.get_bind(), work, *args, **kwargs)

    return run


class UnitOfWorkRoute(APIRoute):
    """An APIRoute whose sync endpoint runs as one unit of work (``_unit_of_work``)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _unit_of_work(endpoint)
        super().__init__(path, endpoint, **kwargs)


def domain_router(**kwargs: Any) -> APIRouter:
    """The APIRouter every domain uses: its routes run as units of work."""
    return APIRouter(route_class=UnitOfWorkRoute, **kwargs)
