"""The characteristics a score is made of, each defined once and evaluated two ways.

A characteristic is a small expression over the records of a file: per-record *terms*
(functions of one account, one month of an account's payment history, one inquiry or one
bankruptcy) reduced over the file (count, sum, largest, smallest), then combined into the
value. The same definition is evaluated

- per file, in plain Python, one record at a time: ``evaluate(file, today)``, the reference,
  which scores one file, explains it and simulates changes to it (the definitions are
  compiled once, at import, into one plain function: ``SCALAR_SOURCE``);
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
import linecache
import math
import string
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


def _aggregates_by_level() -> dict[Level, tuple[Aggregate, ...]]:
    every = [g for c in CHARACTERISTICS for g in c.aggregates.values()]
    every += CRITERIA.values()
    return {
        level: tuple(dict.fromkeys(g for g in every if g.level == level))
        for level in ("account", "month", "inquiry", "public_record")
    }


#: Every aggregate, by level (an aggregate shared by several definitions appears once).
AGGREGATES: Final = _aggregates_by_level()


# --- one file, in plain Python: the definitions compiled once --------------------------------
# At import, every definition is applied once to *symbols* instead of values: each operator
# and each ``Ops`` primitive it applies writes one line of Python doing that operation on the
# scalars of one record (``_SymbolOps``). The lines of a level become the body of a loop over
# that level's records, the reductions become running totals, and the values and the criteria
# the tail: one plain function per file, with no object per record and no dispatch per
# operation, whose source is ``SCALAR_SOURCE``. The definitions stay the only statement of
# each rule; this is their per-file evaluator, as ``columns`` is their numpy one.

#: How the per-file evaluator reads the fields a definition sees from one record ``r``
#: (``AccountInput``, ``InquiryInput``; a bankruptcy shows no field).
_ACCOUNT_READS: Final = {
    "account_type": "r.account_type",
    "status": "r.status",
    "balance_cents": "r.balance_cents",
    "credit_limit_cents": "r.credit_limit_cents or 0",
    "closed": "r.closed_on is not None",
    "opened_on": "r.opened_on",
    "as_of": "r.as_of",
}
_INQUIRY_READS: Final = {"kind": "r.kind", "at": "r.at"}
#: A month's fields are the loop variables of the history loop (and its account's ``lag``).
_MONTH_READS: Final = {"code": "code", "index": "index", "lag": "lag"}
#: The codes tried for skipping (``_skipped_codes``); any other code is evaluated in full.
_CODE_CANDIDATES: Final = string.digits + string.ascii_uppercase
#: The month aggregates of one account depend on its history and lag only; many accounts
#: share both, so they are remembered (bounded).
_HISTORY_CACHE_SIZE: Final = 4096


class _Source:
    """The generated module: its names (constants the lines refer to) and fresh local names."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {
            "months_between": months_between,
            "calendar_months_between": calendar_months_between,
            "nan": float("nan"),
        }
        self.count = 0

    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def constant(self, value: Any) -> str:
        """A constant as Python text: a literal when it is one, else a name bound to it."""
        if type(value) in (bool, int, str) or (type(value) is float and math.isfinite(value)):
            return repr(value)
        name = self.fresh("k")
        self.namespace[name] = value
        return name


class _Block:
    """The lines of one loop body (or of the tail) being written, each computing one local;
    the same expression is written once.

    A ``folding`` block writes nothing that it can work out: an operation on constants gives
    its value (the very expression, evaluated), ``where`` on a constant condition or between
    equal constants gives that constant, and ``x & False`` gives False (in a definition ``&``
    joins conditions). It tells which records cannot change any total (``_skipped_codes``).
    """

    def __init__(self, source: _Source, indent: int, *, folding: bool = False) -> None:
        self.source = source
        self.indent = " " * indent
        self.folding = folding
        self.lines: list[str] = []
        self.seen: dict[str, _Symbol] = {}

    def text(self, value: Any) -> str:
        """A symbol's local name, or a constant's text."""
        return value.name if isinstance(value, _Symbol) else self.source.constant(value)

    def let(self, template: str, *operands: Any) -> Any:
        expression = template.format(*map(self.text, operands))
        if self.folding and "today" not in template:
            if not any(isinstance(x, _Symbol) for x in operands):
                # Text written above from this module's constants only.
                return eval(expression, self.source.namespace)  # noqa: S307
        symbol = self.seen.get(expression)
        if symbol is None:
            symbol = _Symbol(self, self.source.fresh("v"))
            self.write(f"{symbol.name} = {expression}")
            self.seen[expression] = symbol
        return symbol

    def read(self, name: str) -> "_Symbol":
        """A local that the surrounding code already holds."""
        return _Symbol(self, name)

    def write(self, line: str) -> None:
        self.lines.append(self.indent + line)


