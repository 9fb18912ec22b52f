"""What a score may be computed from: the file, and nothing else.

These frozen records are the only inputs of the characteristics; they hold financial file
data only, so no other kind of data can reach a score. Obsolete items are removed before
they get here (the file domain filters them).
"""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class AccountInput:
    account_type: str  # revolving | installment | mortgage | open | collection
    opened_on: date
    credit_limit_cents: int | None
    original_amount_cents: int | None
    balance_cents: int
    past_due_cents: int
    status: str  # Metro 2: 11 13 71 78 80 82 83 84 93 97
    payment_history: str  # 24 months, newest first: 0-6 B D E G L
    date_of_first_delinquency: date | None
    closed_on: date | None
    as_of: date


@dataclass(frozen=True, slots=True)
class InquiryInput:
    at: date
    kind: str  # hard | soft (only hard inquiries are scored)


@dataclass(frozen=True, slots=True)
class PublicRecordInput:
    chapter: int  # 7 | 13
    status: str  # filed | discharged | dismissed
    filed_on: date


@dataclass(frozen=True, slots=True)
class FileInput:
    accounts: tuple[AccountInput, ...]
    inquiries: tuple[InquiryInput, ...] = ()
    public_records: tuple[PublicRecordInput, ...] = ()
