"""The credit file: assemble it for its subject, and purge what has aged off."""

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, NamedTuple

from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from schemas.common import Purpose, Role
from schemas.consent import ConsentRead, FraudAlertRead, FreezeRead
from schemas.disputes import StatementRead
from schemas.file import (
    Identity,
    InquiryKind,
    InquiryRead,
    PublicRecordRead,
    Report,
    Source,
)
from schemas.furnishing import AccountRead
from schemas.lending import LenderAccount
from service.audit import purposes
from service.audit import service as audit
from service.consent import service as consent
from service.consent.rules import start_of
from service.core.cache import LruCache
from service.core.errors import NotFound
from service.core.security import Principal, ProcessIds, SequentialIds, new_id
from service.file import queries
from service.file.models import ItemFlag, PublicRecord, Statement
from service.file.rules import (
    DISAGREES_CODE,
    DISPUTED,
    DISPUTED_CODE,
    SUPPRESSED,
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


@dataclass(frozen=True, slots=True)
class LenderView:
    """What a lender's report shows of the file's items: the accounts without their
    versions and the hard inquiries (soft ones are the subject's alone), as JSON lists
    (each item's JSON, comma-joined). The hard inquiries' JSON is kept in pieces, newest
    first, to be comma-joined: each piece one inquiry's JSON, or a run of several already
    joined, so that adding one copies neither the others nor a reference to each. The
    first ``loose`` pieces are single inquiries, added since the last run was made."""

    accounts_json: bytes
    hard_inquiries_json: tuple[bytes, ...]
    loose: int = 0


#: The most inquiries added to held items (``_with_inquiry``) that are kept apart from the
#: rest before they are merged into it: each addition copies only those kept apart, and
#: every this many additions the whole list of references once (the lender view's JSON:
#: those kept apart joined into one run; the runs before are not copied again).
RECENT_INQUIRIES_MAX = 64


@dataclass(frozen=True)
class FileItems:
    """What the report shows of a file on one day: built once per file revision and day,
    with each list's JSON made once (each item's JSON, comma-joined, in the list's order).

    The inquiries, newest first, are ``recent`` and then ``earlier``: those this process
    added to held items since they were built (or last merged), and the rest; the report's
    whole list (``inquiries``, ``inquiries_json``) is made from them on its first read."""

    accounts: list[AccountRead]
    earlier: tuple[InquiryRead, ...]
    public_records: list[PublicRecordRead]
    sources: list[Source]
    consents: list[ConsentRead]
    freeze: FreezeRead
    fraud_alerts: list[FraudAlertRead]
    statements: list[StatementRead]
    accounts_json: bytes
    #: Each of ``earlier``'s JSON, kept apart so that adding one copies no other.
    earlier_json: tuple[bytes, ...]
    recent: tuple[InquiryRead, ...] = ()
    recent_json: tuple[bytes, ...] = ()

    @functools.cached_property
    def inquiries(self) -> list[InquiryRead]:
        """Every inquiry on the file, newest first."""
        return [*self.recent, *self.earlier]

    @functools.cached_property
    def inquiries_json(self) -> tuple[bytes, ...]:
        """Each of ``inquiries``' JSON, in their order."""
        return (*self.recent_json, *self.earlier_json) if self.recent else self.earlier_json

    @functools.cached_property
    def lender_view(self) -> LenderView:
        """Made on the first lender read of these items, then kept with them."""
        hard = b",".join(
            one
            for one, i in zip(self.inquiries_json, self.inquiries, strict=True)
            if i.kind is InquiryKind.hard
        )
        return LenderView(
            accounts_json=b",".join(map(_lender_account_json, self.accounts)),
            hard_inquiries_json=(hard,) if hard else (),
        )


_INQUIRY = TypeAdapter(InquiryRead)


def _lender_account_json(account: AccountRead) -> bytes:
    shown = LenderAccount.model_validate(account, from_attributes=True)
    data: bytes = shown.__pydantic_serializer__.to_json(shown)
    return data


@dataclass(frozen=True, slots=True)
class CachedReport:
    """A report, and the items it was made from, whose lists' JSON is already made, so that
    answering with the report need not serialise every account and inquiry again
    (``service.core.responses.json_with_lists``); and the file revision they are of."""

    report: Report
    items: FileItems
    revision: str

    def lists_json(self) -> dict[str, bytes | tuple[bytes, ...]]:
        return {"accounts": self.items.accounts_json, "inquiries": self.items.inquiries_json}


#: The most files whose items are kept (least recently read out first): one entry a subject.
ITEMS_CACHE_MAX_FILES = 10_000

#: The items of files, keyed by subject, each stored with the file revision and the day it
#: was built for. The database replaces a file's revision on every change to its items
#: (migrations 0004 and 0005), and what is shown depends otherwise only on the day
#: (obsolescence), so an entry is used only while both match; nothing in it is changed once
#: stored. The items of a new revision or day replace the superseded ones under the same
#: subject: built again from the database, or, for an inquiry this process recorded, the
#: superseded items with that inquiry added (``add_inquiry``).
_ITEMS_CACHE: LruCache[str, tuple[str, date, FileItems]] = LruCache(ITEMS_CACHE_MAX_FILES)


def build_report(session: Session, *, subject_id: str, now: datetime) -> Report:
    """The whole current file; items past their obsolescence date are left out."""
    return build_cached_report(session, subject_id=subject_id, now=now).report


@dataclass(frozen=True, slots=True)
class FileAsRead:
    """A file as one transaction read it: the identity it is kept under, the items it shows
    on the day, and the revision they are of."""

    identity: Identity
    items: FileItems
    revision: str


def read_file(
    session: Session, *, subject_id: str, now: datetime, lock: bool = False
) -> FileAsRead:
    """The file's identity and items on ``now``'s day (the items from the cache while the
    file's revision and the day match). With ``lock``, the file cannot change until the
    transaction ends: for a read that then writes to it (a lender's pull and its inquiry)."""
    found = principals.identity_and_file_revision(session, subject_id, lock=lock)
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
    return FileAsRead(identity, items, revision)


def build_cached_report(
    session: Session, *, subject_id: str, now: datetime, lock: bool = False
) -> CachedReport:
    """``build_report``, with the items it was made from (and their lists' JSON). With
    ``lock``, as ``read_file``."""
    file = read_file(session, subject_id=subject_id, now=now, lock=lock)
    items = file.items
    report = Report(
        subject=file.identity,
        generated_at=now,
        accounts=items.accounts,
        inquiries=items.inquiries,
        public_records=items.public_records,
        consents=items.consents,
        freeze=items.freeze,
        fraud_alerts=items.fraud_alerts,
        statements=items.statements,
        sources=items.sources,
    )
    return CachedReport(report, items, file.revision)


def _inquiry_read(row: Any, lender_name: str) -> InquiryRead:
    return InquiryRead(
        id=row.id,
        lender_id=row.lender_id,
        lender_name=lender_name,
        purpose=row.purpose,
        kind=row.kind,
        at=row.at,
        obsolete_on=inquiry_obsolete_on(row.at),
    )


@dataclass(frozen=True, slots=True)
class _Flags:
    """The flags in force on a file: items under dispute, items taken off it, and the
    items the subject has a statement about."""

    disputed: frozenset[tuple[str, str]]
    suppressed: frozenset[tuple[str, str]]
    with_statement: frozenset[tuple[str, str]]


def _flags(session: Session, subject_id: str, statements: Sequence[Any]) -> _Flags:
    disputed: set[tuple[str, str]] = set()
    suppressed: set[tuple[str, str]] = set()
    for kind, item_type, item_id, _field, _dispute in queries.active_flags(session, subject_id):
        (disputed if kind == DISPUTED else suppressed).add((item_type, item_id))
    return _Flags(
        disputed=frozenset(disputed),
        suppressed=frozenset(suppressed),
        with_statement=frozenset((s.item_type, s.item_id) for s in statements),
    )


def _flagged(account: AccountRead, account_json: bytes, flags: _Flags) -> tuple[AccountRead, bytes]:
    """The account as the file shows it under a dispute (XB) or a statement (XC)."""
    key = ("account", account.id)
    if key in flags.disputed:
        code = DISPUTED_CODE
    elif key in flags.with_statement:
        code = DISAGREES_CODE
    else:
        return account, account_json
    shown = account.model_copy(
        update={"compliance_condition_code": code, "disputed": code == DISPUTED_CODE}
    )
    data: bytes = shown.__pydantic_serializer__.to_json(shown)
    return shown, data


def _items_of_file(session: Session, *, subject_id: str, today: date) -> FileItems:
    statement_rows = queries.statements_of_subject(session, subject_id)
    flags = _flags(session, subject_id, statement_rows)
    sources: dict[str, Source] = {}
    accounts = []
    accounts_json = []
    for account, account_json in furnishing.account_views_of_subject(session, subject_id):
        if ("account", account.id) in flags.suppressed or not account_on_file(
            status=account.status.value,
            account_type=account.account_type.value,
            date_of_first_delinquency=account.date_of_first_delinquency,
            today=today,
        ):
            continue
        account, account_json = _flagged(account, account_json, flags)
        accounts.append(account)
        accounts_json.append(account_json)
        furnisher = account.furnisher
        if furnisher.id not in sources:
            sources[furnisher.id] = Source(
                id=furnisher.id, name=furnisher.name, role=Role.furnisher, supplied=["accounts"]
            )
    inquiries = []
    for inquiry, lender_name in queries.inquiries_of_subject(session, subject_id):
        key = ("inquiry", inquiry.id)
        if key in flags.suppressed or not inquiry_on_file(at=inquiry.at, today=today):
            continue
        read = _inquiry_read(inquiry, lender_name)
        if key in flags.disputed:
            read = read.model_copy(update={"disputed": True})
        inquiries.append(read)
        src = sources.setdefault(
            inquiry.lender_id,
            Source(id=inquiry.lender_id, name=lender_name, role=Role.lender, supplied=[]),
        )
        if "inquiries" not in src.supplied:
            src.supplied.append("inquiries")
    records = []
    for record in queries.public_records_of_subject(session, subject_id):
        if ("public_record", record.id) in flags.suppressed or not public_record_on_file(
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
                disputed=("public_record", record.id) in flags.disputed,
            )
        )
    # Consents and fraud alerts change state at the start of a day, so for the whole of
    # ``today`` (the day the items are cached for) they read as they do at its start.
    start = start_of(today)
    return FileItems(
        accounts=accounts,
        earlier=tuple(inquiries),
        public_records=records,
        sources=list(sources.values()),
        consents=consent.consents_for_report(session, subject_id=subject_id, now=start),
        freeze=consent.freeze_state(session, subject_id=subject_id),
        fraud_alerts=consent.fraud_alerts_for_report(session, subject_id=subject_id, now=start),
        statements=[StatementRead.model_validate(row) for row in statement_rows],
        accounts_json=b",".join(accounts_json),
        earlier_json=tuple(_INQUIRY.dump_json(i) for i in inquiries),
    )


