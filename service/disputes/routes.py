"""Disputes: the subject files and follows them, the furnisher answers, the auditor counts."""

from typing import Annotated

from fastapi import Path, Query, status

from schemas.common import Page
from schemas.disputes import (
    DisputeAnswer,
    DisputeCreate,
    DisputeInformation,
    DisputeRead,
    DisputeStats,
    DisputeStatus,
    FurnisherDisputeRead,
    Reinsertion,
    StatementCreate,
    StatementRead,
)
from service.core.deps import SessionDep, domain_router
from service.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from service.core.responses import problems
from service.disputes import service
from service.principals.deps import AuditorDep, FurnisherDep, SubjectDep

router = domain_router(prefix="/v1/me", tags=["disputes"], responses=problems(403))
furnisher_router = domain_router(
    prefix="/v1/furnisher/disputes", tags=["furnisher"], responses=problems(403)
)
audit_router = domain_router(prefix="/v1/audit", tags=["audit"], responses=problems(403))

DisputeId = Annotated[str, Path(max_length=40, description="The dispute id (dsp_...)")]


@router.post(
    "/disputes",
    summary="Dispute an item of my file (or one field of it)",
    operation_id="fileDispute",
    status_code=status.HTTP_201_CREATED,
    response_model=DisputeRead,
    responses=problems(409, 422),
)
def file_dispute(session: SessionDep, caller: SubjectDep, body: DisputeCreate) -> DisputeRead:
    return service.file_dispute(session, subject=caller.principal, body=body, now=caller.now)


@router.get(
    "/disputes",
    summary="My disputes, newest first",
    operation_id="listMyDisputes",
    response_model=Page[DisputeRead],
    responses=problems(422),
)
def list_disputes(
    session: SessionDep,
    caller: SubjectDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[DisputeRead]:
    return service.list_disputes(
        session, subject=caller.principal, now=caller.now, cursor=cursor, limit=limit
    )


@router.get(
    "/disputes/{dispute_id}",
    summary="One of my disputes, with its deadline on the sandbox clock",
    operation_id="getMyDispute",
    response_model=DisputeRead,
    responses=problems(404, 422),
)
def get_dispute(session: SessionDep, caller: SubjectDep, dispute_id: DisputeId) -> DisputeRead:
    return service.get_dispute(
        session, subject=caller.principal, dispute_id=dispute_id, now=caller.now
    )


@router.post(
    "/disputes/{dispute_id}/information",
    summary="Add information to my open dispute (in its first 30 days: 45-day deadline)",
    operation_id="addDisputeInformation",
    response_model=DisputeRead,
    responses=problems(404, 409, 422),
)
def add_information(
    session: SessionDep, caller: SubjectDep, dispute_id: DisputeId, body: DisputeInformation
) -> DisputeRead:
    return service.add_information(
        session, subject=caller.principal, dispute_id=dispute_id, text=body.text, now=caller.now
    )


@router.post(
    "/statements",
    summary="Add my statement (at most 100 words) about a dispute verified against me",
    operation_id="addStatement",
    status_code=status.HTTP_201_CREATED,
    response_model=StatementRead,
    responses=problems(409, 422),
)
def add_statement(session: SessionDep, caller: SubjectDep, body: StatementCreate) -> StatementRead:
    return service.add_statement(session, subject=caller.principal, body=body, now=caller.now)


@furnisher_router.get(
    "",
    summary="Disputes of my accounts, newest first",
    operation_id="listFurnisherDisputes",
    response_model=Page[FurnisherDisputeRead],
    responses=problems(422),
)
def list_furnisher_disputes(
    session: SessionDep,
    caller: FurnisherDep,
    dispute_status: Annotated[
        DisputeStatus | None, Query(alias="status", description="open, resolved or frivolous")
    ] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[FurnisherDisputeRead]:
    return service.furnisher_disputes(
        session, furnisher=caller.principal, status=dispute_status, cursor=cursor, limit=limit
    )


@furnisher_router.post(
    "/{dispute_id}/response",
    summary="Answer a dispute of my account: verified, modified (with corrections) or deleted",
    operation_id="answerDispute",
    response_model=FurnisherDisputeRead,
    responses=problems(404, 409, 422),
)
def answer_dispute(
    session: SessionDep, caller: FurnisherDep, dispute_id: DisputeId, body: DisputeAnswer
) -> FurnisherDisputeRead:
    return service.answer(
        session, furnisher=caller.principal, dispute_id=dispute_id, body=body, now=caller.now
    )


@furnisher_router.post(
    "/{dispute_id}/reinsertion",
    summary="Put back an item a dispute removed, certifying it is complete and accurate",
    operation_id="reinsertItem",
    response_model=FurnisherDisputeRead,
    responses=problems(404, 409, 422),
)
def reinsert(
    session: SessionDep, caller: FurnisherDep, dispute_id: DisputeId, body: Reinsertion
) -> FurnisherDisputeRead:
    return service.reinsert(
        session, furnisher=caller.principal, dispute_id=dispute_id, body=body, now=caller.now
    )


@audit_router.get(
    "/disputes",
    summary="Dispute statistics: open, resolved by outcome, median days, overdue",
    operation_id="getDisputeStats",
    response_model=DisputeStats,
)
def dispute_stats(session: SessionDep, caller: AuditorDep) -> DisputeStats:
    return service.stats(session, now=caller.now)