class _Symbol:
    """A value of one record while the definitions are compiled: each Python operator applied
    to it writes the line doing that operation. A definition cannot branch on one (no ``if``,
    ``and``, ``or``, ``not``): it would not vectorise either; ``Ops.where`` does that."""

    __slots__ = ("block", "name")

    def __init__(self, block: _Block, name: str) -> None:
        self.block = block
        self.name = name

    def _binary(self, operator_: str, other: Any) -> Any:
        if self.block.folding and operator_ == "&" and other is False:
            return False
        return self.block.let("{} " + operator_ + " {}", self, other)

    def _reflected(self, operator_: str, other: Any) -> Any:
        if self.block.folding and operator_ == "&" and other is False:
            return False
        return self.block.let("{} " + operator_ + " {}", other, self)

    def __and__(self, other: Any) -> Any:
        return self._binary("&", other)

    def __rand__(self, other: Any) -> Any:
        return self._reflected("&", other)

    def __or__(self, other: Any) -> Any:
        return self._binary("|", other)

    def __ror__(self, other: Any) -> Any:
        return self._reflected("|", other)

    def __add__(self, other: Any) -> Any:
        return self._binary("+", other)

    def __radd__(self, other: Any) -> Any:
        return self._reflected("+", other)

    def __sub__(self, other: Any) -> Any:
        return self._binary("-", other)

    def __rsub__(self, other: Any) -> Any:
        return self._reflected("-", other)

    def __mul__(self, other: Any) -> Any:
        return self._binary("*", other)

    def __rmul__(self, other: Any) -> Any:
        return self._reflected("*", other)

    def __eq__(self, other: object) -> Any:
        return self._binary("==", other)

    def __ne__(self, other: object) -> Any:
        return self._binary("!=", other)

    def __lt__(self, other: Any) -> Any:
        return self._binary("<", other)

    def __le__(self, other: Any) -> Any:
        return self._binary("<=", other)

    def __gt__(self, other: Any) -> Any:
        return self._binary(">", other)

    def __ge__(self, other: Any) -> Any:
        return self._binary(">=", other)

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        raise TypeError("a definition cannot branch on a record's value; use Ops.where")


class _SymbolOps:
    """``Ops`` writing, for each primitive, the Python that applies it to one record's
    scalars; ``today`` is the evaluated function's argument."""

    def __init__(self, block: _Block) -> None:
        self.block = block

    def where(self, condition: Any, yes: Any, no: Any) -> Any:
        if self.block.folding:
            if not isinstance(condition, _Symbol):
                return yes if condition else no
            if not isinstance(yes, _Symbol) and type(yes) is type(no) and yes == no:
                return yes
        return self.block.let("{1} if {0} else {2}", condition, yes, no)

    def maximum(self, a: Any, b: Any) -> Any:
        return self.block.let("max({}, {})", a, b)

    def minimum(self, a: Any, b: Any) -> Any:
        return self.block.let("min({}, {})", a, b)

    def not_(self, condition: Any) -> Any:
        return self.block.let("not {}", condition)

    def lookup(self, table: Mapping[str, int], key: Any) -> Any:
        return self.block.let("{}.get({}, 0)", dict(table), key)

    def member(self, key: Any, values: frozenset[str]) -> Any:
        return self.block.let("{} in {}", key, values)

    def months(self, day: Any) -> Any:
        return self.block.let("months_between({}, today)", day)

    def calendar_months(self, day: Any) -> Any:
        return self.block.let("calendar_months_between({}, today)", day)

    def on_or_before_today(self, day: Any) -> Any:
        return self.block.let("{} <= today", day)

    def divide(self, numerator: Any, denominator: Any) -> Any:
        return self.block.let("{0} / {1} if {1} else nan", numerator, denominator)

    def missing_unless(self, condition: Any, value: Any) -> Any:
        return self.block.let("{1} if {0} else None", condition, value)


