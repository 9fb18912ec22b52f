"""Who may read a file: the subject's consents, security freeze and fraud alerts."""

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, ConfigDict, Field, StrictBool, StringConstraints

from schemas.common import IsoDate, Purpose, RequestModel, ResponseModel
from schemas.examples import CONSENT, CONSENT_RECEIPT, FRAUD_ALERT, FREEZE, examples

ConsentId = Annotated[str, StringConstraints(min_length=1, max_length=40)]


class ConsentScope(StrEnum):
    """What a consent lets its lender pull: the report, the score, or both."""

    report = "report"
    score = "score"


class ConsentState(StrEnum):
    active = "active"
    expired = "expired"
    revoked = "revoked"


class ConsentCreate(RequestModel):
    """A consent for one named lender, one permissible purpose, a scope and an expiry."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "lender_id": "len_sandbox_bank",
                    "purpose": "credit_application",
                    "scope": ["report", "score"],
                    "expires_on": "2027-05-31",
                }
            ]
        },
    )

    lender_id: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    purpose: Purpose
    scope: list[ConsentScope] = Field(
        min_length=1, max_length=2, description="report, score, or both"
    )
    expires_on: IsoDate = Field(
        description="The consent ends at the start of this day (00:00 UTC); at most 12 months ahead"
    )
    explicit_confirmation: StrictBool = Field(
        default=False,
        description="The subject's explicit confirmation, required for the employment "
        "purpose (FCRA 604(b)(2))",
    )


class ConsentRead(ResponseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(CONSENT))

    id: str
    subject_id: str
    lender_id: str
    lender_name: str
    purpose: Purpose
    scope: list[ConsentScope]
    explicit_confirmation: bool
    granted_at: AwareDatetime
    expires_on: dt.date
    revoked_at: AwareDatetime | None
    state: ConsentState = Field(description="active, expired or revoked, on the sandbox clock")


class ConsentParty(ResponseModel):
    id: str
    name: str
    role: str


class ConsentPurposeRecord(ResponseModel):
    purpose: Purpose
    description: str
    legal_basis: list[str]
    pii_categories: list[str]
    processing: list[str]
    explicit: bool


class ConsentEventRecord(ResponseModel):
    state: ConsentState
    at: AwareDatetime


class ConsentReceipt(ResponseModel):
    """A consent's receipt, shaped like an ISO/IEC TS 27560 consent record: who consents,
    to whom, for what, on which legal basis, from when to when, how to withdraw, its state."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(CONSENT_RECEIPT))

    schema_version: str
    record_id: str
    receipt_issued_at: AwareDatetime
    pii_principal: ConsentParty
    pii_controller: ConsentParty
    recipients: list[ConsentParty]
    purposes: list[ConsentPurposeRecord]
    consent_given_at: AwareDatetime
    consent_expires_at: AwareDatetime
    withdrawn_at: AwareDatetime | None
    state: ConsentState
    withdrawal_method: str
    lifecycle: list[ConsentEventRecord]


class FreezeRead(ResponseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(FREEZE))

    frozen: bool
    placed_at: AwareDatetime | None = Field(description="When the current freeze was placed")
    lifted_at: AwareDatetime | None = Field(description="When the last freeze was lifted")
    refuses: list[Purpose] = Field(
        description="The purposes a freeze refuses (new credit); the others are exempt "
        "(FCRA 605A(i))"
    )


class FraudAlertKind(StrEnum):
    initial = "initial"
    extended = "extended"


class FraudAlertCreate(RequestModel):
    kind: FraudAlertKind = Field(description="initial (1 year) or extended (7 years)")


class FraudAlertRead(ResponseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(FRAUD_ALERT))

    id: str
    kind: FraudAlertKind
    placed_at: AwareDatetime
    expires_on: dt.date = Field(description="It ends at the start of this day (00:00 UTC)")
    removed_at: AwareDatetime | None
    active: bool


class LenderAlert(ResponseModel):
    """What a lender's report says about an active fraud alert (FCRA 605A)."""

    kind: FraudAlertKind
    expires_on: dt.date
    action: Literal["verify identity"] = "verify identity"
    text: str
