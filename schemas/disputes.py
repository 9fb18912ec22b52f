"""Disputes: what a subject files, what a furnisher answers, and what they lead to."""

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from schemas.common import RequestModel, ResponseModel
from schemas.examples import DISPUTE, DISPUTE_STATS, FURNISHER_DISPUTE, STATEMENT, examples
from schemas.furnishing import AccountCorrections

#: The most characters a description, added information or a certification may hold.
TEXT_MAX_CHARS = 2000

Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TEXT_MAX_CHARS)
]


class ItemType(StrEnum):
    account = "account"
    inquiry = "inquiry"
    public_record = "public_record"
    identity = "identity"


class ReasonCode(StrEnum):
    not_mine = "not_mine"
    identity_theft = "identity_theft"
    wrong_balance = "wrong_balance"
    wrong_status = "wrong_status"
    paid = "paid"
    duplicate = "duplicate"
    obsolete = "obsolete"
    other = "other"


class DisputeStatus(StrEnum):
    open = "open"
    resolved = "resolved"
    frivolous = "frivolous"


class DisputeOutcome(StrEnum):
    """verified, modified or deleted by the furnisher; unverified when the deadline passed
    unanswered (the item is suppressed); blocked as identity theft (FCRA 605B)."""

    verified = "verified"
    modified = "modified"
    deleted = "deleted"
    unverified = "unverified"
    blocked = "blocked"


class AnswerOutcome(StrEnum):
    verified = "verified"
    modified = "modified"
    deleted = "deleted"


class DisputeCreate(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "item_type": "account",
                    "item_id": "acc_5f0c3a9e1b2d4c6e8a7f",
                    "field": "balance_cents",
                    "reason_code": "wrong_balance",
                    "description": "I paid this card down to $120 in October.",
                }
            ]
        },
    )

    item_type: ItemType
    item_id: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    field: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = Field(
        default=None,
        description="One field of the item, for an account or the identity (required for "
        "the identity)",
    )
    reason_code: ReasonCode
    description: Text = Field(
        description="What is wrong, in the subject's words; for identity_theft, the "
        "subject's statement that the item came from identity theft"
    )


class DisputeInformation(RequestModel):
    text: Text = Field(
        description="New information; in the first 30 days it extends the deadline to 45"
    )


class DisputeRead(ResponseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(DISPUTE))

    id: str
    subject_id: str
    item_type: ItemType
    item_id: str
    field: str | None
    reason_code: ReasonCode
    description: str
    status: DisputeStatus
    outcome: DisputeOutcome | None
    filed_at: AwareDatetime
    due_at: AwareDatetime = Field(description="When it resolves for the subject if unanswered")
    days_left: int | None = Field(
        description="Days to due_at on the sandbox clock, a part of a day counting as a day"
    )
    furnisher_id: str | None = Field(description="Who must answer; null when the bureau does")
    furnisher_notice_due_on: dt.date = Field(
        description="The furnisher is told at once; by law within 5 business days"
    )
    block_due_at: AwareDatetime | None = Field(
        description="identity_theft: when the item is blocked (4 business days, FCRA 605B)"
    )
    information: list[dict[str, Any]]
    resolved_at: AwareDatetime | None
    resolution: str | None
    repeats: str | None = Field(description="The resolved dispute a frivolous one repeats")


class FurnisherDisputeRead(ResponseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(FURNISHER_DISPUTE))

    """A dispute as the furnisher of the account sees it."""

    id: str
    account_id: str
    account_ref: str | None
    field: str | None
    reason_code: ReasonCode
    description: str
    information: list[dict[str, Any]]
    status: DisputeStatus
    outcome: DisputeOutcome | None
    filed_at: AwareDatetime
    due_at: AwareDatetime
    block_due_at: AwareDatetime | None
    resolved_at: AwareDatetime | None


class DisputeAnswer(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"outcome": "verified"},
                {"outcome": "modified", "corrections": {"balance_cents": 12000}},
                {"outcome": "deleted"},
            ]
        },
    )

    outcome: AnswerOutcome
    corrections: AccountCorrections | None = Field(
        default=None,
        description="modified: the furnishing fields that change, validated like any "
        "furnishing (a new account version)",
    )


class Reinsertion(RequestModel):
    certified: StrictBool = Field(
        description="The furnisher certifies the item is complete "
        "and accurate (FCRA 611(a)(5)(B)(i))"
    )
    certification: Text = Field(description="What the furnisher certifies, and how it knows")


class StatementCreate(RequestModel):
    text: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)
    ] = Field(description="At most 100 words")
    dispute_id: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = Field(
        default=None,
        description="The verified dispute it is about; the latest one without a statement "
        "when left out",
    )


class StatementRead(ResponseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(STATEMENT))

    id: str
    dispute_id: str
    item_type: ItemType
    item_id: str
    text: str
    at: AwareDatetime


class DisputeStats(BaseModel):
    """The bureau's disputes, as an auditor checks them."""

    model_config = ConfigDict(json_schema_extra=examples(DISPUTE_STATS))

    as_of: AwareDatetime
    open: int
    resolved: dict[str, int] = Field(description="Resolved disputes by outcome")
    frivolous: int
    median_days_to_resolve: float | None
    overdue: int = Field(description="Open past their deadline: must be zero")
