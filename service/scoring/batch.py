"""Batch scoring: every subject in the database, in chunks, with the vectorised engine.

``score_all`` reads the file of a chunk of subjects with three Core selects (accounts,
inquiries, bankruptcies: plain tuples, no ORM object, no per-subject query), leaves out what
is not on the file by the file domain's rules (deleted accounts, and items past their FCRA 605
obsolescence date: ``service.file.rules``), computes every characteristic of every subject
of the chunk at once with numpy (``characteristic_columns``: the same definitions as
``characteristics.compute``, column by column), scores them with the vectorised engine
(``Engine.points``), ranks the reasons, applies the minimum scoring criteria, and
bulk-inserts one receipt per subject (one executemany) in the chunk's own transaction.
Chunks are independent, so they could run in parallel; here they run one after another.

Throughput comes from touching each value as few times as possible in Python: the database
builds each account's receipt record as JSON text and joins its fixed-width fields into one
text that numpy reads for the whole chunk at once; the characteristics are numpy columns;
the receipts' JSON is assembled as text from those columns (numbers, null, and strings quoted
by ``json.dumps``), never encoded object by object; and the cyclic garbage collector is
paused while a chunk is processed (``bench/bench_score_all.py`` measures the whole).

The batch writes one audit event, ``score.batch``, on the *system* chain (it concerns every
subject, so it belongs to no subject's chain), after the last chunk: the model, the day and the
counts. Each receipt names its purpose (``batch_scoring``) and who asked (the admin).

A receipt from the batch holds what one from ``GET /v1/me/score`` would for the same file,
day and model: the same inputs (listed in the order the database holds them, where the
report orders accounts by opening date), characteristics, points, reasons and score
(``tests/unit/test_batch.py``).
"""

import functools
import gc
import json
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session, sessionmaker

from service.audit import service as audit
from service.core.security import ADMIN, Principal, new_id
from service.file.rules import (
    INQUIRY_SHOWN_MONTHS,
    account_obsolete_on,
    add_months,
    bankruptcy_obsolete_on,
    earliest_possible_obsolete_cutoff,
    inquiry_obsolete_on,
    is_obsolete,
)
from service.scoring import queries
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
from service.scoring.engine.explain import check_scores_files
from service.scoring.engine.inputs import AccountInput, FileInput
from service.scoring.engine.scorecard import Scorecard
from service.scoring.engine.scorer import engine_for
from service.scoring.receipts import INPUTS_FORMAT, account_json, public_record_json
from service.scoring.rules import (
    HISTORY_MONTHS,
    INQUIRY_CHARACTERISTIC,
    MAX_KEY_FACTORS,
    MAX_MONTHS_SINCE_REPORTED,
    MIN_OLDEST_ACCOUNT_MONTHS,
    NO_ACCOUNT_OLD_ENOUGH,
    NO_RECENT_REPORT,
)

#: Subjects per chunk (per transaction and per set of three reads).
DEFAULT_CHUNK: Final = 5000
#: Why batch receipts were computed, and who asked.
BATCH_PURPOSE: Final = "batch_scoring"
BATCH_ACTOR: Final[Principal] = ADMIN

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
#: Inquiries this close to the 24-month boundary are checked with the rule itself.
_INQUIRY_MARGIN: Final = timedelta(days=31)


@functools.cache
def _quoted(text: str) -> str:
    """``json.dumps`` of a string, remembered (names, codes and categories: a handful)."""
    return json.dumps(text)


def _json_array(values: Sequence[Any]) -> str:
    return json.dumps(list(values), separators=(",", ":"))


# --- a chunk of files, as columns ----------------------------------------------------------