def _with_inquiry(items: FileItems, inquiry: InquiryRead) -> FileItems | None:
    """``items`` with a new ``inquiry`` added, showing exactly what ``_items_of_file`` would
    build after it; None where that would take more than adding it (it does not come first
    in the report's order, or its lender has supplied no inquiry yet).

    The new inquiry joins ``recent`` (and, if hard, the lender view's pieces), so adding one
    copies neither the other inquiries nor a reference to each; past
    ``RECENT_INQUIRIES_MAX`` they are merged into the rest."""
    newest = items.recent or items.earlier
    if newest:
        top = newest[0]  # newest first, ties by id
        if not (inquiry.at > top.at or (inquiry.at == top.at and inquiry.id < top.id)):
            return None
    lender = next((s for s in items.sources if s.id == inquiry.lender_id), None)
    if lender is None or "inquiries" not in lender.supplied:
        return None
    # Sources list the furnishers, then the lenders by their newest inquiry: this one first.
    furnishers = [s for s in items.sources if s.role is Role.furnisher]
    lenders = [s for s in items.sources if s.role is not Role.furnisher and s is not lender]
    one = _INQUIRY.dump_json(inquiry)
    recent, recent_json = (inquiry, *items.recent), (one, *items.recent_json)
    earlier, earlier_json = items.earlier, items.earlier_json
    if len(recent) > RECENT_INQUIRIES_MAX:
        earlier, earlier_json = (*recent, *earlier), (*recent_json, *earlier_json)
        recent, recent_json = (), ()
    extended = dataclasses.replace(
        items,
        sources=[*furnishers, lender, *lenders],
        earlier=earlier,
        earlier_json=earlier_json,
        recent=recent,
        recent_json=recent_json,
    )
    if "lender_view" in items.__dict__:
        view = items.lender_view
        if inquiry.kind is InquiryKind.hard:
            # Past the most kept loose, they become one run; the runs before are left as
            # they are (joining the whole list again would copy it all, every so many pulls).
            pieces, loose = (one, *view.hard_inquiries_json), view.loose + 1
            if loose > RECENT_INQUIRIES_MAX:
                pieces, loose = (b",".join(pieces[:loose]), *pieces[loose:]), 0
            view = LenderView(view.accounts_json, pieces, loose)
        extended.__dict__["lender_view"] = view
    return extended


