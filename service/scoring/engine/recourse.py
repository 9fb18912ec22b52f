"""Recourse: what hypothetical changes would do to a score, and the best honest actions.

Pure simulation over ``FileInput``; an account is named by its index in ``file.accounts``.

- ``pay_down``: the account's balance becomes the given (lower) balance; the payment clears
  the amount past due first. The status is left as reported (only the furnisher's next report
  could cure it), so a payment never claims more than it would do.
- ``close_account``: the account is closed today; its balance stays owed.
- ``months_pass``: time moves on and the file ages. No new inquiries and no new accounts
  appear; every open account keeps being reported, with its reporting delay, exactly as it
  stands: a current account as current (``0``, or ``E`` at a zero balance), a late one at the
  same stage of lateness, a collection or charge-off as such; closed accounts are no longer
  reported. Accounts and inquiries age, old months leave the 24-month history, and items that
  reach their FCRA 605 obsolescence date leave the file.

``best_actions`` re-scores the file under a few candidate actions (paying revolving accounts
below the utilisation thresholds that matter, paying a collection or charge-off, waiting) and
returns those that raise the score most, each with its exact gain. The candidates are scored
as one batch by the vectorised engine; ``best_actions_one_by_one``, which explains each in
turn, is the reference it is tested against.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from fractions import Fraction
from typing import Final, Literal

import numpy as np

from service.core.errors import FieldError, InvalidInput
from service.file.rules import (
    account_obsolete_on,
    add_months,
    bankruptcy_obsolete_on,
    is_obsolete,
)
from service.scoring.engine.characteristics import (
    STATUS_SEVERITY,
    WORST_LATE_SEVERITY,
    is_derogatory,
    is_open,
)
from service.scoring.engine.columns import FileColumns, pack_account
from service.scoring.engine.explain import Explanation, explain_file, score_columns
from service.scoring.engine.inputs import AccountInput, FileInput
from service.scoring.engine.scorecard import Scorecard
from service.scoring.rules import HISTORY_MONTHS

#: The longest stretch of time a simulation may let pass.
MAX_SIMULATED_MONTHS: Final = 120
#: How far ahead ``best_actions`` looks when it considers waiting.
WAIT_HORIZON_MONTHS: Final = 24
#: Revolving utilisation levels (in % of the limit) that ``best_actions`` tries to get each
#: account below, besides the thresholds of the model's own utilisation bins.
UTILISATION_TARGETS_PCT: Final = (30.0, 10.0, 0.0)
UTILISATION_CHARACTERISTIC: Final = "revolving_utilisation_pct"


@dataclass(frozen=True, slots=True)
class PayDown:
    account: int
    balance_cents: int
    kind: Literal["pay_down"] = "pay_down"


@dataclass(frozen=True, slots=True)
class CloseAccount:
    account: int
    kind: Literal["close_account"] = "close_account"


@dataclass(frozen=True, slots=True)
class MonthsPass:
    months: int
    kind: Literal["months_pass"] = "months_pass"


Change = PayDown | CloseAccount | MonthsPass


def _invalid(field: str, detail: str) -> InvalidInput:
    return InvalidInput(detail=detail, errors=[FieldError(field=field, detail=detail)])


def _account(accounts: Sequence[AccountInput], index: int) -> AccountInput:
    if not 0 <= index < len(accounts):
        raise _invalid("account", f"There is no account {index} on the file.")
    return accounts[index]


def _paid_down(account: AccountInput, balance_cents: int) -> AccountInput:
    if balance_cents < 0:
        raise _invalid("balance_cents", "A balance cannot be negative.")
    if balance_cents > account.balance_cents:
        raise _invalid("balance_cents", "Paying down cannot raise the balance.")
    paid = account.balance_cents - balance_cents
    past_due = min(max(account.past_due_cents - paid, 0), balance_cents)
    return replace(account, balance_cents=balance_cents, past_due_cents=past_due)


def _closed(account: AccountInput, today: date) -> AccountInput:
    if not is_open(account):
        raise _invalid("account", "The account is already closed.")
    return replace(account, closed_on=today)


def _reported_code(account: AccountInput) -> str:
    """The payment-history code an account gets for a month in which nothing changes."""
    if is_derogatory(account):
        return "L" if account.status == "97" else "G"
    severity = STATUS_SEVERITY.get(account.status, 0)
    if 0 < severity <= WORST_LATE_SEVERITY:
        return str(severity)
    return "E" if account.balance_cents == 0 else "0"


def _aged(account: AccountInput, months: int) -> AccountInput:
    if months == 0 or not is_open(account):
        return account
    history = (_reported_code(account) * months + account.payment_history)[:HISTORY_MONTHS]
    return replace(account, as_of=add_months(account.as_of, months), payment_history=history)


def _check_months(months: int) -> None:
    if not 0 <= months <= MAX_SIMULATED_MONTHS:
        raise _invalid("months", f"Between 0 and {MAX_SIMULATED_MONTHS} months may pass.")


def without_obsolete(file: FileInput, today: date) -> FileInput:
    """``file`` without the accounts and bankruptcies that are obsolete on ``today``."""
    return replace(
        file,
        accounts=tuple(
            a
            for a in file.accounts
            if not is_obsolete(
                account_obsolete_on(
                    status=a.status,
                    account_type=a.account_type,
                    date_of_first_delinquency=a.date_of_first_delinquency,
                ),
                today,
            )
        ),
        public_records=tuple(
            r
            for r in file.public_records
            if not is_obsolete(
                bankruptcy_obsolete_on(chapter=r.chapter, status=r.status, filed_on=r.filed_on),
                today,
            )
        ),
    )


def pay_down(file: FileInput, account: int, balance_cents: int) -> FileInput:
    accounts = list(file.accounts)
    accounts[account] = _paid_down(_account(accounts, account), balance_cents)
    return replace(file, accounts=tuple(accounts))


def close_account(file: FileInput, account: int, today: date) -> FileInput:
    accounts = list(file.accounts)
    accounts[account] = _closed(_account(accounts, account), today)
    return replace(file, accounts=tuple(accounts))


def months_pass(file: FileInput, today: date, months: int) -> tuple[FileInput, date]:
    """The file and the day ``months`` months from ``today``."""
    return apply(file, today, [MonthsPass(months)])


def apply(file: FileInput, today: date, changes: Iterable[Change]) -> tuple[FileInput, date]:
    """Apply the changes in order; returns the changed file and the (possibly later) day.

    Account indexes refer to ``file.accounts`` throughout (items that become obsolete leave
    the file only at the end).
    """
    accounts = list(file.accounts)
    for change in changes:
        if isinstance(change, PayDown):
            accounts[change.account] = _paid_down(
                _account(accounts, change.account), change.balance_cents
            )
        elif isinstance(change, CloseAccount):
            accounts[change.account] = _closed(_account(accounts, change.account), today)
        else:
            _check_months(change.months)
            accounts = [_aged(a, change.months) for a in accounts]
            today = add_months(today, change.months)
    return without_obsolete(replace(file, accounts=tuple(accounts)), today), today


@dataclass(frozen=True, slots=True)
class Simulation:
    before: Explanation
    after: Explanation
    today: date  # the day the simulated file is scored on

    @property
    def difference(self) -> int | None:
        if self.before.score is None or self.after.score is None:
            return None
        return self.after.score - self.before.score


def simulate(
    file: FileInput, today: date, model: Scorecard, changes: Iterable[Change]
) -> Simulation:
    """The score now, and the score the file would have after the changes."""
    changed, later = apply(file, today, changes)
    return Simulation(
        before=explain_file(file, today, model),
        after=explain_file(changed, later, model),
        today=later,
    )


@dataclass(frozen=True, slots=True)
class Action:
    """An honest action and its exact effect. ``gain`` is None when the file has no score
    now (the action then gives it one)."""

    kind: Literal["pay_down", "months_pass"]
    description: str
    changes: tuple[Change, ...]
    score: int
    gain: int | None
    pay_cents: int = 0
    months: int = 0


def _money(cents: int) -> str:
    dollars, rest = divmod(cents, 100)
    return f"${dollars:,}.{rest:02d}"


def balance_below(limit_cents: int, pct: float) -> int:
    """The largest balance whose utilisation of ``limit_cents`` is below ``pct`` % (0 for 0),
    computed exactly, then checked with the characteristic's own float arithmetic."""
    if pct <= 0:
        return 0
    balance = max(math.ceil(Fraction(pct) * limit_cents / 100) - 1, 0)
    while balance > 0 and 100.0 * balance / limit_cents >= pct:
        balance -= 1
    return balance