@dataclass(frozen=True)
class Chunk:
    """The files of ``n`` subjects as columns of their records, each record with the index
    of its subject (``*_owner``, ascending: records are grouped by subject).

    Accounts: each one's receipt record as JSON text (``account_inputs``), its fixed-width
    fields (``packed``, ``queries.PACKED_*``), type, limit, balance and whether it is closed.
    Inquiries: day (``YYYY-MM-DD``) and kind. Bankruptcies: each one's receipt record as JSON
    text.
    """

    n: int
    account_owner: Owners
    account_inputs: Sequence[str]
    packed: Sequence[str]
    account_type: Sequence[str]
    credit_limit_cents: Sequence[int | None]
    balance_cents: Sequence[int]
    closed: Sequence[bool]
    inquiry_owner: Owners
    inquiry_at: Sequence[str]
    inquiry_kind: Sequence[str]
    record_owner: Owners
    record_inputs: Sequence[str]

    def inputs_texts(self) -> list[str]:
        """Every subject's receipt ``inputs`` as JSON text (``receipts.inputs_json``)."""
        accounts = _joined(self.n, self.account_inputs, self.account_owner)
        kinds = {kind: _quoted(kind) for kind in set(self.inquiry_kind)}
        _date_block(self.inquiry_at)  # YYYY-MM-DD: nothing to escape
        inquiries = _joined(
            self.n,
            [
                f'["{at}",{kinds[kind]}]'
                for at, kind in zip(self.inquiry_at, self.inquiry_kind, strict=True)
            ],
            self.inquiry_owner,
        )
        records = _joined(self.n, self.record_inputs, self.record_owner)
        head = f'{{"format":{INPUTS_FORMAT},"accounts":['
        return [
            f'{head}{a}],"inquiries":[{i}],"public_records":[{r}]}}'
            for a, i, r in zip(accounts, inquiries, records, strict=True)
        ]


def _joined(n: int, texts: Sequence[str], owner: Owners) -> list[str]:
    """Per subject, its records' texts joined by commas."""
    counts = np.bincount(owner, minlength=n)
    ends = np.cumsum(counts)
    starts: list[int] = (ends - counts).tolist()
    return [
        ",".join(texts[s:e]) if e > s else "" for s, e in zip(starts, ends.tolist(), strict=True)
    ]


def pack_account(account: AccountInput) -> str:
    """An account's fixed-width fields as the batch query joins them (``queries.PACKED_*``)."""
    return (
        account.status
        + account.payment_history
        + account.opened_on.isoformat()
        + account.as_of.isoformat()
    )


def chunk_of_files(files: Sequence[FileInput]) -> Chunk:
    """The chunk of some ``FileInput``s (tests and tools; the batch reads rows instead)."""
    accounts = [(k, a) for k, f in enumerate(files) for a in f.accounts]
    inquiries = [(k, q) for k, f in enumerate(files) for q in f.inquiries]
    records = [(k, r) for k, f in enumerate(files) for r in f.public_records]
    return Chunk(
        n=len(files),
        account_owner=np.array([k for k, _ in accounts], dtype=np.intp),
        account_inputs=[_json_array(account_json(a)) for _, a in accounts],
        packed=[pack_account(a) for _, a in accounts],
        account_type=[a.account_type for _, a in accounts],
        credit_limit_cents=[a.credit_limit_cents for _, a in accounts],
        balance_cents=[a.balance_cents for _, a in accounts],
        closed=[a.closed_on is not None for _, a in accounts],
        inquiry_owner=np.array([k for k, _ in inquiries], dtype=np.intp),
        inquiry_at=[q.at.isoformat() for _, q in inquiries],
        inquiry_kind=[q.kind for _, q in inquiries],
        record_owner=np.array([k for k, _ in records], dtype=np.intp),
        record_inputs=[_json_array(public_record_json(r)) for _, r in records],
    )


# --- characteristics, column by column -----------------------------------------------------


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


def _date_block(texts: Sequence[str]) -> npt.NDArray[np.uint8]:
    """``YYYY-MM-DD`` texts as bytes, checked to be digits and dashes."""
    block = _text_block(texts, _DATE_WIDTH)
    digits = np.delete(block, _DASHES, axis=1)
    if not (_DIGITS[digits].all() and (block[:, _DASHES] == ord("-")).all()):
        raise ValueError("expected dates written YYYY-MM-DD")
    return block


