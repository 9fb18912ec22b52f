"""Notices to the subject: what was decided about them, or done to their file, and why."""

import datetime as dt
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.common import ResponseModel
from schemas.examples import NOTICE, examples
from schemas.scoring import NoScoreReasonRead, ReasonRead, ScoreRange


class NoticeKind(StrEnum):
    adverse_action = "adverse_action"
    dispute_result = "dispute_result"
    dispute_frivolous = "dispute_frivolous"
    identity_theft_block = "identity_theft_block"
    reinsertion = "reinsertion"
    webhook_endpoint_disabled = "webhook_endpoint_disabled"


class DecisionOutcome(StrEnum):
    approved = "approved"
    declined = "declined"
    counteroffer = "counteroffer"


class BureauContact(BaseModel):
    name: str
    address: str
    phone: str
    email: str
    website: str


class Right(BaseModel):
    right: str = Field(description="free_report or dispute")
    text: str
    until: dt.date | None = Field(default=None, description="The last day to use it, if any")
    how: str


class NoticeRead(ResponseModel):
    """A notice to the subject. An adverse action notice (FCRA 615, Reg B) carries the score
    the lender used, its range, its key factors, the date, the lender, the bureau's contact,
    the statement that the bureau did not make the decision, and the subject's rights."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(NOTICE))

    id: str
    kind: NoticeKind
    at: AwareDatetime
    subject_id: str
    title: str
    summary: str
    dispute_id: str | None = Field(default=None, description="The dispute it is about")
    item_type: str | None = None
    item_id: str | None = None
    dispute_outcome: str | None = Field(
        default=None, description="verified, modified, deleted, unverified or blocked"
    )
    lender_id: str | None = None
    lender_name: str | None = None
    decision_id: str | None = None
    outcome: DecisionOutcome | None = None
    score: int | None = Field(
        default=None,
        description="The score the lender used; after a dispute changed the file, the new score",
    )
    score_range: ScoreRange | None = None
    model_version: str | None = None
    receipt_id: str | None = None
    scored_on: dt.date | None = None
    key_factors: list[ReasonRead] = Field(
        default_factory=list,
        description="The key factors that adversely affected the score, most first: up to 4, "
        "and a 5th when inquiries are one",
    )
    no_score_reasons: list[NoScoreReasonRead] = Field(default_factory=list)
    bureau: BureauContact | None = None
    bureau_statement: str | None = Field(
        default=None, description="That the bureau did not make the decision"
    )
    rights: list[Right] = Field(default_factory=list)