@dataclass(frozen=True)
class Obsolete:
    """The items past their obsolescence date at a moment (``obsolete``), to ``purge``."""

    accounts: list[Any]
    records: list[PublicRecord]
    inquiries: list[tuple[str, str]]  # (id, subject_id)

    @property
    def subject_ids(self) -> set[str]:
        return (
            {a.subject_id for a in self.accounts}
            | {r.subject_id for r in self.records}
            | {subject_id for _, subject_id in self.inquiries}
        )


def purge_obsolete(session: Session, *, now: datetime) -> int:
    """Delete every item past its obsolescence date (FCRA 605), auditing each purge
    (``purge`` of ``obsolete``). Returns how many items were purged."""
    return purge(session, obsolete(session, now=now), now=now)


def obsolete(session: Session, *, now: datetime) -> Obsolete:
    """The items past their obsolescence date (FCRA 605) at ``now``."""
    today = now.date()
    cutoff = earliest_possible_obsolete_cutoff(today)
    accounts = [
        account
        for account in furnishing.adverse_accounts_dated_before(session, cutoff)
        if is_obsolete(furnishing.obsolete_on(account), today)
    ]
    records = [
        record
        for record in queries.public_records_filed_before(session, cutoff)
        if is_obsolete(
            bankruptcy_obsolete_on(
                chapter=record.chapter, status=record.status, filed_on=record.filed_on
            ),
            today,
        )
    ]
    # Every inquiry made before the midnight that ends the last day that can be due.
    due_before = datetime.combine(
        latest_obsolete_inquiry_day(today) + timedelta(days=1), time.min, tzinfo=UTC
    )
    inquiries = [
        (inquiry_id, subject_id)
        for inquiry_id, subject_id, at in queries.inquiries_before(session, due_before)
        if is_obsolete(inquiry_obsolete_on(at), today)
    ]
    return Obsolete(accounts, list(records), inquiries)