def _packed_block(packed: Sequence[str]) -> npt.NDArray[np.uint8]:
    """The packed accounts as bytes; a payment history that is not 24 months long (never
    furnished so, but possible in the schema) is cut or padded with "B" first."""
    width = queries.PACKED_WIDTH
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
        return cls.of(_date_block(texts))

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


#: JSON text of the small whole numbers, looked up rather than formatted one by one.
_SMALL_NUMBERS: Final = np.array([str(i) for i in range(1024)], dtype=object)


def _integer_texts(values: Ints) -> list[str]:
    """JSON text of whole numbers (those from 0 to 1023 from a table)."""
    small = (values >= 0) & (values < len(_SMALL_NUMBERS))
    if small.all():
        texts: list[str] = _SMALL_NUMBERS[values].tolist()
        return texts
    return [str(v) for v in values.tolist()]


def _json_numbers(column: Floats, integer: bool) -> list[str]:
    """JSON text of each value: a whole number, a float as Python writes it, or null."""
    missing = np.isnan(column)
    if integer:
        texts = _integer_texts(np.where(missing, 0, column).astype(np.int64))
    else:
        texts = [repr(v) for v in column.tolist()]
    if missing.any():
        for i in np.flatnonzero(missing).tolist():
            texts[i] = "null"
    return texts


@dataclass(frozen=True)
class Columns:
    """Every characteristic of every subject of a chunk (NaN = missing; ``credit_mix`` as
    its index in ``CREDIT_MIX_VALUES``), and the minimum scoring criteria."""

    numeric: dict[str, Floats]
    credit_mix: Ints
    no_account_old_enough: Bools
    no_recent_report: Bools

    def values(self) -> list[dict[str, Any]]:
        """Per subject, the characteristics by name as ``characteristics.compute`` gives
        them (whole numbers as int, missing as None)."""
        return [json.loads(text) for text in self.texts()]

    def texts(self) -> list[str]:
        """Per subject, the characteristics as a JSON object (a receipt's
        ``characteristics``), in the order of ``characteristics.NAMES``."""
        template = "{" + ",".join(f"{_quoted(name)}:%s" for name in NAMES) + "}"
        mix = np.array([_quoted(v) for v in CREDIT_MIX_VALUES], dtype=object)
        columns = [
            mix[self.credit_mix].tolist()
            if name == "credit_mix"
            else _json_numbers(self.numeric[name], name in INTEGER_VALUED)
            for name in NAMES
        ]
        return [template % row for row in zip(*columns, strict=True)]


def characteristic_columns(chunk: Chunk, today: date) -> Columns:
    """``characteristics.compute`` and ``rules.no_score_reasons`` for every subject of the
    chunk at once (the definitions are documented there; this is their column form)."""
    groups = _Groups(chunk.account_owner, chunk.n)
    raw = _packed_block(chunk.packed)
    kind = np.fromiter(
        map(_TYPE_CODE.__getitem__, chunk.account_type), dtype=np.int8, count=len(raw)
    )
    s0 = queries.PACKED_STATUS.start
    status = raw[:, s0].astype(np.int64) << 8 | raw[:, s0 + 1]
    opened = _Days.of(raw[:, queries.PACKED_OPENED])
    as_of = _Days.of(raw[:, queries.PACKED_AS_OF])
    closed = np.array(chunk.closed, dtype=np.bool_)
    balance = np.array(chunk.balance_cents, dtype=np.int64)
    # A limit that is missing (None becomes NaN) or zero does not count.
    limit = np.nan_to_num(np.array(chunk.credit_limit_cents, dtype=np.float64)).astype(np.int64)

    # Payment history and delinquencies.
    lag = as_of.calendar_months_to(today)
    derogatory = (kind == _COLLECTION) | (_DEROGATORY_STATUS_OF[status] == 1)
    status_severity = _STATUS_SEVERITY_OF[status]
    status_severity[derogatory] = COLLECTION_OR_CHARGE_OFF_SEVERITY
    severity = _SEVERITY_OF_CODE[raw[:, queries.PACKED_HISTORY]]  # uint8, n x 24
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


