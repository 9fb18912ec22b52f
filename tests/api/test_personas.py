"""The fixture personas: their data file, the loader, and each story as the API shows it."""

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from schemas.common import Role
from schemas.sandbox import NATIONAL_ID_PATTERN
from service.core import clock
from service.core.errors import Conflict
from service.core.pagination import encode_cursor
from service.file.rules import add_years
from service.sandbox import queries as sandbox_queries
from service.sandbox.fixtures import (
    FixtureSet,
    PersonaInfo,
    fixture_set,
    load_fixtures,
    personas,
    resolve_date,
    resolve_moment,
)
from tests.conftest import Actor

SUBJECTS = [p for p in personas() if p.role is Role.subject]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def key_of(persona_id: str) -> dict[str, str]:
    return bearer(next(p.api_key for p in personas() if p.id == persona_id))


@pytest.fixture
def sandbox(client: TestClient, admin_headers: dict[str, str]) -> TestClient:
    """A client on a freshly reset sandbox: the personas loaded at wall time."""
    resp = client.post("/v1/sandbox/reset", headers=admin_headers)
    assert resp.status_code == 200, resp.text
    return client


def report(client: TestClient, persona_id: str) -> dict[str, Any]:
    resp = client.get("/v1/me/report", headers=key_of(persona_id))
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def today_of(body: dict[str, Any]) -> date:
    return datetime.fromisoformat(body["generated_at"]).date()


def days_ago(day: str, today: date) -> int:
    return (today - date.fromisoformat(day)).days


# --- the data file ------------------------------------------------------------------------


def test_the_data_file_is_fictional_and_consistent() -> None:
    spec = fixture_set()
    assert len(spec.subjects) == 15
    assert len(spec.furnishers) >= 5
    assert len(spec.lenders) >= 2
    assert len(spec.auditors) >= 1
    for subject in spec.subjects:
        assert re.fullmatch(NATIONAL_ID_PATTERN, subject.national_id)
        assert subject.national_id.startswith("000-")  # area 000 is never issued
        assert subject.api_key == "cf_subject_sandbox_" + subject.id.removeprefix("sub_sandbox_")
    for role, org in spec.organisations():
        assert org.api_key.startswith(f"cf_{role.value}_sandbox_")
        assert "(fictional)" in org.name
    people = personas()
    for field in ("id", "api_key", "name"):
        values = [getattr(p, field) for p in people]
        assert len(values) == len(set(values)), field


def test_inquiry_kinds_follow_the_purpose_rule() -> None:
    """A credit application is a hard inquiry; every other purpose is soft."""
    inquiries = [i for s in fixture_set().subjects for i in s.inquiries]
    assert inquiries
    for inquiry in inquiries:
        expected = "hard" if inquiry.purpose == "credit_application" else "soft"
        assert inquiry.kind == expected


def test_the_data_file_rejects_dangling_references() -> None:
    raw = fixture_set().model_dump(mode="json")
    raw["subjects"][0]["accounts"][0]["furnisher"] = "fur_sandbox_nobody"
    raw["subjects"][1]["national_id"] = raw["subjects"][0]["national_id"]
    with pytest.raises(ValueError, match="unknown furnisher") as info:
        FixtureSet.model_validate(raw)
    assert "national_id used more than once" in str(info.value)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("today", date(2026, 3, 15)),
        ("-15y", date(2011, 3, 15)),
        ("-3m", date(2025, 12, 15)),
        ("-2w", date(2026, 3, 1)),
        ("+21d", date(2026, 4, 5)),
        ("-7y-180d+21d", date(2018, 10, 7)),  # 2019-03-15 - 159 d
        ("-3m-10d", date(2025, 12, 5)),
    ],
)
def test_relative_dates_resolve_from_the_load_day(expression: str, expected: date) -> None:
    assert resolve_date(expression, date(2026, 3, 15)) == expected


def test_relative_dates_handle_month_ends_and_leap_days() -> None:
    assert resolve_date("-1y", date(2028, 2, 29)) == date(2027, 2, 28)
    assert resolve_date("-1m", date(2026, 3, 31)) == date(2026, 2, 28)