def purge(
    session: Session,
    items: Obsolete,
    *,
    now: datetime,
    heads: audit.LockedHeads | None = None,
) -> int:
    """Delete ``items`` (``obsolete`` at ``now``), auditing each purge: one event per item on
    its subject's chain, appended together (``audit.record_bulk``: the events and hashes
    recording each in turn would give; on ``heads`` if locked ahead), then the items
    deleted. Returns how many items were purged."""
    accounts, records, inquiries = items.accounts, items.records, items.inquiries
    purged = (
        [("account", a.subject_id, a.id) for a in accounts]
        + [("public_record", r.subject_id, r.id) for r in records]
        + [("inquiry", subject_id, inquiry_id) for inquiry_id, subject_id in inquiries]
    )
    audit.record_bulk(
        session,
        events=[
            audit.NewEvent(
                actor=RULE_ACTOR,
                action=f"{kind}.purged_obsolete",
                subject_id=subject_id,
                purpose=purposes.OBSOLESCENCE,
                resource_type=kind,
                resource_id=item_id,
            )
            for kind, subject_id, item_id in purged
        ],
        now=now,
        heads=heads,
    )
    # Each file's revision is replaced once, not once per item deleted from it.
    with principals.file_revisions_replaced_once(session, {s for _, s, _ in purged}):
        for account in accounts:
            furnishing.delete_account(session, account)
        for record in records:
            session.delete(record)
        queries.delete_inquiries(session, inquiries)
    return len(purged)


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


