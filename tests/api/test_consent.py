"""Consents, the security freeze and fraud alerts, as the subject uses them."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ADMIN_HEADERS, Actor

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
PROBLEMS = "https://clearfile.example/problems/"


@pytest.fixture
def subject(set_clock: Callable[[datetime], datetime], make_subject: Callable[..., Actor]) -> Actor:
    set_clock(NOW)
    return make_subject()


@pytest.fixture
def lender(make_lender: Callable[..., Actor]) -> Actor:
    return make_lender("Fictional Consent Bank")


def consent_body(lender: Actor, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "lender_id": lender.id,
        "purpose": "credit_application",
        "scope": ["report", "score"],
        "expires_on": "2027-02-15",
    }
    body.update(overrides)
    return body


def grant(
    client: TestClient, subject: Actor, lender: Actor, status: int = 201, **overrides: Any
) -> dict[str, Any]:
    resp = client.post(
        "/v1/me/consents", json=consent_body(lender, **overrides), headers=subject.headers
    )
    assert resp.status_code == status, resp.text
    data: dict[str, Any] = resp.json()
    return data


def actions(client: TestClient, subject: Actor) -> list[str]:
    log = client.get("/v1/me/access-log?limit=200", headers=subject.headers).json()["items"]
    return [e["action"] for e in log]


def advance(client: TestClient, **body: Any) -> None:
    resp = client.post("/v1/sandbox/clock", json=body, headers=ADMIN_HEADERS)
    assert resp.status_code == 200, resp.text


# --- granting --------------------------------------------------------------------------------


def test_a_consent_names_its_lender_purpose_scope_and_expiry(
    client: TestClient, subject: Actor, lender: Actor
) -> None:
    consent = grant(client, subject, lender, scope=["score", "report"])
    assert consent["id"].startswith("cns_")
    assert consent["lender_id"] == lender.id
    assert consent["lender_name"] == "Fictional Consent Bank"
    assert consent["purpose"] == "credit_application"
    assert consent["scope"] == ["report", "score"]
    assert consent["expires_on"] == "2027-02-15"
    assert consent["granted_at"].startswith("2026-11-15T12:00")
    assert consent["state"] == "active"
    assert consent["revoked_at"] is None
    listed = client.get("/v1/me/consents", headers=subject.headers).json()["items"]
    assert [c["id"] for c in listed] == [consent["id"]]
    one = client.get(f"/v1/me/consents/{consent['id']}", headers=subject.headers)
    assert one.json() == consent
    assert "consent.granted" in actions(client, subject)


def test_the_expiry_may_be_twelve_months_ahead_and_no_more(
    client: TestClient, subject: Actor, lender: Actor
) -> None:
    grant(client, subject, lender, expires_on="2027-11-15")
    resp = client.post(
        "/v1/me/consents",
        json=consent_body(lender, expires_on="2027-11-16"),
        headers=subject.headers,
    )
    assert resp.status_code == 422
    problem = resp.json()
    assert [e["field"] for e in problem["errors"]] == ["expires_on"]
    assert "2027-11-15" in problem["errors"][0]["detail"]


@pytest.mark.parametrize("expires_on", ["2026-11-15", "2026-11-14", "1999-01-01"])
def test_an_expiry_today_or_in_the_past_is_refused(
    client: TestClient, subject: Actor, lender: Actor, expires_on: str
) -> None:
    resp = client.post(
        "/v1/me/consents",
        json=consent_body(lender, expires_on=expires_on),
        headers=subject.headers,
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "expires_on"


def test_refused_consents_write_nothing(
    client: TestClient,
    subject: Actor,
    lender: Actor,
    make_furnisher: Callable[..., Actor],
) -> None:
    furnisher = make_furnisher()
    before = actions(client, subject)
    bad = [
        consent_body(lender, lender_id="len_00000000000000000000"),
        consent_body(lender, lender_id=furnisher.id),  # a principal, but not a lender
        consent_body(lender, lender_id=subject.id),
        consent_body(lender, purpose="marketing"),
        consent_body(lender, purpose="employment"),  # without the explicit confirmation
        consent_body(lender, purpose="employment", explicit_confirmation="yes"),
        consent_body(lender, purpose="employment", explicit_confirmation=1),
        consent_body(lender, scope=[]),
        consent_body(lender, scope=["report", "report"]),
        consent_body(lender, scope=["everything"]),
        consent_body(lender, expires_on="2028-01-01"),
        consent_body(lender, expires_on=20270101),
        {**consent_body(lender), "location": "51.5,-0.1"},
    ]
    for body in bad:
        resp = client.post("/v1/me/consents", json=body, headers=subject.headers)
        assert resp.status_code == 422, (body, resp.text)
        assert resp.headers["content-type"] == "application/problem+json"
        assert resp.json()["errors"], body
    assert client.get("/v1/me/consents", headers=subject.headers).json()["items"] == []
    after = actions(client, subject)
    assert "consent.granted" not in after
    assert len(after) == len(before) + 2  # the two access-log reads, nothing else


def test_an_unknown_lender_is_named_in_the_problem(
    client: TestClient, subject: Actor, lender: Actor
) -> None:
    resp = client.post(
        "/v1/me/consents",
        json=consent_body(lender, lender_id="len_nobody"),
        headers=subject.headers,
    )
    assert resp.status_code == 422
    assert resp.json()["errors"] == [
        {
            "field": "lender_id",
            "pointer": "#/lender_id",
            "detail": "no lender has the id 'len_nobody'",
        }
    ]


def test_employment_needs_the_subjects_explicit_confirmation(
    client: TestClient, subject: Actor, lender: Actor
) -> None:
    resp = client.post(
        "/v1/me/consents",
        json=consent_body(lender, purpose="employment"),
        headers=subject.headers,
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "explicit_confirmation"
    consent = grant(client, subject, lender, purpose="employment", explicit_confirmation=True)
    assert consent["explicit_confirmation"] is True


# --- revoking and expiring ------------------------------------------------------------------


def test_revoking_is_at_once_and_once(client: TestClient, subject: Actor, lender: Actor) -> None:
    consent = grant(client, subject, lender)
    resp = client.delete(f"/v1/me/consents/{consent['id']}", headers=subject.headers)
    assert resp.status_code == 200
    assert resp.json()["state"] == "revoked"
    assert resp.json()["revoked_at"].startswith("2026-11-15T12:00")
    again = client.delete(f"/v1/me/consents/{consent['id']}", headers=subject.headers)
    assert again.status_code == 409
    listed = client.get("/v1/me/consents", headers=subject.headers).json()["items"]
    assert listed[0]["state"] == "revoked"
    assert actions(client, subject).count("consent.revoked") == 1


def test_another_subjects_consent_is_not_found(
    client: TestClient, subject: Actor, lender: Actor, make_subject: Callable[..., Actor]
) -> None:
    consent = grant(client, subject, lender)
    other = make_subject()
    for method, path in (
        ("GET", f"/v1/me/consents/{consent['id']}"),
        ("DELETE", f"/v1/me/consents/{consent['id']}"),
        ("GET", f"/v1/me/consents/{consent['id']}/receipt"),
    ):
        resp = client.request(method, path, headers=other.headers)
        assert resp.status_code == 404, (method, path)
    still = client.get(f"/v1/me/consents/{consent['id']}", headers=subject.headers).json()
    assert still["state"] == "active"


def test_a_consent_expires_at_the_start_of_its_expiry_day(
    client: TestClient, subject: Actor, lender: Actor
) -> None:
    consent = grant(client, subject, lender, expires_on="2026-11-20")
    url = f"/v1/me/consents/{consent['id']}"
    advance(client, now="2026-11-19T23:59:59Z")
    assert client.get(url, headers=subject.headers).json()["state"] == "active"
    advance(client, now="2026-11-20T00:00:00Z")
    assert client.get(url, headers=subject.headers).json()["state"] == "expired"


# --- the receipt ----------------------------------------------------------------------------


def test_the_receipt_is_a_27560_shaped_record_to_download(
    client: TestClient, subject: Actor, lender: Actor
) -> None:
    consent = grant(client, subject, lender, scope=["score"], purpose="tenant_screening")
    resp = client.get(f"/v1/me/consents/{consent['id']}/receipt", headers=subject.headers)
    assert resp.status_code == 200
    assert resp.headers["content-disposition"] == (
        f'attachment; filename="consent-receipt-{consent["id"]}.json"'
    )
    receipt = resp.json()
    assert receipt["record_id"] == consent["id"]
    assert receipt["pii_principal"]["id"] == subject.id
    assert receipt["pii_principal"]["name"] == subject.body["name"]
    assert receipt["recipients"] == [
        {"id": lender.id, "name": "Fictional Consent Bank", "role": "lender"}
    ]
    (purpose,) = receipt["purposes"]
    assert purpose["purpose"] == "tenant_screening"
    assert any("604(a)(3)(F)" in basis for basis in purpose["legal_basis"])
    assert any("GDPR 6(1)(a)" in basis for basis in purpose["legal_basis"])
    assert any("credit score" in c for c in purpose["pii_categories"])
    assert not any("accounts" in c for c in purpose["pii_categories"])  # score only
    assert receipt["consent_given_at"].startswith("2026-11-15T12:00")
    assert receipt["consent_expires_at"] == "2027-02-15T00:00:00Z"
    assert receipt["state"] == "active"
    assert f"DELETE /v1/me/consents/{consent['id']}" in receipt["withdrawal_method"]
    client.delete(f"/v1/me/consents/{consent['id']}", headers=subject.headers)
    after = client.get(f"/v1/me/consents/{consent['id']}/receipt", headers=subject.headers)
    assert after.json()["state"] == "revoked"
    assert after.json()["withdrawn_at"].startswith("2026-11-15T12:00")
    assert [e["state"] for e in after.json()["lifecycle"]] == ["active", "revoked"]


# --- freeze ---------------------------------------------------------------------------------


def test_freeze_and_lift(client: TestClient, subject: Actor) -> None:
    first = client.put("/v1/me/freeze", headers=subject.headers)
    assert first.status_code == 201
    assert first.json()["frozen"] is True
    assert first.json()["placed_at"].startswith("2026-11-15T12:00")
    assert first.json()["refuses"] == ["credit_application", "prequalification"]
    again = client.put("/v1/me/freeze", headers=subject.headers)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert client.get("/v1/me/freeze", headers=subject.headers).json()["frozen"] is True
    lifted = client.delete("/v1/me/freeze", headers=subject.headers)
    assert lifted.status_code == 200
    assert lifted.json()["frozen"] is False
    assert lifted.json()["lifted_at"].startswith("2026-11-15T12:00")
    assert client.delete("/v1/me/freeze", headers=subject.headers).status_code == 409
    log = actions(client, subject)
    assert log.count("freeze.placed") == 1
    assert log.count("freeze.lifted") == 1


# --- fraud alerts ---------------------------------------------------------------------------


def place_alert(client: TestClient, subject: Actor, kind: str, status: int = 201) -> Any:
    resp = client.post("/v1/me/fraud-alerts", json={"kind": kind}, headers=subject.headers)
    assert resp.status_code == status, resp.text
    return resp.json()


def test_an_initial_alert_lasts_one_year_and_an_extended_seven(
    client: TestClient, subject: Actor
) -> None:
    initial = place_alert(client, subject, "initial")
    assert initial["expires_on"] == "2027-11-15"
    assert initial["active"] is True
    extended = place_alert(client, subject, "extended")
    assert extended["expires_on"] == "2033-11-15"
    listed = client.get("/v1/me/fraud-alerts", headers=subject.headers).json()["items"]
    assert {a["id"] for a in listed} == {initial["id"], extended["id"]}


def test_alerts_expire_by_the_sandbox_clock(client: TestClient, subject: Actor) -> None:
    alert = place_alert(client, subject, "initial")
    place_alert(client, subject, "initial", status=409)  # one is active: nothing to add
    advance(client, now="2027-11-14T23:59:59Z")
    listed = client.get("/v1/me/fraud-alerts", headers=subject.headers).json()["items"]
    assert listed[0]["active"] is True
    advance(client, now="2027-11-15T00:00:00Z")
    listed = client.get("/v1/me/fraud-alerts", headers=subject.headers).json()["items"]
    assert listed[0]["active"] is False
    renewed = place_alert(client, subject, "initial")
    assert renewed["id"] != alert["id"]


def test_an_alert_may_be_removed_early(client: TestClient, subject: Actor) -> None:
    alert = place_alert(client, subject, "extended")
    resp = client.delete(f"/v1/me/fraud-alerts/{alert['id']}", headers=subject.headers)
    assert resp.status_code == 200
    assert resp.json()["active"] is False
    assert resp.json()["removed_at"].startswith("2026-11-15T12:00")
    again = client.delete(f"/v1/me/fraud-alerts/{alert['id']}", headers=subject.headers)
    assert again.status_code == 409


def test_an_unknown_alert_kind_is_refused(client: TestClient, subject: Actor) -> None:
    place_alert(client, subject, "permanent", status=422)
    place_alert(client, subject, "", status=422)


# --- the report shows them ------------------------------------------------------------------


def test_the_report_shows_consents_freeze_and_alerts(
    client: TestClient, subject: Actor, lender: Actor
) -> None:
    empty = client.get("/v1/me/report", headers=subject.headers).json()
    assert empty["consents"] == []
    assert empty["freeze"]["frozen"] is False
    assert empty["fraud_alerts"] == []
    consent = grant(client, subject, lender)
    client.put("/v1/me/freeze", headers=subject.headers)
    alert = place_alert(client, subject, "initial")
    report = client.get("/v1/me/report", headers=subject.headers).json()
    assert [c["id"] for c in report["consents"]] == [consent["id"]]
    assert report["consents"][0]["state"] == "active"
    assert report["freeze"]["frozen"] is True
    assert [a["id"] for a in report["fraud_alerts"]] == [alert["id"]]
    client.delete(f"/v1/me/consents/{consent['id']}", headers=subject.headers)
    client.delete("/v1/me/freeze", headers=subject.headers)
    report = client.get("/v1/me/report", headers=subject.headers).json()
    assert report["consents"][0]["state"] == "revoked"
    assert report["freeze"]["frozen"] is False
    export = client.get("/v1/me/export", headers=subject.headers).json()
    assert export["report"]["consents"][0]["state"] == "revoked"


def test_the_report_shows_a_consent_expired_by_the_clock(
    client: TestClient, subject: Actor, lender: Actor
) -> None:
    grant(client, subject, lender, expires_on="2026-11-16")
    assert (
        client.get("/v1/me/report", headers=subject.headers).json()["consents"][0]["state"]
        == "active"
    )
    advance(client, advance_days=1)
    report = client.get("/v1/me/report", headers=subject.headers).json()
    assert report["consents"][0]["state"] == "expired"


def test_many_consents_are_paged_newest_first(
    client: TestClient, subject: Actor, lender: Actor, set_clock: Callable[[datetime], datetime]
) -> None:
    ids = []
    for day in range(5):
        set_clock(NOW + timedelta(days=day))
        ids.append(grant(client, subject, lender)["id"])
    seen: list[str] = []
    url = "/v1/me/consents?limit=2"
    while True:
        page = client.get(url, headers=subject.headers).json()
        seen.extend(c["id"] for c in page["items"])
        if page["next_cursor"] is None:
            break
        url = f"/v1/me/consents?limit=2&cursor={page['next_cursor']}"
    assert seen == ids[::-1]
