"""The furnisher's accounts through HTTP: create, update, versions, idempotency, isolation."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.core.errors import PROBLEM_BASE
from service.core.pagination import encode_cursor
from service.furnishing.models import AccountVersion, IdempotencyRecord
from service.furnishing.rules import FURNISHED_FIELDS
from tests.conftest import Actor
from tests.factories import account_body

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
TODAY = "2026-11-15"
TOMORROW = "2026-11-16"
BASE = "/v1/furnisher/accounts"


def problem(slug: str) -> str:
    return PROBLEM_BASE + slug


card = account_body


@pytest.fixture(autouse=True)
def _clock(set_clock: Callable[[datetime], datetime]) -> None:
    set_clock(NOW)


@pytest.fixture
def furnisher(make_furnisher: Callable[..., Actor]) -> Actor:
    return make_furnisher("Fictional Card Bank")


@pytest.fixture
def subject(make_subject: Callable[..., Actor]) -> Actor:
    return make_subject()


@pytest.fixture
def events(client: TestClient, make_auditor: Callable[..., Actor]) -> Callable[[str], list[Any]]:
    """The audit events about a subject, read by an auditor (which itself records nothing)."""
    auditor = make_auditor()

    def _events(subject_id: str) -> list[Any]:
        resp = client.get(
            "/v1/audit/events",
            params={"subject_id": subject_id, "limit": 200},
            headers=auditor.headers,
        )
        assert resp.status_code == 200, resp.text
        items: list[Any] = resp.json()["items"]
        return items

    return _events


def put(
    client: TestClient, actor: Actor, ref: str, body: dict[str, Any], key: str | None = None
) -> Any:
    headers = dict(actor.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.put(f"{BASE}/{ref}", json=body, headers=headers)


def get(client: TestClient, actor: Actor, ref: str) -> Any:
    return client.get(f"{BASE}/{ref}", headers=actor.headers)


def version_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AccountVersion)) or 0


# --- create and update -----------------------------------------------------------------------


def test_create_is_201_with_version_1_and_an_audit_event(
    client: TestClient, furnisher: Actor, subject: Actor, events: Callable[[str], list[Any]]
) -> None:
    resp = put(client, furnisher, "CARD-1", card(subject.id))
    assert resp.status_code == 201, resp.text
    assert resp.headers["location"] == f"{BASE}/CARD-1"
    acc = resp.json()
    assert acc["id"].startswith("acc_")
    assert acc["account_ref"] == "CARD-1"
    assert acc["subject_id"] == subject.id
    assert acc["furnisher"] == {"id": furnisher.id, "name": "Fictional Card Bank"}
    assert (acc["status"], acc["status_text"], acc["balance_cents"]) == ("11", "Current", 125_000)
    assert acc["version"] == 1
    assert acc["compliance_condition_code"] is None
    assert acc["disputed"] is False
    [v1] = acc["versions"]
    assert v1["version"] == 1
    assert v1["changed"] == list(FURNISHED_FIELDS)
    assert v1["fields"]["balance_cents"] == 125_000
    assert v1["fields"]["opened_on"] == "2019-03-01"
    assert v1["fields"]["closed_on"] is None
    assert (v1["actor_id"], v1["actor_role"], v1["actor_name"]) == (
        furnisher.id,
        "furnisher",
        "Fictional Card Bank",
    )
    assert v1["at"].startswith("2026-11-15T12:00")
    last = events(subject.id)[-1]
    assert (last["action"], last["purpose"], last["actor_id"]) == (
        "account.created",
        "furnishing",
        furnisher.id,
    )
    assert (last["resource_type"], last["resource_id"]) == ("account", acc["id"])


def test_update_is_200_and_version_2_lists_exactly_what_changed(
    client: TestClient, furnisher: Actor, subject: Actor, events: Callable[[str], list[Any]]
) -> None:
    first = put(client, furnisher, "CARD-1", card(subject.id)).json()
    resp = put(
        client, furnisher, "CARD-1", card(subject.id, balance_cents=90_000, as_of="2026-11-14")
    )
    assert resp.status_code == 200, resp.text
    acc = resp.json()
    assert acc["id"] == first["id"]
    assert (acc["version"], acc["balance_cents"], acc["as_of"]) == (2, 90_000, "2026-11-14")
    v1, v2 = acc["versions"]
    assert v2["version"] == 2
    assert v2["changed"] == ["balance_cents", "as_of"]
    assert v2["fields"]["balance_cents"] == 90_000
    assert v2["fields"]["credit_limit_cents"] == 500_000  # a full snapshot, not a diff
    assert v1["fields"]["balance_cents"] == 125_000  # the earlier state is kept
    assert v1 == first["versions"][0]
    last = events(subject.id)[-1]
    assert (last["action"], last["resource_id"]) == ("account.updated", acc["id"])
    assert get(client, furnisher, "CARD-1").json()["version"] == 2


def test_an_update_that_removes_an_optional_field_records_it(
    client: TestClient, furnisher: Actor, subject: Actor
) -> None:
    body = card(subject.id, account_type="open", credit_limit_cents=None, original_amount_cents=5)
    put(client, furnisher, "OPEN-1", body)
    resp = put(client, furnisher, "OPEN-1", {**body, "original_amount_cents": None})
    assert resp.status_code == 200, resp.text
    acc = resp.json()
    assert acc["original_amount_cents"] is None
    assert acc["versions"][1]["changed"] == ["original_amount_cents"]


def test_an_identical_update_is_200_and_writes_no_version_and_no_event(
    client: TestClient,
    furnisher: Actor,
    subject: Actor,
    session: Session,
    events: Callable[[str], list[Any]],
) -> None:
    created = put(client, furnisher, "CARD-1", card(subject.id)).json()
    before_events, before_versions = len(events(subject.id)), version_count(session)
    resp = put(client, furnisher, "CARD-1", card(subject.id))
    assert resp.status_code == 200, resp.text
    assert resp.json() == created
    assert len(events(subject.id)) == before_events
    assert version_count(session) == before_versions


def test_the_same_as_of_may_correct_the_account(
    client: TestClient, furnisher: Actor, subject: Actor
) -> None:
    put(client, furnisher, "CARD-1", card(subject.id))
    resp = put(client, furnisher, "CARD-1", card(subject.id, balance_cents=1))
    assert resp.status_code == 200, resp.text
    assert resp.json()["versions"][1]["changed"] == ["balance_cents"]


def test_a_stale_update_is_409_and_changes_nothing(
    client: TestClient, furnisher: Actor, subject: Actor
) -> None:
    put(client, furnisher, "CARD-1", card(subject.id))
    resp = put(client, furnisher, "CARD-1", card(subject.id, balance_cents=1, as_of="2026-10-30"))
    assert resp.status_code == 409, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["type"] == problem("stale-update")
    assert [e["field"] for e in resp.json()["errors"]] == ["as_of"]
    acc = get(client, furnisher, "CARD-1").json()
    assert (acc["version"], acc["balance_cents"]) == (1, 125_000)


def test_delete_status_keeps_the_account_and_its_versions_out_of_the_report(
    client: TestClient, furnisher: Actor, subject: Actor
) -> None:
    put(client, furnisher, "CARD-1", card(subject.id))
    report = client.get("/v1/me/report", headers=subject.headers).json()
    assert [a["account_ref"] for a in report["accounts"]] == ["CARD-1"]
    resp = put(client, furnisher, "CARD-1", card(subject.id, status="DA"))
    assert resp.status_code == 200, resp.text
    acc = get(client, furnisher, "CARD-1").json()
    assert (acc["status"], acc["version"], len(acc["versions"])) == ("DA", 2, 2)
    assert acc["versions"][0]["fields"]["status"] == "11"
    report = client.get("/v1/me/report", headers=subject.headers).json()
    assert report["accounts"] == []


# --- validation --------------------------------------------------------------------------------


def test_every_rule_violation_is_reported_at_once(
    client: TestClient, furnisher: Actor, subject: Actor
) -> None:
    body = card(
        subject.id,
        credit_limit_cents=None,
        as_of=TOMORROW,
        status="71",
        past_due_cents=0,
    )
    resp = put(client, furnisher, "CARD-1", body)
    assert resp.status_code == 422, resp.text
    err = resp.json()
    assert err["type"] == problem("validation-error")
    fields = sorted(e["field"] for e in err["errors"])
    assert fields == [
        "as_of",
        "credit_limit_cents",
        "date_of_first_delinquency",
        "past_due_cents",
        "payment_history",
    ]
    assert {e["pointer"] for e in err["errors"]} == {"#/" + f for f in fields}
    assert get(client, furnisher, "CARD-1").status_code == 404


def test_a_date_of_today_is_accepted_and_tomorrow_refused(
    client: TestClient, furnisher: Actor, subject: Actor
) -> None:
    resp = put(client, furnisher, "CARD-1", card(subject.id, closed_on=TOMORROW))
    assert resp.status_code == 422, resp.text
    assert [e["field"] for e in resp.json()["errors"]] == ["closed_on"]
    resp = put(client, furnisher, "CARD-1", card(subject.id, closed_on=TODAY, as_of=TODAY))
    assert resp.status_code == 201, resp.text


def test_an_unknown_subject_is_422_naming_subject_id(client: TestClient, furnisher: Actor) -> None:
    resp = put(client, furnisher, "CARD-1", card("sub_doesnotexist000000"))
    assert resp.status_code == 422, resp.text
    assert [e["field"] for e in resp.json()["errors"]] == ["subject_id"]


def test_an_account_cannot_move_to_another_subject(
    client: TestClient,
    furnisher: Actor,
    subject: Actor,
    make_subject: Callable[..., Actor],
) -> None:
    put(client, furnisher, "CARD-1", card(subject.id))
    other = make_subject()
    resp = put(client, furnisher, "CARD-1", card(other.id, as_of=TODAY))
    assert resp.status_code == 422, resp.text
    assert [e["field"] for e in resp.json()["errors"]] == ["subject_id"]
    assert get(client, furnisher, "CARD-1").json()["subject_id"] == subject.id


@pytest.mark.parametrize(
    ("field", "category"),
    [("race", "race or colour"), ("gps_location", "location or movement")],
)
def test_a_prohibited_data_category_is_refused(
    client: TestClient, furnisher: Actor, subject: Actor, field: str, category: str
) -> None:
    resp = put(client, furnisher, "CARD-1", {**card(subject.id), field: "x"})
    assert resp.status_code == 422, resp.text
    err = resp.json()
    assert err["type"] == problem("prohibited-data-category")
    assert err["categories"] == [category]
    assert [e["field"] for e in err["errors"]] == [field]
    assert get(client, furnisher, "CARD-1").status_code == 404


def test_an_unknown_field_is_a_validation_error(
    client: TestClient, furnisher: Actor, subject: Actor
) -> None:
    resp = put(client, furnisher, "CARD-1", {**card(subject.id), "nickname": "x"})
    assert resp.status_code == 422, resp.text
    err = resp.json()
    assert err["type"] == problem("validation-error")
    assert [e["field"] for e in err["errors"]] == ["nickname"]


@pytest.mark.parametrize("ref", ["x" * 65, "a b", "caf%C3%A9"])
def test_a_malformed_account_ref_is_422(
    client: TestClient, furnisher: Actor, subject: Actor, ref: str
) -> None:
    resp = put(client, furnisher, ref, card(subject.id))
    assert resp.status_code == 422, resp.text
    assert resp.json()["errors"][0]["field"] == "path.account_ref"


# --- nothing changes after a rejected request ---------------------------------------------------

REJECTIONS: dict[str, tuple[int, str, dict[str, Any], str | None]] = {
    # name: (status, problem slug, overrides of the card body, Idempotency-Key)
    "rule violation": (422, "validation-error", {"past_due_cents": 5, "as_of": TODAY}, None),
    "future date": (422, "validation-error", {"balance_cents": 1, "as_of": TOMORROW}, None),
    "stale as_of": (409, "stale-update", {"balance_cents": 1, "as_of": "2026-01-01"}, None),
    "key reused": (409, "idempotency-key-reused", {"balance_cents": 1, "as_of": TODAY}, "k-1"),
    "unknown subject": (
        422,
        "validation-error",
        {"subject_id": "sub_nobody", "as_of": TODAY},
        None,
    ),
    "prohibited field": (422, "prohibited-data-category", {"religion": "x"}, None),
    "unknown field": (422, "validation-error", {"nickname": "x"}, None),
}


@pytest.mark.parametrize("name", sorted(REJECTIONS))
def test_a_rejected_request_changes_nothing(
    client: TestClient,
    furnisher: Actor,
    subject: Actor,
    session: Session,
    events: Callable[[str], list[Any]],
    name: str,
) -> None:
    code, slug, overrides, key = REJECTIONS[name]
    assert put(client, furnisher, "CARD-1", card(subject.id), key="k-1").status_code == 201
    before = get(client, furnisher, "CARD-1").json()
    before_events = events(subject.id)
    before_versions = version_count(session)
    resp = put(client, furnisher, "CARD-1", {**card(subject.id), **overrides}, key=key)
    assert resp.status_code == code, resp.text
    assert resp.json()["type"] == problem(slug)
    assert events(subject.id) == before_events
    assert version_count(session) == before_versions
    assert get(client, furnisher, "CARD-1").json() == before


# --- idempotency -------------------------------------------------------------------------------


def test_an_idempotent_retry_returns_the_first_answer_and_writes_nothing(
    client: TestClient,
    furnisher: Actor,
    subject: Actor,
    session: Session,
    events: Callable[[str], list[Any]],
) -> None:
    body = card(subject.id)
    first = put(client, furnisher, "CARD-1", body, key="key-1")
    assert first.status_code == 201, first.text
    before_events, before_versions = len(events(subject.id)), version_count(session)
    reordered = dict(reversed(list(body.items())))
    retry = put(client, furnisher, "CARD-1", reordered, key="key-1")
    assert retry.status_code == 201, retry.text
    assert retry.json() == first.json()
    assert len(events(subject.id)) == before_events
    assert version_count(session) == before_versions


def test_a_retry_returns_the_first_answer_even_after_later_changes(
    client: TestClient, furnisher: Actor, subject: Actor
) -> None:
    first = put(client, furnisher, "CARD-1", card(subject.id), key="key-1")
    update = put(client, furnisher, "CARD-1", card(subject.id, balance_cents=1), key="key-2")
    assert update.status_code == 200, update.text
    assert put(client, furnisher, "CARD-1", card(subject.id), key="key-1").json() == first.json()
    retry = put(client, furnisher, "CARD-1", card(subject.id, balance_cents=1), key="key-2")
    assert (retry.status_code, retry.json()) == (200, update.json())
    assert get(client, furnisher, "CARD-1").json()["version"] == 2


def test_the_same_key_with_another_body_or_account_ref_is_409(
    client: TestClient, furnisher: Actor, subject: Actor
) -> None:
    put(client, furnisher, "CARD-1", card(subject.id), key="key-1")
    other_body = put(client, furnisher, "CARD-1", card(subject.id, balance_cents=1), key="key-1")
    assert other_body.status_code == 409, other_body.text
    assert other_body.json()["type"] == problem("idempotency-key-reused")
    other_ref = put(client, furnisher, "CARD-2", card(subject.id), key="key-1")
    assert other_ref.status_code == 409, other_ref.text
    assert other_ref.json()["type"] == problem("idempotency-key-reused")
    assert get(client, furnisher, "CARD-2").status_code == 404


def test_idempotency_keys_are_kept_per_furnisher(
    client: TestClient,
    furnisher: Actor,
    subject: Actor,
    make_furnisher: Callable[..., Actor],
    session: Session,
) -> None:
    other = make_furnisher()
    assert put(client, furnisher, "CARD-1", card(subject.id), key="shared").status_code == 201
    resp = put(client, other, "LOAN-9", card(subject.id, balance_cents=7), key="shared")
    assert resp.status_code == 201, resp.text
    assert resp.json()["furnisher"]["id"] == other.id
    owners = session.scalars(
        select(IdempotencyRecord.principal_id).where(IdempotencyRecord.key == "shared")
    ).all()
    assert sorted(owners) == sorted([furnisher.id, other.id])


def test_a_rejected_request_does_not_use_up_its_key(
    client: TestClient, furnisher: Actor, subject: Actor
) -> None:
    bad = put(client, furnisher, "CARD-1", card(subject.id, as_of=TOMORROW), key="key-1")
    assert bad.status_code == 422, bad.text
    good = put(client, furnisher, "CARD-1", card(subject.id), key="key-1")
    assert good.status_code == 201, good.text


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_an_idempotency_key_must_be_1_to_255_characters(
    client: TestClient, furnisher: Actor, subject: Actor, key: str
) -> None:
    resp = put(client, furnisher, "CARD-1", card(subject.id), key=key)
    assert resp.status_code == 422, resp.text
    assert resp.json()["errors"][0]["field"] == "header.Idempotency-Key"
    assert put(client, furnisher, "CARD-1", card(subject.id), key="k" * 255).status_code == 201


# --- isolation and authorisation ---------------------------------------------------------------


def test_a_furnisher_never_sees_another_furnishers_account(
    client: TestClient, furnisher: Actor, subject: Actor, make_furnisher: Callable[..., Actor]
) -> None:
    other = make_furnisher()
    mine = put(client, furnisher, "SHARED-REF", card(subject.id)).json()
    assert get(client, other, "SHARED-REF").status_code == 404
    assert client.get(BASE, headers=other.headers).json()["items"] == []
    theirs = put(client, other, "SHARED-REF", card(subject.id, balance_cents=42))
    assert theirs.status_code == 201, theirs.text  # the same ref is another account
    assert theirs.json()["id"] != mine["id"]
    assert get(client, furnisher, "SHARED-REF").json()["balance_cents"] == 125_000
    assert get(client, other, "SHARED-REF").json()["balance_cents"] == 42
    report = client.get("/v1/me/report", headers=subject.headers).json()
    assert len(report["accounts"]) == 2


def test_reading_an_account_is_recorded_on_the_subjects_chain(
    client: TestClient, furnisher: Actor, subject: Actor, events: Callable[[str], list[Any]]
) -> None:
    acc = put(client, furnisher, "CARD-1", card(subject.id)).json()
    get(client, furnisher, "CARD-1")
    client.get(BASE, headers=furnisher.headers)
    reads = [e for e in events(subject.id) if e["action"] == "account.read"]
    assert len(reads) == 2
    assert {(e["actor_id"], e["purpose"], e["resource_id"]) for e in reads} == {
        (furnisher.id, "furnishing", acc["id"])
    }


ENDPOINTS = [("PUT", f"{BASE}/CARD-1"), ("GET", BASE), ("GET", f"{BASE}/CARD-1")]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_other_roles_are_403(
    client: TestClient,
    subject: Actor,
    make_lender: Callable[..., Actor],
    admin_headers: dict[str, str],
    method: str,
    path: str,
) -> None:
    for headers in (subject.headers, make_lender().headers, admin_headers):
        resp = client.request(method, path, json=card(subject.id), headers=headers)
        assert resp.status_code == 403, resp.text
        assert resp.json()["type"] == problem("role-not-permitted")


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_no_key_is_401(client: TestClient, subject: Actor, method: str, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer cf_furnisher_not_a_key"}):
        resp = client.request(method, path, json=card(subject.id), headers=headers)
        assert resp.status_code == 401, resp.text
        assert resp.json()["type"] == problem("unauthenticated")


def test_get_of_an_unknown_account_is_404(client: TestClient, furnisher: Actor) -> None:
    resp = get(client, furnisher, "NOPE")
    assert resp.status_code == 404, resp.text
    assert resp.json()["type"] == problem("not-found")


# --- the list ----------------------------------------------------------------------------------


def test_the_list_is_paginated_in_account_ref_order(
    client: TestClient, furnisher: Actor, subject: Actor
) -> None:
    for ref in ("C-3", "A-1", "B-2"):
        assert put(client, furnisher, ref, card(subject.id)).status_code == 201
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 1}
        if cursor is not None:
            params["cursor"] = cursor
        resp = client.get(BASE, params=params, headers=furnisher.headers)
        assert resp.status_code == 200, resp.text
        page = resp.json()
        assert len(page["items"]) == 1
        seen.append(page["items"][0]["account_ref"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 10
    assert seen == ["A-1", "B-2", "C-3"]
    full = client.get(BASE, headers=furnisher.headers).json()
    assert [a["account_ref"] for a in full["items"]] == ["A-1", "B-2", "C-3"]
    assert full["next_cursor"] is None
    assert full["items"][0]["versions"][0]["version"] == 1


@pytest.mark.parametrize("cursor", ["not base64 json!", encode_cursor(5)])
def test_a_foreign_cursor_is_422(client: TestClient, furnisher: Actor, cursor: str) -> None:
    resp = client.get(BASE, params={"cursor": cursor}, headers=furnisher.headers)
    assert resp.status_code == 422, resp.text
    assert [e["field"] for e in resp.json()["errors"]] == ["query.cursor"]


# --- the contract ------------------------------------------------------------------------------


def test_the_operations_are_described(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    put_op = spec["paths"]["/v1/furnisher/accounts/{account_ref}"]["put"]
    assert put_op["operationId"] == "putFurnisherAccount"
    assert {"200", "201", "401", "403", "409", "422"} <= set(put_op["responses"])
    assert "Idempotency-Key" in [p["name"] for p in put_op["parameters"]]
    examples = put_op["requestBody"]["content"]["application/json"]["examples"]
    assert "installment_30_days_late" in examples
    listed = spec["paths"]["/v1/furnisher/accounts"]["get"]
    assert listed["operationId"] == "listFurnisherAccounts"
    one = spec["paths"]["/v1/furnisher/accounts/{account_ref}"]["get"]
    assert "404" in one["responses"]
