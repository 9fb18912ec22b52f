"""Each characteristic is defined once and evaluated two ways: per file in Python
(``characteristics.evaluate``) and over the columns of many files with numpy
(``columns.characteristic_columns``). Both must give identical values on any file."""

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.scoring.engine.characteristics import (
    CHARACTERISTICS,
    NAMES,
    SKIPPED_HISTORY_CODES,
    evaluate,
)
from service.scoring.engine.columns import characteristic_columns, columns_of_files
from service.scoring.engine.inputs import FileInput
from service.scoring.rules import NO_ACCOUNT_OLD_ENOUGH, NO_RECENT_REPORT
from tests.unit.scoring_factories import HISTORY_CODES, TODAY, account, file_of, files


@st.composite
def varied_files(draw: st.DrawFn) -> FileInput:
    """Random files, some accounts with a payment history shorter or longer than 24 months
    (possible in the schema, never furnished so)."""
    file = draw(files())
    accounts = tuple(
        replace(a, payment_history=draw(st.text(alphabet=HISTORY_CODES, max_size=30)))
        if draw(st.booleans()) and draw(st.booleans())
        else a
        for a in file.accounts
    )
    return replace(file, accounts=accounts)


def _same(per_file: object, column: object) -> bool:
    return per_file == column and type(per_file) is type(column)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    batch=st.lists(varied_files(), min_size=1, max_size=6),
    # The files are built around TODAY; another day puts some of their dates in the future
    # and moves every window boundary.
    shift=st.integers(-800, 800),
)
def test_every_characteristic_is_the_same_per_file_and_over_columns(
    batch: list[FileInput], shift: int
) -> None:
    today = TODAY + timedelta(days=shift)
    columns = characteristic_columns(columns_of_files(batch), today)
    values = columns.values()
    for k, file in enumerate(batch):
        expected, thin = evaluate(file, today)
        for name in NAMES:
            assert _same(expected[name], values[k][name]), (name, expected[name], values[k][name])
        assert bool(columns.no_account_old_enough[k]) == (NO_ACCOUNT_OLD_ENOUGH in thin)
        assert bool(columns.no_recent_report[k]) == (NO_RECENT_REPORT in thin)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(batch=st.lists(st.tuples(varied_files(), st.integers(-800, 800)), min_size=1, max_size=6))
def test_files_evaluated_each_on_its_own_day_over_columns(
    batch: list[tuple[FileInput, int]],
) -> None:
    days = [TODAY + timedelta(days=shift) for _, shift in batch]
    columns = characteristic_columns(columns_of_files([f for f, _ in batch]), days)
    values = columns.values()
    for k, ((file, _), day) in enumerate(zip(batch, days, strict=True)):
        expected, thin = evaluate(file, day)
        for name in NAMES:
            assert _same(expected[name], values[k][name]), (name, day)
        assert bool(columns.no_account_old_enough[k]) == (NO_ACCOUNT_OLD_ENOUGH in thin)
        assert bool(columns.no_recent_report[k]) == (NO_RECENT_REPORT in thin)


def test_the_two_evaluations_agree_on_hand_made_boundaries() -> None:
    """Days on each side of the month and window boundaries, which random days rarely hit."""
    today = date(2026, 3, 31)
    batch = [
        file_of(account(opened_on=date(2025, 3, 31), as_of=date(2025, 9, 30))),
        file_of(account(opened_on=date(2026, 2, 28), as_of=today, payment_history="1" * 24)),
        file_of(account(opened_on=date(2026, 4, 1), as_of=date(2024, 3, 31), status="97")),
        file_of(),
    ]
    columns = characteristic_columns(columns_of_files(batch), today)
    values = columns.values()
    for k, file in enumerate(batch):
        expected, _ = evaluate(file, today)
        assert values[k] == expected
    # Hand-computed: 12 whole months (31 March to 31 March), 1 month (28 February to 31
    # March), and an account opened tomorrow.
    assert values[0]["oldest_account_months"] == 12
    assert values[1]["oldest_account_months"] == 1
    assert values[1]["lates_30plus_24m"] == 24
    assert values[2]["accounts_opened_12m"] == 0
    assert values[2]["worst_delinquency_24m"] == 7
    assert values[3]["credit_mix"] == "none"


def test_every_characteristic_has_a_definition_with_a_value() -> None:
    assert len(CHARACTERISTICS) == len(NAMES) == 11
    for c in CHARACTERISTICS:
        assert c.aggregates, c.name


def test_the_per_file_evaluator_skips_exactly_the_months_that_are_not_delinquencies() -> None:
    """A month coded current (0), no history (B), no data (D) or zero balance (E) changes no
    characteristic, so the per-file evaluator may skip it; a late (1-6), a collection (G) or a
    charge-off (L) month must be evaluated."""
    assert set("0BDE") <= SKIPPED_HISTORY_CODES
    assert not set("123456GL") & SKIPPED_HISTORY_CODES
    late = account(payment_history="0" * 5 + "2" + "B" * 18)
    values, _ = evaluate(file_of(late), TODAY)
    assert values["lates_30plus_24m"] == 1
    assert values["worst_delinquency_24m"] == 2