# --- scoring a chunk -----------------------------------------------------------------------


@dataclass(frozen=True)
class Scored:
    """Per subject of a chunk: its score (None when too thin) and what its receipt holds,
    each JSON column as JSON text (the shapes of ``receipts.ReceiptContent``)."""

    scores: list[int | None]
    characteristics: list[str]
    factors: list[str]
    reasons: list[str]
    no_score_reasons: list[str]


def _encoded(model: Scorecard, columns: Columns) -> Floats:
    engine = engine_for(model)
    x = np.empty((len(columns.credit_mix), len(engine.columns)), dtype=np.float64, order="F")
    for j, col in enumerate(engine.columns):
        if col.numeric:
            x[:, j] = columns.numeric[col.name]
        else:  # credit_mix, the one categorical characteristic
            codes = [col.vocabulary.get(v, col.missing_slot) for v in CREDIT_MIX_VALUES]
            x[:, j] = np.array(codes, dtype=np.float64)[columns.credit_mix]
    return x


def _ranked_reasons(model: Scorecard, points: npt.NDArray[np.int32]) -> list[str]:
    """``explain.rank_reasons`` for every row, as JSON text ``[[code, points below max],
    ...]``: points below maximum, largest first, ties in model order; at most 4, and
    inquiries as a 5th when they fell short and are not among them."""
    n, k = points.shape
    if n == 0:
        return []
    maximum = np.array([c.max_points for c in model.characteristics], dtype=np.int64)
    below = maximum[None, :] - points.astype(np.int64)
    order = np.argsort(-below * k + np.arange(k)[None, :], axis=1)
    ranked = np.take_along_axis(below, order, axis=1)
    top = min(MAX_KEY_FACTORS, k)
    # Every reason a characteristic can give, by points below its maximum ("" for none).
    span = int(below.max()) + 1
    text = np.full((k, span), "", dtype=object)
    for j, c in enumerate(model.characteristics):
        code = _quoted(c.reason_code)
        text[j, 1:] = [f"[{code},{b}]" for b in range(1, span)]
    chosen: list[list[str]] = text[order[:, :top], ranked[:, :top]].tolist()
    if INQUIRY_CHARACTERISTIC in model.names:
        j = model.names.index(INQUIRY_CHARACTERISTIC)
        position = (order == j).argmax(axis=1)
        for i in np.flatnonzero((position >= top) & (below[:, j] > 0)).tolist():
            chosen[i].append(text[j, below[i, j]])
    return ["[" + ",".join(filter(None, row)) + "]" for row in chosen]


def score_chunk(chunk: Chunk, today: date, model: Scorecard) -> Scored:
    """Characteristics, scores, factors and reasons of every subject of the chunk."""
    check_scores_files(model)
    columns = characteristic_columns(chunk, today)
    points = engine_for(model).points(_encoded(model, columns))
    scores = np.clip(
        points.sum(axis=1, dtype=np.int64), model.score_range.min, model.score_range.max
    )
    thin = columns.no_account_old_enough | columns.no_recent_report

    score_list: list[int | None] = list(scores.tolist())
    point_texts = [_integer_texts(points[:, j].astype(np.int64)) for j in range(points.shape[1])]
    template = "[" + ",".join(["%s"] * points.shape[1]) + "]"
    factors = [template % row for row in zip(*point_texts, strict=True)]
    reasons = _ranked_reasons(model, points)
    no_score = ["[]"] * chunk.n
    why = {
        (True, False): [NO_ACCOUNT_OLD_ENOUGH],
        (False, True): [NO_RECENT_REPORT],
        (True, True): [NO_ACCOUNT_OLD_ENOUGH, NO_RECENT_REPORT],
    }
    texts = {
        key: json.dumps([[r.code, r.text] for r in value], separators=(",", ":"))
        for key, value in why.items()
    }
    old, recent = columns.no_account_old_enough.tolist(), columns.no_recent_report.tolist()
    for i in np.flatnonzero(thin).tolist():
        score_list[i] = None
        factors[i] = "[]"
        reasons[i] = "[]"
        no_score[i] = texts[(old[i], recent[i])]
    return Scored(
        scores=score_list,
        characteristics=columns.texts(),
        factors=factors,
        reasons=reasons,
        no_score_reasons=no_score,
    )