def _utilisation_targets(model: Scorecard) -> list[float]:
    targets = set(UTILISATION_TARGETS_PCT)
    if UTILISATION_CHARACTERISTIC in model.names:
        for b in model.characteristic(UTILISATION_CHARACTERISTIC).bins:
            if b.lower is not None and 0 < b.lower <= 100:
                targets.add(b.lower)
    return sorted(targets, reverse=True)


def _pct(value: float) -> str:
    return f"{value:g}%"


def _payment_candidates(
    file: FileInput, model: Scorecard, labels: Sequence[str]
) -> list[tuple[str, tuple[PayDown, ...], int]]:
    candidates: list[tuple[str, tuple[PayDown, ...], int]] = []
    revolving = [
        (i, a, a.credit_limit_cents or 0)
        for i, a in enumerate(file.accounts)
        if is_open(a)
        and a.account_type == "revolving"
        and (a.credit_limit_cents or 0) > 0
        and a.balance_cents > 0
        and not is_derogatory(a)
    ]
    for pct in _utilisation_targets(model):
        everyone: list[PayDown] = []
        for i, a, limit in revolving:
            target = balance_below(limit, pct)
            if target >= a.balance_cents:
                continue
            everyone.append(PayDown(i, target))
            level = "paid off" if pct == 0 else f"below {_pct(pct)} of its limit"
            candidates.append(
                (
                    f"Pay {labels[i]} down to {_money(target)} ({level}): "
                    f"a payment of {_money(a.balance_cents - target)}",
                    (PayDown(i, target),),
                    a.balance_cents - target,
                )
            )
        if len(everyone) > 1:
            level = "pay them off" if pct == 0 else f"each below {_pct(pct)} of its limit"
            cost = sum(file.accounts[p.account].balance_cents - p.balance_cents for p in everyone)
            candidates.append(
                (
                    f"Pay your revolving accounts down ({level}): payments of {_money(cost)}",
                    tuple(everyone),
                    cost,
                )
            )
    for i, a in enumerate(file.accounts):
        if is_derogatory(a) and a.balance_cents > 0:
            what = "charge-off" if a.status == "97" else "collection"
            candidates.append(
                (
                    f"Pay the {what} on {labels[i]} in full: a payment of "
                    f"{_money(a.balance_cents)}",
                    (PayDown(i, 0),),
                    a.balance_cents,
                )
            )
    return candidates


