"""What a bureau accepts as a furnished account: Metro 2 consistency rules, with sources.

Pure functions of the furnished fields and the sandbox clock's ``today``; no database, no
clock. Each returns every problem it finds (never only the first), as ``FieldError``s naming
the offending body field, so that one 422 can tell the furnisher everything to fix.

Sources: the Metro 2 Format (CDIA, *Credit Reporting Resource Guide*), Base Segment fields
named below; FCRA 623(a)(1) (a furnisher may not report what it knows to be inaccurate) and
623(a)(5) (the date of delinquency of an account placed for collection or charged off);
the sandbox's own contract (``openapi.yaml``) for the rest.
"""

import hashlib
import json
import re
from datetime import date
from enum import Enum
from typing import Any

from schemas.furnishing import AccountFields, AccountStatus, AccountType
from service.core.errors import FieldError

# --- account_ref ----------------------------------------------------------------------------

#: A furnisher's own reference (Metro 2 "Consumer Account Number" is alphanumeric): letters,
#: digits and ``. _ : -``, at most 64 characters (the column's width), safe in a URL path.
ACCOUNT_REF_MAX_LENGTH = 64
ACCOUNT_REF_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"

# --- statuses (Metro 2 Base Segment "Account Status") ---------------------------------------

#: Statuses that report a delinquency: 30 to 180+ days late, collection, charge-off.
#: The contract: ``date_of_first_delinquency`` is required when the status shows a delinquency.
DELINQUENT_STATUSES = frozenset(
    {
        AccountStatus.late_30_59,
        AccountStatus.late_60_89,
        AccountStatus.late_90_119,
        AccountStatus.late_120_149,
        AccountStatus.late_150_179,
        AccountStatus.late_180_plus,
        AccountStatus.collection,
        AccountStatus.charge_off,
    }
)
#: Statuses 71-84 say an amount is past due now, so "Amount Past Due" must be positive.
PAST_DUE_STATUSES = frozenset(
    {
        AccountStatus.late_30_59,
        AccountStatus.late_60_89,
        AccountStatus.late_90_119,
        AccountStatus.late_120_149,
        AccountStatus.late_150_179,
        AccountStatus.late_180_plus,
    }
)
#: Status 11 "current account": nothing is past due.
CURRENT_STATUSES = frozenset({AccountStatus.current})
#: Status 13 "paid or closed account / zero balance": balance 0 and a "Date Closed".
PAID_CLOSED_STATUSES = frozenset({AccountStatus.paid_closed})

# --- payment history (Metro 2 Base Segment "Payment History Profile") -----------------------

#: History codes that record a delinquency: 1-6 (30 to 180+ days late), G collection,
#: L charge-off. The contract: such a history requires ``date_of_first_delinquency``.
DELINQUENT_HISTORY_CODES = frozenset("123456GL")
#: ``B``: no payment history available before this month. Every older month is also ``B``.
NO_HISTORY_CODE = "B"
#: The newest (first) month of the profile must agree with the account status. A status not
#: listed (DA, delete) accepts any history.
STATUS_NEWEST_HISTORY: dict[AccountStatus, frozenset[str]] = {
    AccountStatus.current: frozenset("0E"),
    AccountStatus.paid_closed: frozenset("0ED"),
    AccountStatus.late_30_59: frozenset("1"),
    AccountStatus.late_60_89: frozenset("2"),
    AccountStatus.late_90_119: frozenset("3"),
    AccountStatus.late_120_149: frozenset("4"),
    AccountStatus.late_150_179: frozenset("5"),
    AccountStatus.late_180_plus: frozenset("6"),
    AccountStatus.collection: frozenset("G"),
    AccountStatus.charge_off: frozenset("L"),
}

# --- amounts by account type (Metro 2 "Credit Limit", "Highest Credit or Original Loan
# Amount") ----------------------------------------------------------------------------------

#: Revolving accounts report their credit limit.
CREDIT_LIMIT_REQUIRED_TYPES = frozenset({AccountType.revolving})
#: Installment and mortgage loans report the original loan amount; a collection agency
#: reports the original amount owed to the creditor.
ORIGINAL_AMOUNT_REQUIRED_TYPES = frozenset(
    {AccountType.installment, AccountType.mortgage, AccountType.collection}
)
#: A collection account is opened by the agency when the debt is assigned, after the original
#: debt became delinquent, so its date of first delinquency may precede its open date
#: (FCRA 623(a)(5): the delinquency date is the original one).
DOFD_MAY_PRECEDE_OPENING_TYPES = frozenset({AccountType.collection})

#: The dated fields that may not lie after the sandbox clock's today (FCRA 623(a)(1): an
#: event that has not happened cannot be accurately reported).
NOT_IN_FUTURE_FIELDS = ("opened_on", "as_of", "closed_on", "date_of_first_delinquency")


