"""A seeded synthetic population whose defaults come from a known process.

Every person has one latent risk ``z ~ N(0, 1)`` (higher is riskier). The latent risk drives
both the credit file and the outcome:

* the file: a shorter history, more recent accounts, higher revolving utilisation, more
  delinquencies (deeper ones, more charge-offs and collections), more hard inquiries and more
  bankruptcies as ``z`` rises; each with its own noise, so no file feature reveals ``z``;
* the outcome ("bad": 90+ days past due or worse within the next 24 months) is drawn from the
  documented logistic formula ``P(bad | z) = 1 / (1 + exp(-(DEFAULT_INTERCEPT +
  DEFAULT_RISK_WEIGHT * z)))``, and from nothing else.

So a scorecard fitted on the files can be judged against the truth: the true probability of
every person is known (``Population.p_bad``), and the best AUC any model could reach is the
AUC of ``p_bad`` itself. Files are internally consistent and pass the furnishing rules
(service/furnishing/rules.py): statuses agree with the newest month of the payment history,
a delinquency always has its date of first delinquency, status 13 has a zero balance and a
closing date, revolving accounts carry a limit and the others their original amount. Nothing
generated is old enough to be obsolete at ``today``.

Everyone generated is fictional, with no national id. The generator is vectorised with
numpy; ``service.jobs.load_population`` writes a population to the database.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from service.modelling.defaults import REFERENCE_DAY as REFERENCE_DAY
from service.scoring.engine.inputs import AccountInput, FileInput, InquiryInput, PublicRecordInput

# --- the known default process -------------------------------------------------------------

#: logit P(bad) = DEFAULT_INTERCEPT + DEFAULT_RISK_WEIGHT * z, z ~ N(0, 1). The bad rate and
#: the AUC of the true probability they give are in docs/model-card.md.
DEFAULT_INTERCEPT = -3.4
DEFAULT_RISK_WEIGHT = 1.6
#: What "bad" stands for in this population (the shipped model's target).
TARGET_DEFINITION = "90+ days past due or worse within 24 months"
#: The column of the outcome in the population CSV (1 = bad, 0 = good).
TARGET_COLUMN = "bad"

# --- how the latent risk shapes the file (each figure is a generator setting, not a law) ----

#: ln(months of history of the oldest account) = HISTORY_LOG_MEDIAN + slope * z + noise.
HISTORY_LOG_MEDIAN, HISTORY_RISK_SLOPE, HISTORY_NOISE = 4.4, -0.35, 0.55
HISTORY_MIN_MONTHS, HISTORY_MAX_MONTHS = 7, 540
#: Older accounts besides the oldest (opened 12 months ago or more, uniformly since the
#: oldest): Poisson(ACCOUNTS_BASE + months of history / ACCOUNTS_PER_MONTHS).
ACCOUNTS_BASE, ACCOUNTS_PER_MONTHS, ACCOUNTS_MAX = 1.0, 60.0, 20
#: Accounts opened in the last 12 months: Poisson(exp(NEW_BASE + NEW_RISK * z + noise)),
#: riskier people seeking more credit.
NEW_BASE, NEW_RISK, NEW_NOISE, NEW_MAX = -1.2, 1.0, 0.5, 6
NEW_ACCOUNT_MONTHS = 12
#: Logit of a card or open account carrying a balance, per person.
CARRY_BASE, CARRY_RISK, CARRY_NOISE = -0.5, 1.5, 0.6
#: Logit of a delinquency going one level deeper (30 -> 60 -> ... -> charge-off), per person.
DEPTH_BASE, DEPTH_RISK, DEPTH_NOISE = -1.4, 2.0, 0.4
#: Shares of account types besides the oldest: revolving, installment and mortgage (less
#: likely when risky: harder to get approved; a mortgage only after 3 years of history); the
#: rest open.
REVOLVING_SHARE, INSTALLMENT_SHARE, INSTALLMENT_RISK = 0.5, 0.32, 0.22
MORTGAGE_SHARE, MORTGAGE_RISK = 0.14, 0.08
#: The oldest account is a loan (else a card) with probability FIRST_LOAN_SHARE - risk * z.
FIRST_LOAN_SHARE, FIRST_LOAN_RISK = 0.25, 0.10
#: Logit of a past (cured) delinquency having gone one level deeper, at most 4 (120 days).
PAST_DEPTH_BASE, PAST_DEPTH_RISK = -2.5, 0.5
#: Recency of a past delinquency: its month is drawn as room * U ** exp(EPISODE_RECENCY * z).
EPISODE_RECENCY = 1.2
#: Logit of an account being delinquent now; a past (cured) episode is more common.
DELINQUENCY_BASE, DELINQUENCY_RISK, DELINQUENCY_NOISE, PAST_EPISODE_SHIFT = -4.2, 1.4, 0.8, 0.9
#: Logit of revolving utilisation per person.
UTILISATION_BASE, UTILISATION_RISK, UTILISATION_NOISE = -1.3, 0.9, 0.7
#: Collection accounts per person: Poisson(exp(COLLECTIONS_BASE + COLLECTIONS_RISK * z)).
COLLECTIONS_BASE, COLLECTIONS_RISK, COLLECTIONS_MAX = -3.3, 1.5, 3
#: Logit of a bankruptcy on file.
BANKRUPTCY_BASE, BANKRUPTCY_RISK = -6.0, 1.6
#: Credit-seeking inquiries (besides those of new accounts): Poisson(exp(base + risk * z)).
INQUIRY_BASE, INQUIRY_RISK, INQUIRY_NOISE = -0.6, 0.7, 0.5
SOFT_INQUIRIES_MEAN = 1.0
NEW_ACCOUNT_INQUIRY_SHARE = 0.3
INSTALLMENT_TERMS_MONTHS = (24, 36, 48, 60, 72)
MORTGAGE_TERM_MONTHS = 360
REVOLVING_CLOSED_SHARE = 0.10

HISTORY_MONTHS = 24
_CODE = {c: ord(c) for c in "0123456BEGL"}


def true_bad_probability(risk: NDArray[np.float64]) -> NDArray[np.float64]:
    """The known default process: P(bad | z) = 1 / (1 + exp(-(a + b z)))."""
    result: NDArray[np.float64] = 1.0 / (
        1.0 + np.exp(-(DEFAULT_INTERCEPT + DEFAULT_RISK_WEIGHT * risk))
    )
    return result


@dataclass(frozen=True)
class Population:
    """``n`` fictional people: their files, latent risk, true P(bad) and drawn outcome."""

    seed: int
    today: date
    risk: NDArray[np.float64]
    p_bad: NDArray[np.float64]
    bad: NDArray[np.int8]
    date_of_birth: tuple[date, ...]
    files: tuple[FileInput, ...]
    #: The number of the first person here: 0, unless this is a part of a larger
    #: population (``stream``, ``part``), whose people are numbered from 0.
    first: int = 0
    #: How many people the whole population has (None: this is the whole population).
    total: int | None = None

    def __len__(self) -> int:
        return len(self.files)

    @property
    def size(self) -> int:
        """How many people the whole population has, of which this may be a part."""
        return len(self) if self.total is None else self.total

    def part(self, start: int, stop: int) -> Population:
        """People ``start``..``stop - 1`` of this population (counted from its first) as a
        part of the whole."""
        return Population(
            seed=self.seed,
            today=self.today,
            risk=self.risk[start:stop],
            p_bad=self.p_bad[start:stop],
            bad=self.bad[start:stop],
            date_of_birth=self.date_of_birth[start:stop],
            files=self.files[start:stop],
            first=self.first + start,
            total=self.size,
        )


# --- vectorised helpers --------------------------------------------------------------------


def _sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    result: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-x))
    return result


def _month_day(
    months_ago: NDArray[np.int64], day_offset: NDArray[np.int64], today: date
) -> NDArray[np.datetime64]:
    """A day in the month ``months_ago`` before today's month, never after today."""
    this_month = np.datetime64(today, "M")
    month = this_month - months_ago.astype("timedelta64[M]")
    start = month.astype("datetime64[D]")
    length = ((month + np.timedelta64(1, "M")).astype("datetime64[D]") - start).astype(np.int64)
    day = start + np.minimum(day_offset, length - 1).astype("timedelta64[D]")
    result: NDArray[np.datetime64] = np.minimum(day, np.datetime64(today, "D"))
    return result