def _labels(file: FileInput, account_labels: Sequence[str] | None) -> Sequence[str]:
    labels = account_labels or [f"account {i}" for i in range(len(file.accounts))]
    if len(labels) != len(file.accounts):
        raise ValueError("one label per account is needed")
    return labels


def _waits() -> range:
    return range(1, WAIT_HORIZON_MONTHS + 1)


def _chosen(
    now: int | None,
    payments: Sequence[tuple[str, tuple[PayDown, ...], int]],
    payment_scores: Sequence[int | None],
    wait_scores: Sequence[int | None],
    k: int,
) -> tuple[Action, ...]:
    """The best ``k`` actions, given the score now and the score after each payment
    candidate and after each wait (``_waits``)."""
    actions: list[Action] = []

    def gain_of(score: int | None) -> int | None:
        return None if score is None or now is None else score - now

    def improves(score: int | None) -> bool:
        return score is not None and (now is None or score > now)

    scored = []
    for (description, changes, cost), score in zip(payments, payment_scores, strict=True):
        if score is not None and improves(score):
            scored.append(Action("pay_down", description, changes, score, gain_of(score), cost))
    for action in scored:
        dominated = any(
            other is not action
            and other.score >= action.score
            and other.pay_cents <= action.pay_cents
            and (other.score, -other.pay_cents) != (action.score, -action.pay_cents)
            for other in scored
        )
        if not dominated:
            actions.append(action)

    best_wait: Action | None = None
    for months, score in zip(_waits(), wait_scores, strict=True):
        if score is None or not improves(score):
            continue
        if best_wait is None or score > best_wait.score:
            best_wait = Action(
                "months_pass",
                f"Let {months} month{'s' if months > 1 else ''} pass with no new credit "
                "applications and every account kept as it stands",
                (MonthsPass(months),),
                score,
                gain_of(score),
                months=months,
            )
        if now is None:
            break  # the shortest wait that gives a score
    if best_wait is not None:
        actions.append(best_wait)

    actions.sort(key=lambda a: (-a.score, a.kind != "pay_down", a.pay_cents, a.months))
    return tuple(actions[:k])


