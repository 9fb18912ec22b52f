"""Scoring endpoints: the published scorecards (public) and the subject's own score."""

from typing import Annotated, Any

from fastapi import Path

from schemas.common import Page
from schemas.scoring import (
    ModelRead,
    ModelSummary,
    ReceiptRead,
    ReceiptSummary,
    ScoreRead,
    SimulationRead,
    SimulationRequest,
)
from service.core.deps import SessionDep, domain_router
from service.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from service.core.responses import ModelResponse, problems
from service.principals.deps import SubjectDep
from service.scoring import service


def _public(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Declared problems of an endpoint that needs no key (so never 401)."""
    return {k: v for k, v in problems(*statuses).items() if k != 401}


models_router = domain_router(prefix="/v1/models", tags=["public"])
router = domain_router(prefix="/v1/me/score", tags=["scoring"], responses=problems(403))

ModelVersion = Annotated[str, Path(max_length=64, description="The model version")]
ReceiptId = Annotated[str, Path(max_length=40, description="The receipt id (rcp_...)")]


@models_router.get(
    "",
    summary="The published scoring models",
    operation_id="listModels",
    response_model=Page[ModelSummary],
    responses=_public(422),
)
def list_models(
    limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> Page[ModelSummary]:
    return service.published_models(cursor=cursor, limit=limit)


@models_router.get(
    "/{version}",
    summary="A published scorecard: every characteristic, bin, point and reason",
    operation_id="getModel",
    response_model=ModelRead,
    responses=_public(404, 422),
)
def get_model(version: ModelVersion) -> ModelRead:
    return service.published_model(version)


@router.get(
    "",
    summary="My score, with its factors, reasons and the actions that would raise it",
    operation_id="getMyScore",
    response_model=ScoreRead,
)
def get_score(session: SessionDep, caller: SubjectDep) -> ModelResponse:
    return ModelResponse(service.score_me(session, subject=caller.principal, now=caller.now))


@router.post(
    "/simulate",
    summary="What hypothetical changes would do to my score",
    operation_id="simulateMyScore",
    response_model=SimulationRead,
    responses=problems(422),
)
def simulate(session: SessionDep, caller: SubjectDep, body: SimulationRequest) -> SimulationRead:
    return service.simulate(session, subject=caller.principal, now=caller.now, request=body)


@router.get(
    "/history",
    summary="Every score issued on my file, newest first",
    operation_id="getMyScoreHistory",
    response_model=Page[ReceiptSummary],
    responses=problems(422),
)
def get_history(
    session: SessionDep,
    caller: SubjectDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[ReceiptSummary]:
    return service.history(
        session, subject=caller.principal, now=caller.now, cursor=cursor, limit=limit
    )


@router.get(
    "/receipts/{receipt_id}",
    summary="One of my score receipts, recomputed from its stored inputs",
    operation_id="getMyScoreReceipt",
    response_model=ReceiptRead,
    responses=problems(404, 422),
)
def get_receipt(session: SessionDep, caller: SubjectDep, receipt_id: ReceiptId) -> ReceiptRead:
    return service.read_receipt(
        session, subject=caller.principal, now=caller.now, receipt_id=receipt_id
    )
