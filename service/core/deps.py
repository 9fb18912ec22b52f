"""FastAPI dependencies of every domain: the request's session, the unit of work a domain
route runs in, and the refusal of unknown query parameters. Who the caller is belongs to
the principals domain (``service.principals.deps``)."""

import asyncio
import contextvars
import functools
import inspect
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any, TypeVar

import fastapi.routing
from fastapi import APIRouter, Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute

from service.core.db import PG_POOL_SIZE, READ_ONLY_UNIT, read_only_engine
from service.core.errors import DomainError, FieldError, InvalidInput

T = TypeVar("T")


def session_factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    return factory


_SERIAL_LOCKS: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]" = (
    weakref.WeakKeyDictionary()
)


def _serial_lock() -> asyncio.Lock:
    """The running event loop's turn at the serial database (``is_serial``)."""
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
    session = session_factory(request)()
    try:
        if is_serial(session.get_bind()):
            async with _serial_lock():
                yield session
        else:
            yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def is_serial(bind: Any) -> bool:
    """SQLite: one connection per process (``make_engine``), so database work is serial
    whatever runs it. It then runs on the event loop: the hops to and from a worker thread
    would only add latency (``bench/bench_report_load.py`` compares). Other databases serve
    requests in parallel, from worker threads."""
    return bool(bind.dialect.name == "sqlite")


async def run_db_work(bind: Any, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking database work where it belongs for this database (see ``is_serial``)."""
    if is_serial(bind):
        return work(*args, **kwargs)
    return await in_db_thread(work, *args, **kwargs)


async def run_db_turn(
    factory: sessionmaker[Session], work: Callable[[Session], T], *, bounded: bool = False
) -> T:
    """Run background database work (not a request's) as one transaction in a worker
    thread, taking its turn at a serial database like a request does, so the event loop
    never waits on it.

    ``bounded``: work whose size has a fixed bound, as short as a request's (a batch of
    webhook deliveries). At a serial database it then runs on the event loop, as a
    request's work does (``is_serial``): in a thread it would hold the database's one turn
    across two hops, each waiting for the thread to be scheduled, while every request waits."""

    def unit() -> T:
        with factory() as session:
            result = work(session)
            session.commit()
            return result

    if is_serial(factory.kw["bind"]):
        async with _serial_lock():
            return unit() if bounded else await run_in_threadpool(unit)
    return await in_db_thread(unit)


def limit_worker_threads(bind: Any) -> None:
    """Give the running event loop's worker threads (anyio's default limiter, which
    ``run_in_threadpool`` uses) one connection of the pool each: ``PG_POOL_SIZE`` on a
    database that serves requests in parallel. A serial one (SQLite) keeps anyio's default:
    its work runs on the event loop, or waits for the one connection anyway."""
    if is_serial(bind):
        return
    from anyio.to_thread import current_default_thread_limiter

    current_default_thread_limiter().total_tokens = PG_POOL_SIZE


_DB_THREADS: list[ThreadPoolExecutor] = []
_DB_THREADS_LOCK = threading.Lock()


def _db_threads() -> ThreadPoolExecutor:
    if not _DB_THREADS:
        with _DB_THREADS_LOCK:
            if not _DB_THREADS:
                _DB_THREADS.append(
                    ThreadPoolExecutor(max_workers=PG_POOL_SIZE, thread_name_prefix="clearfile-db")
                )
    return _DB_THREADS[0]


async def in_db_thread(work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking database work in one of the process's ``PG_POOL_SIZE`` database
    threads (one pooled connection each), in the caller's context (contextvars).

    A ``concurrent.futures`` pool, not anyio's ``to_thread`` (``run_in_threadpool``): its
    hand-over is a C queue and one future, where anyio's takes a capacity limiter, a Python
    ``queue.Queue`` with its condition variable and an event-loop wake-up of its own; a
    profile of 32 clients reading reports on PostgreSQL put a quarter of the process's
    Python time in those two hops per request (issue 15)."""
    context = contextvars.copy_context()
    call = functools.partial(context.run, work, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_db_threads(), call)


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


class NotAUnitOfWork(TypeError):
    """A route that could answer without committing what it wrote, refused when it is
    registered (or, for a route outside a domain router, when the app is built)."""


def _runs_outside_the_call(endpoint: Callable[..., Any]) -> bool:
    """Whether the endpoint's work could run after it returns to the unit of work: a
    coroutine, or a generator (sync or async) that FastAPI would stream from later."""
    candidates = [endpoint, inspect.unwrap(endpoint)]
    if not inspect.isroutine(endpoint) and not inspect.isclass(endpoint):
        call = getattr(endpoint, "__call__", None)  # noqa: B004 - a callable instance
        if call is not None:
            candidates += [call, inspect.unwrap(call)]
    return any(
        inspect.iscoroutinefunction(c)
        or inspect.isasyncgenfunction(c)
        or inspect.isgeneratorfunction(c)
        for c in candidates
    )