def _months_between(
    later: NDArray[np.datetime64], earlier: NDArray[np.datetime64]
) -> NDArray[np.int64]:
    result: NDArray[np.int64] = (
        later.astype("datetime64[M]") - earlier.astype("datetime64[M]")
    ).astype(np.int64)
    return result


def _add_months(days: NDArray[np.datetime64], months: NDArray[np.int64]) -> NDArray[np.datetime64]:
    """``days`` plus whole months, the day of month clipped to the target month's length."""
    month = days.astype("datetime64[M]")
    offset = (days - month.astype("datetime64[D]")).astype(np.int64)
    target = month + months.astype("timedelta64[M]")
    start = target.astype("datetime64[D]")
    length = ((target + np.timedelta64(1, "M")).astype("datetime64[D]") - start).astype(np.int64)
    result: NDArray[np.datetime64] = start + np.minimum(offset, length - 1).astype("timedelta64[D]")
    return result


def _geometric_levels(
    rng: np.random.Generator, go_on: NDArray[np.float64], cap: int
) -> NDArray[np.int64]:
    """1 + the number of successive successes with probability ``go_on``, at most ``cap``."""
    level = np.ones(go_on.shape, dtype=np.int64)
    alive = np.ones(go_on.shape, dtype=bool)
    for _ in range(cap - 1):
        alive &= rng.random(go_on.shape) < go_on
        level += alive
    return level


