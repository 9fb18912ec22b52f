"""Load a generated population into the database: every write goes through the owning
domain's bulk path (principals, furnishing, file), in the caller's transaction, and one
``population.loaded`` event on the system audit chain records each transaction of the load
(the whole load, or each chunk of a large one), naming the people it wrote.

Why one event per transaction, not one per subject (as ``file.opened`` is for a file opened
through the API): a loaded person has no API key and no national id, so nobody reads or
disputes their file as them, and their access log would hold only the load itself; an event
per subject would double the rows written and lengthen the load by a chain append per
person, to say what one event says: who loaded which people (``people=``: their numbers, as in
their names), from which seed, when. The event is written in the same transaction as
its rows, so a committed row always has its event, and a failed chunk leaves neither.

The people get no API key (nobody can sign in as them); their names are obviously fictional
("Pop Person 000123") and they have no national id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from operator import attrgetter
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from schemas.common import Purpose, Role
from schemas.file import InquiryKind
from service.audit import service as audit
from service.core import row_triggers
from service.core.db import refresh_planner_statistics
from service.core.security import ADMIN, Principal
from service.file import service as file_service
from service.file.rules import add_months
from service.furnishing import service as furnishing
from service.furnishing.rules import FURNISHED_FIELDS
from service.modelling.population import Population
from service.principals import service as principals

if TYPE_CHECKING:
    from service.scoring.engine.inputs import PublicRecordInput

#: The fictional furnishers and lenders a loaded population is reported by.
POPULATION_FURNISHERS = {
    "revolving": "Pop Example Card Bank",
    "installment": "Pop Example Auto Finance",
    "mortgage": "Pop Example Home Loans",
    "open": "Pop Example Charge Card Co",
    "collection": "Pop Example Collections Agency",
}
POPULATION_LENDERS = ("Pop Example Lender North", "Pop Example Lender South")
POPULATION_COURT = "Fictional District Bankruptcy Court (sandbox)"

#: Months from filing to the end of a bankruptcy case, by chapter and outcome (typical
#: durations: a Chapter 7 discharge after about 4 months, a Chapter 13 plan of 5 years).
CASE_MONTHS = {
    (7, "discharged"): 4,
    (13, "discharged"): 60,
    (7, "dismissed"): 6,
    (13, "dismissed"): 6,
}


@dataclass(frozen=True)
class Loaded:
    subjects: int
    accounts: int
    inquiries: int
    public_records: int
    furnishers: dict[str, str]


def _resolved_on(record: PublicRecordInput, today: date) -> date | None:
    months = CASE_MONTHS.get((record.chapter, record.status))
    if months is None:
        return None
    return min(add_months(record.filed_on, months), today)


def _at(day: date, now: datetime) -> datetime:
    """Noon UTC of an inquiry's day, never after ``now``."""
    return min(datetime.combine(day, time(12, 0), tzinfo=UTC), now)


#: People per transaction of a chunked load (``load_population_in_chunks``): large enough
#: that each COPY or executemany carries some hundreds of thousands of rows, small enough
#: that the rows built for one chunk stay well under a gigabyte.
CHUNK_PEOPLE = 50_000

#: Called after each chunk with (people loaded, people in all).
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class _Organisations:
    furnishers: dict[str, Principal]
    lenders: list[str]


def _create_organisations(session: Session, now: datetime) -> _Organisations:
    kinds = list(POPULATION_FURNISHERS)
    organisations = principals.create_organisations_bulk(
        session,
        organisations=[(Role.furnisher, POPULATION_FURNISHERS[k]) for k in kinds]
        + [(Role.lender, name) for name in POPULATION_LENDERS],
        now=now,
    )
    return _Organisations(
        furnishers=dict(zip(kinds, organisations[: len(kinds)], strict=True)),
        lenders=[p.id for p in organisations[len(kinds) :]],
    )


