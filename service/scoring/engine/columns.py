"""The files of many subjects as columns, and their characteristics computed column by column.

``FileColumns`` holds the records of ``n`` files, each record with the index of its file; the
batch scorer reads them from the database, ``columns_of_files`` builds them from
``FileInput``s. ``characteristic_columns`` gives every characteristic and the minimum scoring
criteria of every file at once, with numpy.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from service.scoring.engine.characteristics import (
    COLLECTION_OR_CHARGE_OFF_SEVERITY,
    CREDIT_MIX_VALUES,
    DELINQUENCY_WINDOW_MONTHS,
    DEROGATORY_STATUSES,
    HISTORY_SEVERITY,
    INQUIRY_WINDOW_MONTHS,
    INSTALLMENT_TYPES,
    NAMES,
    NEW_ACCOUNT_WINDOW_MONTHS,
    PAID_CLOSED_STATUS,
    REVOLVING_TYPES,
    STATUS_SEVERITY,
    WORST_LATE_SEVERITY,
)
from service.scoring.engine.inputs import AccountInput, FileInput
from service.scoring.rules import (
    HISTORY_MONTHS,
    MAX_MONTHS_SINCE_REPORTED,
    MIN_OLDEST_ACCOUNT_MONTHS,
)

#: Characteristics whose values are whole numbers (the rest are fractions or a category).
INTEGER_VALUED: Final = frozenset(
    {
        "worst_delinquency_24m",
        "lates_30plus_24m",
        "months_since_recent_delinquency",
        "derogatory_count",
        "accounts_with_balance",
        "oldest_account_months",
        "hard_inquiries_12m",
        "accounts_opened_12m",
    }
)

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Owners = npt.NDArray[np.intp]

_SEVERITY_OF_CODE = np.zeros(256, dtype=np.uint8)
for _code, _severity in HISTORY_SEVERITY.items():
    _SEVERITY_OF_CODE[ord(_code)] = _severity
_HISTORY_PAD: Final = "B"  # no earlier history: not a delinquency
_MONTH_OFFSETS = np.arange(HISTORY_MONTHS, dtype=np.int64)
_NO_MONTH: Final = np.iinfo(np.int64).max

#: An account's fixed-width scoring fields joined into one text (so that numpy reads these
#: fields of many accounts from their bytes at once): status, payment history, opened_on and
#: as_of.
PACKED_STATUS = slice(0, 2)
PACKED_HISTORY = slice(2, 26)
PACKED_OPENED = slice(26, 36)
PACKED_AS_OF = slice(36, 46)
PACKED_WIDTH = 46


@dataclass(frozen=True)
class FileColumns:
    """The files of ``n`` subjects as columns of their records, each record with the index
    of its file (``*_owner``, ascending: records are grouped by file).

    Accounts: their fixed-width fields (``packed``, ``PACKED_*``), type, limit, balance and
    whether they are closed. Inquiries: day (``YYYY-MM-DD``) and kind. Bankruptcies: their
    owners only (each one counts).
    """

    n: int
    account_owner: Owners
    packed: Sequence[str]
    account_type: Sequence[str]
    credit_limit_cents: Sequence[int | None]
    balance_cents: Sequence[int]
    closed: Sequence[bool]
    inquiry_owner: Owners
    inquiry_at: Sequence[str]
    inquiry_kind: Sequence[str]
    record_owner: Owners


def pack_account(account: AccountInput) -> str:
    """An account's fixed-width fields (``PACKED_*``)."""
    return (
        account.status
        + account.payment_history
        + account.opened_on.isoformat()
        + account.as_of.isoformat()
    )


def columns_of_files(files: Sequence[FileInput]) -> FileColumns:
    """The columns of some ``FileInput``s (tests and tools; the batch reads rows instead)."""
    accounts = [(k, a) for k, f in enumerate(files) for a in f.accounts]
    inquiries = [(k, q) for k, f in enumerate(files) for q in f.inquiries]
    records = [k for k, f in enumerate(files) for _ in f.public_records]
    return FileColumns(
        n=len(files),
        account_owner=np.array([k for k, _ in accounts], dtype=np.intp),
        packed=[pack_account(a) for _, a in accounts],
        account_type=[a.account_type for _, a in accounts],
        credit_limit_cents=[a.credit_limit_cents for _, a in accounts],
        balance_cents=[a.balance_cents for _, a in accounts],
        closed=[a.closed_on is not None for _, a in accounts],
        inquiry_owner=np.array([k for k, _ in inquiries], dtype=np.intp),
        inquiry_at=[q.at.isoformat() for _, q in inquiries],
        inquiry_kind=[q.kind for _, q in inquiries],
        record_owner=np.array(records, dtype=np.intp),
    )


