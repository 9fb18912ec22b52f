"""The credit file: assemble it for its subject, and purge what has aged off."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from schemas.common import Purpose, Role
from schemas.consent import ConsentRead, FraudAlertRead, FreezeRead
from schemas.file import (
    InquiryKind,
    InquiryRead,
    PublicRecordRead,
    Report,
    Source,
)
from schemas.furnishing import AccountRead
from service.audit import purposes
from service.audit import service as audit
from service.consent import service as consent
from service.core.cache import LruCache
from service.core.errors import NotFound
from service.core.security import Principal, SequentialIds, new_id
from service.file import queries
from service.file.models import Inquiry, PublicRecord
from service.file.rules import (
    account_on_file,
    bankruptcy_obsolete_on,
    earliest_possible_obsolete_cutoff,
    inquiry_obsolete_on,
    inquiry_on_file,
    is_obsolete,
    latest_obsolete_inquiry_day,
    public_record_on_file,
)
from service.furnishing import service as furnishing
from service.principals import service as principals

#: The actor named in the audit log for work done by a time rule.
RULE_ACTOR = Principal(id="clearfile", role=Role.admin, name="Clearfile (scheduled rule)")


@dataclass(frozen=True)
class _FileItems:
    """What the report shows of a file on one day: built once per file revision and day."""

    accounts: list[AccountRead]
    inquiries: list[InquiryRead]
    public_records: list[PublicRecordRead]
    sources: list[Source]
    consents: list[ConsentRead]
    freeze: FreezeRead
    fraud_alerts: list[FraudAlertRead]
    #: The accounts' JSON, comma-joined, as their cached views made it.
    accounts_json: bytes


@dataclass(frozen=True, slots=True)
class CachedReport:
    """A report, and its accounts' JSON already made (comma-joined, in the report's order),
    so that answering with the report need not serialise every account again
    (``service.core.responses.json_with_list``)."""

    report: Report
    accounts_json: bytes


#: The most files whose items are kept (least recently read out first): one entry a subject.
ITEMS_CACHE_MAX_FILES = 10_000

#: The items of files, keyed by subject, each stored with the file revision and the day it
#: was built for. The database replaces a file's revision on every change to its items
#: (migration 0004), and what is shown depends otherwise only on the day (obsolescence), so
#: an entry is used only while both match; nothing in it is changed once stored. The items
#: of a new revision or day replace the superseded ones under the same subject.
_ITEMS_CACHE: LruCache[str, tuple[str, date, _FileItems]] = LruCache(ITEMS_CACHE_MAX_FILES)


def build_report(session: Session, *, subject_id: str, now: datetime) -> Report:
    """The whole current file; items past their obsolescence date are left out."""
    return build_cached_report(session, subject_id=subject_id, now=now).report


def build_cached_report(session: Session, *, subject_id: str, now: datetime) -> CachedReport:
    """``build_report``, with the accounts' JSON its views already hold."""
    found = principals.identity_and_file_revision(session, subject_id)
    if found is None:
        raise NotFound(detail="No such subject.")
    identity, revision = found
    today = now.date()
    entry = _ITEMS_CACHE.get(subject_id)
    if entry is not None and entry[0] == revision and entry[1] == today:
        items = entry[2]
    else:
        items = _items_of_file(session, subject_id=subject_id, today=today)
        _ITEMS_CACHE.put(subject_id, (revision, today, items))
    report = Report(
        subject=identity,
        generated_at=now,
        accounts=items.accounts,
        inquiries=items.inquiries,
        public_records=items.public_records,
        consents=items.consents,
        freeze=items.freeze,
        fraud_alerts=items.fraud_alerts,
        sources=items.sources,
    )
    return CachedReport(report, items.accounts_json)