def best_actions(
    file: FileInput,
    today: date,
    model: Scorecard,
    k: int = 3,
    *,
    account_labels: Sequence[str] | None = None,
) -> tuple[Action, ...]:
    """The ``k`` honest actions that would raise the score most, each with its exact gain.

    ``account_labels`` name the accounts in the descriptions (by index; the default is
    "account 0", "account 1", ...); the changes always name accounts by index.

    Payments that another payment beats (at least the same gain for no more money) are left
    out; of the waits, only the shortest that reaches the best score within
    ``WAIT_HORIZON_MONTHS``. When the file has no score now, only actions that would give it
    one are returned, shortest wait first.

    The file now and the file after every candidate are scored as one batch, each on its
    own day, by the vectorised engine (``explain.score_files``); ``best_actions_one_by_one``
    scores them one at a time and gives the same actions.
    """
    payments = _payment_candidates(file, model, _labels(file, account_labels))
    columns, days = _candidate_columns(file, today, [changes for _, changes, _ in payments])
    scores = score_columns(columns, days, model)
    p = len(payments)
    return _chosen(scores[0], payments, scores[1 : 1 + p], scores[1 + p :], k)


def _candidate_columns(
    file: FileInput, today: date, payments: Sequence[Sequence[PayDown]]
) -> tuple[FileColumns, list[date]]:
    """The columns of the file now, after each payment (``apply``: balances lowered, then
    what is obsolete today left out) and after each wait (``_waits``: open accounts aged,
    then what is obsolete on that day left out), one file each, and the day of each.

    Built from the file's own columns rather than from a ``FileInput`` per candidate: the
    candidates differ from the file only in balances, or in the open accounts' histories
    and report dates and in the day, and in what has become obsolete by that day."""
    accounts = file.accounts
    packed = [pack_account(a) for a in accounts]
    account_obsolete = [
        account_obsolete_on(
            status=a.status,
            account_type=a.account_type,
            date_of_first_delinquency=a.date_of_first_delinquency,
        )
        for a in accounts
    ]
    record_obsolete = [
        bankruptcy_obsolete_on(chapter=r.chapter, status=r.status, filed_on=r.filed_on)
        for r in file.public_records
    ]
    balances = [a.balance_cents for a in accounts]
    kinds = [a.account_type for a in accounts]
    limits = [a.credit_limit_cents for a in accounts]
    closed = [a.closed_on is not None for a in accounts]
    owner: list[int] = []
    c_packed: list[str] = []
    c_kinds: list[str] = []
    c_limits: list[int | None] = []
    c_balances: list[int] = []
    c_closed: list[bool] = []
    records: list[int] = []
    days: list[date] = []

    def add(day: date, texts: Sequence[str], amounts: Sequence[int], every: bool = False) -> None:
        k = len(days)
        days.append(day)
        for i in range(len(accounts)):
            if every or not is_obsolete(account_obsolete[i], day):
                owner.append(k)
                c_packed.append(texts[i])
                c_kinds.append(kinds[i])
                c_limits.append(limits[i])
                c_balances.append(amounts[i])
                c_closed.append(closed[i])
        records.extend(k for on in record_obsolete if every or not is_obsolete(on, day))

    add(today, packed, balances, every=True)  # the file now, as it is
    for changes in payments:
        paid = list(balances)
        for change in changes:
            paid[change.account] = change.balance_cents
        add(today, packed, paid)
    for months in _waits():
        aged = [
            a.status
            + (_reported_code(a) * months + a.payment_history)[:HISTORY_MONTHS]
            + a.opened_on.isoformat()
            + add_months(a.as_of, months).isoformat()
            if is_open(a)
            else text
            for a, text in zip(accounts, packed, strict=True)
        ]
        add(add_months(today, months), aged, balances)
    n = len(days)
    inquiries = file.inquiries
    return (
        FileColumns(
            n=n,
            account_owner=np.array(owner, dtype=np.intp),
            packed=c_packed,
            account_type=c_kinds,
            credit_limit_cents=c_limits,
            balance_cents=c_balances,
            closed=c_closed,
            inquiry_owner=np.repeat(np.arange(n, dtype=np.intp), len(inquiries)),
            inquiry_at=[q.at.isoformat() for q in inquiries] * n,
            inquiry_kind=[q.kind for q in inquiries] * n,
            record_owner=np.array(records, dtype=np.intp),
        ),
        days,
    )


def best_actions_one_by_one(
    file: FileInput,
    today: date,
    model: Scorecard,
    k: int = 3,
    *,
    account_labels: Sequence[str] | None = None,
) -> tuple[Action, ...]:
    """``best_actions`` with every candidate explained one at a time by the per-file
    evaluator (``explain_file``): the slow reference the batch is checked against."""
    payments = _payment_candidates(file, model, _labels(file, account_labels))

    def score_after(changes: Sequence[Change]) -> int | None:
        changed, later = apply(file, today, changes)
        return explain_file(changed, later, model).score

    return _chosen(
        explain_file(file, today, model).score,
        payments,
        [score_after(changes) for _, changes, _ in payments],
        [score_after([MonthsPass(months)]) for months in _waits()],
        k,
    )