# --- reading chunks from the database ------------------------------------------------------


def _by_owner(rows: list[Any], owner: Owners) -> tuple[list[Any], Owners]:
    """Rows grouped by subject in chunk order (the database's collation may differ)."""
    if len(owner) < 2 or bool((owner[1:] >= owner[:-1]).all()):
        return rows, owner
    order = np.argsort(owner, kind="stable")
    return [rows[i] for i in order.tolist()], owner[order]


def _column(rows: Sequence[Sequence[Any]], index: int) -> list[Any]:
    return list(map(itemgetter(index), rows))


def _leave_out(rows: list[Any], key: int, limit: str, gone: Callable[[Any], bool]) -> None:
    """Remove, in place, the rows that are ``gone``, checking only those whose ``row[key]``
    is set and at or before ``limit`` (ISO dates compare as text)."""
    suspects = [
        i
        for i, value in enumerate(map(itemgetter(key), rows))
        if value is not None and value <= limit
    ]
    for i in reversed(suspects):
        if gone(rows[i]):
            del rows[i]


def read_chunk(session: Session, subject_ids: Sequence[str], today: date) -> Chunk:
    """The current files of ``subject_ids`` (consecutive in id order): three queries."""
    first, last = subject_ids[0], subject_ids[-1]
    index = {s: i for i, s in enumerate(subject_ids)}

    def owners(rows: Sequence[Sequence[Any]]) -> Owners:
        subjects = map(itemgetter(0), rows)
        return np.fromiter(map(index.__getitem__, subjects), dtype=np.intp, count=len(rows))

    # Accounts deleted by their furnisher (DA) are left out by the query; an adverse account
    # dated before the earliest possible cutoff is checked against FCRA 605.
    cutoff = earliest_possible_obsolete_cutoff(today).isoformat()
    accounts = queries.account_rows_between(session, first, last)
    _leave_out(
        accounts,
        key=6,
        limit=cutoff,
        gone=lambda r: is_obsolete(
            account_obsolete_on(
                status=r[2][queries.PACKED_STATUS],
                account_type=r[3],
                date_of_first_delinquency=date.fromisoformat(r[6]),
            ),
            today,
        ),
    )
    accounts, account_owner = _by_owner(accounts, owners(accounts))

    # Inquiries are shown for 24 months: the query keeps a little more, and those near the
    # boundary are checked with the rule itself.
    shown_since = add_months(today, -INQUIRY_SHOWN_MONTHS)
    since = datetime.combine(shown_since - _INQUIRY_MARGIN, datetime.min.time(), tzinfo=UTC)
    sure = (shown_since + _INQUIRY_MARGIN).isoformat()
    inquiries = queries.inquiry_rows_between(session, first, last, since=since)
    _leave_out(
        inquiries,
        key=1,
        limit=sure,
        gone=lambda r: is_obsolete(
            inquiry_obsolete_on(datetime.fromisoformat(r[1]).replace(tzinfo=UTC)), today
        ),
    )
    inquiries, inquiry_owner = _by_owner(inquiries, owners(inquiries))

    records = queries.public_record_rows_between(session, first, last)
    _leave_out(
        records,
        key=3,
        limit=today.isoformat(),
        gone=lambda r: is_obsolete(
            bankruptcy_obsolete_on(chapter=r[1], status=r[2], filed_on=date.fromisoformat(r[3])),
            today,
        ),
    )
    records, record_owner = _by_owner(records, owners(records))

    return Chunk(
        n=len(subject_ids),
        account_owner=account_owner,
        account_inputs=_column(accounts, 1),
        packed=_column(accounts, 2),
        account_type=_column(accounts, 3),
        credit_limit_cents=_column(accounts, 4),
        balance_cents=_column(accounts, 5),
        closed=[c is not None for c in _column(accounts, 7)],
        inquiry_owner=inquiry_owner,
        inquiry_at=_column(inquiries, 1),
        inquiry_kind=_column(inquiries, 2),
        record_owner=record_owner,
        record_inputs=[_json_array(r[1:]) for r in records],
    )