def _items_of_file(session: Session, *, subject_id: str, today: date) -> _FileItems:
    sources: dict[str, Source] = {}
    accounts = []
    accounts_json = []
    for account, account_json in furnishing.account_views_of_subject(session, subject_id):
        if not account_on_file(
            status=account.status.value,
            account_type=account.account_type.value,
            date_of_first_delinquency=account.date_of_first_delinquency,
            today=today,
        ):
            continue
        accounts.append(account)
        accounts_json.append(account_json)
        furnisher = account.furnisher
        if furnisher.id not in sources:
            sources[furnisher.id] = Source(
                id=furnisher.id, name=furnisher.name, role=Role.furnisher, supplied=["accounts"]
            )
    inquiries = []
    for inquiry, lender_name in queries.inquiries_of_subject(session, subject_id):
        if not inquiry_on_file(at=inquiry.at, today=today):
            continue
        inquiries.append(
            InquiryRead(
                id=inquiry.id,
                lender_id=inquiry.lender_id,
                lender_name=lender_name,
                purpose=inquiry.purpose,
                kind=inquiry.kind,
                at=inquiry.at,
                obsolete_on=inquiry_obsolete_on(inquiry.at),
            )
        )
        src = sources.setdefault(
            inquiry.lender_id,
            Source(id=inquiry.lender_id, name=lender_name, role=Role.lender, supplied=[]),
        )
        if "inquiries" not in src.supplied:
            src.supplied.append("inquiries")
    records = []
    for record in queries.public_records_of_subject(session, subject_id):
        if not public_record_on_file(
            chapter=record.chapter, status=record.status, filed_on=record.filed_on, today=today
        ):
            continue
        records.append(
            PublicRecordRead(
                id=record.id,
                kind="bankruptcy",
                chapter=record.chapter,
                status=record.status,
                filed_on=record.filed_on,
                resolved_on=record.resolved_on,
                court=record.court,
                reference=record.reference,
                obsolete_on=bankruptcy_obsolete_on(
                    chapter=record.chapter, status=record.status, filed_on=record.filed_on
                ),
            )
        )
    # Consents and fraud alerts change state at the start of a day, so for the whole of
    # ``today`` (the day the items are cached for) they read as they do at its start.
    start = datetime.combine(today, time.min, tzinfo=UTC)
    return _FileItems(
        accounts=accounts,
        inquiries=inquiries,
        public_records=records,
        sources=list(sources.values()),
        consents=consent.consents_for_report(session, subject_id=subject_id, now=start),
        freeze=consent.freeze_state(session, subject_id=subject_id),
        fraud_alerts=consent.fraud_alerts_for_report(session, subject_id=subject_id, now=start),
        accounts_json=b",".join(accounts_json),
    )


def _record_purge(
    session: Session, *, now: datetime, subject_id: str, kind: str, item_id: str
) -> None:
    audit.record(
        session,
        actor=RULE_ACTOR,
        action=f"{kind}.purged_obsolete",
        now=now,
        subject_id=subject_id,
        purpose=purposes.OBSOLESCENCE,
        resource_type=kind,
        resource_id=item_id,
    )


def purge_obsolete(session: Session, *, now: datetime) -> int:
    """Delete every item past its obsolescence date (FCRA 605), auditing each purge.

    Returns how many items were purged.
    """
    today = now.date()
    purged = 0
    cutoff = earliest_possible_obsolete_cutoff(today)
    for account in furnishing.adverse_accounts_dated_before(session, cutoff):
        if is_obsolete(furnishing.obsolete_on(account), today):
            _record_purge(
                session, now=now, subject_id=account.subject_id, kind="account", item_id=account.id
            )
            furnishing.delete_account(session, account)
            purged += 1
    for record in queries.public_records_filed_before(session, cutoff):
        leaves = bankruptcy_obsolete_on(
            chapter=record.chapter, status=record.status, filed_on=record.filed_on
        )
        if is_obsolete(leaves, today):
            _record_purge(
                session,
                now=now,
                subject_id=record.subject_id,
                kind="public_record",
                item_id=record.id,
            )
            session.delete(record)
            purged += 1
    # Every inquiry made before the midnight that ends the last day that can be due.
    due_before = datetime.combine(
        latest_obsolete_inquiry_day(today) + timedelta(days=1), time.min, tzinfo=UTC
    )
    for inquiry in queries.inquiries_before(session, due_before):
        if is_obsolete(inquiry_obsolete_on(inquiry.at), today):
            _record_purge(
                session, now=now, subject_id=inquiry.subject_id, kind="inquiry", item_id=inquiry.id
            )
            session.delete(inquiry)
            purged += 1
    session.flush()
    return purged