class _SymbolRecord:
    """One record's fields (and then its derived fields) as symbols."""

    def __init__(self, fields: Mapping[str, Any]) -> None:
        self.__dict__.update(fields)

    @classmethod
    def read(cls, block: _Block, reads: Mapping[str, str]) -> "_SymbolRecord":
        """A record whose fields are read as ``reads`` says, each into a local."""
        return cls({name: block.let(expression) for name, expression in reads.items()})

    def __getattr__(self, name: str) -> Any:  # a field or a derived field, set in __dict__
        raise AttributeError(name)


def _derive(record: _SymbolRecord, fields: Mapping[str, Term], block: _Block) -> None:
    for name, term in fields.items():
        setattr(record, name, term(record, _SymbolOps(block)))


def _start(g: Aggregate) -> Any:
    return g.empty if g.reduce in ("max", "min") else 0


def _reduce(block: _Block, total: str, g: Aggregate, value: Any) -> None:
    """The line folding one record's ``value`` into the running ``total`` of ``g``: counts
    and sums add (True counts 1), ``max`` keeps the largest, ``min`` the smallest."""
    x = block.text(value)
    if g.reduce in ("count", "sum"):
        block.write(f"{total} += {x}")
    elif g.reduce == "max":
        block.write(f"if {x} > {total}: {total} = {x}")
    else:
        block.write(f"if {x} < {total}: {total} = {x}")


def _level_loop(
    source: _Source,
    level: Level,
    records: str,
    reads: Mapping[str, str],
    fields: Mapping[str, Term],
    totals: Mapping[Aggregate, str],
) -> tuple[_Block, _SymbolRecord]:
    """``for r in <records>:`` and the lines folding each aggregate of ``level`` into its
    total (the caller may append more lines to the loop's block)."""
    block = _Block(source, 8)
    record = _SymbolRecord.read(block, reads)
    _derive(record, fields, block)
    for g in AGGREGATES[level]:
        _reduce(block, totals[g], g, g.term(record, _SymbolOps(block)))
    block.lines[:0] = [f"    for r in {records}:", "        pass"]  # a level may have no term
    return block, record


def _month_terms(block: _Block, code: Any) -> list[Any]:
    """The month terms, ``code`` being the loop's local or, when folding, one code."""
    fields = {name: block.read(local) for name, local in _MONTH_READS.items()}
    record = _SymbolRecord(fields | {"code": code})
    _derive(record, MONTH_FIELDS, block)
    return [g.term(record, _SymbolOps(block)) for g in AGGREGATES["month"]]


def _unchanged(g: Aggregate, value: Any) -> bool:
    """Whether folding ``value`` into ``g``'s total leaves it as it is, whatever the total:
    adding 0, or a constant no larger (``max``) or no smaller (``min``) than the start."""
    if isinstance(value, _Symbol):
        return False
    if g.reduce in ("count", "sum"):
        return bool(value == 0)
    if g.reduce == "max":
        return bool(value <= _start(g))
    return bool(value >= _start(g))


def _skipped_codes(source: _Source) -> frozenset[str]:
    """The payment-history codes (a digit or a capital letter, as Metro 2 writes them) whose
    month changes no month total, whatever its index and lag: the history loop skips them."""
    return frozenset(
        code
        for code in _CODE_CANDIDATES
        if all(
            _unchanged(g, term)
            for g, term in zip(
                AGGREGATES["month"],
                _month_terms(_Block(source, 0, folding=True), code),
                strict=True,
            )
        )
    )


#: The payment-history codes whose month the per-file evaluator skips.
SKIPPED_HISTORY_CODES: Final = _skipped_codes(_Source())


def _history_source(source: _Source) -> list[str]:
    """``history_totals(history, lag)``: the month aggregates over one account's history."""
    block = _Block(source, 8)
    block.write(f"if code in {source.constant(SKIPPED_HISTORY_CODES)}: continue")
    terms = _month_terms(block, block.read("code"))
    totals = [f"s{k}" for k in range(len(AGGREGATES["month"]))]
    for total, g, term in zip(totals, AGGREGATES["month"], terms, strict=True):
        _reduce(block, total, g, term)
    return [
        "def history_totals(history, lag):",
        *(
            f"    {total} = {_start(g)!r}"
            for total, g in zip(totals, AGGREGATES["month"], strict=True)
        ),
        f"    for index, code in enumerate(history[:{HISTORY_MONTHS}]):",
        *block.lines,
        f"    return ({', '.join(totals)},)",
    ]


