"""The characteristics a score is made of, each defined once and evaluated two ways.

A characteristic is a small expression over the records of a file: per-record *terms*
(functions of one account, one month of an account's payment history, one inquiry or one
bankruptcy) reduced over the file (count, sum, largest, smallest), then combined into the
value. The same definition is evaluated

- per file, in plain Python, one record at a time: ``evaluate(file, today)``, the reference,
  which scores one file, explains it and simulates changes to it;
- over many files at once, with numpy, one column per field: ``columns.characteristic_columns``
  (the batch scorer).

A definition only uses Python operators (``&``, ``|``, comparisons, arithmetic) and the
primitives of ``Ops`` (``where``, ``lookup``, month arithmetic against ``today``...), which
each evaluator implements for its own values: scalars for one file, arrays for many. A
property test checks that the two give identical values for every characteristic.

The inputs are the records of ``service.scoring.engine.inputs`` (financial file data, items
no longer on the file already left out by the file domain) and the day, so nothing else can
reach a score. Each characteristic is documented below (name, definition, the window it looks
at); the names are the contract shared with the published scorecards.

Time: ages and windows use whole months (``rules.months_between``): a day is within the last
N months when fewer than N whole months separate it from today. A payment-history profile is
24 monthly buckets, newest first, the first being the month of the account's ``as_of``; its
month *i* is therefore ``i`` plus the calendar months from ``as_of`` to today.
"""

import functools
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Literal, Protocol

from service.scoring.engine.inputs import AccountInput, FileInput
from service.scoring.rules import (
    HISTORY_MONTHS,
    MAX_MONTHS_SINCE_REPORTED,
    MIN_OLDEST_ACCOUNT_MONTHS,
    NO_ACCOUNT_OLD_ENOUGH,
    NO_RECENT_REPORT,
    NoScoreReason,
    calendar_months_between,
    months_between,
)

#: A characteristic's value: a number, a category, or None when it is missing.
Value = float | str | None
Kind = Literal["numeric", "categorical"]
Level = Literal["account", "month", "inquiry", "public_record"]
Reduction = Literal["count", "sum", "max", "min"]

#: Payment history and delinquencies are looked at over the last 24 months.
DELINQUENCY_WINDOW_MONTHS: Final = 24
#: Inquiries are scored over the last 12 months.
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
COLLECTION_TYPE: Final = "collection"
REVOLVING_TYPES: Final = frozenset({"revolving"})
INSTALLMENT_TYPES: Final = frozenset({"installment", "mortgage"})
#: Every account type a file may hold.
ACCOUNT_TYPES: Final = ("revolving", "installment", "mortgage", "open", "collection")
HARD_INQUIRY: Final = "hard"

CREDIT_MIX_VALUES: Final = (
    "none",
    "revolving_only",
    "installment_only",
    "revolving_and_installment",
)
#: "No such month": larger than any number of months, for a smallest-month reduction.
NO_MONTH: Final = 2**62


# --- what a definition may use ---------------------------------------------------------------


class Ops(Protocol):
    """The primitives of a definition. ``x`` and friends are a scalar per record when one
    file is evaluated, an array per column when many are."""

    def where(self, condition: Any, yes: Any, no: Any) -> Any: ...
    def maximum(self, a: Any, b: Any) -> Any: ...
    def minimum(self, a: Any, b: Any) -> Any: ...
    def not_(self, condition: Any) -> Any: ...
    def lookup(self, table: Mapping[str, int], key: Any) -> Any:
        """``table[key]``, 0 for a key not in the table."""
        ...

    def member(self, key: Any, values: frozenset[str]) -> Any: ...
    def months(self, day: Any) -> Any:
        """``rules.months_between(day, today)``."""
        ...

    def calendar_months(self, day: Any) -> Any:
        """``rules.calendar_months_between(day, today)``."""
        ...

    def on_or_before_today(self, day: Any) -> Any: ...
    def divide(self, numerator: Any, denominator: Any) -> Any:
        """A float; anything when the denominator is 0 (a definition then says missing)."""
        ...

    def missing_unless(self, condition: Any, value: Any) -> Any: ...


Term = Callable[[Any, Ops], Any]


