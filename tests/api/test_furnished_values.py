"""Furnished values and clock moves the API refuses, each a 422 naming the field.

The rules, written out here: a payment history that records a delinquency in any month
(1-6 days-late codes, ``G`` collection, ``L`` charge-off) needs the account's date of first
delinquency; amounts in cents are never negative; the sandbox clock only moves forward.
"""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.audit.models import AuditEvent
from service.core.errors import PROBLEM_BASE
from service.furnishing.models import Account
from tests.conftest import Actor
from tests.factories import account_body


def _put(client: TestClient, furnisher: Actor, body: dict[str, Any]) -> Any:
    return client.put("/v1/furnisher/accounts/VALUES-1", json=body, headers=furnisher.headers)


def _accounts(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Account)) or 0


def _assert_422_naming(resp: Any, field: str) -> None:
    assert resp.status_code == 422, resp.text
    body = resp.json()
    assert body["type"] in {PROBLEM_BASE + "validation-error", PROBLEM_BASE + "invalid-input"}
    assert field in [e["field"] for e in body["errors"]], body


@pytest.mark.parametrize(
    "history",
    [
        # A collection (G) two years ago, current since: the newest month agrees with status 11.
        "00000000000000000000000G",
        "0000000000G0000000000000",
        # A charge-off (L) on an older month.
        "000000000000000000000L00",
        "0000LLL00000000000000000",
        # Both, with no history before.
        "00000000000000000GLBBBBB",
    ],
)
def test_a_collection_or_charge_off_in_the_history_needs_the_date_of_first_delinquency(
    client: TestClient,
    session: Session,
    make_subject: Callable[..., Actor],
    make_furnisher: Callable[..., Actor],
    history: str,
) -> None:
    subject, furnisher = make_subject(), make_furnisher()
    assert len(history) == 24
    before = _accounts(session)
    without = _put(client, furnisher, account_body(subject.id, payment_history=history))
    _assert_422_naming(without, "date_of_first_delinquency")
    assert _accounts(session) == before

    with_date = account_body(
        subject.id, payment_history=history, date_of_first_delinquency="2024-11-15"
    )
    accepted = _put(client, furnisher, with_date)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["date_of_first_delinquency"] == "2024-11-15"


@pytest.mark.parametrize(
    "history",
    ["000000000000000000000000", "0000000000EEEEEEEEEEEEEE", "000000BBBBBBBBBBBBBBBBBB"],
)
def test_a_history_with_no_delinquency_needs_no_date(
    client: TestClient,
    make_subject: Callable[..., Actor],
    make_furnisher: Callable[..., Actor],
    history: str,
) -> None:
    subject, furnisher = make_subject(), make_furnisher()
    resp = _put(client, furnisher, account_body(subject.id, payment_history=history))
    assert resp.status_code == 201, resp.text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("balance_cents", -1),
        ("balance_cents", -125_000),
        ("past_due_cents", -1),
        ("credit_limit_cents", -500_000),
        ("original_amount_cents", -1),
    ],
)
def test_a_negative_amount_is_refused_naming_its_field(
    client: TestClient,
    session: Session,
    make_subject: Callable[..., Actor],
    make_furnisher: Callable[..., Actor],
    field: str,
    value: int,
) -> None:
    subject, furnisher = make_subject(), make_furnisher()
    before = _accounts(session)
    resp = _put(client, furnisher, account_body(subject.id, **{field: value}))
    _assert_422_naming(resp, field)
    assert _accounts(session) == before


def test_zero_amounts_are_accepted(
    client: TestClient, make_subject: Callable[..., Actor], make_furnisher: Callable[..., Actor]
) -> None:
    subject, furnisher = make_subject(), make_furnisher()
    resp = _put(client, furnisher, account_body(subject.id, balance_cents=0, past_due_cents=0))
    assert resp.status_code == 201, resp.text


@pytest.mark.parametrize("days", [-1, -30, -36500])
def test_the_clock_cannot_be_advanced_by_a_negative_number_of_days(
    client: TestClient, session: Session, admin_headers: dict[str, str], days: int
) -> None:
    before = client.get("/v1/sandbox/clock", headers=admin_headers).json()
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    resp = client.post("/v1/sandbox/clock", json={"advance_days": days}, headers=admin_headers)
    _assert_422_naming(resp, "advance_days")
    after = client.get("/v1/sandbox/clock", headers=admin_headers).json()
    assert after["now"] >= before["now"]
    assert after["now"][:10] == before["now"][:10]
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == events
