"""Many requests at once on one SQLite connection: every one completes, none waits forever.

On SQLite a request reads its caller and does its work in one transaction on the process's
one connection, on the event loop (``service.principals.deps``, ``service.core.deps``). That
is safe only while nothing between the caller's read and the commit yields to the event
loop: a request that held the connection while suspended would leave the next one blocking
the loop on the pool. Here the ASGI app is driven by 96 concurrent requests whose
``receive`` and ``send`` both yield, so requests interleave at every point where they can;
each must get its exact status, and the audit log must hold exactly one event per read and
write.
"""

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from service.app import create_app
from service.audit.models import AuditEvent
from service.core import clock
from service.core.config import Settings
from service.core.db import make_engine, make_sessionmaker
from service.core.migrate import upgrade
from service.sandbox.fixtures import load_fixtures
from tests.factories import account_body

Message = MutableMapping[str, Any]

SUBJECT = "cf_subject_sandbox_tessa_twentyfold"
SUBJECT_ID = "sub_sandbox_tessa_twentyfold"
FURNISHER = "cf_furnisher_sandbox_card_co"
LENDER = "cf_lender_sandbox_bank"
ROUNDS = 16


def _yielding(app: FastAPI) -> Callable[..., Awaitable[None]]:
    """The app, with a yield to the event loop at every receive and send."""

    async def wrapped(
        scope: Message,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        async def receive_yielding() -> Message:
            await asyncio.sleep(0)
            return await receive()

        async def send_yielding(message: Message) -> None:
            await asyncio.sleep(0)
            await send(message)

        await app(scope, receive_yielding, send_yielding)

    return wrapped


@pytest.fixture
def file_app(tmp_path: Path, database_url: str) -> FastAPI:
    if not database_url.startswith("sqlite"):
        pytest.skip("the serial, single-connection path is SQLite's")
    url = f"sqlite:///{tmp_path / 'concurrency.db'}"
    upgrade(url)
    app = create_app(
        Settings(database_url=url, admin_key="cf_admin_test_key", webhook_worker=False)
    )
    # A healthy request never waits for the connection: it is free whenever a request
    # starts. A short pool timeout turns a regression into quick 500s instead of a hang.
    app.state.engine.dispose()
    app.state.engine = make_engine(url, pool_timeout=0.2)
    app.state.sessionmaker = make_sessionmaker(app.state.engine)
    with app.state.sessionmaker() as session, session.begin():
        load_fixtures(session, now=clock.now(session))
    return app


async def _drive(app: FastAPI) -> list[tuple[str, int]]:
    transport = httpx.ASGITransport(app=_yielding(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://clearfile") as client:

        async def call(kind: str, method: str, path: str, key: str, **kw: Any) -> tuple[str, int]:
            headers = {"Authorization": f"Bearer {key}"}
            resp = await client.request(method, path, headers=headers, **kw)
            return kind, resp.status_code

        calls = []
        for i in range(ROUNDS):
            body = account_body(SUBJECT_ID, balance_cents=1000 + i, as_of="2026-11-01")
            calls += [
                call("report", "GET", "/v1/me/report", SUBJECT),
                call("score", "GET", "/v1/me/score", SUBJECT),
                call("furnish", "PUT", f"/v1/furnisher/accounts/CONC-{i}", FURNISHER, json=body),
                call("wrong role", "GET", "/v1/me/report", LENDER),
                call("bad key", "GET", "/v1/me/report", "cf_subject_sandbox_nobody"),
                call("not found", "GET", "/v1/furnisher/accounts/NO-SUCH", FURNISHER),
            ]
        return await asyncio.wait_for(asyncio.gather(*calls), timeout=120)


def _audit_event_count(app: FastAPI) -> int:
    with app.state.sessionmaker() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_concurrent_requests_all_complete_with_their_exact_status(file_app: FastAPI) -> None:
    events_before = _audit_event_count(file_app)

    results = asyncio.run(_drive(file_app))

    expected = {
        "report": 200,
        "score": 200,
        "furnish": 201,
        "wrong role": 403,
        "bad key": 401,
        "not found": 404,
    }
    assert Counter(results) == Counter({(k, s): ROUNDS for k, s in expected.items()})
    # one event per report read, score read and furnished account; a refusal writes none
    assert _audit_event_count(file_app) - events_before == 3 * ROUNDS
    file_app.state.engine.dispose()