def add_public_record(
    session: Session,
    *,
    actor: Principal,
    subject_id: str,
    chapter: Literal[7, 13],
    status: Literal["filed", "discharged", "dismissed"],
    filed_on: date,
    resolved_on: date | None,
    court: str,
    reference: str,
    now: datetime,
) -> PublicRecord:
    """Add a bankruptcy to a subject's file (the only public record Clearfile holds)."""
    record = PublicRecord(
        id=new_id("pr"),
        subject_id=subject_id,
        kind="bankruptcy",
        chapter=chapter,
        status=status,
        filed_on=filed_on,
        resolved_on=resolved_on,
        court=court,
        reference=reference,
        created_at=now,
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="public_record.added",
        now=now,
        subject_id=subject_id,
        purpose=purposes.FURNISHING,
        resource_type="public_record",
        resource_id=record.id,
    )
    return record


def add_inquiry(
    session: Session,
    *,
    actor: Principal,
    subject_id: str,
    lender_id: str,
    purpose: Purpose,
    kind: InquiryKind,
    at: datetime,
    now: datetime,
    action: str = "inquiry.recorded",
) -> Inquiry:
    """Record that ``lender_id`` read the subject's file at ``at`` for ``purpose``, audited
    as ``action`` (a lender's pull names the read itself: ``report.pulled``, ...)."""
    inquiry = Inquiry(
        id=new_id("inq"),
        subject_id=subject_id,
        lender_id=lender_id,
        purpose=purpose.value,
        kind=kind.value,
        at=at,
    )
    session.add(inquiry)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=action,
        now=now,
        subject_id=subject_id,
        purpose=purpose.value,
        resource_type="inquiry",
        resource_id=inquiry.id,
    )
    return inquiry


# --- bulk paths for jobs ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewInquiry:
    subject_id: str
    lender_id: str
    purpose: Purpose
    kind: InquiryKind
    at: datetime


@dataclass(frozen=True, slots=True)
class NewPublicRecord:
    subject_id: str
    chapter: int
    status: str
    filed_on: date
    resolved_on: date | None
    court: str
    reference: str


def add_inquiries_bulk(session: Session, *, inquiries: Sequence[NewInquiry]) -> int:
    """Record many inquiries at once for a job, in the caller's transaction; how many. No
    audit event is written per inquiry: the job records one event for its whole batch."""
    ids = SequentialIds("inq")
    queries.insert_inquiries_bulk(
        session,
        [
            {
                "id": ids.next(),
                "subject_id": i.subject_id,
                "lender_id": i.lender_id,
                "purpose": i.purpose.value,
                "kind": i.kind.value,
                "at": i.at,
            }
            for i in inquiries
        ],
    )
    return len(inquiries)


def add_public_records_bulk(
    session: Session, *, records: Sequence[NewPublicRecord], now: datetime
) -> int:
    """Add many bankruptcies at once for a job, in the caller's transaction; how many. No
    audit event is written per record: the job records one event for its whole batch."""
    ids = SequentialIds("pr")
    queries.insert_public_records_bulk(
        session,
        [
            {
                "id": ids.next(),
                "subject_id": r.subject_id,
                "kind": "bankruptcy",
                "chapter": r.chapter,
                "status": r.status,
                "filed_on": r.filed_on,
                "resolved_on": r.resolved_on,
                "court": r.court,
                "reference": r.reference,
                "created_at": now,
            }
            for r in records
        ],
    )
    return len(records)
