"""A furnisher's answer and the deadline, racing in real concurrent transactions, give
exactly one outcome (PostgreSQL; SQLite runs one transaction at a time anyway)."""

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from schemas.common import Role
from schemas.disputes import DisputeAnswer, DisputeCreate
from service.core import clock
from service.core.errors import Conflict
from service.core.security import ADMIN, Principal
from service.disputes import service as disputes
from service.disputes.models import Dispute
from service.furnishing import service as furnishing
from service.notices.models import Notice
from service.principals import service as principals
from tests.databases import migrated_postgres_sessions
from tests.factories import account_body

TRIALS = 8


@pytest.fixture
def own_database(database_url: str) -> Iterator[sessionmaker[Session]]:
    """A database of its own, migrated, dropped afterwards: the race commits for real."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the race needs concurrent transactions: PostgreSQL")
    with migrated_postgres_sessions(database_url, "race") as sessions:
        yield sessions


#: Each trial's dispute is filed this many days after the one before, so that at each
#: trial's moment only its own dispute is due.
SPACING = timedelta(days=40)


def _setup(factory: sessionmaker[Session]) -> tuple[Principal, list[str], Any]:
    """A furnisher and TRIALS open disputes on its accounts, filed SPACING apart, committed."""
    with factory() as session:
        now = clock.now(session)
        issued = principals.create_organisation(
            session, actor=ADMIN, role=Role.furnisher, name="Fictional Racer", now=now
        )
        furnisher = Principal(id=issued.id, role=Role.furnisher, name=issued.name)
        dispute_ids = []
        for n in range(TRIALS):
            _issued, subject = principals.create_subject(
                session,
                actor=ADMIN,
                given_name="Race",
                family_name=f"Person{n}",
                date_of_birth=now.date().replace(year=1980),
                national_id=None,
                address=None,
                now=now,
            )
            account, _created = furnishing.furnish(
                session,
                furnisher=furnisher,
                account_ref=f"race-{n}",
                data=furnishing_put(subject.id),
                now=now,
            )
            filed = disputes.file_dispute(
                session,
                now=now + n * SPACING,
                subject=Principal(id=subject.id, role=Role.subject, name="Race Person"),
                body=DisputeCreate.model_validate(
                    {
                        "item_type": "account",
                        "item_id": account.id,
                        "reason_code": "wrong_balance",
                        "description": "Wrong.",
                    }
                ),
            )
            dispute_ids.append(filed.id)
        session.commit()
    return furnisher, dispute_ids, now


def furnishing_put(subject_id: str) -> Any:
    from schemas.furnishing import AccountPut

    return AccountPut.model_validate(account_body(subject_id))


def test_an_answer_racing_the_deadline_gives_exactly_one_outcome(
    own_database: sessionmaker[Session],
) -> None:
    factory = own_database
    furnisher, dispute_ids, filed_at = _setup(factory)
    outcomes: dict[str, list[str]] = {"answer": [], "deadline": []}
    for n, dispute_id in enumerate(dispute_ids):
        at = filed_at + n * SPACING + timedelta(days=31)  # past its deadline: both may act
        barrier = threading.Barrier(2)
        got: dict[str, str] = {}

        def answer(
            dispute_id: str = dispute_id,
            barrier: threading.Barrier = barrier,
            got: dict[str, str] = got,
            at: Any = at,
        ) -> None:
            with factory() as session:
                barrier.wait()
                try:
                    disputes.answer(
                        session,
                        furnisher=furnisher,
                        dispute_id=dispute_id,
                        body=DisputeAnswer.model_validate({"outcome": "verified"}),
                        now=at,
                    )
                    session.commit()
                    got["answer"] = "won"
                except Conflict:
                    session.rollback()
                    got["answer"] = "lost"

        def deadline(
            barrier: threading.Barrier = barrier, got: dict[str, str] = got, at: Any = at
        ) -> None:
            with factory() as session:
                barrier.wait()
                resolved = disputes.run_due(session, now=at)
                session.commit()
                got["deadline"] = "won" if resolved else "lost"

        threads = [threading.Thread(target=answer), threading.Thread(target=deadline)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sorted(got.values()) == ["lost", "won"], got
        outcomes["answer"].append(got["answer"])
        with factory() as session:
            dispute = session.scalars(select(Dispute).where(Dispute.id == dispute_id)).first()
            assert dispute is not None
            expected = "verified" if got["answer"] == "won" else "unverified"
            assert (dispute.status, dispute.outcome) == ("resolved", expected)
            notices = session.scalar(
                select(func.count())
                .select_from(Notice)
                .where(Notice.subject_id == dispute.subject_id)
            )
            assert notices == 1
    # Each trial resolved exactly once; which side won may vary from trial to trial.
    assert len(outcomes["answer"]) == TRIALS
