"""The subject's notices: adverse action notices and, with disputes, their results."""

from typing import Annotated

from fastapi import Path

from schemas.common import Page
from schemas.notices import NoticeRead
from service.core.deps import SessionDep, domain_router
from service.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from service.core.responses import problems
from service.notices import service
from service.principals.deps import SubjectDep

router = domain_router(prefix="/v1/me/notices", tags=["subject"], responses=problems(403))

NoticeId = Annotated[str, Path(max_length=40, description="The notice id (ntc_...)")]


@router.get(
    "",
    summary="My notices, newest first: adverse action notices and others",
    operation_id="listMyNotices",
    response_model=Page[NoticeRead],
    responses=problems(422),
)
def list_notices(
    session: SessionDep,
    caller: SubjectDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[NoticeRead]:
    return service.list_notices(
        session, subject=caller.principal, now=caller.now, cursor=cursor, limit=limit
    )


@router.get(
    "/{notice_id}",
    summary="One of my notices",
    operation_id="getMyNotice",
    response_model=NoticeRead,
    responses=problems(404, 422),
)
def get_notice(session: SessionDep, caller: SubjectDep, notice_id: NoticeId) -> NoticeRead:
    return service.get_notice(
        session, subject=caller.principal, notice_id=notice_id, now=caller.now
    )
