"""The characteristics a score is made of, computed from the file alone (issue 3, item 1).

``compute(file, today)`` is the only way a characteristic gets a value: its inputs are the
records of ``service.scoring.engine.inputs`` (financial file data, obsolete items already removed by
the file domain) and the day, so nothing else can reach a score. Each characteristic is
documented below (name, definition, the window it looks at); the names are the contract shared
with the published scorecards.

Time: ages and windows use whole months (``rules.months_between``): a day is within the last
N months when fewer than N whole months separate it from today. A payment-history profile is
24 monthly buckets, newest first, the first being the month of the account's ``as_of``; its
month *i* is therefore ``i`` plus the calendar months from ``as_of`` to today.
"""

from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

from service.scoring.engine.inputs import AccountInput, FileInput
from service.scoring.rules import HISTORY_MONTHS, calendar_months_between, months_between

#: A characteristic's value: a number, a category, or None when it is missing.
Value = float | str | None
Kind = Literal["numeric", "categorical"]

#: Payment history and delinquencies are looked at over the last 24 months.
DELINQUENCY_WINDOW_MONTHS: Final = 24
#: DESIGN.md "Rules with their figures": inquiries are scored over the last 12 months.
INQUIRY_WINDOW_MONTHS: Final = 12
#: New credit: accounts opened in the last 12 months.
NEW_ACCOUNT_WINDOW_MONTHS: Final = 12

#: Severity of a payment-history code: 1-6 are 30..180+ days late, 7 a collection (G) or a
#: charge-off (L). Codes 0, B, D, E (current, no history, no data, zero balance) are not
#: delinquencies.
HISTORY_SEVERITY: Final[dict[str, int]] = {
    "1": 1,
    "2": 2,
    "3": 3,
    "4": 4,
    "5": 5,
    "6": 6,
    "G": 7,
    "L": 7,
}
#: Severity of a Metro 2 account status: 71..84 are 30..180+ days late, 93 collection,
#: 97 charge-off.
STATUS_SEVERITY: Final[dict[str, int]] = {
    "71": 1,
    "78": 2,
    "80": 3,
    "82": 4,
    "83": 5,
    "84": 6,
    "93": 7,
    "97": 7,
}
COLLECTION_OR_CHARGE_OFF_SEVERITY: Final = 7
#: The worst severity that is a late payment (a 30+ day late), not a collection/charge-off.
WORST_LATE_SEVERITY: Final = 6
DEROGATORY_STATUSES: Final = frozenset({"93", "97"})
PAID_CLOSED_STATUS: Final = "13"
REVOLVING_TYPES: Final = frozenset({"revolving"})
INSTALLMENT_TYPES: Final = frozenset({"installment", "mortgage"})

CREDIT_MIX_VALUES: Final = (
    "none",
    "revolving_only",
    "installment_only",
    "revolving_and_installment",
)


@dataclass(frozen=True, slots=True)
class CharacteristicDefinition:
    name: str
    kind: Kind
    title: str
    definition: str
    window: str


CHARACTERISTICS: Final[tuple[CharacteristicDefinition, ...]] = (
    CharacteristicDefinition(
        "worst_delinquency_24m",
        "numeric",
        "Worst delinquency",
        "Worst payment-history code across accounts: 0 none, 1-6 for 30, 60, 90, 120, 150, "
        "180+ days late (history codes 1-6, or a late status 71-84 reported in the window), "
        "7 for a collection or charge-off (history G or L in the window, or an account of type "
        "collection or with status 93 or 97 on the file)",
        "last 24 months",
    ),
    CharacteristicDefinition(
        "lates_30plus_24m",
        "numeric",
        "30+ day late payments",
        "Number of account-months with a history code 1-6 (30 days late or worse)",
        "last 24 months",
    ),
    CharacteristicDefinition(
        "months_since_recent_delinquency",
        "numeric",
        "Months since the most recent delinquency",
        "Months from the most recent month with a history code 1-6, G or L, or with a late, "
        "collection or charge-off status, to today; missing when there is none",
        "the 24-month history of each account",
    ),
    CharacteristicDefinition(
        "derogatory_count",
        "numeric",
        "Derogatory items",
        "Collections (account type collection or status 93) and charge-offs (status 97), one "
        "per account, plus bankruptcies (public records)",
        "the whole file (obsolete items have left it)",
    ),
    CharacteristicDefinition(
        "revolving_utilisation_pct",
        "numeric",
        "Revolving utilisation",
        "100 x sum of balances / sum of credit limits over open revolving accounts that have a "
        "limit; missing when there is no open revolving limit",
        "current",
    ),
    CharacteristicDefinition(
        "accounts_with_balance",
        "numeric",
        "Accounts with a balance",
        "Number of open accounts with a balance above zero",
        "current",
    ),
    CharacteristicDefinition(
        "oldest_account_months",
        "numeric",
        "Age of the oldest account",
        "Whole months from the opening of the oldest account to today, over all accounts; "
        "missing when there are none",
        "the whole file",
    ),
    CharacteristicDefinition(
        "average_account_age_months",
        "numeric",
        "Average age of accounts",
        "Mean of the whole months from each account's opening to today, over all accounts; "
        "missing when there are none",
        "the whole file",
    ),
    CharacteristicDefinition(
        "hard_inquiries_12m",
        "numeric",
        "Hard inquiries",
        "Number of hard inquiries (credit applications)",
        "last 12 months",
    ),
    CharacteristicDefinition(
        "accounts_opened_12m",
        "numeric",
        "Accounts opened recently",
        "Number of accounts opened",
        "last 12 months",
    ),
    CharacteristicDefinition(
        "credit_mix",
        "categorical",
        "Credit mix",
        "Kinds of open accounts: none, revolving_only, installment_only or "
        "revolving_and_installment (a mortgage counts as installment; open and collection "
        "accounts count as neither)",
        "current",
    ),
)