def _evaluate_source(source: _Source) -> list[str]:
    """``evaluate(file, today)``: ``evaluate`` below, for one file."""
    every = [g for gs in AGGREGATES.values() for g in gs]
    totals = {g: f"t{i}" for i, g in enumerate(every)}
    accounts, account = _level_loop(
        source, "account", "file.accounts", _ACCOUNT_READS, ACCOUNT_FIELDS, totals
    )
    history = [source.fresh("h") for _ in AGGREGATES["month"]]
    accounts.write(f"{', '.join(history)}, = history_totals(r.payment_history, {account.lag.name})")
    for h, g in zip(history, AGGREGATES["month"], strict=True):
        _reduce(accounts, totals[g], g, accounts.read(h))
    inquiries, _ = _level_loop(source, "inquiry", "file.inquiries", _INQUIRY_READS, {}, totals)
    records, _ = _level_loop(source, "public_record", "file.public_records", {}, {}, totals)

    tail = _Block(source, 4)
    values = []
    for c in CHARACTERISTICS:
        reads = {name: tail.read(totals[g]) for name, g in c.aggregates.items()}
        value = c.value(reads, _SymbolOps(tail))
        if c.categories:
            value = tail.let("{}[{}]", c.categories, value)
        values.append(f"{c.name!r}: {tail.text(value)}")
    tail.write("thin = []")
    for reason, g in CRITERIA.items():
        tail.write(f"if {totals[g]} == 0: thin.append({source.constant(reason)})")
    tail.write(f"return {{{', '.join(values)}}}, tuple(thin)")
    return [
        "def evaluate(file, today):",
        *(f"    {totals[g]} = {_start(g)!r}" for g in every),
        *accounts.lines,
        *inquiries.lines,
        *records.lines,
        *tail.lines,
    ]


def _account_field_source(source: _Source, field: str) -> list[str]:
    """``<field>(r, today)``: one derived field of an account (and those it reads)."""
    block = _Block(source, 4)
    record = _SymbolRecord.read(block, _ACCOUNT_READS)
    needed = list(ACCOUNT_FIELDS)[: list(ACCOUNT_FIELDS).index(field) + 1]
    _derive(record, {name: ACCOUNT_FIELDS[name] for name in needed}, block)
    return [
        f"def {field}(r, today):",
        *block.lines,
        f"    return {block.text(getattr(record, field))}",
    ]


def _compile() -> tuple[str, dict[str, Any]]:
    source = _Source()
    lines = [
        *_history_source(source),
        *_evaluate_source(source),
        *_account_field_source(source, "is_open"),
        *_account_field_source(source, "derogatory"),
    ]
    text = "\n".join(lines) + "\n"
    filename = "<characteristics per file>"
    # The text is written above from this module's definitions only; no input reaches it.
    exec(compile(text, filename, "exec"), source.namespace)  # noqa: S102
    history_totals = source.namespace["history_totals"]
    source.namespace["history_totals"] = functools.lru_cache(maxsize=_HISTORY_CACHE_SIZE)(
        history_totals
    )
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    return text, source.namespace


#: The per-file evaluator's Python, generated from the definitions (for reading and debugging).
SCALAR_SOURCE, _COMPILED = _compile()
_evaluate: Callable[[FileInput, date], tuple[dict[str, Value], tuple[NoScoreReason, ...]]] = (
    _COMPILED["evaluate"]
)
_open: Callable[[AccountInput, date], bool] = _COMPILED["is_open"]
_derogatory_of: Callable[[AccountInput, date], bool] = _COMPILED["derogatory"]


def evaluate(file: FileInput, today: date) -> tuple[dict[str, Value], tuple[NoScoreReason, ...]]:
    """Every characteristic of ``file`` on ``today`` by name (None = missing), and why the
    file cannot be scored (``CRITERIA``; empty when it meets the minimum scoring criteria)."""
    return _evaluate(file, today)


def compute(file: FileInput, today: date) -> dict[str, Value]:
    """Every characteristic of ``file`` on ``today``, by name (None = missing)."""
    return _evaluate(file, today)[0]


def no_score_reasons(file: FileInput, today: date) -> tuple[NoScoreReason, ...]:
    """Why the file cannot be scored; empty when it meets the minimum scoring criteria."""
    return _evaluate(file, today)[1]


def is_open(account: AccountInput) -> bool:
    """Open: not closed (no closed date, and not reported paid/closed)."""
    return bool(_open(account, account.as_of))


def is_derogatory(account: AccountInput) -> bool:
    """A collection or a charge-off."""
    return bool(_derogatory_of(account, account.as_of))