def check_dates(fields: AccountFields, today: date) -> list[FieldError]:
    """No date after today; closed_on, as_of and (except collections) the DOFD on or
    after opened_on."""
    errors: list[FieldError] = []
    for name in NOT_IN_FUTURE_FIELDS:
        value: date | None = getattr(fields, name)
        if value is not None and value > today:
            errors.append(FieldError(name, f"{value.isoformat()} is after today ({today})"))
    opened = fields.opened_on
    if fields.closed_on is not None and fields.closed_on < opened:
        errors.append(FieldError("closed_on", f"before opened_on ({opened})"))
    if fields.as_of < opened:
        errors.append(FieldError("as_of", f"before opened_on ({opened})"))
    dofd = fields.date_of_first_delinquency
    if (
        dofd is not None
        and dofd < opened
        and fields.account_type not in DOFD_MAY_PRECEDE_OPENING_TYPES
    ):
        errors.append(
            FieldError(
                "date_of_first_delinquency",
                f"before opened_on ({opened}); only a collection account may have that",
            )
        )
    return errors


def check_amounts(fields: AccountFields) -> list[FieldError]:
    """Past due within the balance; the limit or original amount the account type needs."""
    errors: list[FieldError] = []
    if fields.past_due_cents > fields.balance_cents:
        errors.append(
            FieldError(
                "past_due_cents",
                f"{fields.past_due_cents} exceeds balance_cents ({fields.balance_cents})",
            )
        )
    kind = fields.account_type
    if kind in CREDIT_LIMIT_REQUIRED_TYPES and fields.credit_limit_cents is None:
        errors.append(FieldError("credit_limit_cents", f"required for {kind} accounts"))
    if kind in ORIGINAL_AMOUNT_REQUIRED_TYPES and fields.original_amount_cents is None:
        errors.append(FieldError("original_amount_cents", f"required for {kind} accounts"))
    return errors


def shows_delinquency(status: AccountStatus, payment_history: str) -> bool:
    """Whether the status or any month of the history reports a delinquency."""
    return status in DELINQUENT_STATUSES or any(
        code in DELINQUENT_HISTORY_CODES for code in payment_history
    )


def check_delinquency_date(fields: AccountFields) -> list[FieldError]:
    """A delinquency in the status or the history needs its date of first delinquency."""
    if fields.date_of_first_delinquency is None and shows_delinquency(
        fields.status, fields.payment_history
    ):
        return [
            FieldError(
                "date_of_first_delinquency",
                "required when the status or the payment history shows a delinquency",
            )
        ]
    return []


def check_status(fields: AccountFields) -> list[FieldError]:
    """The amounts and dates a status implies: 11 nothing past due; 71-84 something past
    due; 13 a zero balance and a closing date."""
    errors: list[FieldError] = []
    status = fields.status
    if status in CURRENT_STATUSES and fields.past_due_cents != 0:
        errors.append(FieldError("past_due_cents", f"must be 0 with status {status}"))
    if status in PAST_DUE_STATUSES and fields.past_due_cents <= 0:
        errors.append(FieldError("past_due_cents", f"must be more than 0 with status {status}"))
    if status in PAID_CLOSED_STATUSES:
        if fields.balance_cents != 0:
            errors.append(FieldError("balance_cents", f"must be 0 with status {status}"))
        if fields.closed_on is None:
            errors.append(FieldError("closed_on", f"required with status {status}"))
    return errors


def check_payment_history(fields: AccountFields) -> list[FieldError]:
    """The newest month agrees with the status; ``B`` only as an all-``B`` suffix."""
    errors: list[FieldError] = []
    history = fields.payment_history
    allowed = STATUS_NEWEST_HISTORY.get(fields.status)
    if allowed is not None and history[:1] not in allowed:
        expected = " or ".join(sorted(allowed))
        errors.append(
            FieldError(
                "payment_history",
                f"the newest month is '{history[:1]}'; status {fields.status} needs {expected}",
            )
        )
    first_b = history.find(NO_HISTORY_CODE)
    if first_b != -1 and history[first_b:].strip(NO_HISTORY_CODE):
        errors.append(
            FieldError(
                "payment_history",
                "'B' (no earlier history) may only be followed by more 'B's",
            )
        )
    return errors


def validate_account(fields: AccountFields, today: date) -> list[FieldError]:
    """Every problem with a furnished account, all at once (empty when it is acceptable)."""
    return [
        *check_dates(fields, today),
        *check_amounts(fields),
        *check_delinquency_date(fields),
        *check_status(fields),
        *check_payment_history(fields),
    ]


def check_account_ref(account_ref: str) -> list[FieldError]:
    """The furnisher's reference is short and URL-safe (the route enforces it too)."""
    if re.fullmatch(ACCOUNT_REF_PATTERN, account_ref) is None:
        return [
            FieldError(
                "account_ref",
                f"1-{ACCOUNT_REF_MAX_LENGTH} letters, digits, '.', '_', ':' or '-'",
            )
        ]
    return []


# --- versions and idempotency ---------------------------------------------------------------

#: The furnished fields of an account: what a version snapshots and compares.
FURNISHED_FIELDS: tuple[str, ...] = tuple(AccountFields.model_fields)


def json_safe(value: Any) -> Any:
    """A stored or furnished value as JSON: dates ISO 8601, enums by value."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The furnished fields whose value differs, in the schema's order."""
    return [name for name in FURNISHED_FIELDS if before.get(name) != after.get(name)]


def request_hash(account_ref: str, body: dict[str, Any]) -> str:
    """SHA-256 of a canonical form of (account_ref, body): sorted keys, no whitespace, so
    that the same request hashes the same however its JSON was laid out."""
    canonical = json.dumps(
        {"account_ref": account_ref, "body": body},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