_DATE_WIDTH: Final = 10


def _text_block(texts: Sequence[str], width: int) -> npt.NDArray[np.uint8]:
    """The bytes of equally wide ASCII texts as an (n, width) matrix."""
    joined = "".join(texts).encode("ascii", "replace")
    if len(joined) != width * len(texts):
        raise ValueError(f"expected texts of {width} characters")
    return np.frombuffer(joined, dtype=np.uint8).reshape(len(texts), width)


_DIGITS = np.zeros(256, dtype=np.bool_)
_DIGITS[ord("0") : ord("9") + 1] = True
_DASHES = [4, 7]


def date_block(texts: Sequence[str]) -> npt.NDArray[np.uint8]:
    """``YYYY-MM-DD`` texts as bytes, checked to be digits and dashes."""
    block = _text_block(texts, _DATE_WIDTH)
    digits = np.delete(block, _DASHES, axis=1)
    if not (_DIGITS[digits].all() and (block[:, _DASHES] == ord("-")).all()):
        raise ValueError("expected dates written YYYY-MM-DD")
    return block


def _packed_block(packed: Sequence[str]) -> npt.NDArray[np.uint8]:
    """The packed accounts as bytes; a payment history that is not 24 months long (never
    furnished so, but possible in the schema) is cut or padded with "B" first."""
    width = PACKED_WIDTH
    if sum(map(len, packed)) != width * len(packed):
        packed = [
            p
            if len(p) == width
            else p[:2] + p[2:-20][:HISTORY_MONTHS].ljust(HISTORY_MONTHS, _HISTORY_PAD) + p[-20:]
            for p in packed
        ]
    return _text_block(packed, width)


def _number(block: npt.NDArray[np.uint8]) -> Ints:
    """The decimal number each row of digit bytes spells."""
    out = np.zeros(block.shape[0], dtype=np.int64)
    for j in range(block.shape[1]):
        out = out * 10 + (block[:, j].astype(np.int64) - ord("0"))
    return out


@dataclass(frozen=True)
class _Days:
    """``YYYY-MM-DD`` dates as year, month and day columns."""

    year: Ints
    month: Ints
    day: Ints

    @classmethod
    def of(cls, block: npt.NDArray[np.uint8]) -> "_Days":
        return cls(_number(block[:, 0:4]), _number(block[:, 5:7]), _number(block[:, 8:10]))

    @classmethod
    def of_texts(cls, texts: Sequence[str]) -> "_Days":
        return cls.of(date_block(texts))

    def on_or_before(self, today: date) -> Bools:
        key = self.year * 10000 + self.month * 100 + self.day
        on_or_before: Bools = key <= today.year * 10000 + today.month * 100 + today.day
        return on_or_before

    def months_to(self, today: date) -> Ints:
        """``rules.months_between(day, today)`` for every day."""
        months: Ints = (today.year - self.year) * 12 + today.month - self.month
        clamped: Ints = np.maximum(months - (today.day < self.day), 0)
        return clamped

    def calendar_months_to(self, today: date) -> Ints:
        """``rules.calendar_months_between(day, today)`` for every day."""
        months: Ints = (today.year - self.year) * 12 + today.month - self.month
        clamped: Ints = np.maximum(months, 0)
        return clamped


def _status_table(values: dict[str, int]) -> Ints:
    """A lookup by the two bytes of a status (256 * first + second)."""
    table = np.zeros(1 << 16, dtype=np.int64)
    for status, value in values.items():
        first, second = status.encode("ascii")
        table[first << 8 | second] = value
    return table


_STATUS_SEVERITY_OF = _status_table(dict(STATUS_SEVERITY))
_DEROGATORY_STATUS_OF = _status_table(dict.fromkeys(DEROGATORY_STATUSES, 1))
_PAID_CLOSED_OF = _status_table({PAID_CLOSED_STATUS: 1})
#: Account types as small codes: 1 revolving, 2 installment (mortgage included), 3 a
#: collection account, 0 anything else.
_REVOLVING, _INSTALLMENT, _COLLECTION = 1, 2, 3
_TYPE_CODE: Final = defaultdict(
    int,
    {
        **dict.fromkeys(REVOLVING_TYPES, _REVOLVING),
        **dict.fromkeys(INSTALLMENT_TYPES, _INSTALLMENT),
        "collection": _COLLECTION,
    },
)


