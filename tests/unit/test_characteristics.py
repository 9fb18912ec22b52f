"""Characteristics computed from hand-built files, each at its window boundaries."""

from datetime import date

import pytest

from service.scoring.engine.characteristics import CHARACTERISTICS, NAMES, compute
from service.scoring.engine.inputs import FileInput, InquiryInput, PublicRecordInput
from service.scoring.rules import months_between
from tests.unit.scoring_factories import TODAY, account, file_of, hard, installment


def test_every_characteristic_is_documented_and_computed() -> None:
    for c in CHARACTERISTICS:
        assert c.title
        assert c.definition
        assert c.window
    assert set(compute(FileInput(accounts=()), TODAY)) == set(NAMES)
    assert len(NAMES) == 11


def test_empty_file() -> None:
    assert compute(FileInput(accounts=()), TODAY) == {
        "worst_delinquency_24m": 0,
        "lates_30plus_24m": 0,
        "months_since_recent_delinquency": None,
        "derogatory_count": 0,
        "revolving_utilisation_pct": None,
        "accounts_with_balance": 0,
        "oldest_account_months": None,
        "average_account_age_months": None,
        "hard_inquiries_12m": 0,
        "accounts_opened_12m": 0,
        "credit_mix": "none",
    }


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2026, 5, 15), date(2026, 11, 15), 6),
        (date(2026, 5, 16), date(2026, 11, 15), 5),
        (date(2026, 1, 31), date(2026, 2, 28), 0),
        (date(2026, 1, 31), date(2026, 3, 1), 1),
        (date(2026, 12, 1), date(2026, 11, 15), 0),
    ],
)
def test_whole_months(start: date, end: date, months: int) -> None:
    assert months_between(start, end) == months


# -- payment history -----------------------------------------------------------------------


def test_clean_history_has_no_delinquency() -> None:
    values = compute(file_of(account(payment_history="0BDE" * 6)), TODAY)
    assert values["worst_delinquency_24m"] == 0
    assert values["lates_30plus_24m"] == 0
    assert values["months_since_recent_delinquency"] is None


def test_worst_delinquency_and_lates_across_accounts() -> None:
    f = file_of(
        account(payment_history="0013" + "0" * 20),
        installment(payment_history="2" + "0" * 22 + "1"),
    )
    values = compute(f, TODAY)
    assert values["worst_delinquency_24m"] == 3
    assert values["lates_30plus_24m"] == 4  # 1 and 3 on the first, 2 and 1 on the second
    assert values["months_since_recent_delinquency"] == 0  # the "2" this month


@pytest.mark.parametrize("code", ["G", "L"])
def test_collection_or_charge_off_in_history_is_worst_but_not_a_late(code: str) -> None:
    values = compute(file_of(account(payment_history="00" + code + "0" * 21)), TODAY)
    assert values["worst_delinquency_24m"] == 7
    assert values["lates_30plus_24m"] == 0
    assert values["months_since_recent_delinquency"] == 2


@pytest.mark.parametrize(
    ("status", "account_type"),
    [("93", "revolving"), ("97", "installment"), ("11", "collection")],
)
def test_collection_or_charge_off_status_is_worst(status: str, account_type: str) -> None:
    values = compute(file_of(account(status=status, account_type=account_type)), TODAY)
    assert values["worst_delinquency_24m"] == 7
    assert values["derogatory_count"] == 1
    assert values["months_since_recent_delinquency"] == 0


def test_late_status_counts_as_a_delinquency_of_its_stage() -> None:
    values = compute(file_of(account(status="80", as_of=date(2026, 9, 30))), TODAY)
    assert values["worst_delinquency_24m"] == 3
    assert values["lates_30plus_24m"] == 0  # lates are counted in the history only
    assert values["months_since_recent_delinquency"] == 2  # reported in September
    assert values["derogatory_count"] == 0


def test_history_window_ends_at_24_months_counting_the_reporting_delay() -> None:
    # Reported two calendar months ago: history month i is i + 2 months ago.
    as_of = date(2026, 9, 1)
    inside = account(as_of=as_of, payment_history="0" * 21 + "4" + "00")  # 23 months ago
    outside = account(as_of=as_of, payment_history="0" * 22 + "5" + "0")  # 24 months ago
    assert compute(file_of(inside), TODAY)["worst_delinquency_24m"] == 4
    assert compute(file_of(inside), TODAY)["lates_30plus_24m"] == 1
    values = compute(file_of(outside), TODAY)
    assert values["worst_delinquency_24m"] == 0
    assert values["lates_30plus_24m"] == 0
    assert values["months_since_recent_delinquency"] == 24  # still known, just out of window


