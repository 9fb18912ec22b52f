"""Sandbox operator endpoints: reset, personas, and the clock moving the personas' stories."""

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from schemas.common import Role
from service.core import clock
from service.sandbox.fixtures import personas
from tests.conftest import Actor

AGNES = next(p for p in personas() if p.id == "sub_sandbox_agnes_fadeaway")
ROLE_KEYS = {p.role: p.api_key for p in reversed(personas())}  # the first persona of each role


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def reset(client: TestClient, admin_headers: dict[str, str]) -> dict[str, Any]:
    resp = client.post("/v1/sandbox/reset", headers=admin_headers)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def moment(day: date, at: time = time(0, 0, 1)) -> str:
    return datetime.combine(day, at, tzinfo=UTC).isoformat()


def test_reset_empties_everything_and_reloads_the_personas(
    client: TestClient,
    admin_headers: dict[str, str],
    make_subject: Callable[..., Actor],
    set_clock: Callable[[datetime], datetime],
) -> None:
    stranger = make_subject()
    set_clock(clock.wall_now() + timedelta(days=400))

    body = reset(client, admin_headers)

    assert body["personas"] == len(personas()) == 24
    assert (body["subjects"], body["organisations"]) == (15, 9)
    # The subject created before the reset is gone: its key no longer authenticates.
    assert client.get("/v1/me/report", headers=stranger.headers).status_code == 401
    # The clock is back at wall time.
    assert abs(datetime.fromisoformat(body["now"]) - clock.wall_now()) < timedelta(minutes=1)
    now = client.get("/v1/sandbox/clock", headers=admin_headers).json()["now"]
    assert abs(datetime.fromisoformat(now) - clock.wall_now()) < timedelta(minutes=1)
    # The personas are back, with their fixed keys.
    for persona in personas():
        if persona.role is Role.subject:
            resp = client.get("/v1/me/report", headers=bearer(persona.api_key))
            assert resp.status_code == 200, persona.id
            assert resp.json()["subject"]["id"] == persona.id


def test_reset_starts_a_fresh_audit_log_with_the_reset_and_an_intact_chain(
    client: TestClient, admin_headers: dict[str, str], make_subject: Callable[..., Actor]
) -> None:
    make_subject()
    reset(client, admin_headers)
    auditor = bearer(ROLE_KEYS[Role.auditor])

    first = client.get("/v1/audit/events", params={"limit": 2}, headers=auditor).json()["items"]
    assert [e["action"] for e in first] == ["sandbox.reset", "furnisher.created"]
    assert first[0]["actor_role"] == "admin"
    verify = client.get("/v1/audit/verify", headers=auditor).json()
    assert verify["valid"] is True
    assert verify["events_checked"] > 19


def test_reset_twice_gives_the_same_sandbox(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    first = reset(client, admin_headers)
    second = reset(client, admin_headers)
    assert {k: v for k, v in first.items() if k != "now"} == {
        k: v for k, v in second.items() if k != "now"
    }
    tessa = bearer("cf_subject_sandbox_tessa_twentyfold")
    assert len(client.get("/v1/me/report", headers=tessa).json()["accounts"]) == 20


def test_moving_the_clock_past_the_age_off_date_purges_the_collection(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    reset(client, admin_headers)
    agnes = bearer(AGNES.api_key)
    accounts = client.get("/v1/me/report", headers=agnes).json()["accounts"]
    collection = next(a for a in accounts if a["account_ref"] == "AGNES-COLL-1")
    leaves = date.fromisoformat(collection["obsolete_on"])

    # The day before, it is still in the file.
    moved = client.post(
        "/v1/sandbox/clock",
        json={"now": moment(leaves - timedelta(days=1), time(23, 0))},
        headers=admin_headers,
    )
    assert moved.status_code == 200, moved.text
    refs = {a["account_ref"] for a in client.get("/v1/me/report", headers=agnes).json()["accounts"]}
    assert "AGNES-COLL-1" in refs

    # On its obsolete_on day it leaves: out of the report, purged, and the purge is logged.
    moved = client.post("/v1/sandbox/clock", json={"now": moment(leaves)}, headers=admin_headers)
    assert moved.status_code == 200, moved.text
    refs = {a["account_ref"] for a in client.get("/v1/me/report", headers=agnes).json()["accounts"]}
    assert refs == {"AGNES-CARD-1", "AGNES-MORTGAGE-1"}
    log = client.get("/v1/me/access-log", headers=agnes).json()["items"]
    purged = [e for e in log if e["action"] == "account.purged_obsolete"]
    assert [(e["resource_id"], e["purpose"]) for e in purged] == [(collection["id"], "fcra_605")]
    agency = bearer("cf_furnisher_sandbox_recovery_agency")
    assert client.get("/v1/furnisher/accounts/AGNES-COLL-1", headers=agency).status_code == 404


SANDBOX_CALLS = [
    ("POST", "/v1/sandbox/reset", None),
    ("GET", "/v1/sandbox/personas", None),
    ("GET", "/v1/sandbox/clock", None),
    ("POST", "/v1/sandbox/clock", {"advance_days": 1}),
    ("POST", "/v1/sandbox/lenders", {"name": "Another Fictional Lender"}),
]


@pytest.mark.parametrize("role", [Role.subject, Role.furnisher, Role.lender, Role.auditor])
def test_only_the_admin_may_use_the_sandbox_endpoints(
    client: TestClient, admin_headers: dict[str, str], role: Role
) -> None:
    reset(client, admin_headers)
    headers = bearer(ROLE_KEYS[role])
    for method, path, body in SANDBOX_CALLS:
        resp = client.request(method, path, json=body, headers=headers)
        assert resp.status_code == 403, (method, path, resp.text)
        assert resp.json()["type"].endswith("/role-not-permitted")
    # Nothing happened: the personas are still there, the clock did not move.
    assert client.get("/v1/me/report", headers=bearer(AGNES.api_key)).status_code == 200


@pytest.mark.parametrize(("method", "path", "body"), SANDBOX_CALLS)
def test_sandbox_endpoints_need_a_key(
    client: TestClient, method: str, path: str, body: dict[str, Any] | None
) -> None:
    resp = client.request(method, path, json=body)
    assert resp.status_code == 401
    assert resp.headers["content-type"].startswith("application/problem+json")


def test_reset_and_personas_are_described_in_the_openapi_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    reset_op = paths["/v1/sandbox/reset"]["post"]
    personas_op = paths["/v1/sandbox/personas"]["get"]
    assert (reset_op["operationId"], personas_op["operationId"]) == ("resetSandbox", "listPersonas")
    for op in (reset_op, personas_op):
        assert op["tags"] == ["sandbox"]
        assert op["summary"]
        assert {"401", "403"} <= set(op["responses"])
    assert "422" in personas_op["responses"]


def test_the_clock_advances_and_never_moves_back(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    read = client.get("/v1/sandbox/clock", headers=admin_headers)
    before = datetime.fromisoformat(read.json()["now"])
    moved = client.post("/v1/sandbox/clock", json={"advance_days": 30}, headers=admin_headers)
    assert moved.status_code == 200, moved.text
    after = datetime.fromisoformat(moved.json()["now"])
    assert timedelta(days=30) <= after - before < timedelta(days=30, minutes=1)
    back = client.post("/v1/sandbox/clock", json={"now": before.isoformat()}, headers=admin_headers)
    assert back.status_code == 409
    assert back.json()["errors"][0]["field"] == "now"