class _Groups:
    """Reductions of per-record values to per-subject values (records grouped by owner)."""

    def __init__(self, owner: Owners, n: int) -> None:
        self.owner = owner
        self.n = n
        self.counts = np.bincount(owner, minlength=n)
        self.present = self.counts > 0
        self.starts = np.searchsorted(owner, np.arange(n))[self.present]

    def count(self, mask: Bools) -> Ints:
        counted: Ints = np.bincount(self.owner[mask], minlength=self.n)
        return counted

    def total(self, values: Ints) -> Ints:
        out = np.zeros(self.n, dtype=np.int64)
        if len(values):
            out[self.present] = np.add.reduceat(values, self.starts)
        return out

    def largest(self, values: Ints, empty: int) -> Ints:
        out = np.full(self.n, empty, dtype=np.int64)
        if len(values):
            out[self.present] = np.maximum.reduceat(values, self.starts)
        return out

    def smallest(self, values: Ints, empty: int) -> Ints:
        out = np.full(self.n, empty, dtype=np.int64)
        if len(values):
            out[self.present] = np.minimum.reduceat(values, self.starts)
        return out


@dataclass(frozen=True)
class Columns:
    """Every characteristic of every subject of a chunk (NaN = missing; ``credit_mix`` as
    its index in ``CREDIT_MIX_VALUES``), and the minimum scoring criteria."""

    numeric: dict[str, Floats]
    credit_mix: Ints
    no_account_old_enough: Bools
    no_recent_report: Bools

    def values(self) -> list[dict[str, Any]]:
        """Per file, the characteristics by name as ``characteristics.compute`` gives them
        (whole numbers as int, missing as None)."""
        named: list[list[Any]] = []
        for name in NAMES:
            if name == "credit_mix":
                named.append([CREDIT_MIX_VALUES[i] for i in self.credit_mix.tolist()])
                continue
            column = self.numeric[name]
            whole = name in INTEGER_VALUED
            named.append(
                [
                    None if v != v else (int(v) if whole else v)  # NaN is missing
                    for v in column.tolist()
                ]
            )
        return [dict(zip(NAMES, row, strict=True)) for row in zip(*named, strict=True)]