def _dates(values: NDArray[np.datetime64]) -> list[date]:
    out: list[date] = values.astype("datetime64[D]").tolist()
    return out


def _optional_dates(
    values: NDArray[np.datetime64], present: NDArray[np.bool_]
) -> list[date | None]:
    days = _dates(values)
    return [d if p else None for d, p in zip(days, present.tolist(), strict=True)]


def _optional_ints(values: NDArray[np.int64], present: NDArray[np.bool_]) -> list[int | None]:
    return [v if p else None for v, p in zip(values.tolist(), present.tolist(), strict=True)]


# --- the generator -------------------------------------------------------------------------


#: People drawn from one stream of random numbers, vectorised at once: a population of more
#: is drawn in blocks of this many (block ``k > 0`` from the seed ``[seed, k]``), so that
#: generating it takes memory for one block, whatever its size. The documented fit
#: population (200,000 people, docs/model-card.md) is one block, so it is what it was
#: before populations were drawn in blocks.
GENERATION_BLOCK = 200_000

#: People per part of ``stream`` unless told: the files of one part are built at a time.
STREAM_CHUNK = 50_000


def generate(n: int, *, seed: int, today: date = REFERENCE_DAY) -> Population:
    """``n`` fictional people as of ``today``; the same ``(n, seed, today)`` gives the same
    population on every run. All in memory: for millions, ``stream``."""
    parts = list(stream(n, seed=seed, today=today, chunk=GENERATION_BLOCK))
    if len(parts) == 1:
        return replace(parts[0], total=None)
    return Population(
        seed=seed,
        today=today,
        risk=np.concatenate([p.risk for p in parts]),
        p_bad=np.concatenate([p.p_bad for p in parts]),
        bad=np.concatenate([p.bad for p in parts]),
        date_of_birth=tuple(d for p in parts for d in p.date_of_birth),
        files=tuple(f for p in parts for f in p.files),
    )


def stream(
    n: int, *, seed: int, today: date = REFERENCE_DAY, chunk: int = STREAM_CHUNK
) -> Iterator[Population]:
    """The population ``generate(n, seed=seed, today=today)`` gives, as consecutive parts
    of at most ``chunk`` people (``Population.first`` numbers each part's first person), in
    memory for one generation block and one part at a time: for loading millions."""
    if n < 1:
        raise ValueError("a population needs at least one person")
    if chunk < 1:
        raise ValueError("a part needs at least one person")
    for block_start in range(0, n, GENERATION_BLOCK):
        block = block_start // GENERATION_BLOCK
        rng = np.random.default_rng(seed if block == 0 else [seed, block])
        drawn = _draw(min(GENERATION_BLOCK, n - block_start), rng, today)
        for start in range(0, drawn.n, chunk):
            stop = min(start + chunk, drawn.n)
            yield drawn.people(seed, today, start, stop, first=block_start + start, total=n)
        del drawn


