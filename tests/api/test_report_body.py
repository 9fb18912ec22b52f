"""The report's body is exactly pydantic's JSON of the report, though its accounts' JSON is
made once per account view and reused."""

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from schemas.file import Report
from service.furnishing.service import account_views_of_subject
from tests.conftest import Actor
from tests.factories import account_body, furnish


def test_the_report_body_is_pydantics_json_of_the_report(
    client: TestClient, make_subject: Callable[..., Actor], make_furnisher: Callable[..., Actor]
) -> None:
    subject, bank = make_subject(), make_furnisher()
    furnish(client, bank, "card-1", account_body(subject.id))
    furnish(client, bank, "card-2", account_body(subject.id, balance_cents=12_345))
    for _ in range(2):  # built, then from the caches
        resp = client.get("/v1/me/report", headers=subject.headers)
        assert resp.status_code == 200, resp.text
        report = Report.model_validate_json(resp.content)
        assert sorted(a.account_ref for a in report.accounts) == ["card-1", "card-2"]
        assert resp.content == report.model_dump_json().encode()


def test_an_accounts_json_is_made_with_its_view_and_kept(
    client: TestClient,
    session: Session,
    make_subject: Callable[..., Actor],
    make_furnisher: Callable[..., Actor],
) -> None:
    subject, bank = make_subject(), make_furnisher()
    furnish(client, bank, "card-1", account_body(subject.id))
    (first,) = account_views_of_subject(session, subject.id)
    (again,) = account_views_of_subject(session, subject.id)
    assert again.json is first.json
    assert first.json == first.account.model_dump_json().encode()