def _load_people(
    session: Session, people: Population, now: datetime, orgs: _Organisations
) -> Loaded:
    """Insert the people of ``people`` (a population, or a part of one: people
    ``people.first`` onwards) with their files, and one ``population.loaded`` event naming
    them, in the caller's transaction."""
    furnishers, lenders = orgs.furnishers, orgs.lenders
    start, stop = people.first, people.first + len(people)
    width = max(6, len(str(people.size - 1)))
    ids = principals.create_subjects_bulk(
        session,
        subjects=[
            principals.NewSubject("Pop", f"Person {i:0{width}d}", born)
            for i, born in enumerate(people.date_of_birth, start=start)
        ],
        now=now,
    )

    accounts: list[furnishing.NewAccount] = []
    inquiries: list[file_service.NewInquiry] = []
    records: list[file_service.NewPublicRecord] = []
    hard, soft = InquiryKind("hard"), InquiryKind("soft")
    application, prequalification = Purpose("credit_application"), Purpose("prequalification")
    furnished = attrgetter(*FURNISHED_FIELDS)
    noon: dict[date, datetime] = {}  # an inquiry's moment, by its day
    for i, (sid, file) in enumerate(zip(ids, people.files, strict=True), start=start):
        for k, acc in enumerate(file.accounts):
            accounts.append(
                furnishing.NewAccount(
                    subject_id=sid,
                    furnisher=furnishers[acc.account_type],
                    account_ref=f"POP-{i:0{width}d}-{k}",
                    fields=dict(zip(FURNISHED_FIELDS, furnished(acc), strict=True)),
                )
            )
        for j, inq in enumerate(file.inquiries):
            is_hard = inq.kind == "hard"
            inquiries.append(
                file_service.NewInquiry(
                    subject_id=sid,
                    lender_id=lenders[(i + j) % len(lenders)],
                    purpose=application if is_hard else prequalification,
                    kind=hard if is_hard else soft,
                    at=noon.get(inq.at) or noon.setdefault(inq.at, _at(inq.at, now)),
                )
            )
        for j, rec in enumerate(file.public_records):
            records.append(
                file_service.NewPublicRecord(
                    subject_id=sid,
                    chapter=rec.chapter,
                    status=rec.status,
                    filed_on=rec.filed_on,
                    resolved_on=_resolved_on(rec, people.today),
                    court=POPULATION_COURT,
                    reference=f"POP-BK-{i:0{width}d}-{j}",
                )
            )
    # Every item written here is in a file opened just above, in this transaction, with a
    # revision of its own that nobody can have seen yet: replacing it once per item (the
    # triggers of migrations 0004 to 0006, a subject UPDATE per row) would change nothing
    # anyone can tell, at the cost of a write per row, so the triggers skip these rows.
    with row_triggers.deferred(session, row_triggers.FILE_REVISIONS):
        furnishing.furnish_bulk(session, accounts=accounts, now=now)
        file_service.add_inquiries_bulk(session, inquiries=inquiries)
        file_service.add_public_records_bulk(session, records=records, now=now)
    audit.record(
        session,
        actor=ADMIN,
        action="population.loaded",
        now=now,
        resource_type="population",
        resource_id=(
            f"seed={people.seed};n={people.size};as_of={people.today.isoformat()};"
            f"people={start}-{stop - 1}"
        ),
    )
    session.flush()
    return Loaded(
        subjects=len(ids),
        accounts=len(accounts),
        inquiries=len(inquiries),
        public_records=len(records),
        furnishers={p.name: p.id for p in furnishers.values()},
    )


def load_population(session: Session, people: Population, now: datetime) -> Loaded:
    """Insert the population's furnishers, lenders, subjects, accounts (one version each),
    inquiries and bankruptcies through their domains' bulk paths (COPY on PostgreSQL, one
    executemany per table on SQLite), and record one ``population.loaded`` event on the
    system audit chain; the caller commits."""
    orgs = _create_organisations(session, now)
    return _load_people(session, people, now, orgs)


def load_population_in_chunks(
    factory: sessionmaker[Session],
    people: Population | Iterable[Population],
    now: datetime,
    *,
    chunk: int = CHUNK_PEOPLE,
    progress: Progress | None = None,
) -> Loaded:
    """``load_population`` for millions, one transaction per part, each committed with its
    own ``population.loaded`` event naming its people (so every committed row has its
    event, written in its transaction); ``progress`` after each. ``people`` is a population
    in memory, loaded ``chunk`` people at a time, or its consecutive parts as
    ``population.stream`` gives them (generated while the load goes on, so that memory
    holds one part at a time), loaded a part at a time. Then, on PostgreSQL, the planner's
    statistics are gathered (``refresh_planner_statistics``)."""
    if chunk < 1:
        raise ValueError("chunk must be at least 1")
    parts: Iterable[Population] = (
        (people.part(start, start + chunk) for start in range(0, len(people), chunk))
        if isinstance(people, Population)
        else people
    )
    total = Loaded(0, 0, 0, 0, {})
    orgs: _Organisations | None = None
    for part in parts:
        with factory() as session, session.begin():
            if orgs is None:
                orgs = _create_organisations(session, now)
            loaded = _load_people(session, part, now, orgs)
        total = Loaded(
            subjects=total.subjects + loaded.subjects,
            accounts=total.accounts + loaded.accounts,
            inquiries=total.inquiries + loaded.inquiries,
            public_records=total.public_records + loaded.public_records,
            furnishers=loaded.furnishers,
        )
        whole = part.size
        del part, loaded  # the next part is built with this one's memory freed
        if progress is not None:
            progress(total.subjects, whole)
    with factory() as session, session.begin():
        refresh_planner_statistics(session)
    return total
