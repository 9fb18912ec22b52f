"""Lender endpoints: pull a report or a score under a consent, record a decision."""

from fastapi import status

from schemas.lending import DecisionCreate, DecisionRead, LenderReport, LenderScore, PullRequest
from service.core.deps import SessionDep, domain_router
from service.core.errors import (
    ConsentExpired,
    ConsentNotFound,
    ConsentRevoked,
    FileFrozen,
    NotFound,
    PurposeNotCovered,
    RoleNotPermitted,
    ScopeNotCovered,
)
from service.core.responses import ModelResponse, json_with_lists, problems
from service.lending import service
from service.principals.deps import LenderDep

router = domain_router(prefix="/v1/lender", tags=["lender"], responses=problems(403))

#: What a pull may be refused with, each its own problem type.
PULL_PROBLEMS = problems(
    RoleNotPermitted,
    ConsentRevoked,
    ConsentExpired,
    PurposeNotCovered,
    ScopeNotCovered,
    FileFrozen,
    ConsentNotFound,
    422,
)


@router.post(
    "/reports",
    summary="Pull the subject's report under their consent (records an inquiry)",
    operation_id="pullReport",
    response_model=LenderReport,
    responses=PULL_PROBLEMS,
)
def pull_report(session: SessionDep, caller: LenderDep, body: PullRequest) -> ModelResponse:
    pulled = service.pull_report(session, lender=caller.principal, body=body, now=caller.now)
    return ModelResponse(json_with_lists(pulled.report, pulled.lists))


@router.post(
    "/scores",
    summary="Pull the subject's score under their consent (records an inquiry)",
    operation_id="pullScore",
    response_model=LenderScore,
    responses=PULL_PROBLEMS,
)
def pull_score(session: SessionDep, caller: LenderDep, body: PullRequest) -> LenderScore:
    return service.pull_score(session, lender=caller.principal, body=body, now=caller.now)


@router.post(
    "/decisions",
    summary="Record my decision on a score I obtained; an adverse one notifies the subject",
    operation_id="recordDecision",
    status_code=status.HTTP_201_CREATED,
    response_model=DecisionRead,
    responses=problems(ConsentNotFound, NotFound, 409, 422),
)
def record_decision(session: SessionDep, caller: LenderDep, body: DecisionCreate) -> DecisionRead:
    return service.decide(session, lender=caller.principal, body=body, now=caller.now)