#: The ids of inquiries recorded one at a time (every lender's pull records one).
_INQUIRY_IDS = ProcessIds("inq")


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
    lender_name: str | None = None,
    locked: FileAsRead | None = None,
) -> str:
    """Record that ``lender_id`` read the subject's file at ``at`` for ``purpose``; the new
    inquiry's id. Audited as ``action`` (a lender's pull names the read: ``report.pulled``).

    The file's revision is locked first (PostgreSQL ``FOR UPDATE``; SQLite writes one at a
    time anyway), unless the caller read the file locked in this transaction (``locked``,
    from ``read_file(lock=True)``), so between that read and the inquiry's insert nothing
    else changes the file: the items of the revision after are those read with this
    inquiry added, and are kept without reading the file again. (With ``lender_name``;
    without it the next read builds them.)"""
    today = now.date()
    if locked is None:
        before = principals.lock_file_revision(session, subject_id)
        entry = _ITEMS_CACHE.get(subject_id)
        held = entry[2] if entry is not None and entry[0] == before and entry[1] == today else None
    else:
        held = locked.items
    inquiry_id = _INQUIRY_IDS.next()
    queries.insert_inquiry(
        session,
        {
            "id": inquiry_id,
            "subject_id": subject_id,
            "lender_id": lender_id,
            "purpose": purpose.value,
            "kind": kind.value,
            "at": at,
        },
    )
    audit.record(
        session,
        actor=actor,
        action=action,
        now=now,
        subject_id=subject_id,
        purpose=purpose.value,
        resource_type="inquiry",
        resource_id=inquiry_id,
    )
    if held is not None and lender_name is not None and inquiry_on_file(at=at, today=today):
        read = InquiryRead(
            id=inquiry_id,
            lender_id=lender_id,
            lender_name=lender_name,
            purpose=purpose,
            kind=kind,
            at=at,
            obsolete_on=inquiry_obsolete_on(at),
        )
        extended = _with_inquiry(held, read)
        if extended is not None:
            after = principals.file_revision(session, subject_id)
            if after is not None:
                _ITEMS_CACHE.put(subject_id, (after, today, extended))
    return inquiry_id


# --- what a dispute does to the file ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemOnFile:
    """An item the subject may dispute, and who must answer for it: an account's furnisher
    (with its reference); None for the items the bureau itself investigates."""

    item_type: str
    item_id: str
    furnisher_id: str | None
    account_ref: str | None


def item_on_file(
    session: Session, *, subject_id: str, item_type: str, item_id: str, now: datetime
) -> ItemOnFile | None:
    """The item if it is on the subject's file now (not suppressed, not obsolete), else
    None; the identity's id is the subject's own."""
    report = build_report(session, subject_id=subject_id, now=now)
    if item_type == "identity":
        found = item_id == subject_id
        return ItemOnFile(item_type, item_id, None, None) if found else None
    if item_type == "account":
        for account in report.accounts:
            if account.id == item_id:
                return ItemOnFile(item_type, item_id, account.furnisher.id, account.account_ref)
        return None
    listed = report.inquiries if item_type == "inquiry" else report.public_records
    return (
        ItemOnFile(item_type, item_id, None, None) if any(i.id == item_id for i in listed) else None
    )


def _flag(
    session: Session,
    *,
    subject_id: str,
    item_type: str,
    item_id: str,
    kind: str,
    dispute_id: str,
    now: datetime,
    field: str | None = None,
    reason: str | None = None,
) -> None:
    flag = ItemFlag(
        id=new_id("flg"),
        subject_id=subject_id,
        item_type=item_type,
        item_id=item_id,
        field=field,
        kind=kind,
        dispute_id=dispute_id,
        reason=reason,
        since=now,
    )
    queries.add_rows(session, [flag])


def flag_disputed(
    session: Session,
    *,
    subject_id: str,
    item_type: str,
    item_id: str,
    field: str | None,
    dispute_id: str,
    now: datetime,
) -> None:
    """Mark the item as disputed everywhere it appears (XB), from now until the dispute
    ends (GDPR 18)."""
    _flag(
        session,
        subject_id=subject_id,
        item_type=item_type,
        item_id=item_id,
        kind=DISPUTED,
        dispute_id=dispute_id,
        now=now,
        field=field,
    )


