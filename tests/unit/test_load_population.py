"""The population loading job: every row as generated, through the domains' bulk paths."""

from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.audit import service as audit
from service.audit.models import SYSTEM_CHAIN, AuditEvent
from service.file.models import Inquiry, PublicRecord
from service.furnishing import service as furnishing
from service.furnishing.models import Account, AccountVersion
from service.furnishing.rules import FURNISHED_FIELDS
from service.jobs.load_population import load_population
from service.modelling import population as pop
from service.principals.models import Principal, Subject
from service.scoring.engine.inputs import AccountInput

TODAY = date(2026, 11, 26)


def test_load_population_bulk_inserts_the_files_and_one_audit_event(
    session: Session,
) -> None:
    people = pop.generate(40, seed=5, today=TODAY)
    now = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    loaded = load_population(session, people, now)

    assert loaded.subjects == 40
    assert loaded.accounts == sum(len(f.accounts) for f in people.files)
    ours = session.scalars(select(Subject).where(Subject.given_name == "Pop")).all()
    assert len(ours) == 40
    assert all(s.national_id is None for s in ours)
    names = set(session.scalars(select(Principal.name).where(Principal.role == "subject")).all())
    assert {"Pop Person 000000", "Pop Person 000039"} <= names

    # Each person's accounts come back as generated, each with one first version.
    by_name = {s.family_name: s.id for s in ours}
    for i in (0, 17, 39):
        sid = by_name[f"Person {i:06d}"]
        rows = session.scalars(select(Account).where(Account.subject_id == sid)).all()
        got = sorted(
            (AccountInput(**{n: getattr(r, n) for n in FURNISHED_FIELDS}) for r in rows),
            key=repr,
        )
        assert got == sorted(people.files[i].accounts, key=repr)
        for row in rows:
            versions = session.scalars(
                select(AccountVersion).where(AccountVersion.account_id == row.id)
            ).all()
            assert [v.version for v in versions] == [1]
            assert versions[0].fields["as_of"] == row.as_of.isoformat()
            # The first version a furnisher's PUT would have written.
            assert versions[0].fields == furnishing.snapshot(row)
            assert versions[0].changed == list(FURNISHED_FIELDS)
            assert versions[0].actor_id == row.furnisher_id
        inquiries = session.scalar(
            select(func.count()).select_from(Inquiry).where(Inquiry.subject_id == sid)
        )
        assert inquiries == len(people.files[i].inquiries)
        records = session.scalar(
            select(func.count()).select_from(PublicRecord).where(PublicRecord.subject_id == sid)
        )
        assert records == len(people.files[i].public_records)

    # One event on the system chain for the whole load, and the chain still verifies.
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert len(events) == (before or 0) + 1
    assert events[-1].action == "population.loaded"
    assert events[-1].chain == SYSTEM_CHAIN
    assert events[-1].at == now
    assert audit.verify(session).valid
