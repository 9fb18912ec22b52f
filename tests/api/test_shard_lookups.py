"""The rules that span subjects keep their meaning now that the lookup tables hold them
(migration 0012, docs/scaling.md): a furnisher has one account per ``account_ref``, two
subjects never share a national id. Every path that writes an account or a subject writes
its lookup row in the same transaction: a PUT, a Metro 2 import, the population load."""

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.core.errors import PROBLEM_BASE
from service.core.security import ADMIN
from service.furnishing import queries as furnishing_queries
from service.furnishing import service as furnishing
from service.furnishing.models import Account, AccountRef
from service.jobs.load_population import load_population
from service.modelling import population as pop
from service.principals import queries as principal_queries
from service.principals import service as principals
from service.principals.models import NationalId, Subject
from tests.conftest import ADMIN_KEY, Actor
from tests.factories import account_body
from tests.metro2_files import CARD, metro2_file

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
BASE = "/v1/furnisher/accounts"


@pytest.fixture(autouse=True)
def _clock(set_clock: Callable[[datetime], datetime]) -> None:
    set_clock(NOW)


def _refs(session: Session) -> set[tuple[str, str, str, str]]:
    rows = session.execute(
        select(
            AccountRef.furnisher_id,
            AccountRef.account_ref,
            AccountRef.subject_id,
            AccountRef.account_id,
        )
    ).all()
    return {tuple(r) for r in rows}  # type: ignore[misc]


def _refs_of_accounts(session: Session) -> set[tuple[str, str, str, str]]:
    rows = session.execute(
        select(Account.furnisher_id, Account.account_ref, Account.subject_id, Account.id)
    ).all()
    return {tuple(r) for r in rows}  # type: ignore[misc]


def _put(client: TestClient, furnisher: Actor, ref: str, subject_id: str) -> Any:
    return client.put(f"{BASE}/{ref}", json=account_body(subject_id), headers=furnisher.headers)


# --- account_ref: unique per furnisher ------------------------------------------------------


def test_a_put_writes_the_account_refs_row_of_its_account(
    client: TestClient,
    session: Session,
    make_furnisher: Callable[..., Actor],
    make_subject: Callable[..., Actor],
) -> None:
    furnisher, subject = make_furnisher(), make_subject()
    resp = _put(client, furnisher, "CARD-1", subject.id)
    assert resp.status_code == 201, resp.text
    row = (furnisher.id, "CARD-1", subject.id, resp.json()["id"])
    assert row in _refs(session)


def test_two_furnishers_may_use_one_account_ref(
    client: TestClient,
    session: Session,
    make_furnisher: Callable[..., Actor],
    make_subject: Callable[..., Actor],
) -> None:
    first, second = make_furnisher(), make_furnisher()
    ada, bob = make_subject(), make_subject()
    a = _put(client, first, "SHARED-REF", ada.id)
    b = _put(client, second, "SHARED-REF", bob.id)
    assert (a.status_code, b.status_code) == (201, 201), (a.text, b.text)
    assert {(first.id, ada.id), (second.id, bob.id)} <= {
        (f, s) for f, ref, s, _ in _refs(session) if ref == "SHARED-REF"
    }