_IN_WORKER_THREAD = "_clearfile_in_worker_thread"


def in_worker_thread(endpoint: Callable[..., T]) -> Callable[..., T]:
    """Mark a route whose work may take long (it grows with the data): it runs in a worker
    thread on every database, SQLite included, so the event loop goes on serving others."""
    setattr(endpoint, _IN_WORKER_THREAD, True)
    return endpoint


_READ_ONLY = "_clearfile_read_only"


def read_only(endpoint: Callable[..., T]) -> Callable[..., T]:
    """Mark a route that writes nothing in its own transaction (a read whose one write, its
    audit event, is appended once it has committed: ``service.audit.service.record_read``).

    On a database served in parallel (PostgreSQL) its statements then run outside any
    transaction (autocommit): no BEGIN and no COMMIT, two round trips of the three a
    report read would otherwise make. Nothing is lost by it: under READ COMMITTED, the
    isolation Clearfile's connections use, each statement of a transaction takes a
    snapshot of its own anyway (PostgreSQL 15 documentation, 13.2.1 "Read Committed
    Isolation Level"), so each sees what it would have seen inside one. A statement that
    would write is refused there (``service.core.db.WriteOutsideTransaction``), before it
    runs: it would commit alone. On SQLite, BEGIN and COMMIT cost no round trip, and the
    route keeps its transaction (one snapshot for all its reads).

    On every database, a subject's own row then comes with their key, in one statement
    (``service.principals.queries.principal_by_key_hash``): with nothing written in the
    unit of work, it cannot change before the route reads it.

    And on every database it runs on the event loop, as all work does on SQLite
    (``is_serial``). Its statements take no lock, so they never wait for another
    transaction, only for their round trips; the two hops to a worker thread and back cost
    more than that: each hands the GIL from one thread to another, and a profile of 32
    clients reading reports on PostgreSQL found the process's threads holding the GIL only
    two thirds of the time, the rest spent in those hand-overs (issue 15). So its work must
    stay short (a route whose work grows with the data is ``in_worker_thread`` instead)."""
    setattr(endpoint, _READ_ONLY, True)
    return endpoint


def _begin_read_only(session: Session) -> None:
    """Bind a read-only unit of work's session to its engine's read-only engine, whose
    connections are in autocommit (``read_only``; ``service.core.db.read_only_engine``),
    when the session is bound to an engine served in parallel; a session bound to one
    connection (a test's, inside its own transaction) keeps that transaction."""
    bind = session.get_bind()
    if isinstance(bind, Engine) and not is_serial(bind):
        session.bind = read_only_engine(bind)


class InTransaction:
    """A dependency's value completed in the route's own transaction, as the first work of
    its unit of work (``_unit_of_work``): on a database served from worker threads, who the
    caller is, so that reading it costs no hop to a thread and no transaction of its own,
    and the caller, the clock reading and the route's work are one snapshot (as on SQLite).

    Until then the request holds it in ``request.state.in_transaction``: an error raised
    before the unit of work runs (a body that fails validation, say) is answered by
    ``refusal_first`` instead when the caller would have been refused, so the order of
    refusals stays what an eager dependency gives (401 and 403 before 422)."""

    resolved = False

    def __init__(self, request: Request, session: Session) -> None:
        self.session = session
        request.state.in_transaction = self

    def resolve(self) -> Any:
        """The value, read in ``self.session`` (the request's), in the route's thread."""
        raise NotImplementedError

    async def refusal(self) -> DomainError | None:
        """Why the caller would be refused (read apart from any transaction), if it would."""
        raise NotImplementedError


def _resolve_in_transaction(kwargs: dict[str, Any]) -> dict[str, Any]:
    pending = [k for k, v in kwargs.items() if isinstance(v, InTransaction)]
    if not pending:
        return kwargs
    resolved = dict(kwargs)
    for name in pending:
        value: InTransaction = kwargs[name]
        value.resolved = True
        resolved[name] = value.resolve()
    return resolved


async def refusal_first(request: Request) -> DomainError | None:
    """The refusal of a caller not yet read (``InTransaction``), if it would be refused."""
    pending = getattr(request.state, "in_transaction", None)
    if not isinstance(pending, InTransaction) or pending.resolved:
        return None
    pending.resolved = True
    return await pending.refusal()


#: Work a unit of work awaits once its transaction has committed, before it answers.
AfterCommit = Callable[[], Awaitable[None]]

#: The session's ``info`` key of its unit of work's ``AfterCommit`` steps (``after_commit``).
_AFTER_COMMIT = "clearfile_after_commit"


