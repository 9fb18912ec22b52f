"""Small factories for test data sent through the API."""

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Actor


def account_body(subject_id: str, **overrides: Any) -> dict[str, Any]:
    """A valid, current revolving account; an override of None removes the field."""
    body: dict[str, Any] = {
        "subject_id": subject_id,
        "account_type": "revolving",
        "opened_on": "2019-03-01",
        "credit_limit_cents": 500_000,
        "balance_cents": 125_000,
        "past_due_cents": 0,
        "status": "11",
        "payment_history": "0" * 24,
        "as_of": "2026-10-31",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def furnish(
    client: TestClient, furnisher: Actor, ref: str, body: dict[str, Any], status: int = 201
) -> dict[str, Any]:
    resp = client.put(f"/v1/furnisher/accounts/{ref}", json=body, headers=furnisher.headers)
    assert resp.status_code == status, resp.text
    data: dict[str, Any] = resp.json()
    return data
