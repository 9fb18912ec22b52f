"""The credit file: assemble it for its subject, and purge what has aged off."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Literal

from sqlalchemy.orm import Session

from schemas.common import Role
from schemas.file import (
    InquiryKind,
    InquiryRead,
    PublicRecordRead,
    Purpose,
    Report,
    Source,
)
from schemas.furnishing import AccountRead
from service.audit import purposes
from service.audit import service as audit
from service.core.errors import NotFound
from service.core.security import Principal, new_id
from service.file import queries
from service.file.models import Inquiry, PublicRecord
from service.file.rules import (
    INQUIRY_SHOWN_MONTHS,
    account_on_file,
    add_months,
    bankruptcy_obsolete_on,
    earliest_possible_obsolete_cutoff,
    inquiry_obsolete_on,
    inquiry_on_file,
    is_obsolete,
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


#: The items of files, keyed by (subject, file revision, day). The database replaces a
#: file's revision on every change to its items (migration 0004), and what is shown depends
#: otherwise only on the day (obsolescence), so an entry can never be stale; nothing in it
#: is changed once stored. Bounded: cleared when it grows past the limit.
_ITEMS_CACHE: dict[tuple[str, str, date], _FileItems] = {}
ITEMS_CACHE_LIMIT = 10_000


def build_report(session: Session, *, subject_id: str, now: datetime) -> Report:
    """The whole current file; items past their obsolescence date are left out."""
    found = principals.identity_and_file_revision(session, subject_id)
    if found is None:
        raise NotFound(detail="No such subject.")
    identity, revision = found
    key = (subject_id, revision, now.date())
    items = _ITEMS_CACHE.get(key)
    if items is None:
        items = _items_of_file(session, subject_id=subject_id, today=now.date())
        if len(_ITEMS_CACHE) >= ITEMS_CACHE_LIMIT:
            _ITEMS_CACHE.clear()
        _ITEMS_CACHE[key] = items
    return Report(
        subject=identity,
        generated_at=now,
        accounts=items.accounts,
        inquiries=items.inquiries,
        public_records=items.public_records,
        sources=items.sources,
    )


def _items_of_file(session: Session, *, subject_id: str, today: date) -> _FileItems:
    sources: dict[str, Source] = {}
    accounts = []
    for account in furnishing.account_views_of_subject(session, subject_id):
        if not account_on_file(
            status=account.status.value,
            account_type=account.account_type.value,
            date_of_first_delinquency=account.date_of_first_delinquency,
            today=today,
        ):
            continue
        accounts.append(account)
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
    return _FileItems(
        accounts=accounts,
        inquiries=inquiries,
        public_records=records,
        sources=list(sources.values()),
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
    shown_since = datetime.combine(add_months(today, -INQUIRY_SHOWN_MONTHS), time.min, tzinfo=UTC)
    for inquiry in queries.inquiries_before(session, shown_since):
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
) -> Inquiry:
    """Record that ``lender_id`` read the subject's file at ``at`` for ``purpose``."""
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
        action="inquiry.recorded",
        now=now,
        subject_id=subject_id,
        purpose=purpose.value,
        resource_type="inquiry",
        resource_id=inquiry.id,
    )
    return inquiry
