"""The subject's right of access (FCRA 609, GDPR 15 and 20): report, export, access log.

Every read is itself recorded in the audit log, in the same transaction.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from schemas.audit import AccessLogEntry
from schemas.disputes import DisputeRead
from schemas.file import Export
from service.audit import purposes
from service.audit import service as audit
from service.audit.models import AuditEvent
from service.core.cache import LruCache
from service.core.security import Principal
from service.disputes import service as disputes
from service.file import service as file_service
from service.file.service import CachedReport

#: The most files whose disputes are kept (least recently read out first).
DISPUTES_CACHE_MAX_FILES = 10_000

#: The subject's disputes as the report lists them, keyed by subject, with the file revision
#: they were read at: the database replaces the revision on every change to a dispute
#: (migration 0006), so an entry is used only while it matches.
_DISPUTES_CACHE: LruCache[str, tuple[str, list[DisputeRead]]] = LruCache(DISPUTES_CACHE_MAX_FILES)


def _with_disputes(
    session: Session, shown: CachedReport, *, subject_id: str, now: datetime
) -> CachedReport:
    """The report with the subject's disputes (each with its days left on the clock)."""
    entry = _DISPUTES_CACHE.get(subject_id)
    if entry is not None and entry[0] == shown.revision:
        listed = disputes.with_days_left(entry[1], now)
    else:
        listed = disputes.disputes_for_report(session, subject_id=subject_id, now=now)
        _DISPUTES_CACHE.put(subject_id, (shown.revision, listed))
    if not listed:
        return shown
    report = shown.report.model_copy(update={"disputes": listed})
    return CachedReport(report, shown.items, shown.revision)


def read_report(session: Session, *, subject: Principal, now: datetime) -> CachedReport:
    report = _with_disputes(
        session,
        file_service.build_cached_report(session, subject_id=subject.id, now=now),
        subject_id=subject.id,
        now=now,
    )
    audit.record_read(
        session,
        actor=subject,
        action="report.read",
        now=now,
        subject_id=subject.id,
        purpose=purposes.SELF_ACCESS,
        resource_type="report",
        resource_id=subject.id,
    )
    return report


def read_access_log(
    session: Session, *, subject: Principal, now: datetime, cursor: str | None, limit: int
) -> tuple[Sequence[AuditEvent], str | None]:
    """The subject's view of the audit log, newest first. Reading it is itself logged,
    after the page is read, so the page shows every access before this one."""
    page = audit.events_page(
        session, subject_id=subject.id, cursor=cursor, limit=limit, newest_first=True
    )
    audit.record(
        session,
        actor=subject,
        action="access_log.read",
        now=now,
        subject_id=subject.id,
        purpose=purposes.SELF_ACCESS,
        resource_type="access_log",
        resource_id=subject.id,
    )
    return page


def export(session: Session, *, subject: Principal, now: datetime) -> Export:
    report = _with_disputes(
        session,
        file_service.build_cached_report(session, subject_id=subject.id, now=now),
        subject_id=subject.id,
        now=now,
    ).report
    audit.record(
        session,
        actor=subject,
        action="file.exported",
        now=now,
        subject_id=subject.id,
        purpose=purposes.SELF_ACCESS,
        resource_type="export",
        resource_id=subject.id,
    )
    log: list[AccessLogEntry] = []
    after: int | None = None
    while True:
        page = audit.list_events(session, subject_id=subject.id, after_id=after, limit=1000)
        log.extend(AccessLogEntry.model_validate(e) for e in page)
        if len(page) < 1000:
            break
        after = page[-1].id
    return Export(exported_at=now, report=report, access_log=log)
