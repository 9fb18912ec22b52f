"""Auditor endpoints: read the log, verify the chain."""

from typing import Annotated

from fastapi import Query

from schemas.audit import AuditEventRead, VerifyResult
from schemas.common import Page
from service.audit import service
from service.core.deps import SessionDep, domain_router, in_worker_thread
from service.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from service.core.responses import problems
from service.principals.deps import AuditorDep

router = domain_router(prefix="/v1/audit", tags=["audit"], responses=problems(403))


@router.get(
    "/events",
    summary="List audit events, oldest first",
    operation_id="listAuditEvents",
    response_model=Page[AuditEventRead],
    responses=problems(422),
)
def list_events(
    session: SessionDep,
    _auditor: AuditorDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
    subject_id: str | None = None,
) -> Page[AuditEventRead]:
    events, next_cursor = service.events_page(
        session, subject_id=subject_id, cursor=cursor, limit=limit
    )
    items = [AuditEventRead.model_validate(e) for e in events]
    return Page[AuditEventRead](items=items, next_cursor=next_cursor)


VerifyLimitQuery = Annotated[
    int,
    Query(
        ge=1,
        le=service.MAX_VERIFY_EVENTS,
        description=f"Events to check in this call (1-{service.MAX_VERIFY_EVENTS})",
    ),
]


@router.get(
    "/verify",
    summary="Recompute the hash chains, a page of events at a time, and report the first bad event",
    operation_id="verifyAuditLog",
    response_model=VerifyResult,
    responses=problems(422),
)
@in_worker_thread
def verify(
    session: SessionDep,
    _auditor: AuditorDep,
    limit: VerifyLimitQuery = service.MAX_VERIFY_EVENTS,
    cursor: CursorQuery = None,
) -> VerifyResult:
    result = service.verify(session, cursor=cursor, limit=limit)
    check = result.check
    return VerifyResult(
        valid=check.valid,
        events_checked=check.events_checked,
        first_bad_event=check.first_bad_event,
        reason=check.reason,
        next_cursor=result.next_cursor,
    )
