"""A refused form speaks to a person: next to each refused field it says what to do, never
the validator's own words ("Input should be ...", "String should have ..."), and nothing is
written."""

import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.api.test_web_security import ORIGIN, sign_in
from tests.conftest import ADMIN_KEY, Actor
from tests.factories import account_body, furnish

#: Pydantic's own phrasing, which a page must never show.
VALIDATOR_WORDS = re.compile(r"Input should|String should|List should|Field required|Value error")


def field_message(html: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="{re.escape(name)}-error">([^<]*)</p>', html)
    assert found, f"no error next to {name}"
    return found.group(1)


@pytest.fixture
def wren(make_subject: Callable[..., Actor]) -> Actor:
    return make_subject(given_name="Wren")


@pytest.mark.parametrize(
    ("path", "data", "field", "message"),
    [
        (
            "/portal/disputes",
            {"item_type": "account", "item_id": "acc_x", "description": "not mine"},
            "reason_code",
            "Choose a reason",
        ),
        (
            "/portal/disputes",
            {"item_type": "account", "item_id": "acc_x", "reason_code": "bogus"},
            "reason_code",
            "Choose a reason",
        ),
        (
            "/portal/disputes",
            {"item_type": "account", "item_id": "acc_x", "reason_code": "other"},
            "description",
            "Say what is wrong with the item",
        ),
        (
            "/portal/consents",
            {"lender_id": "len_x", "purpose": "", "scope": "report", "expires_on": "2030-01-01"},
            "purpose",
            "Choose a purpose",
        ),
        (
            "/portal/consents",
            {"lender_id": "len_x", "purpose": "credit_application", "expires_on": "2030-01-01"},
            "scope",
            "Choose what the lender may read",
        ),
        (
            "/portal/consents",
            {"lender_id": "len_x", "purpose": "credit_application", "scope": "report"},
            "expires_on",
            "Enter the day the consent ends",
        ),
        (
            "/portal/score/simulate",
            {"kind": "months_pass", "months": "twelve"},
            "months",
            "Enter a whole number of months",
        ),
        (
            "/portal/score/simulate",
            {"kind": "months_pass", "months": "0"},
            "months",
            "Enter 1 or more",
        ),
        (
            "/portal/score/simulate",
            {"kind": "pay_down", "account_id": "acc_x", "balance": "lots"},
            "balance",
            "Enter the new balance in dollars, like 1250.00",
        ),
    ],
)
def test_a_refused_portal_form_says_what_to_do(
    client: TestClient, wren: Actor, path: str, data: dict[str, str], field: str, message: str
) -> None:
    token = sign_in(client, "portal", wren.api_key)
    headers = wren.headers
    before = client.get("/v1/me/report", headers=headers).json()
    answer = client.post(path, data={"csrf_token": token, **data}, headers={"Origin": ORIGIN})
    assert answer.status_code == 422
    assert field_message(answer.text, field) == message
    assert f'aria-describedby="{field}-error"' in answer.text
    assert "Check the form" in answer.text
    assert not VALIDATOR_WORDS.search(answer.text), VALIDATOR_WORDS.search(answer.text)
    after = client.get("/v1/me/report", headers=headers).json()
    assert after["statements"] == before["statements"]
    assert client.get("/v1/me/disputes", headers=headers).json()["items"] == []
    assert client.get("/v1/me/consents", headers=headers).json()["items"] == []


@pytest.mark.parametrize(
    ("text", "message"),
    [("  ", "Write the statement"), ("x" * 1001, "Keep it to 1000 characters or fewer")],
)
def test_a_refused_statement_says_what_to_do(
    client: TestClient,
    wren: Actor,
    make_furnisher: Callable[..., Actor],
    text: str,
    message: str,
) -> None:
    token = sign_in(client, "portal", wren.api_key)
    # No dispute verified against her: nothing to add a statement to, so no form.
    page = client.get("/portal/disputes")
    assert "nothing to add a statement to" in page.text
    assert 'id="text"' not in page.text
    issuer = make_furnisher("Fictional Card Issuer")
    account = furnish(client, issuer, "card-1", account_body(wren.id))
    filed = client.post(
        "/v1/me/disputes",
        json={
            "item_type": "account",
            "item_id": account["id"],
            "reason_code": "wrong_balance",
            "description": "I paid it down.",
        },
        headers=wren.headers,
    ).json()
    verified = client.post(
        f"/v1/furnisher/disputes/{filed['id']}/response",
        json={"outcome": "verified"},
        headers=issuer.headers,
    )
    assert verified.status_code == 200
    assert 'id="text"' in client.get("/portal/disputes").text
    answer = client.post(
        "/portal/statements",
        data={"csrf_token": token, "dispute_id": filed["id"], "text": text},
        headers={"Origin": ORIGIN},
    )
    assert answer.status_code == 422
    assert field_message(answer.text, "text") == message
    assert not VALIDATOR_WORDS.search(answer.text)
    assert client.get("/v1/me/report", headers=wren.headers).json()["statements"] == []


def test_a_refused_clock_form_says_what_to_do(client: TestClient) -> None:
    token = sign_in(client, "console", ADMIN_KEY)
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    before = client.get("/v1/sandbox/clock", headers=admin).json()
    answer = client.post(
        "/console/clock", data={"csrf_token": token, "to": "someday"}, headers={"Origin": ORIGIN}
    )
    assert answer.status_code == 422
    assert field_message(answer.text, "now") == "Enter a day"
    assert not VALIDATOR_WORDS.search(answer.text)
    after = client.get("/v1/sandbox/clock", headers=admin).json()
    moved = datetime.fromisoformat(after["now"]) - datetime.fromisoformat(before["now"])
    assert moved < timedelta(minutes=1)  # still on wall time: not moved