@dataclass(frozen=True, slots=True, eq=False)
class Aggregate:
    """A term of each record of one ``level`` reduced over a file."""

    level: Level
    reduce: Reduction
    term: Term
    #: The value over no record (for ``max`` and ``min``; counts and sums start at 0).
    empty: int = 0


@dataclass(frozen=True, slots=True)
class CharacteristicDefinition:
    name: str
    kind: Kind
    title: str
    definition: str
    window: str
    #: The aggregates the value is made of, by the name ``value`` reads them by.
    aggregates: Mapping[str, Aggregate]
    #: The value from the aggregates: a number, or for a category its index in
    #: ``categories``; missing through ``Ops.missing_unless``.
    value: Callable[[Mapping[str, Any], Ops], Any]
    #: Whether a (present) numeric value is a whole number.
    whole: bool = True
    categories: tuple[str, ...] = ()


# --- fields derived from an account, shared by several definitions --------------------------
# ``a`` is one account (its fields as in ``AccountInput``, ``closed`` for ``closed_on`` set and
# ``credit_limit_cents`` 0 when there is none); ``m`` one month of its payment history: its
# ``code``, its ``index`` (0 the newest) and its account's ``lag``, nothing else.


def _derogatory(a: Any, o: Ops) -> Any:
    """A collection or a charge-off."""
    return (a.account_type == COLLECTION_TYPE) | o.member(a.status, DEROGATORY_STATUSES)


def _status_severity(a: Any, o: Ops) -> Any:
    return o.where(
        a.derogatory, COLLECTION_OR_CHARGE_OFF_SEVERITY, o.lookup(STATUS_SEVERITY, a.status)
    )


def _is_open(a: Any, o: Ops) -> Any:
    """Open: not closed (no closed date, and not reported paid/closed)."""
    return o.not_(a.closed) & o.not_(a.status == PAID_CLOSED_STATUS)


ACCOUNT_FIELDS: Final[dict[str, Term]] = {
    "derogatory": _derogatory,
    "status_severity": _status_severity,
    "is_open": _is_open,
    "lag": lambda a, o: o.calendar_months(a.as_of),
    "age": lambda a, o: o.months(a.opened_on),
    "revolving": lambda a, o: a.is_open & o.member(a.account_type, REVOLVING_TYPES),
    "installment": lambda a, o: a.is_open & o.member(a.account_type, INSTALLMENT_TYPES),
    "with_limit": lambda a, o: a.revolving & (a.credit_limit_cents != 0),
}
MONTH_FIELDS: Final[dict[str, Term]] = {
    "severity": lambda m, o: o.lookup(HISTORY_SEVERITY, m.code),
    "months_ago": lambda m, o: m.lag + m.index,
}


