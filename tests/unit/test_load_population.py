"""The population loading job: every row as generated, through the domains' bulk paths."""

from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from sqlalchemy import Connection, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from schemas.common import Purpose, Role
from schemas.file import InquiryKind
from schemas.furnishing import AccountPut
from service.audit import service as audit
from service.audit.models import SYSTEM_CHAIN, AuditEvent
from service.core.security import ADMIN
from service.core.security import Principal as Caller
from service.file import service as file_service
from service.file.models import Inquiry, PublicRecord
from service.furnishing import service as furnishing
from service.furnishing.models import Account, AccountVersion
from service.furnishing.rules import FURNISHED_FIELDS
from service.jobs.load_population import (
    POPULATION_COURT,
    POPULATION_FURNISHERS,
    POPULATION_LENDERS,
    _resolved_on,
    load_population,
    load_population_in_chunks,
)
from service.modelling import population as pop
from service.principals import service as principals
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


def test_a_loaded_populations_inquiry_ids_ascend_with_their_moments(session: Session) -> None:
    # As a live pull's ids do: the inquiries that age off together are neighbours in the key.
    people = pop.generate(60, seed=11, today=TODAY)
    load_population(session, people, datetime(2026, 11, 26, 15, 0, tzinfo=UTC))
    rows = session.execute(select(Inquiry.at, Inquiry.subject_id).order_by(Inquiry.id)).all()
    assert len(rows) > 50
    moments = [at for at, _ in rows]
    subjects = [subject_id for _, subject_id in rows]
    assert moments == sorted(moments)
    # Not merely in subject order with sorted moments by chance: subjects interleave.
    assert subjects != sorted(subjects)


# --- the bulk path writes what the row-at-a-time path writes -------------------------------


def _load_row_by_row(session: Session, people: pop.Population, now: datetime) -> None:
    """The same population through the API's one-at-a-time services: each organisation and
    file opened, each account furnished (a PUT), each inquiry and bankruptcy added."""
    admin = ADMIN
    furnishers = {
        kind: principals.create_organisation(
            session, actor=admin, role=Role.furnisher, name=name, now=now
        )
        for kind, name in POPULATION_FURNISHERS.items()
    }
    lenders = [
        principals.create_organisation(session, actor=admin, role=Role.lender, name=name, now=now)
        for name in POPULATION_LENDERS
    ]
    for i, file in enumerate(people.files):
        _, subject = principals.create_subject(
            session,
            actor=admin,
            given_name="Pop",
            family_name=f"Person {i:06d}",
            date_of_birth=people.date_of_birth[i],
            national_id=None,
            address=None,
            now=now,
        )
        for k, acc in enumerate(file.accounts):
            f = furnishers[acc.account_type]
            furnishing.furnish(
                session,
                furnisher=Caller(id=f.id, role=f.role, name=f.name),
                account_ref=f"POP-{i:06d}-{k}",
                data=AccountPut(
                    subject_id=subject.id, **{n: getattr(acc, n) for n in FURNISHED_FIELDS}
                ),
                now=now,
            )
        for j, inq in enumerate(file.inquiries):
            lender = lenders[(i + j) % len(lenders)]
            hard = inq.kind == "hard"
            file_service.add_inquiry(
                session,
                actor=Caller(id=lender.id, role=lender.role, name=lender.name),
                subject_id=subject.id,
                lender_id=lender.id,
                purpose=Purpose("credit_application" if hard else "prequalification"),
                kind=InquiryKind(inq.kind),
                at=min(datetime.combine(inq.at, time(12, 0), tzinfo=UTC), now),
                now=now,
            )
        for j, rec in enumerate(file.public_records):
            file_service.add_public_record(
                session,
                actor=admin,
                subject_id=subject.id,
                chapter=rec.chapter,
                status=rec.status,
                filed_on=rec.filed_on,
                resolved_on=_resolved_on(rec, people.today),
                court=POPULATION_COURT,
                reference=f"POP-BK-{i:06d}-{j}",
                now=now,
            )
    session.flush()


def _tables_of(session: Session, furnisher_ids: set[str], lender_ids: set[str]) -> dict[str, Any]:
    """Every row the load wrote about the people whose accounts these furnishers hold, each
    id replaced by what names it (a person by name, an organisation by name, an account by
    its furnisher and reference); the file revision checked for shape, then left out (it is
    random by design)."""
    names: dict[str, str] = {i: n for i, n in session.execute(select(Principal.id, Principal.name))}
    subject_ids = set(
        session.scalars(select(Account.subject_id).where(Account.furnisher_id.in_(furnisher_ids)))
    )
    refs = {
        a.id: (names[a.furnisher_id], a.account_ref)
        for a in session.scalars(select(Account).where(Account.subject_id.in_(subject_ids)))
    }

    def rows(table: Any, where: Any, **ids: Any) -> list[tuple[Any, ...]]:
        out = []
        for row in session.execute(select(table).where(where)).mappings():
            values = dict(row)
            for column, rename in ids.items():
                values[column] = rename(values[column]) if values[column] is not None else None
            out.append(tuple(sorted((k, repr(v)) for k, v in values.items())))
        return sorted(out)

    subjects = Subject.__table__
    revisions = session.scalars(select(Subject.file_revision).where(Subject.id.in_(subject_ids)))
    assert all(len(r) == 16 for r in revisions)
    return {
        "principals": rows(
            Principal.__table__,
            Principal.id.in_(subject_ids | furnisher_ids | lender_ids),
            id=names.__getitem__,
        ),
        "subjects": [
            tuple(x for x in r if x[0] != "file_revision")
            for r in rows(subjects, Subject.id.in_(subject_ids), id=names.__getitem__)
        ],
        "accounts": rows(
            Account.__table__,
            Account.subject_id.in_(subject_ids),
            id=refs.__getitem__,
            subject_id=names.__getitem__,
            furnisher_id=names.__getitem__,
        ),
        "account_versions": [
            tuple(x for x in r if x[0] != "id")
            for r in rows(
                AccountVersion.__table__,
                AccountVersion.subject_id.in_(subject_ids),
                account_id=refs.__getitem__,
                subject_id=names.__getitem__,
                actor_id=names.__getitem__,
            )
        ],
        "inquiries": [
            tuple(x for x in r if x[0] != "id")
            for r in rows(
                Inquiry.__table__,
                Inquiry.subject_id.in_(subject_ids),
                subject_id=names.__getitem__,
                lender_id=names.__getitem__,
            )
        ],
        "public_records": [
            tuple(x for x in r if x[0] != "id")
            for r in rows(
                PublicRecord.__table__,
                PublicRecord.subject_id.in_(subject_ids),
                subject_id=names.__getitem__,
            )
        ],
    }


