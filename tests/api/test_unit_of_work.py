"""A route on a domain router is a unit of work: what it writes is committed when it returns,
or rolled back on an error. A route that could write outside one is refused before the app
serves a request."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from service.core import clock
from service.core.db import make_sessionmaker
from service.core.deps import NotAUnitOfWork, SessionDep, check_units_of_work, domain_router
from service.core.errors import Conflict
from service.core.problems import install_problem_handlers

MOMENT = datetime(2031, 3, 4, 5, 6, 7, tzinfo=UTC)


def _stored_offset(session: Session) -> int | None:
    session.expire_all()
    return session.execute(select(clock.SandboxClock.offset_microseconds)).scalar()


def _app(connection: Connection, router: APIRouter) -> FastAPI:
    app = FastAPI()
    app.state.sessionmaker = make_sessionmaker(connection, join_transaction_mode="create_savepoint")
    install_problem_handlers(app)
    app.include_router(router)
    check_units_of_work(app.routes)
    return app


@pytest.fixture
def writer(connection: Connection) -> Iterator[TestClient]:
    router = domain_router()

    @router.post("/write")
    def write(session: SessionDep) -> dict[str, str]:
        clock.set_now(session, MOMENT)
        return {"written": "yes"}

    @router.post("/write-then-fail")
    def write_then_fail(session: SessionDep) -> dict[str, str]:
        clock.set_now(session, MOMENT)
        raise Conflict(detail="refused after writing")

    with TestClient(_app(connection, router)) as client:
        yield client


def test_a_sync_domain_route_commits_what_it_wrote(writer: TestClient, session: Session) -> None:
    before = _stored_offset(session)
    resp = writer.post("/write")
    assert resp.status_code == 200, resp.text
    after = _stored_offset(session)
    assert after is not None
    assert after != before
    assert abs(clock.at_offset(after) - MOMENT) < timedelta(minutes=1)


def test_a_failing_domain_route_writes_nothing(writer: TestClient, session: Session) -> None:
    before = _stored_offset(session)
    resp = writer.post("/write-then-fail")
    assert resp.status_code == 409, resp.text
    assert _stored_offset(session) == before


def test_an_async_endpoint_is_refused_when_registered() -> None:
    router = domain_router()
    with pytest.raises(NotAUnitOfWork, match=r"`async def`.*never be committed"):

        @router.post("/async-write")
        async def async_write(session: SessionDep) -> dict[str, str]:
            clock.set_now(session, MOMENT)
            return {"written": "yes"}

    assert router.routes == []


def test_an_async_endpoint_is_refused_by_add_api_route() -> None:
    async def async_write(session: SessionDep) -> None:
        clock.set_now(session, MOMENT)

    with pytest.raises(NotAUnitOfWork, match="async_write"):
        domain_router().add_api_route("/async-write", async_write, methods=["POST"])


def test_an_async_callable_instance_is_refused() -> None:
    class Endpoint:
        async def __call__(self, session: SessionDep) -> None:
            clock.set_now(session, MOMENT)

    with pytest.raises(NotAUnitOfWork):
        domain_router().add_api_route("/async-write", Endpoint(), methods=["POST"])


def test_a_generator_endpoint_is_refused() -> None:
    router = domain_router()
    with pytest.raises(NotAUnitOfWork, match="generator"):

        @router.get("/stream")
        def stream(session: SessionDep) -> Iterator[str]:
            clock.set_now(session, MOMENT)
            yield "written later"


def test_a_domain_router_included_in_another_keeps_its_units_of_work(
    connection: Connection, session: Session
) -> None:
    inner = domain_router()

    @inner.post("/write")
    def write(session: SessionDep) -> None:
        clock.set_now(session, MOMENT)

    outer = domain_router(prefix="/v1")
    outer.include_router(inner)
    with TestClient(_app(connection, outer)) as client:
        assert client.post("/v1/write").status_code == 200
    offset = _stored_offset(session)
    assert offset is not None
    assert abs(clock.at_offset(offset) - MOMENT) < timedelta(minutes=1)


def test_a_route_using_the_session_off_a_domain_router_is_refused_at_startup() -> None:
    plain = APIRouter()

    @plain.post("/write")
    def write(session: SessionDep) -> None:
        clock.set_now(session, MOMENT)

    app = FastAPI()
    app.include_router(plain)
    with pytest.raises(NotAUnitOfWork, match=r"write \(/write\).*domain_router"):
        check_units_of_work(app.routes)


def test_a_route_without_the_session_may_be_on_a_plain_router() -> None:
    plain = APIRouter()

    @plain.get("/ping")
    async def ping() -> dict[str, str]:
        return {"ping": "pong"}

    app = FastAPI()
    app.include_router(plain)
    check_units_of_work(app.routes)


def test_the_app_has_no_route_outside_a_unit_of_work(app: FastAPI) -> None:
    check_units_of_work(app.routes)