def _count(level: Level, term: Term) -> Aggregate:
    return Aggregate(level, "count", term)


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
        aggregates={
            "history": Aggregate(
                "month",
                "max",
                lambda m, o: o.where(m.months_ago < DELINQUENCY_WINDOW_MONTHS, m.severity, 0),
            ),
            # A collection or charge-off counts on the file, whatever its age.
            "status": Aggregate(
                "account",
                "max",
                lambda a, o: o.where(
                    a.derogatory | (a.lag < DELINQUENCY_WINDOW_MONTHS), a.status_severity, 0
                ),
            ),
        },
        value=lambda v, o: o.maximum(v["history"], v["status"]),
    ),
    CharacteristicDefinition(
        "lates_30plus_24m",
        "numeric",
        "30+ day late payments",
        "Number of account-months with a history code 1-6 (30 days late or worse)",
        "last 24 months",
        aggregates={
            "lates": _count(
                "month",
                lambda m, o: (
                    (m.months_ago < DELINQUENCY_WINDOW_MONTHS)
                    & (m.severity >= 1)
                    & (m.severity <= WORST_LATE_SEVERITY)
                ),
            )
        },
        value=lambda v, o: v["lates"],
    ),
    CharacteristicDefinition(
        "months_since_recent_delinquency",
        "numeric",
        "Months since the most recent delinquency",
        "Months from the most recent month with a history code 1-6, G or L, or with a late, "
        "collection or charge-off status, to today; missing when there is none",
        "the 24-month history of each account",
        aggregates={
            "history": Aggregate(
                "month",
                "min",
                lambda m, o: o.where(m.severity > 0, m.months_ago, NO_MONTH),
                NO_MONTH,
            ),
            "status": Aggregate(
                "account",
                "min",
                lambda a, o: o.where(a.status_severity > 0, a.lag, NO_MONTH),
                NO_MONTH,
            ),
        },
        value=lambda v, o: o.missing_unless(
            o.minimum(v["history"], v["status"]) < NO_MONTH,
            o.minimum(v["history"], v["status"]),
        ),
    ),
    CharacteristicDefinition(
        "derogatory_count",
        "numeric",
        "Derogatory items",
        "Collections (account type collection or status 93) and charge-offs (status 97), one "
        "per account, plus bankruptcies (public records)",
        "the whole file (obsolete items have left it)",
        aggregates={
            "accounts": _count("account", lambda a, o: a.derogatory),
            "bankruptcies": _count("public_record", lambda r, o: True),
        },
        value=lambda v, o: v["accounts"] + v["bankruptcies"],
    ),
    CharacteristicDefinition(
        "revolving_utilisation_pct",
        "numeric",
        "Revolving utilisation",
        "100 x sum of balances / sum of credit limits over open revolving accounts that have a "
        "limit; missing when there is no open revolving limit",
        "current",
        aggregates={
            "balance": Aggregate(
                "account", "sum", lambda a, o: o.where(a.with_limit, a.balance_cents, 0)
            ),
            "limit": Aggregate(
                "account", "sum", lambda a, o: o.where(a.with_limit, a.credit_limit_cents, 0)
            ),
        },
        value=lambda v, o: o.missing_unless(
            v["limit"] > 0, o.divide(100.0 * v["balance"], v["limit"])
        ),
        whole=False,
    ),
    CharacteristicDefinition(
        "accounts_with_balance",
        "numeric",
        "Accounts with a balance",
        "Number of open accounts with a balance above zero",
        "current",
        aggregates={"n": _count("account", lambda a, o: a.is_open & (a.balance_cents > 0))},
        value=lambda v, o: v["n"],
    ),
    CharacteristicDefinition(
        "oldest_account_months",
        "numeric",
        "Age of the oldest account",
        "Whole months from the opening of the oldest account to today, over all accounts; "
        "missing when there are none",
        "the whole file",
        aggregates={
            "oldest": Aggregate("account", "max", lambda a, o: a.age),
            "accounts": _count("account", lambda a, o: True),
        },
        value=lambda v, o: o.missing_unless(v["accounts"] > 0, v["oldest"]),
    ),
    CharacteristicDefinition(
        "average_account_age_months",
        "numeric",
        "Average age of accounts",
        "Mean of the whole months from each account's opening to today, over all accounts; "
        "missing when there are none",
        "the whole file",
        aggregates={
            "ages": Aggregate("account", "sum", lambda a, o: a.age),
            "accounts": _count("account", lambda a, o: True),
        },
        value=lambda v, o: o.missing_unless(v["accounts"] > 0, o.divide(v["ages"], v["accounts"])),
        whole=False,
    ),
    CharacteristicDefinition(
        "hard_inquiries_12m",
        "numeric",
        "Hard inquiries",
        "Number of hard inquiries (credit applications)",
        "last 12 months",
        aggregates={
            "n": _count(
                "inquiry",
                lambda q, o: (
                    (q.kind == HARD_INQUIRY)
                    & o.on_or_before_today(q.at)
                    & (o.months(q.at) < INQUIRY_WINDOW_MONTHS)
                ),
            )
        },
        value=lambda v, o: v["n"],
    ),
    CharacteristicDefinition(
        "accounts_opened_12m",
        "numeric",
        "Accounts opened recently",
        "Number of accounts opened",
        "last 12 months",
        aggregates={
            "n": _count(
                "account",
                lambda a, o: (
                    o.on_or_before_today(a.opened_on) & (a.age < NEW_ACCOUNT_WINDOW_MONTHS)
                ),
            )
        },
        value=lambda v, o: v["n"],
    ),
    CharacteristicDefinition(
        "credit_mix",
        "categorical",
        "Credit mix",
        "Kinds of open accounts: none, revolving_only, installment_only or "
        "revolving_and_installment (a mortgage counts as installment; open and collection "
        "accounts count as neither)",
        "current",
        aggregates={
            "revolving": _count("account", lambda a, o: a.revolving),
            "installment": _count("account", lambda a, o: a.installment),
        },
        value=lambda v, o: o.where(v["revolving"] > 0, 1, 0) + o.where(v["installment"] > 0, 2, 0),
        categories=CREDIT_MIX_VALUES,
    ),
)