def after_commit(session: Session, step: AfterCommit) -> bool:
    """Have the unit of work the session belongs to await ``step`` once the session's
    transaction has committed, before the route answers; an error in it is the route's
    error (its answer is never sent). False, and nothing scheduled, when the session is
    not a route's unit of work (a job's, a test's): the caller then does the work itself."""
    steps: list[AfterCommit] | None = session.info.get(_AFTER_COMMIT)
    if steps is None:
        return False
    steps.append(step)
    return True


def _unit_of_work(endpoint: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """Run a sync endpoint as one unit of work: whatever it wrote is committed (or rolled
    back on any error) before it returns, in the same thread as its work, and what it
    asked to follow the commit (``after_commit``) is awaited before it answers. So a database
    connection, or a row lock, is never held while the request waits for the event loop or
    for a free thread: under load that wait would stretch every lock, and with more
    requests than threads it could never end."""

    reads_only = getattr(endpoint, _READ_ONLY, False)

    def work(*args: Any, **kwargs: Any) -> tuple[Any, list[AfterCommit]]:
        sessions = [v for v in kwargs.values() if isinstance(v, Session)]
        for session in sessions:
            session.info[_AFTER_COMMIT] = []
            if reads_only:
                session.info[READ_ONLY_UNIT] = True
                _begin_read_only(session)
        try:
            kwargs = _resolve_in_transaction(kwargs)
            result = endpoint(*args, **kwargs)
        except BaseException:
            for session in sessions:
                session.rollback()
                session.info.pop(_AFTER_COMMIT, None)
            raise
        for session in sessions:
            session.commit()
        return result, [then for s in sessions for then in s.info.pop(_AFTER_COMMIT)]

    off_loop = getattr(endpoint, _IN_WORKER_THREAD, False)

    @functools.wraps(endpoint)
    async def run(*args: Any, **kwargs: Any) -> Any:
        session = next((v for v in kwargs.values() if isinstance(v, Session)), None)
        if session is None or off_loop:
            result, then = await run_in_threadpool(work, *args, **kwargs)
        elif reads_only:
            result, then = work(*args, **kwargs)  # on the loop, on every database
        else:
            result, then = await run_db_work(session.get_bind(), work, *args, **kwargs)
        for step in then:
            await step()
        return result

    _UNITS_OF_WORK.add(run)
    return run


#: The endpoints ``_unit_of_work`` made. FastAPI versions that copy an included router's
#: routes register them again with the wrapped endpoint, which must not be wrapped twice.
_UNITS_OF_WORK: "weakref.WeakSet[Callable[..., Any]]" = weakref.WeakSet()


class UnitOfWorkRoute(APIRoute):
    """An APIRoute whose endpoint runs as one unit of work (``_unit_of_work``).

    Its endpoint must be a plain ``def`` that returns its answer. An ``async def`` endpoint
    (or a generator, streamed after it returns) would do its work outside the unit of
    work: the session dependency only closes the session, so its writes would be rolled
    back after a 200. Such an endpoint is refused here, when the route is registered."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if endpoint not in _UNITS_OF_WORK:
            if _runs_outside_the_call(endpoint):
                name = getattr(endpoint, "__qualname__", repr(endpoint))
                raise NotAUnitOfWork(
                    f"{name} ({path}): a domain route must be a plain `def` endpoint. "
                    "It runs as a unit of work that commits its session when it returns; "
                    "an `async def` or generator endpoint would do its work outside it, "
                    "and its writes would never be committed."
                )
            endpoint = _unit_of_work(endpoint)
        super().__init__(path, endpoint, **kwargs)


def domain_router(**kwargs: Any) -> APIRouter:
    """The APIRouter every domain uses: its routes run as units of work."""
    return APIRouter(route_class=UnitOfWorkRoute, **kwargs)


def _uses_session(dependant: Dependant) -> bool:
    return any(d.call is get_session or _uses_session(d) for d in dependant.dependencies)


def _registered_routes(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    """Every route as registered, through the routers an app includes (FastAPI versions
    that keep an included router whole offer ``iter_route_contexts`` to walk them)."""
    walk = getattr(fastapi.routing, "iter_route_contexts", None)
    if walk is None:
        yield from routes
        return
    for context in walk(list(routes)):
        yield context.original_route


def check_units_of_work(routes: Iterable[BaseRoute]) -> None:
    """Refuse an app in which a route that uses the request's session is not a unit of
    work (a route added to a plain APIRouter, say): nothing would commit its writes."""
    for route in _registered_routes(routes):
        if (
            isinstance(route, APIRoute)
            and not isinstance(route, UnitOfWorkRoute)
            and _uses_session(route.dependant)
        ):
            raise NotAUnitOfWork(
                f"{route.name} ({route.path}) uses the request's session but is not on a "
                "domain router: nothing would commit its writes. Add it to a "
                "`domain_router()`."
            )
