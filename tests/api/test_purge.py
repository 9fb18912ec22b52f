"""The obsolescence purge deletes exactly what is due on its day, and nothing else.

The rules, written out by hand here: an inquiry is shown for 24 months from the day it was
made; a Chapter 7 bankruptcy (and a Chapter 13 that was not completed) for 10 years from its
filing; a completed (discharged) Chapter 13 for 7 years from its filing. On the day the
period ends the item is gone; the day before, it is still there.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, Literal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.common import Purpose, Role
from schemas.file import InquiryKind
from service.audit import service as audit
from service.core import write_behind
from service.core.security import ADMIN, Principal
from service.file import queries as file_queries
from service.file import service as file_service
from service.file.models import Inquiry, PublicRecord
from service.furnishing import queries as furnishing_queries
from service.furnishing.models import Account
from tests.conftest import Actor
from tests.factories import account_body, furnish


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _inquiry(session: Session, subject: Actor, lender: Actor, at: datetime) -> str:
    return file_service.add_inquiry(
        session,
        actor=Principal(id=lender.id, role=Role.lender, name="Fictional Lender"),
        subject_id=subject.id,
        lender_id=lender.id,
        purpose=Purpose.credit_application,
        kind=InquiryKind.hard,
        at=at,
        now=at,
    )


def _bankruptcy(
    session: Session,
    subject: Actor,
    *,
    chapter: Literal[7, 13],
    status: Literal["filed", "discharged", "dismissed"],
    filed_on: date,
) -> str:
    record = file_service.add_public_record(
        session,
        actor=ADMIN,
        subject_id=subject.id,
        chapter=chapter,
        status=status,
        filed_on=filed_on,
        resolved_on=None if status == "filed" else date(filed_on.year + 1, 1, 15),
        court="Fictional District Court",
        reference=f"BK-{chapter}-{filed_on.isoformat()}",
        now=_utc(filed_on.year, filed_on.month, filed_on.day, 12),
    )
    return record.id


Purge = Callable[..., int]


@pytest.fixture(params=["at once", "behind"])
def purge(request: pytest.FixtureRequest) -> Purge:
    """The purge as a job runs it (``purge_obsolete``), or as a clock move does: its reads
    first, then its writes behind its Python work (``write_behind``) on chains locked ahead."""

    def at_once(session: Session, *, now: datetime) -> int:
        return file_service.purge_obsolete(session, now=now)

    def behind(session: Session, *, now: datetime) -> int:
        with write_behind.writes_behind(session):
            due = file_service.obsolete(session, now=now)
            heads = audit.lock_heads(session, due.subject_ids)
            return file_service.purge(session, due, now=now, heads=heads)

    return at_once if request.param == "at once" else behind


def _inquiry_ids(session: Session) -> set[str]:
    return set(session.scalars(select(Inquiry.id)))


def _record_ids(session: Session) -> set[str]:
    return set(session.scalars(select(PublicRecord.id)))


def test_an_inquiry_is_purged_on_the_day_its_24_months_end_not_a_day_later(
    purge: Purge,
    session: Session,
    make_subject: Callable[..., Actor],
    make_lender: Callable[..., Actor],
) -> None:
    subject, lender = make_subject(), make_lender()
    # Made on 10 May 2023 in the afternoon: shown until 9 May 2025, gone on 10 May 2025.
    made = _inquiry(session, subject, lender, _utc(2023, 5, 10, 15, 30))

    assert purge(session, now=_utc(2025, 5, 9, 23, 59)) == 0
    assert made in _inquiry_ids(session)

    assert purge(session, now=_utc(2025, 5, 10, 0, 1)) == 1
    assert made not in _inquiry_ids(session)


def test_an_inquiry_of_29_february_is_purged_on_28_february_two_years_later(
    purge: Purge,
    session: Session,
    make_subject: Callable[..., Actor],
    make_lender: Callable[..., Actor],
) -> None:
    subject, lender = make_subject(), make_lender()
    made = _inquiry(session, subject, lender, _utc(2024, 2, 29, 18))

    assert purge(session, now=_utc(2026, 2, 27, 23)) == 0
    assert made in _inquiry_ids(session)
    assert purge(session, now=_utc(2026, 2, 28, 1)) == 1
    assert made not in _inquiry_ids(session)


def test_the_inquiry_purge_deletes_exactly_the_inquiries_due(
    purge: Purge,
    session: Session,
    make_subject: Callable[..., Actor],
    make_lender: Callable[..., Actor],
) -> None:
    subject, lender = make_subject(), make_lender()
    due = {
        _inquiry(session, subject, lender, _utc(2022, 1, 3, 9)),  # left on 3 Jan 2024
        _inquiry(session, subject, lender, _utc(2022, 9, 14, 23, 59)),  # leaves 14 Sep 2024
    }
    kept = {
        _inquiry(session, subject, lender, _utc(2022, 9, 15, 0, 0)),  # leaves 15 Sep 2024
        _inquiry(session, subject, lender, _utc(2023, 6, 1, 12)),
        _inquiry(session, subject, lender, _utc(2024, 9, 14, 8)),
    }

    assert purge(session, now=_utc(2024, 9, 14, 10)) == len(due)
    assert _inquiry_ids(session) == kept
    assert audit.verify(session).valid  # each purge audited on its subject's chain


def test_the_bankruptcy_purge_deletes_exactly_the_records_due(
    purge: Purge, session: Session, make_subject: Callable[..., Actor]
) -> None:
    subject = make_subject()
    today = _utc(2026, 3, 20, 12)
    # Chapter 7: 10 years from filing. Filed 20 Mar 2016 leaves today; 21 Mar 2016 tomorrow.
    chapter_7_due = _bankruptcy(
        session, subject, chapter=7, status="discharged", filed_on=date(2016, 3, 20)
    )
    chapter_7_kept = _bankruptcy(
        session, subject, chapter=7, status="discharged", filed_on=date(2016, 3, 21)
    )
    # A completed (discharged) Chapter 13: 7 years from filing.
    chapter_13_done_due = _bankruptcy(
        session, subject, chapter=13, status="discharged", filed_on=date(2019, 3, 20)
    )
    chapter_13_done_kept = _bankruptcy(
        session, subject, chapter=13, status="discharged", filed_on=date(2019, 3, 21)
    )
    # A Chapter 13 not completed (dismissed) stays for the full 10 years, like Chapter 7.
    chapter_13_dismissed_kept = _bankruptcy(
        session, subject, chapter=13, status="dismissed", filed_on=date(2019, 3, 20)
    )
    chapter_13_dismissed_due = _bankruptcy(
        session, subject, chapter=13, status="dismissed", filed_on=date(2016, 3, 19)
    )

    assert purge(session, now=today) == 3
    assert _record_ids(session) == {
        chapter_7_kept,
        chapter_13_done_kept,
        chapter_13_dismissed_kept,
    }
    assert {chapter_7_due, chapter_13_done_due, chapter_13_dismissed_due}.isdisjoint(
        _record_ids(session)
    )

    # The next day the Chapter 7 filed on 21 Mar 2016 and the Chapter 13 completed after a
    # filing on 21 Mar 2019 are due; the dismissed Chapter 13 of 2019 is not.
    assert purge(session, now=_utc(2026, 3, 21, 0, 5)) == 2
    assert _record_ids(session) == {chapter_13_dismissed_kept}


def test_the_account_purge_deletes_exactly_the_adverse_accounts_due(
    purge: Purge,
    session: Session,
    client: TestClient,
    make_subject: Callable[..., Actor],
    make_furnisher: Callable[..., Actor],
) -> None:
    """Late payments leave 7 years from their date of first delinquency, collections 7 years
    from 180 days after it; an account without one (never delinquent) never leaves."""
    subject, furnisher = make_subject(), make_furnisher()

    def account(ref: str, **fields: Any) -> str:
        body = account_body(subject.id, **fields)
        return str(furnish(client, furnisher, ref, body)["id"])

    late = {"payment_history": "0" * 20 + "1000"}
    collection = {
        "account_type": "collection",
        "credit_limit_cents": None,
        "original_amount_cents": 80_000,
        "balance_cents": 80_000,
        "past_due_cents": 80_000,
        "status": "93",
        "payment_history": "G" * 24,
    }
    due = {
        account("LATE-DUE", **late, date_of_first_delinquency="2019-03-20"),
        # 2018-09-21 + 180 days = 2019-03-20, + 7 years: today.
        account("COLL-DUE", **collection, date_of_first_delinquency="2018-09-21"),
    }
    kept = {
        account("LATE-KEPT", **late, date_of_first_delinquency="2019-03-21"),
        # Before the 7-year cutoff by its date, but the 180 days put it a day after today.
        account("COLL-KEPT", **collection, date_of_first_delinquency="2018-09-22"),
        account("CURRENT"),
    }

    assert purge(session, now=_utc(2026, 3, 20, 12)) == len(due)
    left = set(session.scalars(select(Account.id).where(Account.subject_id == subject.id)))
    assert left == kept


def _plan(session: Session, statement: Any, params: dict[str, Any]) -> str:
    """The database's plan of the statement, as text."""
    connection = session.connection()
    compiled = statement.compile(dialect=connection.dialect)
    sql = str(compiled)
    if connection.dialect.name == "sqlite":
        positional = [params[name] for name in compiled.positiontup]
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", tuple(positional))
        return "\n".join(str(row[-1]) for row in rows)
    # PostgreSQL plans a scan of a small table; with scans priced out, the index is taken
    # if it can answer the question at all.
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    rows = connection.exec_driver_sql(f"EXPLAIN {sql}", params)
    return "\n".join(str(row[0]) for row in rows)


def test_the_purge_finds_what_is_due_by_its_dates_index_not_a_scan(session: Session) -> None:
    """Both of the purge's questions on the large tables are answered by a range of an index
    on their date (migration 0013), not by reading every account and every inquiry."""
    accounts = _plan(session, furnishing_queries.ADVERSE_DATED_BEFORE, {"cutoff": date(2019, 1, 1)})
    assert "ix_accounts_date_of_first_delinquency" in accounts
    inquiries = _plan(session, file_queries.INQUIRIES_BEFORE, {"moment": _utc(2024, 1, 1)})
    assert "ix_inquiries_at" in inquiries