NAMES: Final[tuple[str, ...]] = tuple(c.name for c in CHARACTERISTICS)
BY_NAME: Final[dict[str, CharacteristicDefinition]] = {c.name: c for c in CHARACTERISTICS}

#: The minimum scoring criteria (``rules``), as aggregates: how many accounts were opened
#: ``MIN_OLDEST_ACCOUNT_MONTHS`` ago or more, and how many were reported within
#: ``MAX_MONTHS_SINCE_REPORTED``.
CRITERIA: Final[dict[NoScoreReason, Aggregate]] = {
    NO_ACCOUNT_OLD_ENOUGH: _count(
        "account",
        lambda a, o: o.on_or_before_today(a.opened_on) & (a.age >= MIN_OLDEST_ACCOUNT_MONTHS),
    ),
    NO_RECENT_REPORT: _count("account", lambda a, o: o.months(a.as_of) < MAX_MONTHS_SINCE_REPORTED),
}


# --- one file, in plain Python ----------------------------------------------------------------


class _ScalarOps:
    """``Ops`` over the scalars of one record."""

    __slots__ = ("today",)

    def __init__(self, today: date) -> None:
        self.today = today

    def where(self, condition: Any, yes: Any, no: Any) -> Any:
        return yes if condition else no

    def maximum(self, a: Any, b: Any) -> Any:
        return max(a, b)

    def minimum(self, a: Any, b: Any) -> Any:
        return min(a, b)

    def not_(self, condition: Any) -> Any:
        return not condition

    def lookup(self, table: Mapping[str, int], key: Any) -> Any:
        return table.get(key, 0)

    def member(self, key: Any, values: frozenset[str]) -> Any:
        return key in values

    def months(self, day: Any) -> Any:
        return months_between(day, self.today)

    def calendar_months(self, day: Any) -> Any:
        return calendar_months_between(day, self.today)

    def on_or_before_today(self, day: Any) -> Any:
        return day <= self.today

    def divide(self, numerator: Any, denominator: Any) -> Any:
        return numerator / denominator if denominator else float("nan")

    def missing_unless(self, condition: Any, value: Any) -> Any:
        return value if condition else None


class _Record:
    """One record's fields as attributes (a month also reads its account's)."""

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)

    def __getattr__(self, name: str) -> Any:  # a field or a derived field, set in __dict__
        raise AttributeError(name)


def _derive(record: _Record, fields: Mapping[str, Term], o: Ops) -> _Record:
    for name, term in fields.items():
        setattr(record, name, term(record, o))
    return record


def _account_record(account: AccountInput, o: Ops) -> _Record:
    record = _Record(
        account_type=account.account_type,
        status=account.status,
        balance_cents=account.balance_cents,
        credit_limit_cents=account.credit_limit_cents or 0,
        closed=account.closed_on is not None,
        opened_on=account.opened_on,
        as_of=account.as_of,
    )
    return _derive(record, ACCOUNT_FIELDS, o)


def _aggregates_by_level() -> dict[Level, tuple[Aggregate, ...]]:
    every = [g for c in CHARACTERISTICS for g in c.aggregates.values()]
    every += CRITERIA.values()
    return {
        level: tuple(dict.fromkeys(g for g in every if g.level == level))
        for level in ("account", "month", "inquiry", "public_record")
    }


#: Every aggregate, by level, and the position of each in a file's totals.
AGGREGATES: Final = _aggregates_by_level()
_POSITION: Final = {g: i for i, g in enumerate(g for gs in AGGREGATES.values() for g in gs)}
_COMBINE: Final[dict[Reduction, Callable[[Any, Any], Any]]] = {
    "count": operator.add,
    "sum": operator.add,
    "max": max,
    "min": min,
}