@dataclass(frozen=True)
class _Drawn:
    """One generation block as columns: people, and their accounts, inquiries and
    bankruptcies, each sorted by owner (the person's number within the block)."""

    n: int
    risk: NDArray[np.float64]
    p_bad: NDArray[np.float64]
    bad: NDArray[np.int8]
    dob: NDArray[np.datetime64]
    accounts: dict[str, NDArray[Any]]
    inquiries: dict[str, NDArray[Any]]
    records: dict[str, NDArray[Any]]

    def people(
        self, seed: int, today: date, start: int, stop: int, *, first: int, total: int
    ) -> Population:
        """People ``start``..``stop - 1`` of the block, their files built."""

        def rows(columns: dict[str, NDArray[Any]]) -> tuple[dict[str, NDArray[Any]], Any]:
            lo, hi = np.searchsorted(columns["owner"], [start, stop])
            part = {k: v[lo:hi] for k, v in columns.items()}
            return part, part["owner"] - start

        acc, acc_owner = rows(self.accounts)
        inq, inq_owner = rows(self.inquiries)
        rec, rec_owner = rows(self.records)
        inquiries = [
            InquiryInput(at=d, kind="hard" if hard else "soft")
            for d, hard in zip(_dates(inq["at"]), inq["hard"].tolist(), strict=True)
        ]
        records = [
            PublicRecordInput(chapter=int(ch), status=str(st), filed_on=f)
            for ch, st, f in zip(
                rec["chapter"].tolist(), rec["status"].tolist(), _dates(rec["filed"]), strict=True
            )
        ]
        files = _assemble(
            stop - start,
            (_account_inputs(acc), acc_owner),
            (inquiries, inq_owner),
            (records, rec_owner),
        )
        return Population(
            seed=seed,
            today=today,
            risk=self.risk[start:stop],
            p_bad=self.p_bad[start:stop],
            bad=self.bad[start:stop],
            date_of_birth=tuple(_dates(self.dob[start:stop])),
            files=files,
            first=first,
            total=total,
        )


