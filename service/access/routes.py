"""Subject endpoints for the right of access."""

from schemas.audit import AccessLogEntry
from schemas.common import Page
from schemas.file import Export, Report
from service.access import service
from service.core.deps import SessionDep, domain_router, read_only
from service.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from service.core.responses import ModelResponse, json_with_lists, problems
from service.principals.deps import SubjectDep

router = domain_router(prefix="/v1/me", tags=["subject"], responses=problems(403))


@router.get(
    "/report",
    summary="Read my whole credit file",
    operation_id="getMyReport",
    response_model=Report,
)
@read_only
def get_report(session: SessionDep, caller: SubjectDep) -> ModelResponse:
    shown = service.read_report(session, subject=caller.principal, now=caller.now)
    return ModelResponse(json_with_lists(shown.report, shown.lists_json()))


@router.get(
    "/access-log",
    summary="Every read and write of my file, newest first",
    operation_id="getMyAccessLog",
    response_model=Page[AccessLogEntry],
    responses=problems(422),
)
def get_access_log(
    session: SessionDep,
    caller: SubjectDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[AccessLogEntry]:
    events, next_cursor = service.read_access_log(
        session, subject=caller.principal, now=caller.now, cursor=cursor, limit=limit
    )
    items = [AccessLogEntry.model_validate(e) for e in events]
    return Page[AccessLogEntry](items=items, next_cursor=next_cursor)


@router.get(
    "/export",
    summary="Everything held about me, machine-readable",
    operation_id="exportMyFile",
    response_model=Export,
)
def get_export(session: SessionDep, caller: SubjectDep) -> ModelResponse:
    return ModelResponse(service.export(session, subject=caller.principal, now=caller.now))
