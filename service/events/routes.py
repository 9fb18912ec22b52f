"""The event feed: each principal's own events, for consumers who poll."""

from typing import Annotated

from fastapi import Query

from schemas.common import Page
from schemas.events import EventRead, EventType
from service.core.deps import SessionDep, domain_router
from service.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from service.core.responses import problems
from service.events import service
from service.principals.deps import AnyRoleDep

router = domain_router(prefix="/v1/events", tags=["events"], responses=problems(403))

TypesQuery = Annotated[
    list[EventType] | None, Query(alias="type", description="Only events of these types")
]


@router.get(
    "",
    summary="My events, oldest first from the cursor",
    operation_id="listMyEvents",
    response_model=Page[EventRead],
    responses=problems(422),
)
def list_events(
    session: SessionDep,
    caller: AnyRoleDep,
    type: TypesQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[EventRead]:
    return service.feed(
        session, caller=caller.principal, types=type or [], cursor=cursor, limit=limit
    )