def test_a_furnisher_cannot_have_two_accounts_with_one_ref_even_when_a_race_hides_the_first(
    client: TestClient,
    session: Session,
    make_furnisher: Callable[..., Actor],
    make_subject: Callable[..., Actor],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A concurrent request that created the ref after this one looked (here: the look
    finds nothing) is refused by the lookup's primary key: 409, nothing written."""
    furnisher, ada, bob = make_furnisher(), make_subject(), make_subject()
    assert _put(client, furnisher, "CARD-9", ada.id).status_code == 201
    monkeypatch.setattr(furnishing_queries, "account_by_ref", lambda *a, **k: None)
    resp = _put(client, furnisher, "CARD-9", bob.id)
    assert resp.status_code == 409, resp.text
    assert resp.json()["type"] == PROBLEM_BASE + "conflict"
    count = select(func.count()).select_from(Account)
    mine = count.where(Account.furnisher_id == furnisher.id, Account.account_ref == "CARD-9")
    assert session.scalar(mine) == 1
    assert session.scalar(count.where(Account.subject_id == bob.id)) == 0


def test_the_same_ref_for_another_subject_is_still_refused_as_before(
    client: TestClient, make_furnisher: Callable[..., Actor], make_subject: Callable[..., Actor]
) -> None:
    furnisher, ada, bob = make_furnisher(), make_subject(), make_subject()
    assert _put(client, furnisher, "CARD-8", ada.id).status_code == 201
    resp = _put(client, furnisher, "CARD-8", bob.id)
    assert resp.status_code == 422, resp.text
    assert resp.json()["errors"][0]["field"] == "subject_id"


def test_deleting_an_account_frees_its_ref(
    client: TestClient,
    session: Session,
    make_furnisher: Callable[..., Actor],
    make_subject: Callable[..., Actor],
) -> None:
    furnisher, subject = make_furnisher(), make_subject()
    created = _put(client, furnisher, "CARD-7", subject.id).json()
    account = furnishing_queries.account_by_id(session, created["id"])
    assert account is not None
    furnishing.delete_account(session, account)
    session.flush()
    assert not any(r[3] == created["id"] for r in _refs(session))
    again = _put(client, furnisher, "CARD-7", subject.id)
    assert again.status_code == 201, again.text
    assert again.json()["id"] != created["id"]


def test_a_metro2_import_writes_the_refs_of_the_accounts_it_creates(
    client: TestClient,
    session: Session,
    make_furnisher: Callable[..., Actor],
    make_subject: Callable[..., Actor],
) -> None:
    make_subject(
        given_name="Ada",
        family_name="Tester",
        date_of_birth="1985-04-12",
        national_id="000-12-3456",
    )
    furnisher = make_furnisher()
    records = [{**CARD, "consumerAccountNumber": f"M2-{n}"} for n in range(3)]
    resp = client.post(
        "/v1/furnisher/metro2", content=metro2_file(records), headers=furnisher.headers
    )
    assert resp.status_code in (200, 201), resp.text
    assert resp.json()["accepted"] == 3, resp.json()
    mine = {r for r in _refs(session) if r[0] == furnisher.id}
    assert {r[1] for r in mine} == {"M2-0", "M2-1", "M2-2"}
    assert mine == {r for r in _refs_of_accounts(session) if r[0] == furnisher.id}


def test_the_population_load_writes_the_refs_of_its_accounts(session: Session) -> None:
    people = pop.generate(12, seed=3, today=date(2026, 11, 26))
    loaded = load_population(session, people, datetime(2026, 11, 26, 15, 0, tzinfo=UTC))
    assert loaded.accounts > 0
    assert _refs(session) == _refs_of_accounts(session)


# --- national id: one subject's --------------------------------------------------------------


def test_a_national_id_cannot_be_reused(
    client: TestClient, session: Session, make_subject: Callable[..., Actor]
) -> None:
    ada = make_subject(national_id="000-77-1234")
    row = session.get(NationalId, "000-77-1234")
    assert row is not None
    assert row.subject_id == ada.id
    resp = client.post(
        "/v1/sandbox/subjects",
        json={
            "given_name": "Eve",
            "family_name": "Other",
            "date_of_birth": "1990-01-01",
            "national_id": "000-77-1234",
        },
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
    )
    assert resp.status_code == 409, resp.text
    assert resp.json()["type"] == PROBLEM_BASE + "conflict"


def test_the_lookup_refuses_a_reused_national_id_that_the_check_missed(
    session: Session, make_subject: Callable[..., Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A concurrent request that took the national id after the check: the lookup's
    primary key refuses the second subject, so the transaction cannot commit it."""
    make_subject(national_id="000-79-5678")
    monkeypatch.setattr(principal_queries, "national_id_holder", lambda *a, **k: None)
    subjects = select(func.count()).select_from(Subject)
    before = session.scalar(subjects)
    with pytest.raises(IntegrityError), session.begin_nested():
        principals.create_subject(
            session,
            actor=ADMIN,
            given_name="Eve",
            family_name="Other",
            date_of_birth=date(1990, 1, 1),
            national_id="000-79-5678",
            address=None,
            now=NOW,
        )
    assert session.scalar(subjects) == before


def test_a_subject_without_a_national_id_has_no_lookup_row(
    session: Session, make_subject: Callable[..., Actor]
) -> None:
    subject = make_subject(national_id=None)
    assert session.scalar(select(NationalId).where(NationalId.subject_id == subject.id)) is None
