"""The files of many subjects as columns, and their characteristics computed column by column.

``FileColumns`` holds the records of ``n`` files, each record with the index of its file; the
batch scorer reads them from the database, ``columns_of_files`` builds them from
``FileInput``s. ``characteristic_columns`` gives every characteristic and the minimum scoring
criteria of every file at once, with numpy.
"""

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Protocol

import numpy as np
import numpy.typing as npt

from service.scoring.engine.characteristics import (
    ACCOUNT_FIELDS,
    AGGREGATES,
    CHARACTERISTICS,
    CREDIT_MIX_VALUES,
    CRITERIA,
    MONTH_FIELDS,
    NAMES,
    Aggregate,
    Level,
    Reduction,
)
from service.scoring.engine.inputs import AccountInput, FileInput
from service.scoring.rules import HISTORY_MONTHS, NO_ACCOUNT_OLD_ENOUGH, NO_RECENT_REPORT

#: Characteristics whose values are whole numbers (the rest are fractions or a category).
INTEGER_VALUED: Final = frozenset(c.name for c in CHARACTERISTICS if c.whole and not c.categories)

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Owners = npt.NDArray[np.intp]

_HISTORY_PAD: Final = "B"  # no earlier history: not a delinquency
_MONTH_OFFSETS = np.arange(HISTORY_MONTHS, dtype=np.int64)

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


class _Day(Protocol):
    """A day, or a column of days: a ``date``, or ``_Today`` (one day per record)."""

    @property
    def year(self) -> Any: ...
    @property
    def month(self) -> Any: ...
    @property
    def day(self) -> Any: ...


@dataclass(frozen=True)
class _Today:
    """The day each record is evaluated on, when the files of a chunk are evaluated on days
    of their own: year, month and day columns aligned with the records (or the files)."""

    year: Ints
    month: Ints
    day: Ints

    @classmethod
    def of(cls, days: Sequence[date]) -> "_Today":
        return cls(
            np.array([d.year for d in days], dtype=np.int64),
            np.array([d.month for d in days], dtype=np.int64),
            np.array([d.day for d in days], dtype=np.int64),
        )

    def of_records(self, owner: Owners, shape: tuple[int, ...] = (-1,)) -> "_Today":
        """The day of each record, from its file's (``owner``)."""
        return _Today(
            self.year[owner].reshape(shape),
            self.month[owner].reshape(shape),
            self.day[owner].reshape(shape),
        )


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

    @classmethod
    def empty(cls) -> "_Days":
        none = np.zeros(0, dtype=np.int64)
        return cls(none, none, none)

    def on_or_before(self, today: _Day) -> Bools:
        key = self.year * 10000 + self.month * 100 + self.day
        on_or_before: Bools = key <= today.year * 10000 + today.month * 100 + today.day
        return on_or_before

    def months_to(self, today: _Day) -> Ints:
        """``rules.months_between(day, today)`` for every day."""
        months: Ints = (today.year - self.year) * 12 + today.month - self.month
        clamped: Ints = np.maximum(months - (today.day < self.day), 0)
        return clamped

    def calendar_months_to(self, today: _Day) -> Ints:
        """``rules.calendar_months_between(day, today)`` for every day."""
        months: Ints = (today.year - self.year) * 12 + today.month - self.month
        clamped: Ints = np.maximum(months, 0)
        return clamped


class _Codes:
    """A column of categories as integer codes: ``key`` gives the code of a category (-1
    for one the column cannot hold), ``size`` bounds the codes."""

    def __init__(self, codes: npt.NDArray[Any], key: Callable[[str], int], size: int) -> None:
        self.codes = codes
        self.key = key
        self.size = size

    @classmethod
    def of_strings(cls, values: Sequence[str]) -> "_Codes":
        vocabulary = {v: i for i, v in enumerate(sorted(set(values)))}
        codes = np.fromiter(map(vocabulary.__getitem__, values), dtype=np.intp, count=len(values))
        return cls(codes, lambda v: vocabulary.get(v, -1), max(len(vocabulary), 1))

    def __eq__(self, other: object) -> Any:
        if not isinstance(other, str):
            return NotImplemented
        return self.codes == self.key(other)

    __hash__ = None  # type: ignore[assignment]

    def lookup(self, table: Mapping[str, int]) -> npt.NDArray[np.signedinteger[Any]]:
        """``table[category]`` of each value (0 for a category not in the table)."""
        looked_up: npt.NDArray[np.signedinteger[Any]] = _table(
            self.key, self.size, tuple(table.items())
        )[self.codes]
        return looked_up


