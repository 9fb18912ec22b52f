"""A file's revision: the database replaces it on every change to the file's items, so the
report, whose items are cached per revision and day, always shows the file as it is, even
after a change made behind the API's back."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from service.file.models import Inquiry, PublicRecord
from service.furnishing.models import Account, AccountVersion
from service.principals.models import Subject
from tests.conftest import Actor
from tests.factories import account_body, furnish


def _report(client: TestClient, subject: Actor) -> dict[str, Any]:
    resp = client.get("/v1/me/report", headers=subject.headers)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def _revision(session: Session, subject_id: str) -> str | None:
    return session.scalar(select(Subject.file_revision).where(Subject.id == subject_id))


def test_every_change_to_an_item_replaces_the_revision_and_shows_at_once(
    client: TestClient,
    session: Session,
    make_subject: Callable[..., Actor],
    make_furnisher: Callable[..., Actor],
    make_lender: Callable[..., Actor],
) -> None:
    subject, bank, lender = make_subject(), make_furnisher(), make_lender()
    furnish(client, bank, "card-1", account_body(subject.id))
    first = _report(client, subject)
    account_id = first["accounts"][0]["id"]
    now = datetime.fromisoformat(first["generated_at"])
    inquiry = {
        "id": "inq_revision_test",
        "subject_id": subject.id,
        "lender_id": lender.id,
        "purpose": "credit_application",
        "kind": "hard",
        "at": now - timedelta(days=3),
    }
    record = {
        "id": "pr_revision_test",
        "subject_id": subject.id,
        "chapter": 7,
        "status": "filed",
        "filed_on": (now - timedelta(days=30)).date(),
        "court": "Fictional District Court",
        "reference": "FDC-0001",
        "created_at": now,
    }
    changes: list[tuple[str, Any, Callable[[dict[str, Any]], bool]]] = [
        (
            "account updated",
            update(Account).where(Account.id == account_id).values(balance_cents=4242),
            lambda r: r["accounts"][0]["balance_cents"] == 4242,
        ),
        ("inquiry added", insert(Inquiry).values(**inquiry), lambda r: len(r["inquiries"]) == 1),
        (
            "inquiry changed",
            update(Inquiry).where(Inquiry.id == inquiry["id"]).values(kind="soft"),
            lambda r: r["inquiries"][0]["kind"] == "soft",
        ),
        (
            "public record added",
            insert(PublicRecord).values(**record),
            lambda r: r["public_records"][0]["status"] == "filed",
        ),
        (
            "public record changed",
            update(PublicRecord).where(PublicRecord.id == record["id"]).values(status="dismissed"),
            lambda r: r["public_records"][0]["status"] == "dismissed",
        ),
        (
            "public record removed",
            delete(PublicRecord).where(PublicRecord.id == record["id"]),
            lambda r: r["public_records"] == [],
        ),
        (
            "inquiry removed",
            delete(Inquiry).where(Inquiry.id == inquiry["id"]),
            lambda r: r["inquiries"] == [],
        ),
        (
            "account removed",
            delete(Account).where(Account.id == account_id),
            lambda r: r["accounts"] == [],
        ),
    ]
    session.execute(delete(AccountVersion).where(AccountVersion.account_id == account_id))
    for change, statement, shown in changes:
        _report(client, subject)  # the file's items, cached for this revision
        before = _revision(session, subject.id)
        session.execute(statement)
        session.flush()
        assert _revision(session, subject.id) != before, change
        assert shown(_report(client, subject)), change


def test_a_read_leaves_the_revision_alone(
    client: TestClient,
    session: Session,
    make_subject: Callable[..., Actor],
    make_furnisher: Callable[..., Actor],
) -> None:
    subject = make_subject()
    furnish(client, make_furnisher(), "card-1", account_body(subject.id))
    before = _revision(session, subject.id)
    _report(client, subject)
    assert _revision(session, subject.id) == before


def test_each_subject_starts_with_its_own_revision(
    session: Session, make_subject: Callable[..., Actor]
) -> None:
    a, b = make_subject(), make_subject()
    assert _revision(session, a.id) != _revision(session, b.id)