def end_disputed_flags(session: Session, *, dispute_ids: Sequence[str], now: datetime) -> None:
    queries.end_flags(session, dispute_ids, DISPUTED, now)


def suppress(
    session: Session,
    *,
    subject_id: str,
    item_type: str,
    item_id: str,
    dispute_id: str,
    reason: str,
    now: datetime,
) -> None:
    """Take the item off the file (report, score, every lender's report) until a certified
    reinsertion."""
    _flag(
        session,
        subject_id=subject_id,
        item_type=item_type,
        item_id=item_id,
        kind=SUPPRESSED,
        dispute_id=dispute_id,
        now=now,
        reason=reason,
    )


class NewFlag(NamedTuple):
    subject_id: str
    item_type: str
    item_id: str
    dispute_id: str
    reason: str


def suppress_bulk(session: Session, *, flags: Sequence[NewFlag], now: datetime) -> None:
    """``suppress`` for many items at once (a deadline run)."""
    ids = SequentialIds("flg")
    queries.insert_flags_bulk(
        session,
        [(ids.next(), f.subject_id, f.item_type, f.item_id, f.dispute_id, f.reason) for f in flags],
        kind=SUPPRESSED,
        since=now,
    )


def any_suppressed_between(session: Session, *, first: str, last: str) -> bool:
    """Whether a subject whose id is in ``[first, last]`` has an item a dispute took off."""
    return queries.any_suppressed_between(session, first, last)


def suppressed_items(session: Session, *, subject_ids: Sequence[str]) -> set[tuple[str, str]]:
    """(item_type, item_id) of every item taken off the files of ``subject_ids`` (a bulk
    reader of the files leaves them out, as the report does)."""
    return set(queries.suppressed_items_of_subjects(session, subject_ids))


def reinsert(session: Session, *, dispute_id: str, certification: str, now: datetime) -> bool:
    """Put back the item the dispute suppressed (FCRA 611(a)(5)(B)); False if it is not
    suppressed."""
    flag = queries.flag_of_dispute(session, dispute_id, SUPPRESSED)
    if flag is None:
        return False
    flag.until = now
    flag.certification = certification
    session.flush()
    return True


def add_statement(
    session: Session,
    *,
    subject_id: str,
    dispute_id: str,
    item_type: str,
    item_id: str,
    text: str,
    now: datetime,
) -> StatementRead:
    statement = Statement(
        id=new_id("stm"),
        subject_id=subject_id,
        dispute_id=dispute_id,
        item_type=item_type,
        item_id=item_id,
        text=text,
        at=now,
    )
    queries.add_rows(session, [statement])
    return StatementRead.model_validate(statement)


def has_statement(session: Session, dispute_id: str) -> bool:
    return queries.statement_of_dispute(session, dispute_id) is not None


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
    audit event is written per inquiry: the job records one event for its whole batch.

    Their ids ascend with their moments (ties in the order given), as a live pull's do
    (``ProcessIds``, issued as inquiries are made): the inquiries that age off the file
    together (FCRA 605(a)(3), ``purge_obsolete``) are then neighbours in the primary key,
    which is SQLite's table. With ids in the order given (by subject), a month's purge of a
    100,000-subject population deleted one or two rows from each of 5,494 pages of it, every
    one read and written again. The rows are written in the order given all the same: so
    PostgreSQL's heap keeps each subject's inquiries together, for the batch reads of a
    range of subjects (``score --all``)."""
    ids = SequentialIds("inq")
    by_moment = sorted(range(len(inquiries)), key=lambda k: inquiries[k].at)
    id_of = dict(zip(by_moment, ids.take(len(inquiries)), strict=True))
    queries.insert_inquiries_bulk(
        session,
        [
            {
                "id": id_of[k],
                "subject_id": i.subject_id,
                "lender_id": i.lender_id,
                "purpose": i.purpose.value,
                "kind": i.kind.value,
                "at": i.at,
            }
            for k, i in enumerate(inquiries)
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