@functools.lru_cache(maxsize=64)
def _table(
    key: Callable[[str], int], size: int, items: tuple[tuple[str, int], ...]
) -> npt.NDArray[np.signedinteger[Any]]:
    """A lookup table by code, in the smallest integer type that holds its values."""
    numbers = [value for _, value in items]
    dtype = np.result_type(np.int8, *(np.min_scalar_type(v) for v in numbers))
    values = np.zeros(size, dtype=dtype)
    for category, value in items:
        code = key(category)
        if 0 <= code < size:
            values[code] = value
    values.setflags(write=False)
    return values


def _two_bytes(text: str) -> int:
    raw = text.encode("ascii", "replace")
    return raw[0] << 8 | raw[1] if len(raw) == 2 else -1


def _one_byte(text: str) -> int:
    raw = text.encode("ascii", "replace")
    return raw[0] if len(raw) == 1 else -1


class _ColumnOps:
    """``Ops`` over the columns of many records."""

    def __init__(self, today: _Day) -> None:
        self.today = today

    def where(self, condition: Any, yes: Any, no: Any) -> Any:
        return np.where(condition, yes, no)

    def maximum(self, a: Any, b: Any) -> Any:
        return np.maximum(a, b)

    def minimum(self, a: Any, b: Any) -> Any:
        return np.minimum(a, b)

    def not_(self, condition: Any) -> Any:
        return np.logical_not(condition)

    def lookup(self, table: Mapping[str, int], key: Any) -> Any:
        return key.lookup(table)

    def member(self, key: Any, values: frozenset[str]) -> Any:
        return key.lookup(dict.fromkeys(values, 1)) != 0

    def months(self, day: Any) -> Any:
        return day.months_to(self.today)

    def calendar_months(self, day: Any) -> Any:
        return day.calendar_months_to(self.today)

    def on_or_before_today(self, day: Any) -> Any:
        return day.on_or_before(self.today)

    def divide(self, numerator: Any, denominator: Any) -> Any:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.true_divide(numerator, denominator)

    def missing_unless(self, condition: Any, value: Any) -> Any:
        return np.where(condition, value, np.nan)


class _Record:
    """The columns of one level's records as attributes."""

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)

    def __getattr__(self, name: str) -> Any:  # a field or a derived field, set in __dict__
        raise AttributeError(name)


def _derive(record: _Record, fields: Mapping[str, Any], o: _ColumnOps) -> _Record:
    for name, term in fields.items():
        setattr(record, name, term(record, o))
    return record


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


def _reduce_rows(how: Reduction, values: Any, empty: int) -> Any:
    """A month term of every account reduced over its months (axis 1)."""
    if how in ("count", "sum"):
        return values.sum(axis=1, dtype=np.int64)
    if how == "max":
        return values.max(axis=1, initial=empty)
    return values.min(axis=1, initial=empty)


def _reduce_groups(groups: "_Groups", how: Reduction, values: Any, empty: int) -> Any:
    if how == "count":
        return groups.count(values.astype(np.bool_))
    if how == "sum":
        return groups.total(values.astype(np.int64))
    if how == "max":
        return groups.largest(values.astype(np.int64), empty)
    return groups.smallest(values.astype(np.int64), empty)


def _level_totals(
    level: Level, record: _Record, groups: "_Groups", shape: tuple[int, ...], o: _ColumnOps
) -> dict[Aggregate, Any]:
    """Every aggregate of one level (``o``: the level's operations, its records' days)."""
    out = {}
    for g in AGGREGATES[level]:
        values = np.broadcast_to(g.term(record, o), shape)
        if level == "month":
            values = _reduce_rows(g.reduce, values, g.empty)
        how: Reduction = "sum" if level == "month" and g.reduce == "count" else g.reduce
        out[g] = _reduce_groups(groups, how, values, g.empty)
    return out


