"""Furnishing schemas: accounts (tradelines) modelled on Metro 2 fields."""

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, ConfigDict, Field, StringConstraints

from schemas.common import IsoDate, RequestModel, ResponseModel, StrictInt
from schemas.examples import ACCOUNT, examples


class AccountType(StrEnum):
    revolving = "revolving"
    installment = "installment"
    mortgage = "mortgage"
    open = "open"
    collection = "collection"


class AccountStatus(StrEnum):
    """Metro 2 account status codes."""

    current = "11"
    paid_closed = "13"
    late_30_59 = "71"
    late_60_89 = "78"
    late_90_119 = "80"
    late_120_149 = "82"
    late_150_179 = "83"
    late_180_plus = "84"
    collection = "93"
    charge_off = "97"
    delete = "DA"


STATUS_TEXT: dict[AccountStatus, str] = {
    AccountStatus.current: "Current",
    AccountStatus.paid_closed: "Paid or closed, zero balance",
    AccountStatus.late_30_59: "30-59 days past due",
    AccountStatus.late_60_89: "60-89 days past due",
    AccountStatus.late_90_119: "90-119 days past due",
    AccountStatus.late_120_149: "120-149 days past due",
    AccountStatus.late_150_179: "150-179 days past due",
    AccountStatus.late_180_plus: "180 or more days past due",
    AccountStatus.collection: "Assigned to collection",
    AccountStatus.charge_off: "Charged off",
    AccountStatus.delete: "Deleted by the furnisher",
}

#: 24 months, newest first: 0 current, 1-6 30 to 180+ days late, B no earlier history,
#: D no data, E zero balance and current, G collection, L charge-off.
PAYMENT_HISTORY_PATTERN = r"^[0-6BDEGL]{24}$"

Cents = Annotated[StrictInt, Field(ge=0, le=10**13)]


#: A current credit card, the first example of a furnishing.
CURRENT_CARD: dict[str, Any] = {
    "subject_id": "sub_0000000000000000demo",
    "account_type": "revolving",
    "opened_on": "2019-03-01",
    "credit_limit_cents": 500000,
    "balance_cents": 125000,
    "past_due_cents": 0,
    "status": "11",
    "payment_history": "000000000000000000000000",
    "as_of": "2026-10-31",
}


class AccountFields(RequestModel):
    """The furnishing fields of an account (also the shape of dispute corrections)."""

    account_type: AccountType
    opened_on: IsoDate
    credit_limit_cents: Cents | None = Field(
        default=None, description="Required for revolving accounts"
    )
    original_amount_cents: Cents | None = Field(
        default=None, description="Required for installment, mortgage and collection accounts"
    )
    balance_cents: Cents
    past_due_cents: Cents
    status: AccountStatus
    payment_history: Annotated[str, StringConstraints(pattern=PAYMENT_HISTORY_PATTERN)] = Field(
        description="24 months, newest first, of 0-6, B, D, E, G, L (Metro 2)"
    )
    date_of_first_delinquency: IsoDate | None = Field(
        default=None, description="Required when the status or history shows a delinquency"
    )
    closed_on: IsoDate | None = None
    as_of: IsoDate = Field(description="The date the furnished data is as of")


class AccountPut(AccountFields):
    """Create or update the furnisher's account ``account_ref``."""

    subject_id: Annotated[str, StringConstraints(min_length=1, max_length=40)]

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [CURRENT_CARD],
        },
    }


class AccountCorrections(RequestModel):
    """A furnisher's corrections to a disputed account: the furnishing fields that change
    (each validated as in ``AccountFields``); the result is validated as a whole furnishing."""

    account_type: AccountType | None = None
    opened_on: IsoDate | None = None
    credit_limit_cents: Cents | None = None
    original_amount_cents: Cents | None = None
    balance_cents: Cents | None = None
    past_due_cents: Cents | None = None
    status: AccountStatus | None = None
    payment_history: Annotated[str, StringConstraints(pattern=PAYMENT_HISTORY_PATTERN)] | None = (
        None
    )
    date_of_first_delinquency: IsoDate | None = None
    closed_on: IsoDate | None = None
    as_of: IsoDate | None = None


class AccountVersionRead(ResponseModel):
    """One furnished state of an account: what changed, when and by whom."""

    version: int
    at: AwareDatetime
    actor_id: str
    actor_role: str
    actor_name: str
    changed: list[str]
    fields: dict[str, Any]


class FurnisherRef(ResponseModel):
    id: str
    name: str


class AccountRead(ResponseModel):
    """An account as the file shows it, with every version of it."""

    # Frozen: the file's views of accounts are cached, and shared by every report that shows
    # them (``service.furnishing.service``).
    model_config = ConfigDict(
        from_attributes=True, frozen=True, json_schema_extra=examples(ACCOUNT)
    )

    id: str
    account_ref: str
    subject_id: str
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
    compliance_condition_code: str | None = Field(
        description="Metro 2 compliance condition: XB disputed, XC consumer disagrees, "
        "XH investigation complete"
    )
    disputed: bool
    obsolete_on: dt.date | None = Field(
        description="The day this item leaves the file (FCRA 605), if it is adverse"
    )
    version: int
    updated_at: AwareDatetime
    versions: list[AccountVersionRead]


#: Request examples for the OpenAPI description of ``PUT /v1/furnisher/accounts/{ref}``
#: (fictional subject id; each passes the furnishing rules on or after its ``as_of``).
ACCOUNT_PUT_EXAMPLES: dict[str, dict[str, Any]] = {
    "revolving_current": {"summary": "A credit card, current", "value": CURRENT_CARD},
    "installment_30_days_late": {
        "summary": "A car loan, 30-59 days late, with its date of first delinquency",
        "value": {
            "subject_id": "sub_0000000000000000demo",
            "account_type": "installment",
            "opened_on": "2025-06-15",
            "original_amount_cents": 1800000,
            "balance_cents": 1320000,
            "past_due_cents": 41000,
            "status": "71",
            "payment_history": "100000000000000BBBBBBBBB",
            "date_of_first_delinquency": "2026-09-15",
            "as_of": "2026-10-31",
        },
    },
    "collection": {
        "summary": "A collection agency's account; the delinquency predates its opening",
        "value": {
            "subject_id": "sub_0000000000000000demo",
            "account_type": "collection",
            "opened_on": "2026-04-01",
            "original_amount_cents": 86000,
            "balance_cents": 86000,
            "past_due_cents": 86000,
            "status": "93",
            "payment_history": "GGGGGGGBBBBBBBBBBBBBBBBB",
            "date_of_first_delinquency": "2025-10-01",
            "as_of": "2026-10-31",
        },
    },
    "paid_closed": {
        "summary": "A mortgage paid off and closed",
        "value": {
            "subject_id": "sub_0000000000000000demo",
            "account_type": "mortgage",
            "opened_on": "2006-05-20",
            "original_amount_cents": 21000000,
            "balance_cents": 0,
            "past_due_cents": 0,
            "status": "13",
            "payment_history": "E00000000000000000000000",
            "closed_on": "2026-09-30",
            "as_of": "2026-10-31",
        },
    },
}
