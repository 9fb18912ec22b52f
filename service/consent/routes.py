"""The subject's say over who reads the file: consents, security freeze, fraud alerts."""

from typing import Annotated

from fastapi import Path, Response, status

from schemas.common import Page
from schemas.consent import (
    ConsentCreate,
    ConsentRead,
    ConsentReceipt,
    FraudAlertCreate,
    FraudAlertRead,
    FreezeRead,
)
from service.consent import service
from service.core.deps import SessionDep, domain_router
from service.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from service.core.responses import problems
from service.principals.deps import LenderDep, SubjectDep

router = domain_router(prefix="/v1/me", tags=["consent"], responses=problems(403))
lender_router = domain_router(prefix="/v1/lender", tags=["lender"], responses=problems(403))

ConsentId = Annotated[str, Path(max_length=40, description="The consent id (cns_...)")]
AlertId = Annotated[str, Path(max_length=40, description="The fraud alert id (fra_...)")]


@router.post(
    "/consents",
    summary="Consent to one lender reading my file for one purpose, until a date",
    operation_id="grantConsent",
    status_code=status.HTTP_201_CREATED,
    response_model=ConsentRead,
    responses=problems(422),
)
def grant_consent(session: SessionDep, caller: SubjectDep, body: ConsentCreate) -> ConsentRead:
    return service.grant(session, subject=caller.principal, body=body, now=caller.now)


@router.get(
    "/consents",
    summary="My consents, newest first, each with its state",
    operation_id="listMyConsents",
    response_model=Page[ConsentRead],
    responses=problems(422),
)
def list_consents(
    session: SessionDep,
    caller: SubjectDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[ConsentRead]:
    return service.list_consents(
        session, subject=caller.principal, now=caller.now, cursor=cursor, limit=limit
    )


@router.get(
    "/consents/{consent_id}",
    summary="One of my consents",
    operation_id="getMyConsent",
    response_model=ConsentRead,
    responses=problems(404, 422),
)
def get_consent(session: SessionDep, caller: SubjectDep, consent_id: ConsentId) -> ConsentRead:
    return service.get_consent(
        session, subject=caller.principal, consent_id=consent_id, now=caller.now
    )


@router.delete(
    "/consents/{consent_id}",
    summary="Revoke one of my consents, effective at once",
    operation_id="revokeConsent",
    response_model=ConsentRead,
    responses=problems(404, 409, 422),
)
def revoke_consent(session: SessionDep, caller: SubjectDep, consent_id: ConsentId) -> ConsentRead:
    return service.revoke(session, subject=caller.principal, consent_id=consent_id, now=caller.now)


@router.get(
    "/consents/{consent_id}/receipt",
    summary="The consent's receipt (ISO/IEC TS 27560 shape), as a JSON download",
    operation_id="getConsentReceipt",
    response_model=ConsentReceipt,
    responses=problems(404, 422),
)
def get_consent_receipt(
    session: SessionDep, caller: SubjectDep, consent_id: ConsentId, response: Response
) -> ConsentReceipt:
    found = service.receipt(
        session, subject=caller.principal, consent_id=consent_id, now=caller.now
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="consent-receipt-{found.record_id}.json"'
    )
    return found


@router.get(
    "/freeze",
    summary="Whether my file is frozen",
    operation_id="getMyFreeze",
    response_model=FreezeRead,
)
def get_freeze(session: SessionDep, caller: SubjectDep) -> FreezeRead:
    return service.read_freeze(session, subject=caller.principal, now=caller.now)


@router.put(
    "/freeze",
    summary="Freeze my file against new-credit reads, effective at once",
    operation_id="placeFreeze",
    response_model=FreezeRead,
    responses={201: {"description": "Frozen now", "model": FreezeRead}},
)
def place_freeze(session: SessionDep, caller: SubjectDep, response: Response) -> FreezeRead:
    state, placed = service.place_freeze(session, subject=caller.principal, now=caller.now)
    if placed:
        response.status_code = status.HTTP_201_CREATED
    return state


@router.delete(
    "/freeze",
    summary="Lift the freeze on my file, effective at once",
    operation_id="liftFreeze",
    response_model=FreezeRead,
    responses=problems(409),
)
def lift_freeze(session: SessionDep, caller: SubjectDep) -> FreezeRead:
    return service.lift_freeze(session, subject=caller.principal, now=caller.now)


@router.post(
    "/fraud-alerts",
    summary="Place a fraud alert: initial (1 year) or extended (7 years)",
    operation_id="placeFraudAlert",
    status_code=status.HTTP_201_CREATED,
    response_model=FraudAlertRead,
    responses=problems(409, 422),
)
def place_fraud_alert(
    session: SessionDep, caller: SubjectDep, body: FraudAlertCreate
) -> FraudAlertRead:
    return service.place_fraud_alert(
        session, subject=caller.principal, kind=body.kind, now=caller.now
    )


@router.get(
    "/fraud-alerts",
    summary="My fraud alerts, newest first, active or not",
    operation_id="listMyFraudAlerts",
    response_model=Page[FraudAlertRead],
    responses=problems(422),
)
def list_fraud_alerts(
    session: SessionDep,
    caller: SubjectDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[FraudAlertRead]:
    return service.list_fraud_alerts(
        session, subject=caller.principal, now=caller.now, cursor=cursor, limit=limit
    )


@router.delete(
    "/fraud-alerts/{alert_id}",
    summary="Remove one of my fraud alerts before it ends",
    operation_id="removeFraudAlert",
    response_model=FraudAlertRead,
    responses=problems(404, 409, 422),
)
def remove_fraud_alert(
    session: SessionDep, caller: SubjectDep, alert_id: AlertId
) -> FraudAlertRead:
    return service.remove_fraud_alert(
        session, subject=caller.principal, alert_id=alert_id, now=caller.now
    )


@lender_router.get(
    "/consents",
    summary="The consents that name me, newest first, each with its state",
    operation_id="listLenderConsents",
    response_model=Page[ConsentRead],
    responses=problems(422),
)
def list_lender_consents(
    session: SessionDep,
    caller: LenderDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[ConsentRead]:
    return service.consents_of_lender(
        session, lender=caller.principal, now=caller.now, cursor=cursor, limit=limit
    )