class _LevelOps:
    """The operations of each level: one day for every record, or each file's own day."""

    def __init__(self, chunk: FileColumns, today: date | Sequence[date]) -> None:
        if isinstance(today, date):
            same = _ColumnOps(today)
            self.file = self.account = self.month = self.inquiry = self.record = same
            return
        if len(today) != chunk.n:
            raise ValueError("one day per file is needed")
        days = _Today.of(today)
        self.file = _ColumnOps(days)
        self.account = _ColumnOps(days.of_records(chunk.account_owner))
        self.month = _ColumnOps(days.of_records(chunk.account_owner, (-1, 1)))
        self.inquiry = _ColumnOps(days.of_records(chunk.inquiry_owner))
        self.record = _ColumnOps(days.of_records(chunk.record_owner))


def characteristic_columns(chunk: FileColumns, today: date | Sequence[date]) -> Columns:
    """``characteristics.evaluate`` for every file of the chunk at once: the same
    definitions, evaluated over columns. ``today`` is the day of every file, or one day per
    file (each file is evaluated on its own)."""
    ops = _LevelOps(chunk, today)
    n = chunk.n
    raw = _packed_block(chunk.packed)
    accounts = len(raw)
    s0 = PACKED_STATUS.start
    status = raw[:, s0].astype(np.int64) << 8 | raw[:, s0 + 1]
    # A limit that is missing (None becomes NaN) counts as 0.
    limit = np.nan_to_num(np.array(chunk.credit_limit_cents, dtype=np.float64)).astype(np.int64)
    a = _derive(
        _Record(
            account_type=_Codes.of_strings(chunk.account_type),
            status=_Codes(status, _two_bytes, 1 << 16),
            balance_cents=np.array(chunk.balance_cents, dtype=np.int64),
            credit_limit_cents=limit,
            closed=np.array(chunk.closed, dtype=np.bool_),
            opened_on=_Days.of(raw[:, PACKED_OPENED]),
            as_of=_Days.of(raw[:, PACKED_AS_OF]),
        ),
        ACCOUNT_FIELDS,
        ops.account,
    )
    m = _derive(
        _Record(
            code=_Codes(raw[:, PACKED_HISTORY], _one_byte, 256),
            index=_MONTH_OFFSETS[None, :],
            lag=np.asarray(a.lag)[:, None],
        ),
        MONTH_FIELDS,
        ops.month,
    )
    account_groups = _Groups(chunk.account_owner, n)
    totals = _level_totals("account", a, account_groups, (accounts,), ops.account)
    totals |= _level_totals("month", m, account_groups, (accounts, HISTORY_MONTHS), ops.month)
    inquiries = len(chunk.inquiry_at)
    q = _Record(
        kind=_Codes.of_strings(chunk.inquiry_kind),
        at=_Days.of_texts(chunk.inquiry_at) if inquiries else _Days.empty(),
    )
    totals |= _level_totals(
        "inquiry", q, _Groups(chunk.inquiry_owner, n), (inquiries,), ops.inquiry
    )
    records = len(chunk.record_owner)
    totals |= _level_totals(
        "public_record", _Record(), _Groups(chunk.record_owner, n), (records,), ops.record
    )

    numeric: dict[str, Floats] = {}
    credit_mix = np.zeros(n, dtype=np.int64)
    for c in CHARACTERISTICS:
        value = np.broadcast_to(
            c.value({name: totals[g] for name, g in c.aggregates.items()}, ops.file), (n,)
        )
        if c.categories:
            credit_mix = value.astype(np.int64)
        else:
            numeric[c.name] = value.astype(np.float64)
    return Columns(
        numeric=numeric,
        credit_mix=credit_mix,
        no_account_old_enough=totals[CRITERIA[NO_ACCOUNT_OLD_ENOUGH]] == 0,
        no_recent_report=totals[CRITERIA[NO_RECENT_REPORT]] == 0,
    )
