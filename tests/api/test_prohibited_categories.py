"""Every category of data the file may never hold is refused by name, wherever data enters.

The rule lists them: location or movement, online activity, social connections, speech or
opinions, political affiliation, religious affiliation, health, biometrics, criminal
records, race, colour, religion, national origin, sex, marital status, age, and receipt of
public assistance. A field naming one is a ``prohibited-data-category`` problem that names
the field and its category, and nothing is written.
"""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.audit.models import AuditEvent
from service.core.errors import PROBLEM_BASE
from service.furnishing.models import Account
from service.principals.models import Principal
from tests.conftest import Actor
from tests.factories import account_body

#: (the category as the rule names it, a field a client might send, the category named in
#: the answer). Race and colour are one category in the answer; religion is a religious
#: affiliation.
CASES = [
    ("location or movement", "current_location", "location or movement"),
    ("location or movement", "travel_history", "location or movement"),
    ("online activity", "ipAddress", "online activity"),
    ("social connections", "facebook_friends", "social connections"),
    ("speech or opinions", "opinions", "speech or opinions"),
    ("political affiliation", "political_affiliation", "political affiliation"),
    ("political affiliation", "party", "political affiliation"),
    ("religious affiliation", "religious_affiliation", "religious affiliation"),
    ("health", "medical_history", "health"),
    ("biometrics", "fingerprint", "biometrics"),
    ("criminal records", "arrests", "criminal records"),
    ("race", "race", "race or colour"),
    ("colour", "skin_colour", "race or colour"),
    ("religion", "religion", "religious affiliation"),
    ("national origin", "nationality", "national origin"),
    ("sex", "sex", "sex"),
    ("sex", "gender", "sex"),
    ("marital status", "maritalStatus", "marital status"),
    ("age", "age", "age"),
    ("receipt of public assistance", "welfare", "receipt of public assistance"),
]

SUBJECT = {"given_name": "Nova", "family_name": "Placeholder", "date_of_birth": "1990-01-01"}


def _counts(session: Session) -> tuple[int, int, int]:
    def count(model: type) -> int:
        return session.scalar(select(func.count()).select_from(model)) or 0

    return count(Principal), count(AuditEvent), count(Account)


def _assert_refused(resp: object, field: str, category: str) -> None:
    assert resp.status_code == 422, resp.text  # type: ignore[attr-defined]
    body = resp.json()  # type: ignore[attr-defined]
    assert body["type"] == PROBLEM_BASE + "prohibited-data-category"
    assert body["categories"] == [category]
    assert [e["field"] for e in body["errors"]] == [field]
    assert category in body["errors"][0]["detail"]


def test_every_category_of_the_rule_has_a_case() -> None:
    named = {rule for rule, _field, _answer in CASES}
    assert named == {
        "location or movement",
        "online activity",
        "social connections",
        "speech or opinions",
        "political affiliation",
        "religious affiliation",
        "health",
        "biometrics",
        "criminal records",
        "race",
        "colour",
        "religion",
        "national origin",
        "sex",
        "marital status",
        "age",
        "receipt of public assistance",
    }


@pytest.mark.parametrize(("rule", "field", "category"), CASES)
def test_a_new_subject_with_a_prohibited_field_is_refused(
    client: TestClient,
    session: Session,
    admin_headers: dict[str, str],
    rule: str,
    field: str,
    category: str,
) -> None:
    before = _counts(session)
    resp = client.post("/v1/sandbox/subjects", json={**SUBJECT, field: "x"}, headers=admin_headers)
    _assert_refused(resp, field, category)
    assert _counts(session) == before


@pytest.mark.parametrize(("rule", "field", "category"), CASES)
def test_a_furnished_account_with_a_prohibited_field_is_refused(
    client: TestClient,
    session: Session,
    make_subject: Callable[..., Actor],
    make_furnisher: Callable[..., Actor],
    rule: str,
    field: str,
    category: str,
) -> None:
    subject, furnisher = make_subject(), make_furnisher()
    before = _counts(session)
    resp = client.put(
        "/v1/furnisher/accounts/PROHIBITED-1",
        json={**account_body(subject.id), field: "x"},
        headers=furnisher.headers,
    )
    _assert_refused(resp, field, category)
    assert _counts(session) == before
