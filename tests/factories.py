"""Small factories for test data sent through the API."""

from dataclasses import dataclass
from datetime import datetime
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


@dataclass(frozen=True)
class ChainEvent:
    """An audit event as the chain rules read it, built by hand (no database)."""

    id: int
    chain: str
    seq: int
    subject_id: str | None
    actor_id: str
    actor_role: str
    actor_name: str
    action: str
    purpose: str | None
    resource_type: str | None
    resource_id: str | None
    at: datetime
    prev_hash: str
    hash: str
