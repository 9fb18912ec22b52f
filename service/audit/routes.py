"""Auditor endpoints: read the log, verify the chain."""

from schemas.audit import AuditEventRead, VerifyResult
from schemas.common import Page
from service.audit import service
from service.core.deps import SessionDep, domain_router
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


@router.get(
    "/verify",
    summary="Recompute the hash chains and report the first bad event",
    operation_id="verifyAuditLog",
    response_model=VerifyResult,
)
def verify(session: SessionDep, _auditor: AuditorDep) -> VerifyResult:
    return VerifyResult.model_validate(service.verify(session))
