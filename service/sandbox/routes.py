"""Sandbox operator endpoints (admin only)."""

from fastapi import status

from schemas.common import Page, Role
from schemas.sandbox import (
    ClockRead,
    ClockSet,
    OrganisationCreate,
    PersonaRead,
    PrincipalIssued,
    SandboxReset,
    SubjectCreate,
    SubjectIssued,
)
from service.core.deps import SessionDep, domain_router
from service.core.pagination import (
    DEFAULT_LIMIT,
    CursorQuery,
    LimitQuery,
    decode_int_cursor,
    encode_cursor,
)
from service.core.responses import problems
from service.principals.deps import AdminDep
from service.sandbox import service

router = domain_router(prefix="/v1/sandbox", tags=["sandbox"], responses=problems(403))


@router.post(
    "/subjects",
    summary="Open a file for a fictional person and issue their key",
    operation_id="createSubject",
    status_code=status.HTTP_201_CREATED,
    response_model=SubjectIssued,
    responses=problems(409, 422),
)
def create_subject(body: SubjectCreate, session: SessionDep, caller: AdminDep) -> SubjectIssued:
    issued, subject = service.create_subject(
        session,
        actor=caller.principal,
        now=caller.now,
        given_name=body.given_name,
        family_name=body.family_name,
        date_of_birth=body.date_of_birth,
        national_id=body.national_id,
        address=body.address.model_dump(exclude_none=True) if body.address else None,
    )
    return SubjectIssued(
        id=issued.id,
        role=issued.role,
        name=issued.name,
        api_key=issued.api_key,
        created_at=issued.created_at,
        given_name=subject.given_name,
        family_name=subject.family_name,
        date_of_birth=subject.date_of_birth,
        national_id=subject.national_id,
    )


def _organisation_route(role: Role, operation_id: str) -> None:
    def create(body: OrganisationCreate, session: SessionDep, caller: AdminDep) -> PrincipalIssued:
        issued = service.create_organisation(
            session, actor=caller.principal, now=caller.now, role=role, name=body.name
        )
        return PrincipalIssued.model_validate(issued)

    router.add_api_route(
        f"/{role.value}s",
        create,
        methods=["POST"],
        summary=f"Create a {role.value} and issue its key",
        operation_id=operation_id,
        status_code=status.HTTP_201_CREATED,
        response_model=PrincipalIssued,
        responses=problems(422),
    )


_organisation_route(Role.furnisher, "createFurnisher")
_organisation_route(Role.lender, "createLender")
_organisation_route(Role.auditor, "createAuditor")


@router.get(
    "/clock", summary="Read the sandbox clock", operation_id="getClock", response_model=ClockRead
)
def get_clock(caller: AdminDep) -> ClockRead:
    return ClockRead(now=caller.now)


@router.post(
    "/clock",
    summary="Set or advance the sandbox clock; runs every deadline that falls due",
    operation_id="moveClock",
    response_model=ClockRead,
    responses=problems(409, 422),
)
def move_clock(body: ClockSet, session: SessionDep, caller: AdminDep) -> ClockRead:
    return ClockRead(
        now=service.move_clock(
            session, actor=caller.principal, to=body.now, advance_days=body.advance_days
        )
    )


@router.post(
    "/reset",
    summary="Empty the sandbox, put the clock back at wall time and reload the personas",
    operation_id="resetSandbox",
    response_model=SandboxReset,
    responses=problems(),
)
def reset(session: SessionDep, caller: AdminDep) -> SandboxReset:
    return service.reset(session, actor=caller.principal)


@router.get(
    "/personas",
    summary="List the fixture personas with their fixed keys and what each demonstrates",
    operation_id="listPersonas",
    response_model=Page[PersonaRead],
    responses=problems(422),
)
def list_personas(
    _admin: AdminDep,
    role: Role | None = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[PersonaRead]:
    items, after = service.list_personas(
        role=role, offset=decode_int_cursor(cursor) or 0, limit=limit
    )
    nxt = None if after is None else encode_cursor(after)
    return Page[PersonaRead](items=items, next_cursor=nxt)