NAMES: Final[tuple[str, ...]] = tuple(c.name for c in CHARACTERISTICS)
BY_NAME: Final[dict[str, CharacteristicDefinition]] = {c.name: c for c in CHARACTERISTICS}


def is_open(account: AccountInput) -> bool:
    """Open: not closed (no closed date, and not reported paid/closed)."""
    return account.closed_on is None and account.status != PAID_CLOSED_STATUS


def is_derogatory(account: AccountInput) -> bool:
    """A collection or a charge-off."""
    return account.account_type == "collection" or account.status in DEROGATORY_STATUSES


def compute(file: FileInput, today: date) -> dict[str, Value]:
    """Every characteristic of ``file`` on ``today``, by name (None = missing)."""
    worst = 0
    lates = 0
    since: int | None = None
    derogatory = len(file.public_records)
    revolving_balance = 0
    revolving_limit = 0
    with_balance = 0
    has_revolving = False
    has_installment = False
    ages: list[int] = []
    opened_recently = 0

    for account in file.accounts:
        lag = calendar_months_between(account.as_of, today)
        status_severity = STATUS_SEVERITY.get(account.status, 0)
        if is_derogatory(account):
            derogatory += 1
            status_severity = COLLECTION_OR_CHARGE_OFF_SEVERITY
            worst = COLLECTION_OR_CHARGE_OFF_SEVERITY  # on the file, whatever its age
        if status_severity:
            since = lag if since is None else min(since, lag)
            if lag < DELINQUENCY_WINDOW_MONTHS:
                worst = max(worst, status_severity)
        for i, code in enumerate(account.payment_history[:HISTORY_MONTHS]):
            severity = HISTORY_SEVERITY.get(code)
            if severity is None:
                continue
            months_ago = lag + i
            if since is None or months_ago < since:
                since = months_ago
            if months_ago < DELINQUENCY_WINDOW_MONTHS:
                worst = max(worst, severity)
                if severity <= WORST_LATE_SEVERITY:
                    lates += 1

        if is_open(account):
            if account.balance_cents > 0:
                with_balance += 1
            if account.account_type in REVOLVING_TYPES:
                has_revolving = True
                if account.credit_limit_cents:
                    revolving_balance += account.balance_cents
                    revolving_limit += account.credit_limit_cents
            elif account.account_type in INSTALLMENT_TYPES:
                has_installment = True

        age = months_between(account.opened_on, today)
        ages.append(age)
        if account.opened_on <= today and age < NEW_ACCOUNT_WINDOW_MONTHS:
            opened_recently += 1

    hard_inquiries = sum(
        1
        for inquiry in file.inquiries
        if inquiry.kind == "hard"
        and inquiry.at <= today
        and months_between(inquiry.at, today) < INQUIRY_WINDOW_MONTHS
    )
    if has_revolving and has_installment:
        mix = "revolving_and_installment"
    elif has_revolving:
        mix = "revolving_only"
    elif has_installment:
        mix = "installment_only"
    else:
        mix = "none"

    return {
        "worst_delinquency_24m": worst,
        "lates_30plus_24m": lates,
        "months_since_recent_delinquency": since,
        "derogatory_count": derogatory,
        "revolving_utilisation_pct": (
            100.0 * revolving_balance / revolving_limit if revolving_limit > 0 else None
        ),
        "accounts_with_balance": with_balance,
        "oldest_account_months": max(ages) if ages else None,
        "average_account_age_months": sum(ages) / len(ages) if ages else None,
        "hard_inquiries_12m": hard_inquiries,
        "accounts_opened_12m": opened_recently,
        "credit_mix": mix,
    }