def _start(g: Aggregate) -> Any:
    return g.empty if g.reduce in ("max", "min") else 0


def _plan(level: Level) -> tuple[tuple[int, Term, Callable[[Any, Any], Any]], ...]:
    return tuple((_POSITION[g], g.term, _COMBINE[g.reduce]) for g in AGGREGATES[level])


_START: Final = tuple(_start(g) for g in _POSITION)
_ACCOUNT_PLAN: Final = _plan("account")
_MONTH_PLAN: Final = _plan("month")
_INQUIRY_PLAN: Final = _plan("inquiry")
_RECORD_PLAN: Final = _plan("public_record")
_READS: Final = tuple(
    (c, tuple((name, _POSITION[g]) for name, g in c.aggregates.items())) for c in CHARACTERISTICS
)


@functools.lru_cache(maxsize=4096)
def _history_totals(history: str, lag: int) -> tuple[Any, ...]:
    """The month aggregates over one account's payment history. A month's terms see only its
    code, its index and its account's ``lag``, so this depends on nothing else (remembered:
    many accounts share a history and a lag)."""
    o = _ScalarOps(date.min)  # a month's terms read no date
    totals = [_start(g) for g in AGGREGATES["month"]]
    for i, code in enumerate(history[:HISTORY_MONTHS]):
        m = _derive(_Record(code=code, index=i, lag=lag), MONTH_FIELDS, o)
        for k, (_, term, combine) in enumerate(_MONTH_PLAN):
            totals[k] = combine(totals[k], term(m, o))
    return tuple(totals)


def _aggregate_file(file: FileInput, o: _ScalarOps) -> list[Any]:
    """Every aggregate of ``file`` (in ``_POSITION`` order), one record at a time."""
    totals = list(_START)
    for account in file.accounts:
        a = _account_record(account, o)
        for i, term, combine in _ACCOUNT_PLAN:
            totals[i] = combine(totals[i], term(a, o))
        history = _history_totals(account.payment_history, a.lag)
        for (i, _, combine), total in zip(_MONTH_PLAN, history, strict=True):
            totals[i] = combine(totals[i], total)
    for inquiry in file.inquiries:
        q = _Record(kind=inquiry.kind, at=inquiry.at)
        for i, term, combine in _INQUIRY_PLAN:
            totals[i] = combine(totals[i], term(q, o))
    for _ in file.public_records:
        r = _Record()
        for i, term, combine in _RECORD_PLAN:
            totals[i] = combine(totals[i], term(r, o))
    return totals


def evaluate(file: FileInput, today: date) -> tuple[dict[str, Value], tuple[NoScoreReason, ...]]:
    """Every characteristic of ``file`` on ``today`` by name (None = missing), and why the
    file cannot be scored (``CRITERIA``; empty when it meets the minimum scoring criteria)."""
    o = _ScalarOps(today)
    totals = _aggregate_file(file, o)
    values: dict[str, Value] = {}
    for c, reads in _READS:
        value = c.value({name: totals[i] for name, i in reads}, o)
        values[c.name] = c.categories[value] if c.categories else value
    thin = tuple(reason for reason, g in CRITERIA.items() if totals[_POSITION[g]] == 0)
    return values, thin


def compute(file: FileInput, today: date) -> dict[str, Value]:
    """Every characteristic of ``file`` on ``today``, by name (None = missing)."""
    return evaluate(file, today)[0]


def no_score_reasons(file: FileInput, today: date) -> tuple[NoScoreReason, ...]:
    """Why the file cannot be scored; empty when it meets the minimum scoring criteria."""
    return evaluate(file, today)[1]


def is_open(account: AccountInput) -> bool:
    """Open: not closed (no closed date, and not reported paid/closed)."""
    return bool(_account_record(account, _ScalarOps(account.as_of)).is_open)


def is_derogatory(account: AccountInput) -> bool:
    """A collection or a charge-off."""
    return bool(_account_record(account, _ScalarOps(account.as_of)).derogatory)