def _draw(n: int, rng: np.random.Generator, today: date) -> _Drawn:
    """``n`` people's columns, drawn from ``rng`` (vectorised)."""
    today_d = np.datetime64(today, "D")

    # People.
    z = rng.standard_normal(n)
    p_bad = true_bad_probability(z)
    bad = (rng.random(n) < p_bad).astype(np.int8)
    history = np.exp(
        HISTORY_LOG_MEDIAN + HISTORY_RISK_SLOPE * z + HISTORY_NOISE * rng.standard_normal(n)
    )
    history_m = np.clip(np.rint(history), HISTORY_MIN_MONTHS, HISTORY_MAX_MONTHS).astype(np.int64)
    n_old = rng.poisson(ACCOUNTS_BASE + history_m / ACCOUNTS_PER_MONTHS)
    n_new = np.minimum(
        rng.poisson(np.exp(NEW_BASE + NEW_RISK * z + NEW_NOISE * rng.standard_normal(n))),
        NEW_MAX,
    )
    n_acc = np.minimum(1 + n_old + n_new, ACCOUNTS_MAX).astype(np.int64)
    delinquency_logit = (
        DELINQUENCY_BASE + DELINQUENCY_RISK * z + DELINQUENCY_NOISE * rng.standard_normal(n)
    )
    carry = _sigmoid(CARRY_BASE + CARRY_RISK * z + CARRY_NOISE * rng.standard_normal(n))
    deeper = _sigmoid(DEPTH_BASE + DEPTH_RISK * z + DEPTH_NOISE * rng.standard_normal(n))
    utilisation = _sigmoid(
        UTILISATION_BASE + UTILISATION_RISK * z + UTILISATION_NOISE * rng.standard_normal(n)
    )

    # Regular accounts (everything but collections), oldest first per person.
    owner = np.repeat(np.arange(n), n_acc)
    m = owner.size
    first = np.zeros(m, dtype=bool)
    starts = np.concatenate(([0], np.cumsum(n_acc)[:-1]))
    first[starts] = True
    zo = z[owner]
    h = history_m[owner]
    rank = np.arange(m) - starts[owner]  # 0 the oldest, then the older ones, then new ones
    is_new = rank > n_old[owner]
    floor = np.where(h > NEW_ACCOUNT_MONTHS, NEW_ACCOUNT_MONTHS, 0)
    old_age = floor + np.floor((h - floor) * rng.random(m)).astype(np.int64)
    new_age = np.floor(np.minimum(NEW_ACCOUNT_MONTHS, h + 1) * rng.random(m)).astype(np.int64)
    age_m = np.where(first, h, np.where(is_new, new_age, old_age))
    opened = _month_day(age_m, rng.integers(0, 28, m), today)
    as_of = np.maximum(opened, today_d - rng.integers(0, 28, m).astype("timedelta64[D]"))
    months = _months_between(as_of, opened)  # months of history before the newest one

    # Account types: the oldest is a card or a loan; the rest follow the person's risk.
    u = rng.random(m)
    p_rev = np.full(m, REVOLVING_SHARE)
    p_mort = np.where(h >= 36, np.clip(MORTGAGE_SHARE - MORTGAGE_RISK * zo, 0.02, 0.25), 0.0)
    p_inst = np.clip(INSTALLMENT_SHARE - INSTALLMENT_RISK * zo, 0.1, 0.5)
    kind = np.full(m, "open", dtype=object)
    kind[u < p_rev + p_inst + p_mort] = "mortgage"
    kind[u < p_rev + p_inst] = "installment"
    kind[u < p_rev] = "revolving"
    first_loan = np.clip(FIRST_LOAN_SHARE - FIRST_LOAN_RISK * z, 0.05, 0.6)
    kind[first] = np.where(rng.random(n) < first_loan, "installment", "revolving")
    is_rev, is_inst = kind == "revolving", kind == "installment"
    is_mort, is_open = kind == "mortgage", kind == "open"

    # Amounts.
    limit = (
        np.maximum(
            300,
            np.round(
                np.exp(8.0 + 0.35 * np.log1p(age_m) - 0.35 * zo + 0.6 * rng.standard_normal(m))
                / 100
            )
            * 100,
        ).astype(np.int64)
        * 100
    )
    original = (
        np.where(
            is_mort,
            np.round(np.exp(12.4 + 0.5 * rng.standard_normal(m)) / 1000) * 1000,
            np.round(np.exp(9.3 + 0.7 * rng.standard_normal(m)) / 100) * 100,
        ).astype(np.int64)
        * 100
    )
    term = np.where(
        is_mort, MORTGAGE_TERM_MONTHS, rng.choice(INSTALLMENT_TERMS_MONTHS, size=m)
    ).astype(np.int64)
    account_util = np.clip(utilisation[owner] * np.exp(0.45 * rng.standard_normal(m)), 0, 1.05)
    zero_balance = rng.random(m) >= carry[owner]
    rev_balance = np.where(zero_balance, 0, np.round(limit * account_util)).astype(np.int64)
    remaining = np.clip(1 - months / np.maximum(term, 1), 0, 1) ** 0.8
    loan_balance = np.round(original * remaining).astype(np.int64)
    open_balance = np.where(
        zero_balance, 0, np.round(np.exp(11.0 + 0.8 * rng.standard_normal(m)))
    ).astype(np.int64)
    balance = np.where(is_rev, rev_balance, np.where(is_open, open_balance, loan_balance))

    # Closed and paid: loans past their term, and some cards closed by their holder.
    paid_off = (is_inst | is_mort) & (months >= term)
    closed_card = is_rev & (rng.random(m) < REVOLVING_CLOSED_SHARE) & (months >= 2)
    closed_13 = paid_off | closed_card
    closed_on = np.where(
        paid_off,
        _add_months(opened, term),
        opened + (rng.random(m) * (as_of - opened).astype(np.int64)).astype("timedelta64[D]"),
    )
    closed_on = np.minimum(closed_on, as_of)

    # Delinquency now: a level 1-6 (30 to 180+ days), or beyond 6 a charge-off.
    lp = delinquency_logit[owner]
    delinquent_now = ~closed_13 & ~is_mort & (rng.random(m) < _sigmoid(lp))
    level = _geometric_levels(rng, deeper[owner], 7)
    charge_off = delinquent_now & (level == 7) & (months >= 7) & ~is_open
    level = np.where(charge_off, 0, np.minimum(np.minimum(level, 6), months + 1))
    level = np.where(delinquent_now & ~charge_off, level, 0)
    charged_ago = np.where(
        charge_off, np.minimum(rng.integers(0, 31, m), np.maximum(months - 6, 0)), 0
    )

    # The 24-month payment history, newest month first.
    hist = np.full((m, HISTORY_MONTHS), _CODE["0"], dtype=np.uint8)
    pos = np.arange(HISTORY_MONTHS)
    delinquent_pos = np.full(m, -1, dtype=np.int64)  # oldest month showing a delinquency
    # A past episode, cured before the current month: depth 1-4 ending at month ``start``.
    past = rng.random(m) < _sigmoid(lp + PAST_EPISODE_SHIFT)
    depth = _geometric_levels(rng, _sigmoid(PAST_DEPTH_BASE + PAST_DEPTH_RISK * zo), 4)
    since_closed = np.where(closed_13, _months_between(as_of, closed_on), -1)
    newest_free = np.maximum(np.where(charge_off, charged_ago + 6, level), since_closed) + 1
    room = np.minimum(months, HISTORY_MONTHS - 1) - depth + 2 - newest_free  # where it fits
    past &= room > 0
    recency = rng.random(m) ** np.exp(EPISODE_RECENCY * zo)
    start = newest_free + np.floor(recency * np.maximum(room, 1)).astype(np.int64)
    for j in range(4):
        hit = past & (j < depth)
        rows, cols = np.nonzero(hit)[0], (start + j)[hit]
        hist[rows, cols] = _CODE["0"] + (depth - j)[hit]
    delinquent_pos = np.where(past, start + depth - 1, delinquent_pos)
    # The current episode: level L now, L-1 the month before, ... 1.
    for j in range(6):
        hit = (j < level) & (level > 0)
        hist[np.nonzero(hit)[0], j] = (_CODE["0"] + (level - j))[hit]
    delinquent_pos = np.where(level > 0, np.maximum(delinquent_pos, level - 1), delinquent_pos)
    # A charge-off: L since it happened, and the six months of lates that led to it.
    for j in range(HISTORY_MONTHS):
        lc = charge_off & (j <= charged_ago)
        hist[lc, j] = _CODE["L"]
        k = charged_ago + 7 - j  # 6, 5, ... 1 in the months before the charge-off
        late = charge_off & (j > charged_ago) & (k >= 1)
        hist[late, j] = (_CODE["0"] + k)[late]
    delinquent_pos = np.where(charge_off, charged_ago + 6, delinquent_pos)
    # Zero balance and current: E; no history before the account was opened: B.
    balance = np.where(closed_13, 0, balance)
    hist[(balance == 0) & (level == 0) & ~charge_off, 0] = _CODE["E"]
    hist[pos[None, :] <= since_closed[:, None]] = _CODE["E"]
    hist[pos[None, :] > months[:, None]] = _CODE["B"]

    # Balances of delinquent accounts, what is past due, statuses and the DOFD.
    charge_off_balance = np.round(
        np.where(is_rev, limit, original) * rng.uniform(0.4, 1.05, m)
    ).astype(np.int64)
    balance = np.where(charge_off, np.maximum(charge_off_balance, 10_000), balance)
    balance = np.where(level > 0, np.maximum(balance, 20_000), balance)
    monthly = np.where(is_rev | is_open, np.maximum(balance // 30, 2_500), original // term)
    past_due = np.where(level > 0, np.minimum(balance, np.maximum(monthly, 2_500) * level), 0)
    past_due = np.where(charge_off, balance, past_due)
    status = np.full(m, "11", dtype=object)
    for lv, code in enumerate(("71", "78", "80", "82", "83", "84"), start=1):
        status[level == lv] = code
    status[charge_off] = "97"
    status[closed_13] = "13"
    closed_on = np.where(charge_off, _add_months(as_of, -charged_ago), closed_on)
    closed_on = np.maximum(closed_on, opened)
    has_closed = closed_13 | charge_off
    dofd = np.maximum(
        _add_months(as_of.astype("datetime64[M]").astype("datetime64[D]"), -delinquent_pos),
        opened,
    )
    has_dofd = delinquent_pos >= 0

    # Collection accounts: the agency opens them when a debt is assigned, months after the
    # original delinquency (which may precede the agency's account).
    n_coll = np.minimum(
        rng.poisson(np.exp(COLLECTIONS_BASE + COLLECTIONS_RISK * z)), COLLECTIONS_MAX
    ).astype(np.int64)
    c_owner = np.repeat(np.arange(n), n_coll)
    c = c_owner.size
    c_age = rng.integers(0, 61, c).astype(np.int64)
    c_opened = _month_day(c_age, rng.integers(0, 28, c), today)
    c_as_of = np.maximum(c_opened, today_d - rng.integers(0, 28, c).astype("timedelta64[D]"))
    c_months = _months_between(c_as_of, c_opened)
    c_original = np.round(np.exp(6.4 + 0.9 * rng.standard_normal(c))).astype(np.int64) * 100
    c_original = np.maximum(c_original, 5_000)
    c_balance = np.round(c_original * rng.uniform(0.5, 1.0, c)).astype(np.int64)
    c_dofd = c_opened - rng.integers(120, 365, c).astype("timedelta64[D]")
    c_hist = np.full((c, HISTORY_MONTHS), _CODE["G"], dtype=np.uint8)
    c_hist[pos[None, :] > c_months[:, None]] = _CODE["B"]

    # Inquiries: most new accounts came with one; credit seeking adds more; soft ones too.
    recent = (age_m < HISTORY_MONTHS) & (rng.random(m) < NEW_ACCOUNT_INQUIRY_SHARE)
    new_acc_inq = np.maximum(
        opened - rng.integers(0, 21, m).astype("timedelta64[D]"), today_d - np.timedelta64(729, "D")
    )[recent]
    seeking = rng.poisson(
        np.exp(INQUIRY_BASE + INQUIRY_RISK * z + INQUIRY_NOISE * rng.standard_normal(n))
    )
    s_owner = np.repeat(np.arange(n), seeking)
    seeking_at = today_d - rng.integers(0, 730, s_owner.size).astype("timedelta64[D]")
    soft = rng.poisson(SOFT_INQUIRIES_MEAN, n)
    soft_owner = np.repeat(np.arange(n), soft)
    soft_at = today_d - rng.integers(0, 730, soft_owner.size).astype("timedelta64[D]")
    inq_owner = np.concatenate((owner[recent], s_owner, soft_owner))
    inq_at = np.concatenate((new_acc_inq, seeking_at, soft_at))
    inq_hard = np.concatenate(
        (np.ones(int(recent.sum()), bool), np.ones(s_owner.size, bool), np.zeros(soft.sum(), bool))
    )

    # Bankruptcies (still on file at ``today``).
    has_bk = rng.random(n) < _sigmoid(BANKRUPTCY_BASE + BANKRUPTCY_RISK * z)
    b_owner = np.nonzero(has_bk)[0]
    b = b_owner.size
    b_chapter = np.where(rng.random(b) < 0.7, 7, 13)
    b_months = rng.integers(1, 80, b).astype(np.int64)
    b_filed = _month_day(b_months, rng.integers(0, 28, b), today)
    dismissed = rng.random(b) < 0.05
    b_status = np.where(
        dismissed,
        "dismissed",
        np.where((b_chapter == 7) & (b_months >= 4), "discharged", "filed"),
    ).astype(object)
    b_status[(b_chapter == 13) & (b_months >= 60) & ~dismissed] = "discharged"

    # Dates of birth: 18 to 38 years before the oldest account.
    oldest = opened[starts]
    dob = oldest - rng.integers(18 * 365, 38 * 365, n).astype("timedelta64[D]")

    regular = {
        "owner": owner,
        "kind": kind,
        "opened": opened,
        "limit": limit,
        "original": original,
        "balance": balance,
        "past_due": past_due,
        "status": status,
        "hist": hist,
        "dofd": dofd,
        "has_dofd": has_dofd,
        "closed_on": closed_on,
        "has_closed": has_closed,
        "as_of": as_of,
    }
    collections = {
        "owner": c_owner,
        "kind": np.full(c, "collection", dtype=object),
        "opened": c_opened,
        "limit": np.zeros(c, dtype=np.int64),
        "original": c_original,
        "balance": c_balance,
        "past_due": c_balance,
        "status": np.full(c, "93", dtype=object),
        "hist": c_hist,
        "dofd": c_dofd,
        "has_dofd": np.ones(c, dtype=bool),
        "closed_on": c_opened,
        "has_closed": np.zeros(c, dtype=bool),
        "as_of": c_as_of,
    }
    merged = {k: np.concatenate((regular[k], collections[k])) for k in regular}
    order = np.argsort(merged["owner"], kind="stable")
    inq_order = np.lexsort((inq_at, inq_owner))
    return _Drawn(
        n=n,
        risk=z,
        p_bad=p_bad,
        bad=bad,
        dob=dob,
        accounts={k: v[order] for k, v in merged.items()},
        inquiries={
            "owner": inq_owner[inq_order],
            "at": inq_at[inq_order],
            "hard": inq_hard[inq_order],
        },
        records={"owner": b_owner, "chapter": b_chapter, "status": b_status, "filed": b_filed},
    )


def _account_inputs(a: dict[str, NDArray[Any]]) -> list[AccountInput]:
    """AccountInput records from columns (in the columns' order)."""
    hist = np.ascontiguousarray(a["hist"]).view(f"S{HISTORY_MONTHS}")[:, 0]
    kind = a["kind"]
    has_original = np.isin(kind, ["installment", "mortgage", "collection"])
    return list(
        map(
            AccountInput,
            kind.tolist(),
            _dates(a["opened"]),
            _optional_ints(a["limit"], kind == "revolving"),
            _optional_ints(a["original"], has_original),
            a["balance"].tolist(),
            a["past_due"].tolist(),
            a["status"].tolist(),
            [h.decode() for h in hist.tolist()],
            _optional_dates(a["dofd"], a["has_dofd"]),
            _optional_dates(a["closed_on"], a["has_closed"]),
            _dates(a["as_of"]),
        )
    )


def _assemble(
    n: int,
    accounts: tuple[list[AccountInput], NDArray[np.int64]],
    inquiries: tuple[list[InquiryInput], NDArray[np.int64]],
    records: tuple[list[PublicRecordInput], NDArray[np.int64]],
) -> tuple[FileInput, ...]:
    """One FileInput per person from items sorted by owner."""

    def bounds(owner: NDArray[np.int64]) -> list[int]:
        ends: list[int] = np.cumsum(np.bincount(owner, minlength=n)).tolist()
        return [0, *ends]

    acc, inq, rec = bounds(accounts[1]), bounds(inquiries[1]), bounds(records[1])
    a_items, i_items, r_items = accounts[0], inquiries[0], records[0]
    return tuple(
        FileInput(
            accounts=tuple(a_items[acc[k] : acc[k + 1]]),
            inquiries=tuple(i_items[inq[k] : inq[k + 1]]),
            public_records=tuple(r_items[rec[k] : rec[k + 1]]),
        )
        for k in range(n)
    )


# --- characteristics + target, for the fit -------------------------------------------------

Compute = Callable[[FileInput, date], dict[str, float | str | None]]


def characteristic_rows(
    population: Population, compute: Compute | None = None
) -> Iterator[dict[str, float | str | int | None]]:
    """One row per person: the characteristics ``compute`` finds in the file at
    ``population.today``, and the outcome in ``TARGET_COLUMN`` (1 bad, 0 good)."""
    if compute is None:
        from service.scoring.engine.characteristics import compute as compute_characteristics

        compute = compute_characteristics
    for file, outcome in zip(population.files, population.bad.tolist(), strict=True):
        row: dict[str, float | str | int | None] = dict(compute(file, population.today))
        row[TARGET_COLUMN] = int(outcome)
        yield row


def write_csv(rows: Iterable[dict[str, Any]], path: Path) -> int:
    """Write rows to ``path`` (header from the first row; None as an empty cell)."""
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer: csv.DictWriter[str] | None = None
        for row in rows:
            if writer is None:
                writer = csv.DictWriter(handle, fieldnames=list(row))
                writer.writeheader()
            writer.writerow({k: _cell(v) for k, v in row.items()})
            count += 1
    return count


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, float):
        return round(value, 6)
    return value


def write_truth_csv(population: Population, path: Path) -> None:
    """The truth behind each row of the population CSV (same order): latent risk and the
    true P(bad). Never a characteristic: a fit uses it only to judge itself."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["risk", "p_bad"])
        for r, p in zip(population.risk.tolist(), population.p_bad.tolist(), strict=True):
            writer.writerow([round(r, 6), round(p, 8)])
