"""Recourse: simulated changes, the best honest actions, and the monotone properties."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from service.core.errors import InvalidInput
from service.scoring.engine.characteristics import compute, is_open
from service.scoring.engine.explain import score_file
from service.scoring.engine.inputs import FileInput, PublicRecordInput
from service.scoring.engine.recourse import (
    MAX_SIMULATED_MONTHS,
    CloseAccount,
    MonthsPass,
    PayDown,
    apply,
    balance_below,
    best_actions,
    best_actions_one_by_one,
    close_account,
    months_pass,
    pay_down,
    simulate,
)
from service.scoring.engine.scorecard import get_model
from tests.unit.scoring_factories import (
    CLEAN,
    TODAY,
    account,
    file_of,
    files,
    hard,
    installment,
    load_test_model,
    stretched,
)

MODEL = load_test_model()


# -- the changes ---------------------------------------------------------------------------


def test_pay_down_clears_the_past_due_amount_first() -> None:
    f = file_of(account(balance_cents=100_000, past_due_cents=30_000, status="71"))
    paid = pay_down(f, 0, 80_000).accounts[0]
    assert (paid.balance_cents, paid.past_due_cents, paid.status) == (80_000, 10_000, "71")
    assert pay_down(f, 0, 50_000).accounts[0].past_due_cents == 0
    assert f.accounts[0].balance_cents == 100_000  # the original is untouched


@pytest.mark.parametrize(
    ("index", "balance", "field"),
    [
        (0, -1, "balance_cents"),
        (0, 100_001, "balance_cents"),
        (1, 0, "account"),
        (-1, 0, "account"),
    ],
)
def test_pay_down_refuses_what_is_not_a_pay_down(index: int, balance: int, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        pay_down(file_of(account(balance_cents=100_000)), index, balance)
    assert caught.value.errors[0].field == field


def test_close_account() -> None:
    f = file_of(account(), installment())
    closed = close_account(f, 0, TODAY)
    assert closed.accounts[0].closed_on == TODAY
    assert closed.accounts[0].balance_cents == f.accounts[0].balance_cents  # still owed
    assert compute(closed, TODAY)["credit_mix"] == "installment_only"
    with pytest.raises(InvalidInput):
        close_account(closed, 0, TODAY)


def test_months_pass_ages_the_file() -> None:
    dofd = date(2020, 1, 1) - timedelta(days=180)  # a collection that leaves on 2027-01-01
    f = file_of(
        account(payment_history="0" * 23 + "3"),
        account(status="71", payment_history="1" + "0" * 23),
        account(balance_cents=0, payment_history="E" * 24),
        account(account_type="collection", status="93", payment_history="G" * 24),
        account(status="97", payment_history="L" * 24, date_of_first_delinquency=dofd),
        account(closed_on=date(2026, 1, 1), as_of=date(2026, 1, 1)),
        account(account_type="collection", status="93", date_of_first_delinquency=dofd),
        inquiries=(hard(date(2025, 12, 1)),),
        public_records=(
            PublicRecordInput(chapter=7, status="discharged", filed_on=date(2016, 12, 1)),
        ),
    )
    before = compute(f, TODAY)
    assert (before["hard_inquiries_12m"], before["derogatory_count"]) == (1, 4)

    later, day = months_pass(f, TODAY, 1)
    assert day == date(2026, 12, 15)
    histories = [a.payment_history for a in later.accounts]
    assert histories[0] == "0" * 24  # the old late has left the 24 months
    assert histories[1] == "11" + "0" * 22  # still late, at the same stage
    assert histories[2] == "E" * 24
    assert histories[3] == "G" * 24
    assert histories[4] == "L" * 24
    assert later.accounts[5] == f.accounts[5]  # closed: no longer reported
    assert all(a.as_of == day for a in later.accounts[:5])
    after = compute(later, day)
    assert after["hard_inquiries_12m"] == 0  # 12 months old now
    assert after["derogatory_count"] == 3  # the bankruptcy (2016-12-01, 10 years) has left
    assert after["oldest_account_months"] == before["oldest_account_months"] + 1  # type: ignore[operator]

    two, day2 = months_pass(f, TODAY, 2)
    assert day2 == date(2027, 1, 15)
    assert len(two.accounts) == 5  # both items first delinquent on dofd have left too
    assert compute(two, day2)["derogatory_count"] == 1


def test_changes_name_accounts_of_the_original_file() -> None:
    dofd = date(2020, 1, 1) - timedelta(days=180)
    f = file_of(
        account(account_type="collection", status="93", date_of_first_delinquency=dofd),
        account(balance_cents=100_000),
    )
    later, _ = apply(f, TODAY, [MonthsPass(2), PayDown(1, 0)])
    assert [a.balance_cents for a in later.accounts] == [0]  # the collection left; #1 paid


def test_months_are_bounded() -> None:
    with pytest.raises(InvalidInput):
        apply(CLEAN, TODAY, [MonthsPass(-1)])
    with pytest.raises(InvalidInput):
        apply(CLEAN, TODAY, [MonthsPass(MAX_SIMULATED_MONTHS + 1)])
    assert apply(CLEAN, TODAY, [MonthsPass(0)]) == (CLEAN, TODAY)


def test_simulate_reports_the_difference() -> None:
    f = stretched(3)
    result = simulate(f, TODAY, MODEL, [PayDown(0, 59_999), PayDown(1, 29_999)])
    assert (result.before.score, result.after.score, result.difference) == (585, 635, 50)
    # Closing the clean file's card: utilisation goes missing (95 -> 60) and the mix is
    # installment only (65 -> 45).
    closing = simulate(CLEAN, TODAY, MODEL, [CloseAccount(0)])
    assert (closing.before.score, closing.difference) == (825, -55)


@pytest.mark.parametrize(
    ("limit", "pct", "balance"),
    [
        (200_000, 30.0, 59_999),
        (100_000, 10.0, 9_999),
        (300_000, 0.0, 0),
        (333, 30.0, 99),
        (1, 10.0, 0),
    ],
)
def test_balance_below(limit: int, pct: float, balance: int) -> None:
    assert balance_below(limit, pct) == balance
    if pct:
        assert 100.0 * balance / limit < pct <= 100.0 * (balance + 1) / limit


# -- best actions --------------------------------------------------------------------------


def test_best_actions_for_a_stretched_file() -> None:
    f = stretched(3)
    actions = best_actions(f, TODAY, MODEL)
    # Every card below 10 % of its limit: utilisation 9.999 %, 30 -> 95 points.
    # Every card below 30 %: 29.999 %, 30 -> 80. The first card alone below 30 %: 49.999 %, -> 60.
    assert [(a.changes, a.gain, a.score) for a in actions] == [
        ((PayDown(0, 19_999), PayDown(1, 9_999)), 65, 650),
        ((PayDown(0, 59_999), PayDown(1, 29_999)), 50, 635),
        ((PayDown(0, 59_999),), 30, 615),
    ]
    assert actions[2].pay_cents == 110_001
    assert "below 30%" in actions[2].description
    # Waiting: a month more of history (+15), the inquiries leaving (+25) and the accounts
    # ageing on average (+15), against the late account staying late (-25) -> +30 at 11.
    wait = [a for a in best_actions(f, TODAY, MODEL, k=20) if a.kind == "months_pass"]
    assert [(a.changes, a.gain) for a in wait] == [((MonthsPass(11),), 30)]


def test_actions_name_accounts_by_their_labels() -> None:
    labels = ["your Fictional Bank card", "your Example Credit card"]
    actions = best_actions(stretched(3), TODAY, MODEL, account_labels=labels)
    assert actions[2].description.startswith("Pay your Fictional Bank card down to $599.99")
    assert "a payment of $1,100.01" in actions[2].description
    with pytest.raises(ValueError, match="label"):
        best_actions(stretched(3), TODAY, MODEL, account_labels=labels[:1])


def test_a_file_at_its_best_has_no_actions() -> None:
    assert best_actions(CLEAN, TODAY, MODEL) == ()


def test_a_thin_file_is_told_how_long_to_wait_for_a_score() -> None:
    young = file_of(account(opened_on=date(2026, 8, 1)))
    assert score_file(young, TODAY, MODEL) is None
    actions = best_actions(young, TODAY, MODEL)
    assert len(actions) == 1
    assert actions[0].changes == (MonthsPass(3),)  # 2027-02-15: six months after 2026-08-01
    assert actions[0].gain is None
    assert actions[0].score == score_file(*months_pass(young, TODAY, 3), MODEL)


def test_paying_a_collection_is_an_action() -> None:
    f = file_of(
        account(opened_on=date(2012, 1, 1), balance_cents=40_000),
        installment(),
        account(
            account_type="collection", status="93", balance_cents=25_000, credit_limit_cents=None
        ),
    )
    actions = best_actions(f, TODAY, MODEL)
    # 3 open accounts with a balance -> 2: [3, 5) 60 -> (-inf, 3) 70. Paying the card off
    # would gain as much but costs more, so it is left out.
    assert [(a.changes, a.gain) for a in actions] == [((PayDown(2, 0),), 10)]
    assert "collection" in actions[0].description


@settings(max_examples=60, deadline=None)
@given(file=files())
def test_every_action_gains_exactly_what_it_says(file: FileInput) -> None:
    now = score_file(file, TODAY, MODEL)
    actions = best_actions(file, TODAY, MODEL)
    assert len(actions) <= 3
    scores = [a.score for a in actions]
    assert scores == sorted(scores, reverse=True)
    for action in actions:
        result = simulate(file, TODAY, MODEL, action.changes)
        assert result.after.score == action.score
        assert result.difference == action.gain
        assert now is None or (action.gain is not None and action.gain > 0)


# -- monotone properties -------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(file=files(min_revolving=1), data=st.data())
def test_paying_down_a_revolving_balance_never_lowers_the_score(
    file: FileInput, data: st.DataObject
) -> None:
    revolving = [i for i, a in enumerate(file.accounts) if a.account_type == "revolving"]
    index = data.draw(st.sampled_from(revolving))
    balance = data.draw(st.integers(0, file.accounts[index].balance_cents))
    before = score_file(file, TODAY, MODEL)
    after = score_file(pay_down(file, index, balance), TODAY, MODEL)
    assert (before is None) == (after is None)
    if before is not None and after is not None:
        assert after >= before


@settings(max_examples=200, deadline=None)
@given(file=files(), data=st.data())
def test_a_new_late_payment_never_raises_the_score(file: FileInput, data: st.DataObject) -> None:
    clean = [
        (i, m)
        for i, a in enumerate(file.accounts)
        for m, c in enumerate(a.payment_history)
        if c in "0BDE"  # a month without a delinquency
    ]
    assume(clean)
    index, month = data.draw(st.sampled_from(clean))
    target = file.accounts[index]
    code = data.draw(st.sampled_from("123456"))
    history = target.payment_history[:month] + code + target.payment_history[month + 1 :]
    late = replace(target, payment_history=history)
    if month == 0 and target.status == "11" and is_open(target):
        statuses = {"1": "71", "2": "78", "3": "80", "4": "82", "5": "83", "6": "84"}
        late = replace(late, status=statuses[code])
    accounts = list(file.accounts)
    accounts[index] = late
    before = score_file(file, TODAY, MODEL)
    after = score_file(replace(file, accounts=tuple(accounts)), TODAY, MODEL)
    assert (before is None) == (after is None)
    if before is not None and after is not None:
        assert after <= before


# -- the batch search against the one-by-one reference ---------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    file=files(min_revolving=1),
    shift=st.integers(-400, 400),
    shipped=st.booleans(),
    labelled=st.booleans(),
)
def test_the_batch_search_gives_the_actions_of_the_one_by_one_search(
    file: FileInput, shift: int, shipped: bool, labelled: bool
) -> None:
    """Every candidate scored in one batch by the vectorised engine gives the same actions,
    scores, gains, costs and descriptions as explaining each candidate in turn."""
    model = get_model() if shipped else MODEL
    today = TODAY + timedelta(days=shift)
    labels = [f"card {i}" for i in range(len(file.accounts))] if labelled else None
    batch = best_actions(file, today, model, k=50, account_labels=labels)
    assert batch == best_actions_one_by_one(file, today, model, k=50, account_labels=labels)
    assert best_actions(file, today, model, account_labels=labels) == batch[:3]