@pytest.mark.parametrize("expression", ["", "15y", "-15", "-1x", "yesterday", "-1y 2d"])
def test_a_malformed_relative_date_is_refused(expression: str) -> None:
    with pytest.raises(ValueError, match="not a relative date"):
        resolve_date(expression, date(2026, 3, 15))


def test_an_inquiry_moment_keeps_the_time_of_day() -> None:
    now = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)
    assert resolve_moment("-12d", now) == datetime(2026, 3, 3, 9, 30, tzinfo=UTC)


# --- the personas endpoint ----------------------------------------------------------------


def test_personas_are_listed_with_their_keys(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    resp = client.get("/v1/sandbox/personas", headers=admin_headers)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["next_cursor"] is None
    assert [p["id"] for p in body["items"]] == [p.id for p in personas()]
    ada = body["items"][0]
    assert ada == {
        "id": "sub_sandbox_ada_testwell",
        "role": "subject",
        "name": "Ada Testwell",
        "api_key": "cf_subject_sandbox_ada_testwell",
        "demonstrates": ada["demonstrates"],
        "national_id": "000-99-0001",
    }
    assert "clean long file" in ada["demonstrates"].lower()
    assert {p["role"] for p in body["items"]} == {"subject", "furnisher", "lender", "auditor"}


def test_personas_page_and_filter_by_role(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/sandbox/personas", params=params, headers=admin_headers).json()
        assert len(page["items"]) <= 4
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [p.id for p in personas()]

    lenders = client.get(
        "/v1/sandbox/personas", params={"role": "lender"}, headers=admin_headers
    ).json()["items"]
    assert [p["id"] for p in lenders] == [p.id for p in personas() if p.role is Role.lender]
    assert len(lenders) >= 2


@pytest.mark.parametrize("params", [{"cursor": encode_cursor(-1)}, {"role": "admiral"}])
def test_personas_refuse_bad_queries(
    client: TestClient, admin_headers: dict[str, str], params: dict[str, str]
) -> None:
    resp = client.get("/v1/sandbox/personas", params=params, headers=admin_headers)
    assert resp.status_code == 422


# --- loading ------------------------------------------------------------------------------


def test_the_loader_runs_only_on_an_empty_database(
    client: TestClient, session: Session, make_subject: Callable[..., Actor]
) -> None:
    make_subject()
    with pytest.raises(Conflict, match="empty database"):
        load_fixtures(session, now=clock.now(session))
    ada = key_of("sub_sandbox_ada_testwell")
    assert client.get("/v1/me/report", headers=ada).status_code == 401


def test_loading_twice_does_not_duplicate(sandbox: TestClient, session: Session) -> None:
    with pytest.raises(Conflict):
        load_fixtures(session, now=clock.now(session))
    card_co = bearer("cf_furnisher_sandbox_card_co")
    refs: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = sandbox.get("/v1/furnisher/accounts", params=params, headers=card_co).json()
        refs += [a["account_ref"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    expected = [
        a.ref
        for s in fixture_set().subjects
        for a in s.accounts
        if a.furnisher == "fur_sandbox_card_co"
    ]
    assert sorted(refs) == sorted(expected)


@pytest.mark.parametrize(
    "load_day",
    [datetime(2028, 2, 29, 12, tzinfo=UTC), datetime(2031, 1, 1, 0, 5, tzinfo=UTC)],
    ids=["leap-day", "new-year"],
)
def test_the_stories_hold_whatever_the_load_day(
    client: TestClient,
    session: Session,
    set_clock: Callable[[datetime], datetime],
    load_day: datetime,
) -> None:
    with session.begin_nested():
        sandbox_queries.delete_every_row(session)
    set_clock(load_day)
    with session.begin_nested():
        loaded = load_fixtures(session, now=clock.now(session))
    assert loaded == personas()
    agnes = report(client, "sub_sandbox_agnes_fadeaway")
    collection = next(a for a in agnes["accounts"] if a["account_type"] == "collection")
    assert 14 <= (date.fromisoformat(collection["obsolete_on"]) - load_day.date()).days <= 35


# --- every key authenticates, and every story shows ---------------------------------------


@pytest.mark.parametrize("persona", SUBJECTS, ids=lambda p: p.id)
def test_each_subject_key_opens_its_own_file(sandbox: TestClient, persona: PersonaInfo) -> None:
    body = report(sandbox, persona.id)
    assert body["subject"]["id"] == persona.id
    assert body["subject"]["national_id"] == persona.national_id
    assert f"{body['subject']['given_name']} {body['subject']['family_name']}" == persona.name
    assert body["accounts"], "every persona has at least one account"


def test_organisation_keys_authenticate_with_their_roles(sandbox: TestClient) -> None:
    for persona in personas():
        if persona.role is Role.subject:
            continue
        resp = sandbox.get("/v1/sandbox/personas", headers=bearer(persona.api_key))
        assert resp.status_code == 403, persona.id  # authenticated (not 401), not an admin
        assert persona.role.value in resp.json()["detail"]
    card_co = sandbox.get("/v1/furnisher/accounts", headers=bearer("cf_furnisher_sandbox_card_co"))
    assert card_co.status_code == 200
    assert card_co.json()["items"]
    auditor = bearer("cf_auditor_sandbox_compliance")
    assert sandbox.get("/v1/audit/verify", headers=auditor).json()["valid"] is True


def test_fixture_writes_are_audited_on_the_subjects_log(sandbox: TestClient) -> None:
    def actions(persona_id: str) -> list[tuple[str, str]]:
        resp = sandbox.get("/v1/me/access-log", headers=key_of(persona_id))
        return [(e["action"], e["actor_role"]) for e in resp.json()["items"]]

    chester = actions("sub_sandbox_chester_sevenfold")
    assert ("file.opened", "admin") in chester
    assert chester.count(("account.created", "furnisher")) == 3
    assert ("public_record.added", "admin") in chester
    hardy = actions("sub_sandbox_hardy_pullman")
    assert hardy.count(("inquiry.recorded", "admin")) == 7


def test_ada_has_a_clean_long_file(sandbox: TestClient) -> None:
    body = report(sandbox, "sub_sandbox_ada_testwell")
    today = today_of(body)
    accounts = body["accounts"]
    assert max(days_ago(a["opened_on"], today) for a in accounts) >= 15 * 365
    assert len({a["account_type"] for a in accounts}) >= 3
    assert {a["status"] for a in accounts} <= {"11", "13"}
    assert all(a["date_of_first_delinquency"] is None for a in accounts)
    assert all(set(a["payment_history"]) <= set("0E") for a in accounts)
    assert body["inquiries"] == []
    assert body["public_records"] == []


def test_thin_has_one_young_account(sandbox: TestClient) -> None:
    body = report(sandbox, "sub_sandbox_thin_filesworth")
    (account,) = body["accounts"]
    assert 80 <= days_ago(account["opened_on"], today_of(body)) <= 100  # about 3 months
    assert account["status"] == "11"


def test_maxine_runs_her_cards_near_their_limits(sandbox: TestClient) -> None:
    body = report(sandbox, "sub_sandbox_maxine_limitreach")
    cards = [a for a in body["accounts"] if a["account_type"] == "revolving"]
    assert len(cards) >= 2
    assert all(a["balance_cents"] >= 0.95 * a["credit_limit_cents"] for a in cards)
    assert {a["status"] for a in body["accounts"]} == {"11"}


def test_percy_is_30_60_and_90_days_late(sandbox: TestClient) -> None:
    body = report(sandbox, "sub_sandbox_percy_pastdue")
    today = today_of(body)
    late = {a["status"]: a for a in body["accounts"]}
    for status, newest, worst in (("71", "1", "1"), ("78", "2", "2"), ("80", "3", "3")):
        account = late[status]
        history = account["payment_history"]
        assert history[0] == newest
        assert max(history) == worst
        assert account["past_due_cents"] > 0
        assert days_ago(account["date_of_first_delinquency"], today) <= 4 * 31


def test_colette_has_a_charge_off_and_a_collection(sandbox: TestClient) -> None:
    body = report(sandbox, "sub_sandbox_colette_chargewell")
    by_status = {a["status"]: a for a in body["accounts"]}
    charge_off, collection = by_status["97"], by_status["93"]
    assert charge_off["payment_history"].startswith("L")
    assert charge_off["closed_on"]
    assert charge_off["balance_cents"] > 0
    assert collection["account_type"] == "collection"
    assert collection["payment_history"].startswith("G")
    assert collection["furnisher"]["id"] == "fur_sandbox_recovery"
    # A collection's delinquency date is the original debt's, before the agency opened it.
    assert collection["date_of_first_delinquency"] < collection["opened_on"]


def test_chester_has_a_chapter_7_bankruptcy_and_its_accounts(sandbox: TestClient) -> None:
    body = report(sandbox, "sub_sandbox_chester_sevenfold")
    (record,) = body["public_records"]
    assert (record["kind"], record["chapter"], record["status"]) == ("bankruptcy", 7, "discharged")
    filed = date.fromisoformat(record["filed_on"])
    assert date.fromisoformat(record["obsolete_on"]) == add_years(filed, 10)  # FCRA 605(a)(1)
    discharged = [a for a in body["accounts"] if a["status"] == "97"]
    assert len(discharged) == 2
    for account in discharged:
        assert account["balance_cents"] == 0
        assert account["closed_on"] <= record["resolved_on"]
        assert account["date_of_first_delinquency"] < record["filed_on"]


def test_ivy_has_an_account_that_is_not_hers(sandbox: TestClient) -> None:
    spec = next(s for s in fixture_set().subjects if s.id == "sub_sandbox_ivy_notmine")
    fraudulent = [a.ref for a in spec.accounts if a.not_theirs]
    assert fraudulent == ["IVY-AUTO-1"]
    body = report(sandbox, spec.id)
    account = next(a for a in body["accounts"] if a["account_ref"] == "IVY-AUTO-1")
    assert account["furnisher"]["id"] == "fur_sandbox_auto_finance"
    assert days_ago(account["opened_on"], today_of(body)) < 6 * 31
    (inquiry,) = body["inquiries"]
    assert (inquiry["lender_id"], inquiry["kind"]) == ("len_sandbox_credit_union", "hard")


def test_agnes_has_a_collection_about_to_age_off(sandbox: TestClient) -> None:
    body = report(sandbox, "sub_sandbox_agnes_fadeaway")
    (collection,) = [a for a in body["accounts"] if a["account_type"] == "collection"]
    leaves_in = (date.fromisoformat(collection["obsolete_on"]) - today_of(body)).days
    assert 14 <= leaves_in <= 35


def test_tessa_has_exactly_twenty_accounts(sandbox: TestClient) -> None:
    body = report(sandbox, "sub_sandbox_tessa_twentyfold")
    assert len(body["accounts"]) == 20
    assert len({a["account_type"] for a in body["accounts"]}) == 4


def test_hardy_has_several_recent_hard_inquiries(sandbox: TestClient) -> None:
    body = report(sandbox, "sub_sandbox_hardy_pullman")
    now = datetime.fromisoformat(body["generated_at"])
    recent_hard = [
        i
        for i in body["inquiries"]
        if i["kind"] == "hard" and now - datetime.fromisoformat(i["at"]) <= timedelta(days=90)
    ]
    assert len(recent_hard) >= 4
    assert {i["kind"] for i in body["inquiries"]} == {"hard", "soft"}
    oldest = min(datetime.fromisoformat(i["at"]) for i in body["inquiries"])
    assert timedelta(days=365) < now - oldest < timedelta(days=730)


# --- who may read the file ----------------------------------------------------------------

PROBLEMS = "https://clearfile.example/problems/"


def lender_pull(
    client: TestClient, lender_id: str, consent_id: str, kind: str = "reports"
) -> tuple[int, dict[str, Any]]:
    resp = client.post(
        f"/v1/lender/{kind}", json={"consent_id": consent_id}, headers=key_of(lender_id)
    )
    body: dict[str, Any] = resp.json()
    return resp.status_code, body


def test_connie_has_an_active_consent_to_one_lender(sandbox: TestClient) -> None:
    (consent,) = report(sandbox, "sub_sandbox_connie_consentwell")["consents"]
    assert consent["id"] == "cns_sandbox_connie_bank"
    assert consent["state"] == "active"
    status, body = lender_pull(sandbox, "len_sandbox_bank", "cns_sandbox_connie_bank", "scores")
    assert status == 200
    assert body["inquiry_kind"] == "hard"
    status, body = lender_pull(sandbox, "len_sandbox_credit_union", "cns_sandbox_connie_bank")
    assert (status, body["type"]) == (404, PROBLEMS + "consent-not-found")


def test_otto_has_an_expired_and_a_revoked_consent(sandbox: TestClient) -> None:
    states = {c["id"]: c["state"] for c in report(sandbox, "sub_sandbox_otto_lapsed")["consents"]}
    assert states == {
        "cns_sandbox_otto_credit_union": "expired",
        "cns_sandbox_otto_bank": "revoked",
    }
    status, body = lender_pull(sandbox, "len_sandbox_credit_union", "cns_sandbox_otto_credit_union")
    assert (status, body["type"]) == (403, PROBLEMS + "consent-expired")
    status, body = lender_pull(sandbox, "len_sandbox_bank", "cns_sandbox_otto_bank")
    assert (status, body["type"]) == (403, PROBLEMS + "consent-revoked")


def test_friedas_freeze_stops_credit_but_not_tenant_screening(sandbox: TestClient) -> None:
    body = report(sandbox, "sub_sandbox_frieda_frost")
    assert body["freeze"]["frozen"] is True
    assert days_ago(body["freeze"]["placed_at"][:10], today_of(body)) == 21
    status, problem = lender_pull(sandbox, "len_sandbox_bank", "cns_sandbox_frieda_bank")
    assert (status, problem["type"]) == (403, PROBLEMS + "file-frozen")
    status, pulled = lender_pull(sandbox, "len_sandbox_lettings", "cns_sandbox_frieda_lettings")
    assert status == 200
    assert pulled["inquiry_kind"] == "soft"


def test_alec_has_an_initial_fraud_alert_that_lenders_see(sandbox: TestClient) -> None:
    body = report(sandbox, "sub_sandbox_alec_vigil")
    (alert,) = body["fraud_alerts"]
    assert alert["kind"] == "initial"
    assert alert["active"] is True
    ends_in = (date.fromisoformat(alert["expires_on"]) - today_of(body)).days
    assert 280 <= ends_in <= 310  # placed two months ago, for a year
    status, pulled = lender_pull(sandbox, "len_sandbox_bank", "cns_sandbox_alec_bank")
    assert status == 200
    assert pulled["verify_identity"] is True


def test_dana_received_an_adverse_action_notice(sandbox: TestClient) -> None:
    resp = sandbox.get("/v1/me/notices", headers=key_of("sub_sandbox_dana_declined"))
    (notice,) = resp.json()["items"]
    assert notice["kind"] == "adverse_action"
    assert notice["lender_id"] == "len_sandbox_bank"
    assert notice["outcome"] == "declined"
    assert isinstance(notice["score"], int)
    codes = [f["code"] for f in notice["key_factors"]]
    assert codes[0] == "U01"  # the card near its limit costs the most
    assert "P02" in codes  # the late payment
    body = report(sandbox, "sub_sandbox_dana_declined")
    assert days_ago(notice["at"][:10], today_of(body)) == 7
    (inquiry,) = body["inquiries"]
    assert (inquiry["lender_id"], inquiry["kind"]) == ("len_sandbox_bank", "hard")


# --- correction: the walk-through, through the API ----------------------------------


def _consent_and_pull(sandbox: TestClient, subject_id: str, today: date) -> dict[str, Any]:
    consent = sandbox.post(
        "/v1/me/consents",
        json={
            "lender_id": "len_sandbox_credit_union",
            "purpose": "account_review",
            "scope": ["report", "score"],
            "expires_on": (today + timedelta(days=90)).isoformat(),
        },
        headers=key_of(subject_id),
    ).json()
    pulled = sandbox.post(
        "/v1/lender/reports",
        json={"consent_id": consent["id"]},
        headers=key_of("len_sandbox_credit_union"),
    )
    assert pulled.status_code == 200, pulled.text
    body: dict[str, Any] = pulled.json()
    return body


def test_ivys_identity_theft_dispute_takes_the_loan_off_everywhere(
    sandbox: TestClient, admin_headers: dict[str, str]
) -> None:
    ivy = "sub_sandbox_ivy_notmine"
    before = report(sandbox, ivy)
    (loan,) = [a for a in before["accounts"] if a["account_ref"] == "IVY-AUTO-1"]
    score_before = sandbox.get("/v1/me/score", headers=key_of(ivy)).json()
    filed = sandbox.post(
        "/v1/me/disputes",
        json={
            "item_type": "account",
            "item_id": loan["id"],
            "reason_code": "identity_theft",
            "description": "I never applied for this car loan; someone used my identity.",
        },
        headers=key_of(ivy),
    )
    assert filed.status_code == 201, filed.text
    told = sandbox.get("/v1/furnisher/disputes", headers=key_of("fur_sandbox_auto_finance"))
    assert [d["account_ref"] for d in told.json()["items"]] == ["IVY-AUTO-1"]
    moved = sandbox.post("/v1/sandbox/clock", json={"advance_days": 31}, headers=admin_headers)
    assert moved.status_code == 200
    after = report(sandbox, ivy)
    assert "IVY-AUTO-1" not in {a["account_ref"] for a in after["accounts"]}
    lender = _consent_and_pull(sandbox, ivy, today_of(after))
    assert "IVY-AUTO-1" not in {a["account_ref"] for a in lender["accounts"]}
    score_after = sandbox.get("/v1/me/score", headers=key_of(ivy)).json()
    receipt = sandbox.get(
        f"/v1/me/score/receipts/{score_after['receipt_id']}", headers=key_of(ivy)
    ).json()
    assert len(receipt["inputs"]["accounts"]) == len(before["accounts"]) - 1
    assert score_after["score"] > score_before["score"]  # a 60-days-late loan is gone


def test_percys_statement_reaches_a_lender_after_a_verified_dispute(sandbox: TestClient) -> None:
    percy = "sub_sandbox_percy_pastdue"
    (card,) = [a for a in report(sandbox, percy)["accounts"] if a["account_ref"] == "PERCY-CARD-1"]
    filed = sandbox.post(
        "/v1/me/disputes",
        json={
            "item_type": "account",
            "item_id": card["id"],
            "field": "status",
            "reason_code": "wrong_status",
            "description": "I was in hospital; the issuer agreed to pause payments.",
        },
        headers=key_of(percy),
    ).json()
    answered = sandbox.post(
        f"/v1/furnisher/disputes/{filed['id']}/response",
        json={"outcome": "verified"},
        headers=key_of("fur_sandbox_card_co"),
    )
    assert answered.status_code == 200, answered.text
    text = "The issuer agreed to pause my payments while I was in hospital in August."
    added = sandbox.post("/v1/me/statements", json={"text": text}, headers=key_of(percy))
    assert added.status_code == 201, added.text
    lender = _consent_and_pull(sandbox, percy, today_of(report(sandbox, percy)))
    assert [s["text"] for s in lender["statements"]] == [text]
    (shown,) = [a for a in lender["accounts"] if a["account_ref"] == "PERCY-CARD-1"]
    assert shown["compliance_condition_code"] == "XC"