def receipt_ids(n: int) -> list[str]:
    """``n`` new receipt ids, each of the form ``security.new_id("rcp")`` gives (``rcp_`` and
    20 random hex digits), drawn from the system's random source in one call."""
    width = len(new_id("rcp")) - len("rcp_")
    digits = secrets.token_hex(width * n // 2)
    return ["rcp_" + digits[i : i + width] for i in range(0, width * n, width)]


def receipt_rows(subject_ids: Sequence[str], chunk: Chunk, scored: Scored) -> list[tuple[Any, ...]]:
    """One row of ``queries.BATCH_COLUMNS`` per subject."""
    return list(
        zip(
            receipt_ids(len(subject_ids)),
            subject_ids,
            scored.scores,
            chunk.inputs_texts(),
            scored.characteristics,
            scored.factors,
            scored.reasons,
            scored.no_score_reasons,
            strict=True,
        )
    )


@dataclass(frozen=True)
class BatchResult:
    model_version: str
    scored_on: date
    subjects: int
    scored: int
    no_score: int
    chunks: int


Progress = Callable[[int, int], None]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one chunk. A chunk allocates hundreds of
    thousands of short-lived tuples, lists and strings, none in a reference cycle; the
    collector would walk them again and again for nothing (about a seventh of the run
    time when measured). Reference counting still frees them; the collector resumes after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def score_all(
    session_factory: sessionmaker[Session],
    *,
    now: datetime,
    model: Scorecard,
    chunk: int = DEFAULT_CHUNK,
    progress: Progress | None = None,
) -> BatchResult:
    """Score every subject with ``model`` as of ``now`` and store a receipt for each.

    Each chunk of ``chunk`` subjects is read, scored and written in its own transaction;
    ``progress(done, total)`` is called after each. The ``score.batch`` event is appended
    to the system audit chain at the end.
    """
    if chunk < 1:
        raise ValueError("chunk must be at least 1")
    check_scores_files(model)
    today = now.date()
    same = {
        "model_version": model.version,
        "computed_at": now,
        "scored_on": today,
        "purpose": BATCH_PURPOSE,
        "requested_by": BATCH_ACTOR.id,
    }
    with session_factory() as session, session.begin():
        total = queries.count_subjects(session)
    done = scored = chunks = 0
    after: str | None = None
    while True:
        with _collector_paused(), session_factory() as session, session.begin():
            ids = queries.subject_ids_after(session, after, chunk)
            if not ids:
                break
            files = read_chunk(session, ids, today)
            result = score_chunk(files, today, model)
            queries.insert_encoded_receipts(session, receipt_rows(ids, files, result), same=same)
        after = ids[-1]
        done += len(ids)
        scored += len(ids) - result.scores.count(None)
        chunks += 1
        if progress is not None:
            progress(done, max(total, done))
    outcome = BatchResult(
        model_version=model.version,
        scored_on=today,
        subjects=done,
        scored=scored,
        no_score=done - scored,
        chunks=chunks,
    )
    with session_factory() as session, session.begin():
        audit.record(
            session,
            actor=BATCH_ACTOR,
            action="score.batch",
            now=now,
            purpose=BATCH_PURPOSE,
            resource_type="score_batch",
            resource_id=(
                f"model={model.version};on={today.isoformat()};"
                f"subjects={outcome.subjects};scored={outcome.scored}"
            ),
        )
    return outcome
