"""What a lender sends and gets: pulls under a consent, and decisions on them."""

import datetime as dt
from typing import Annotated, Any

from pydantic import AwareDatetime, ConfigDict, Field, StringConstraints

from schemas.common import Purpose, RequestModel, ResponseModel
from schemas.consent import LenderAlert
from schemas.disputes import StatementRead
from schemas.examples import DECISION, LENDER_REPORT, LENDER_SCORE, examples
from schemas.file import InquiryKind, InquiryRead, PublicRecordRead
from schemas.furnishing import AccountStatus, AccountType, FurnisherRef
from schemas.notices import DecisionOutcome
from schemas.scoring import ScoreDisclosed

Id = Annotated[str, StringConstraints(min_length=1, max_length=40)]


class PullRequest(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"consent_id": "cns_1f2e3d4c5b6a79880716"}]},
    )

    consent_id: Id
    purpose: Purpose | None = Field(
        default=None,
        description="The purpose of this read; if given it must be the consent's (else "
        "purpose-not-covered). The consent's purpose when left out.",
    )


class PullFacts(ResponseModel):
    """What every allowed pull says about itself."""

    subject_id: str
    consent_id: str
    purpose: Purpose
    inquiry_id: str = Field(description="The inquiry this read recorded on the file")
    inquiry_kind: InquiryKind = Field(description="hard for a credit application, else soft")
    verify_identity: bool = Field(description="True while the subject has an active fraud alert")
    fraud_alert: LenderAlert | None


class LenderIdentity(ResponseModel):
    given_name: str
    family_name: str
    date_of_birth: dt.date
    addresses: list[dict[str, Any]]
    national_id_last4: str | None = Field(description="The last four digits only")


class LenderAccount(ResponseModel):
    """An account as a lender's report shows it: its current state, no history of versions."""

    id: str
    account_ref: str
    furnisher: FurnisherRef
    account_type: AccountType
    opened_on: dt.date
    credit_limit_cents: int | None
    original_amount_cents: int | None
    balance_cents: int
    past_due_cents: int
    status: AccountStatus
    status_text: str
    payment_history: str
    date_of_first_delinquency: dt.date | None
    closed_on: dt.date | None
    as_of: dt.date
    compliance_condition_code: str | None
    disputed: bool


class LenderReport(PullFacts):
    """The report a lender may see: no soft inquiries, nothing obsolete, each account's
    compliance condition code, and the fraud alert flag."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(LENDER_REPORT))

    generated_at: AwareDatetime
    subject: LenderIdentity
    accounts: list[LenderAccount]
    inquiries: list[InquiryRead] = Field(description="Hard inquiries only")
    public_records: list[PublicRecordRead]
    statements: list[StatementRead] = Field(description="The subject's statements of dispute")


class LenderScore(PullFacts, ScoreDisclosed):
    """A score for a lender, with the receipt id a decision cites."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(LENDER_SCORE))


class DecisionCreate(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "consent_id": "cns_1f2e3d4c5b6a79880716",
                    "receipt_id": "rcp_0a1b2c3d4e5f60718293",
                    "outcome": "declined",
                }
            ]
        },
    )

    consent_id: Id
    receipt_id: Id
    outcome: DecisionOutcome


class DecisionRead(ResponseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(DECISION))

    id: str
    subject_id: str
    consent_id: str
    receipt_id: str
    outcome: DecisionOutcome
    decided_at: AwareDatetime
    notice_id: str | None = Field(description="The adverse action notice sent, if adverse")