def _organisations(session: Session, since: set[str]) -> tuple[set[str], set[str]]:
    rows = session.execute(
        select(Principal.id, Principal.role).where(Principal.role.in_(["furnisher", "lender"]))
    ).all()
    fresh = [(i, r) for i, r in rows if i not in since]
    return {i for i, r in fresh if r == "furnisher"}, {i for i, r in fresh if r == "lender"}


def test_the_bulk_load_writes_the_rows_the_row_at_a_time_path_writes(session: Session) -> None:
    people = pop.generate(30, seed=11, today=TODAY)
    assert sum(len(f.public_records) for f in people.files) + sum(
        len(f.inquiries) for f in people.files
    ), "the sample exercises inquiries or bankruptcies"
    now = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    before = set(session.scalars(select(Principal.id)))

    load_population(session, people, now)
    bulk_furnishers, bulk_lenders = _organisations(session, before)
    bulk = _tables_of(session, bulk_furnishers, bulk_lenders)

    seen = set(session.scalars(select(Principal.id)))
    _load_row_by_row(session, people, now)
    row_furnishers, row_lenders = _organisations(session, seen)
    one_by_one = _tables_of(session, row_furnishers, row_lenders)

    for table, expected in one_by_one.items():
        assert len(expected) > 0 or table == "public_records"
        assert bulk[table] == expected, table


@pytest.mark.parametrize("streamed", [False, True], ids=["in-memory", "streamed"])
def test_a_chunked_load_writes_each_chunk_with_its_own_event(
    connection: Connection, streamed: bool
) -> None:
    people = pop.generate(25, seed=5, today=TODAY)
    now = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    seen: list[tuple[int, int]] = []
    loaded = load_population_in_chunks(
        factory,
        pop.stream(25, seed=5, today=TODAY, chunk=10) if streamed else people,
        now,
        chunk=10,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(10, 25), (20, 25), (25, 25)]
    assert loaded.subjects == 25
    assert loaded.accounts == sum(len(f.accounts) for f in people.files)
    with factory() as session:
        events = session.scalars(
            select(AuditEvent.resource_id).where(AuditEvent.action == "population.loaded")
        ).all()
        assert sorted(events) == [
            f"seed=5;n=25;as_of={TODAY.isoformat()};people={a}-{b}"
            for a, b in ((0, 9), (10, 19), (20, 24))
        ]
        family = session.scalars(select(Subject.family_name).where(Subject.given_name == "Pop"))
        assert sorted(family) == [f"Person {i:06d}" for i in range(25)]
        # Each person of a later chunk has their own file, numbered as in the population.
        for i in (13, 24):
            sid = session.scalar(select(Subject.id).where(Subject.family_name == f"Person {i:06d}"))
            rows = session.scalars(select(Account).where(Account.subject_id == sid)).all()
            got = sorted(
                (AccountInput(**{n: getattr(r, n) for n in FURNISHED_FIELDS}) for r in rows),
                key=repr,
            )
            assert got == sorted(people.files[i].accounts, key=repr)
            assert sorted(r.account_ref for r in rows) == sorted(
                f"POP-{i:06d}-{k}" for k in range(len(people.files[i].accounts))
            )
        # One set of organisations for the whole load.
        furnishers = session.scalars(
            select(Principal.name).where(Principal.name.in_(POPULATION_FURNISHERS.values()))
        ).all()
        assert sorted(furnishers) == sorted(POPULATION_FURNISHERS.values())
        assert audit.verify(session).valid


def test_a_chunked_load_on_postgresql_leaves_the_planner_the_sizes_of_what_it_loaded(
    connection: Connection,
) -> None:
    if connection.dialect.name != "postgresql":
        pytest.skip("the planner's statistics after a bulk load: PostgreSQL's ANALYZE")
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    now = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    load_population_in_chunks(factory, pop.generate(25, seed=5, today=TODAY), now, chunk=10)
    # ANALYZE counts the rows its own transaction inserted; the tables had never been
    # analysed (reltuples -1) or were analysed before this load.
    for table, model in (("accounts", Account), ("inquiries", Inquiry), ("subjects", Subject)):
        estimated = connection.execute(
            text("SELECT reltuples FROM pg_class WHERE oid = CAST(:t AS regclass)"), {"t": table}
        ).scalar_one()
        counted = connection.execute(select(func.count()).select_from(model)).scalar_one()
        assert (table, estimated) == (table, counted)
