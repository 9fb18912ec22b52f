"""A hostile client's requests: each is refused with its 4xx problem, and writes nothing.

Every value a client sends is bounded before it reaches date arithmetic or a database type:
the sandbox clock's moment and days, cursors (integers wider than 64 bits, text with NUL,
moments that leave the calendar once in UTC), path ids, page sizes and body sizes. Runs on
SQLite and on PostgreSQL (``CLEARFILE_TEST_DATABASE_URL``).
"""

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from service.core.clock import SandboxClock
from service.core.db import Base
from tests.conftest import ADMIN_HEADERS, Actor

PROBLEMS = "https://clearfile.example/problems/"
TWO_TO_THE_63 = 9_223_372_036_854_775_808
THREE_HUNDRED_DIGITS = int("9" * 300)


def cursor(value: Any) -> str:
    """A cursor as this API encodes one, holding whatever a hostile client chose."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@dataclass(frozen=True)
class Hostile:
    id: str
    role: str
    method: str
    path: str
    status: int
    bad_field: str | None = None
    slug: str = "validation-error"
    params: dict[str, Any] = field(default_factory=dict)
    body: Any = None


HOSTILE = [
    # The sandbox clock: a moment near the calendar's end broke every later request.
    Hostile("clock-far-future", "admin", "POST", "/v1/sandbox/clock", 422, "now",
            body={"now": "9999-12-31T23:59:58Z"}),
    Hostile("clock-year-3000", "admin", "POST", "/v1/sandbox/clock", 422, "now",
            body={"now": "3000-01-01T00:00:00Z"}),
    Hostile("clock-past-9999-in-utc", "admin", "POST", "/v1/sandbox/clock", 422, "now",
            body={"now": "9999-12-31T23:59:59-05:00"}),
    Hostile("clock-before-year-1-in-utc", "admin", "POST", "/v1/sandbox/clock", 422, "now",
            body={"now": "0001-01-01T00:00:00+05:00"}),
    Hostile("clock-negative-days", "admin", "POST", "/v1/sandbox/clock", 422, "advance_days",
            body={"advance_days": -1}),
    Hostile("clock-2-63-days", "admin", "POST", "/v1/sandbox/clock", 422, "advance_days",
            body={"advance_days": TWO_TO_THE_63}),
    Hostile("clock-billion-days", "admin", "POST", "/v1/sandbox/clock", 422, "advance_days",
            body={"advance_days": 1_000_000_000}),
    # Cursors: integers no BIGINT holds, text with NUL, moments outside the calendar.
    Hostile("audit-cursor-2-63", "auditor", "GET", "/v1/audit/events", 422, "query.cursor",
            params={"cursor": cursor(TWO_TO_THE_63)}),
    Hostile("audit-cursor-300-digits", "auditor", "GET", "/v1/audit/events", 422,
            "query.cursor", params={"cursor": cursor(THREE_HUNDRED_DIGITS)}),
    Hostile("audit-cursor-below-bigint", "auditor", "GET", "/v1/audit/events", 422,
            "query.cursor", params={"cursor": cursor(-TWO_TO_THE_63 - 1)}),
    Hostile("audit-cursor-float", "auditor", "GET", "/v1/audit/events", 422, "query.cursor",
            params={"cursor": cursor(1e300)}),
    Hostile("access-log-cursor-2-63", "subject", "GET", "/v1/me/access-log", 422,
            "query.cursor", params={"cursor": cursor(TWO_TO_THE_63)}),
    Hostile("access-log-cursor-300-digits", "subject", "GET", "/v1/me/access-log", 422,
            "query.cursor", params={"cursor": cursor(THREE_HUNDRED_DIGITS)}),
    Hostile("score-history-cursor-year-0", "subject", "GET", "/v1/me/score/history", 422,
            "query.cursor", params={"cursor": cursor(["0001-01-01T00:00:00+05:00", "rcp_x"])}),
    Hostile("score-history-cursor-year-10000", "subject", "GET", "/v1/me/score/history", 422,
            "query.cursor", params={"cursor": cursor(["9999-12-31T23:59:59-05:00", "rcp_x"])}),
    Hostile("score-history-cursor-nul", "subject", "GET", "/v1/me/score/history", 422,
            "query.cursor", params={"cursor": cursor(["2026-11-01T00:00:00+00:00", "rcp_\x00"])}),
    Hostile("personas-cursor-2-63", "admin", "GET", "/v1/sandbox/personas", 422,
            "query.cursor", params={"cursor": cursor(TWO_TO_THE_63)}),
    Hostile("accounts-cursor-nul", "furnisher", "GET", "/v1/furnisher/accounts", 422,
            "query.cursor", params={"cursor": cursor("CARD\x00")}),
    Hostile("models-cursor-nul", "anonymous", "GET", "/v1/models", 422, "query.cursor",
            params={"cursor": cursor("cf-\x00")}),
    Hostile("verify-cursor-2-63", "auditor", "GET", "/v1/audit/verify", 422, "query.cursor",
            params={"cursor": cursor(["system", TWO_TO_THE_63])}),
    Hostile("verify-cursor-nul", "auditor", "GET", "/v1/audit/verify", 422, "query.cursor",
            params={"cursor": cursor(["sys\x00tem", 1])}),
    Hostile("verify-cursor-unknown-event", "auditor", "GET", "/v1/audit/verify", 422,
            "query.cursor", params={"cursor": cursor(["no-such-chain", 1])}),
    # Path ids: NUL is refused before any query.
    Hostile("receipt-id-nul", "subject", "GET", "/v1/me/score/receipts/rcp_%00x", 422,
            "path.receipt_id"),
    # Page sizes: every list is bounded.
    Hostile("audit-limit-201", "auditor", "GET", "/v1/audit/events", 422, "query.limit",
            params={"limit": 201}),
    Hostile("audit-limit-huge", "auditor", "GET", "/v1/audit/events", 422, "query.limit",
            params={"limit": 10**30}),
    Hostile("access-log-limit-0", "subject", "GET", "/v1/me/access-log", 422, "query.limit",
            params={"limit": 0}),
    Hostile("history-limit-201", "subject", "GET", "/v1/me/score/history", 422,
            "query.limit", params={"limit": 201}),
    Hostile("accounts-limit-201", "furnisher", "GET", "/v1/furnisher/accounts", 422,
            "query.limit", params={"limit": 201}),
    Hostile("personas-limit-201", "admin", "GET", "/v1/sandbox/personas", 422, "query.limit",
            params={"limit": 201}),
    Hostile("models-limit-201", "anonymous", "GET", "/v1/models", 422, "query.limit",
            params={"limit": 201}),
    Hostile("verify-limit-10001", "auditor", "GET", "/v1/audit/verify", 422, "query.limit",
            params={"limit": 10_001}),
    # Bodies: larger than the limit, with or without Content-Length.
    Hostile("body-2-mib", "admin", "POST", "/v1/sandbox/subjects", 413,
            slug="payload-too-large", body=b'{"given_name": "' + b"A" * 2 * 1024 * 1024 + b'"}'),
    Hostile("body-chunked-2-mib", "admin", "POST", "/v1/sandbox/subjects", 413,
            slug="payload-too-large",
            body=(b'{"given_name": "', *[b"A" * 65536] * 32, b'"}')),
]  # fmt: skip


def snapshot(session: Session) -> dict[str, Any]:
    """Every table's row count, and the clock's offset: what a refused request must leave."""
    counts: dict[str, Any] = {
        table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
        for table in Base.metadata.sorted_tables
    }
    counts["clock offset"] = session.execute(select(SandboxClock.offset_microseconds)).all()
    return counts


def send(client: TestClient, request: Hostile, headers: dict[str, str]) -> Any:
    kwargs: dict[str, Any] = {"params": request.params, "headers": headers}
    if isinstance(request.body, dict):
        kwargs["json"] = request.body
    elif request.body is not None:
        # A tuple of chunks goes without Content-Length (chunked), as a stream would.
        kwargs["content"] = iter(request.body) if isinstance(request.body, tuple) else request.body
        kwargs["headers"] = {**headers, "Content-Type": "application/json"}
    return client.request(request.method, request.path, **kwargs)


@pytest.mark.parametrize("request_", HOSTILE, ids=[h.id for h in HOSTILE])
def test_a_hostile_request_gets_its_problem_and_writes_nothing(
    client: TestClient,
    session: Session,
    headers_by_role: dict[str, dict[str, str]],
    request_: Hostile,
) -> None:
    before = snapshot(session)

    resp = send(client, request_, headers_by_role[request_.role])

    assert resp.status_code == request_.status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    problem = resp.json()
    assert problem["type"] == PROBLEMS + request_.slug
    if request_.bad_field is not None:
        assert request_.bad_field in {e["field"] for e in problem["errors"]}, problem
    assert snapshot(session) == before


def test_advancing_the_clock_past_its_range_is_refused_and_writes_nothing(
    client: TestClient, session: Session, set_clock: Callable[[datetime], datetime]
) -> None:
    set_clock(datetime(2999, 6, 1, tzinfo=UTC))
    before = snapshot(session)

    resp = client.post("/v1/sandbox/clock", json={"advance_days": 365}, headers=ADMIN_HEADERS)

    assert resp.status_code == 422, resp.text
    assert [e["field"] for e in resp.json()["errors"]] == ["advance_days"]
    assert snapshot(session) == before
    # Within the range it still moves.
    ok = client.post("/v1/sandbox/clock", json={"advance_days": 30}, headers=ADMIN_HEADERS)
    assert ok.status_code == 200, ok.text
    assert ok.json()["now"].startswith("2999-07-01")


def test_the_clock_may_be_set_to_the_last_moment_of_its_range(
    client: TestClient, set_clock: Callable[[datetime], datetime]
) -> None:
    set_clock(datetime(2026, 11, 15, tzinfo=UTC))
    resp = client.post(
        "/v1/sandbox/clock", json={"now": "2999-12-31T23:59:59Z"}, headers=ADMIN_HEADERS
    )
    assert resp.status_code == 200, resp.text
    assert client.get("/v1/sandbox/clock", headers=ADMIN_HEADERS).status_code == 200


#: Offsets from today's wall time: to about the year 5000 and to the calendar's last years (both
#: representable, both past the clock's range), and beyond the calendar either way.
YEAR_5000 = 3000 * 365 * 24 * 3600 * 10**6
CALENDAR_END = (7973 * 365) * 24 * 3600 * 10**6


@pytest.mark.parametrize(
    "offset",
    [YEAR_5000, CALENDAR_END, 2**62, -(2**62), 2**63 - 1],
    ids=["year-5000", "calendar-end", "far-ahead", "far-back", "largest"],
)
def test_reset_works_whatever_the_clock_row_holds(
    client: TestClient,
    session: Session,
    set_clock: Callable[[datetime], datetime],
    make_subject: Callable[..., Actor],
    offset: int,
) -> None:
    """An offset written behind the API's back (far outside the calendar) must not brick
    the sandbox: requests still answer, and a reset puts the clock back at wall time."""
    set_clock(datetime(2026, 11, 15, tzinfo=UTC))  # the clock row exists
    with session.begin_nested():
        session.execute(update(SandboxClock).values(offset_microseconds=offset))
    assert session.execute(select(SandboxClock.offset_microseconds)).scalars().all() == [offset]

    read = client.get("/v1/sandbox/clock", headers=ADMIN_HEADERS)
    assert read.status_code == 200, read.text
    moment = datetime.fromisoformat(read.json()["now"])
    assert datetime(1900, 1, 1, tzinfo=UTC) <= moment <= datetime(3000, 1, 1, tzinfo=UTC)
    # Every rule still counts from it: a new file, its report.
    subject = make_subject()
    assert client.get("/v1/me/report", headers=subject.headers).status_code == 200
    reset = client.post("/v1/sandbox/reset", headers=ADMIN_HEADERS)

    assert reset.status_code == 200, reset.text
    now = datetime.fromisoformat(reset.json()["now"])
    assert abs(now - datetime.now(UTC)) < timedelta(minutes=5)  # noqa: TID251 - wall time
    again = client.get("/v1/sandbox/clock", headers=ADMIN_HEADERS)
    assert abs(datetime.fromisoformat(again.json()["now"]) - now) < timedelta(minutes=5)


def test_every_list_bounds_its_page_size(client: TestClient) -> None:
    """Every ``limit`` query parameter of every operation declares a maximum."""
    schema = client.get("/openapi.json").json()
    limits = [
        (path, method, p["schema"])
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        for p in operation.get("parameters", [])
        if p["name"] == "limit"
    ]
    assert len(limits) >= 7
    unbounded = [(path, method) for path, method, s in limits if "maximum" not in s]
    assert unbounded == []