def characteristic_columns(chunk: FileColumns, today: date) -> Columns:
    """``characteristics.compute`` and ``rules.no_score_reasons`` for every subject of the
    chunk at once (the definitions are documented there; this is their column form)."""
    groups = _Groups(chunk.account_owner, chunk.n)
    raw = _packed_block(chunk.packed)
    kind = np.fromiter(
        map(_TYPE_CODE.__getitem__, chunk.account_type), dtype=np.int8, count=len(raw)
    )
    s0 = PACKED_STATUS.start
    status = raw[:, s0].astype(np.int64) << 8 | raw[:, s0 + 1]
    opened = _Days.of(raw[:, PACKED_OPENED])
    as_of = _Days.of(raw[:, PACKED_AS_OF])
    closed = np.array(chunk.closed, dtype=np.bool_)
    balance = np.array(chunk.balance_cents, dtype=np.int64)
    # A limit that is missing (None becomes NaN) or zero does not count.
    limit = np.nan_to_num(np.array(chunk.credit_limit_cents, dtype=np.float64)).astype(np.int64)

    # Payment history and delinquencies.
    lag = as_of.calendar_months_to(today)
    derogatory = (kind == _COLLECTION) | (_DEROGATORY_STATUS_OF[status] == 1)
    status_severity = _STATUS_SEVERITY_OF[status]
    status_severity[derogatory] = COLLECTION_OR_CHARGE_OFF_SEVERITY
    severity = _SEVERITY_OF_CODE[raw[:, PACKED_HISTORY]]  # uint8, n x 24
    # Month j of an account's history is lag + j months ago: in the window while j < 24 - lag.
    in_window = _MONTH_OFFSETS[None, :] < (DELINQUENCY_WINDOW_MONTHS - lag)[:, None]
    windowed = severity * in_window
    worst = np.maximum(
        windowed.max(axis=1, initial=0).astype(np.int64),
        np.where((status_severity > 0) & (lag < DELINQUENCY_WINDOW_MONTHS), status_severity, 0),
    )
    worst[derogatory] = COLLECTION_OR_CHARGE_OFF_SEVERITY  # on the file, whatever its age
    # 1..6 are lates (7 is a collection or charge-off); 0 - 1 wraps round to 255.
    lates = ((windowed - np.uint8(1)) < WORST_LATE_SEVERITY).sum(axis=1, dtype=np.int64)
    delinquent = severity > 0
    first = np.where(delinquent.any(axis=1), lag + delinquent.argmax(axis=1), _NO_MONTH)
    since = np.minimum(first, np.where(status_severity > 0, lag, _NO_MONTH))

    # Amounts owed, mix.
    is_open = ~closed & (_PAID_CLOSED_OF[status] == 0)
    revolving = is_open & (kind == _REVOLVING)
    installment = is_open & (kind == _INSTALLMENT)
    with_limit = revolving & (limit != 0)
    revolving_balance = groups.total(np.where(with_limit, balance, 0))
    revolving_limit = groups.total(np.where(with_limit, limit, 0))

    # Length of history, new credit.
    age = opened.months_to(today)
    opened_recently = opened.on_or_before(today) & (age < NEW_ACCOUNT_WINDOW_MONTHS)

    inquiry_owner = chunk.inquiry_owner
    if len(chunk.inquiry_at):
        at = _Days.of_texts(chunk.inquiry_at)
        hard = (
            np.array([k == "hard" for k in chunk.inquiry_kind], dtype=np.bool_)
            & at.on_or_before(today)
            & (at.months_to(today) < INQUIRY_WINDOW_MONTHS)
        )
        hard_inquiries = np.bincount(inquiry_owner[hard], minlength=chunk.n)
    else:
        hard_inquiries = np.zeros(chunk.n, dtype=np.int64)
    bankruptcies = np.bincount(chunk.record_owner, minlength=chunk.n)

    has_revolving = groups.count(revolving) > 0
    has_installment = groups.count(installment) > 0
    mix = np.where(
        has_revolving & has_installment,
        CREDIT_MIX_VALUES.index("revolving_and_installment"),
        np.where(
            has_revolving,
            CREDIT_MIX_VALUES.index("revolving_only"),
            np.where(has_installment, CREDIT_MIX_VALUES.index("installment_only"), 0),
        ),
    ).astype(np.int64)

    count = groups.counts
    any_account = count > 0
    earliest = groups.smallest(since, _NO_MONTH)
    with np.errstate(divide="ignore", invalid="ignore"):
        utilisation = np.where(
            revolving_limit > 0,
            100.0 * revolving_balance.astype(np.float64) / revolving_limit.astype(np.float64),
            np.nan,
        )
        average_age = np.where(
            any_account,
            groups.total(age).astype(np.float64) / count.astype(np.float64),
            np.nan,
        )
    numeric: dict[str, Floats] = {
        "worst_delinquency_24m": groups.largest(worst, 0).astype(np.float64),
        "lates_30plus_24m": groups.total(lates).astype(np.float64),
        "months_since_recent_delinquency": np.where(
            earliest == _NO_MONTH, np.nan, earliest.astype(np.float64)
        ),
        "derogatory_count": (groups.count(derogatory) + bankruptcies).astype(np.float64),
        "revolving_utilisation_pct": utilisation,
        "accounts_with_balance": groups.count(is_open & (balance > 0)).astype(np.float64),
        "oldest_account_months": np.where(
            any_account, groups.largest(age, 0).astype(np.float64), np.nan
        ),
        "average_account_age_months": average_age,
        "hard_inquiries_12m": hard_inquiries.astype(np.float64),
        "accounts_opened_12m": groups.count(opened_recently).astype(np.float64),
    }
    old_enough = opened.on_or_before(today) & (age >= MIN_OLDEST_ACCOUNT_MONTHS)
    recent = as_of.months_to(today) < MAX_MONTHS_SINCE_REPORTED
    return Columns(
        numeric=numeric,
        credit_mix=mix,
        no_account_old_enough=groups.count(old_enough) == 0,
        no_recent_report=groups.count(recent) == 0,
    )