def test_months_since_takes_the_most_recent_across_accounts() -> None:
    f = file_of(
        account(as_of=date(2026, 10, 3), payment_history="00000" + "1" + "0" * 18),  # 6
        account(as_of=TODAY, payment_history="0" * 9 + "2" + "0" * 14),  # 9
    )
    assert compute(f, TODAY)["months_since_recent_delinquency"] == 6


# -- derogatory items ----------------------------------------------------------------------


def test_derogatory_count_collections_charge_offs_and_bankruptcies() -> None:
    f = file_of(
        account(account_type="collection", status="93"),  # one item, not two
        account(status="97"),
        installment(status="93"),
        account(status="71"),  # late, not derogatory
        public_records=(
            PublicRecordInput(chapter=7, status="discharged", filed_on=date(2020, 1, 2)),
        ),
    )
    assert compute(f, TODAY)["derogatory_count"] == 4


# -- amounts owed --------------------------------------------------------------------------


def test_utilisation_over_open_revolving_accounts_with_a_limit() -> None:
    f = file_of(
        account(credit_limit_cents=100_000, balance_cents=50_000),
        account(credit_limit_cents=300_000, balance_cents=100_000),
        account(credit_limit_cents=900_000, balance_cents=900_000, closed_on=date(2026, 1, 2)),
        account(credit_limit_cents=900_000, balance_cents=0, status="13"),
        account(credit_limit_cents=None, balance_cents=70_000),
        installment(),
    )
    assert compute(f, TODAY)["revolving_utilisation_pct"] == pytest.approx(37.5)


def test_utilisation_is_missing_without_an_open_revolving_limit() -> None:
    f = file_of(installment(), account(credit_limit_cents=None), account(credit_limit_cents=0))
    assert compute(f, TODAY)["revolving_utilisation_pct"] is None


def test_utilisation_can_exceed_100() -> None:
    f = file_of(account(credit_limit_cents=100_000, balance_cents=125_000))
    assert compute(f, TODAY)["revolving_utilisation_pct"] == pytest.approx(125.0)


def test_accounts_with_balance_counts_open_accounts_only() -> None:
    f = file_of(
        account(balance_cents=1),
        installment(),
        account(balance_cents=0),
        account(balance_cents=5_000, closed_on=date(2026, 1, 2)),
        account(account_type="collection", status="93", balance_cents=40_000),
    )
    assert compute(f, TODAY)["accounts_with_balance"] == 3


# -- length of history ---------------------------------------------------------------------


def test_oldest_and_average_age_in_whole_months() -> None:
    f = file_of(
        account(opened_on=date(2016, 11, 15)),  # 120
        installment(opened_on=date(2025, 11, 16)),  # 11
        account(opened_on=date(2026, 5, 15), closed_on=date(2026, 6, 1)),  # 6, closed counts
    )
    values = compute(f, TODAY)
    assert values["oldest_account_months"] == 120
    assert values["average_account_age_months"] == pytest.approx(137 / 3)


# -- new credit ----------------------------------------------------------------------------


def test_hard_inquiries_in_the_last_12_months() -> None:
    f = file_of(
        account(),
        inquiries=(
            hard(date(2025, 11, 16)),  # 11 whole months ago: in
            hard(date(2025, 11, 15)),  # 12 months ago: out
            hard(TODAY),
            InquiryInput(at=date(2026, 6, 1), kind="soft"),  # soft: never scored
            hard(date(2026, 11, 16)),  # after today: not yet
        ),
    )
    assert compute(f, TODAY)["hard_inquiries_12m"] == 2


def test_accounts_opened_in_the_last_12_months() -> None:
    f = file_of(
        account(opened_on=date(2025, 11, 16)),
        installment(opened_on=date(2025, 11, 15)),
        account(opened_on=TODAY, closed_on=TODAY),
    )
    assert compute(f, TODAY)["accounts_opened_12m"] == 2


# -- credit mix ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("types", "mix"),
    [
        ((), "none"),
        (("open", "collection"), "none"),
        (("revolving",), "revolving_only"),
        (("revolving", "open"), "revolving_only"),
        (("installment",), "installment_only"),
        (("mortgage",), "installment_only"),
        (("mortgage", "revolving"), "revolving_and_installment"),
    ],
)
def test_credit_mix_over_open_accounts(types: tuple[str, ...], mix: str) -> None:
    accounts = [account(account_type=t) for t in types]
    assert compute(file_of(*accounts), TODAY)["credit_mix"] == mix


def test_credit_mix_ignores_closed_accounts() -> None:
    f = file_of(installment(), account(closed_on=date(2026, 2, 1)), account(status="13"))
    assert compute(f, TODAY)["credit_mix"] == "installment_only"
