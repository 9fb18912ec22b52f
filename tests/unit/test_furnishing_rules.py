"""The furnishing rules, one by one, at their boundaries (no database)."""

from datetime import date, timedelta
from typing import Any

import pytest

from schemas.furnishing import ACCOUNT_PUT_EXAMPLES, AccountFields, AccountPut, AccountStatus
from service.core.errors import FieldError
from service.furnishing import rules

TODAY = date(2026, 11, 15)
TOMORROW = TODAY + timedelta(days=1)

CURRENT_HISTORY = "0" * 24


def fields(**overrides: Any) -> AccountFields:
    """A valid current credit card, changed by ``overrides`` (None removes a field)."""
    body: dict[str, Any] = {
        "account_type": "revolving",
        "opened_on": "2019-03-01",
        "credit_limit_cents": 500_000,
        "balance_cents": 125_000,
        "past_due_cents": 0,
        "status": "11",
        "payment_history": CURRENT_HISTORY,
        "as_of": "2026-10-31",
    }
    body.update(overrides)
    return AccountFields.model_validate({k: v for k, v in body.items() if v is not None})


def late(status: str, code: str, **overrides: Any) -> AccountFields:
    """A delinquent installment loan with a consistent status, history and amounts."""
    base: dict[str, Any] = {
        "account_type": "installment",
        "credit_limit_cents": None,
        "original_amount_cents": 1_000_000,
        "balance_cents": 800_000,
        "past_due_cents": 50_000,
        "status": status,
        "payment_history": code + "0" * 23,
        "date_of_first_delinquency": "2026-06-01",
    }
    base.update(overrides)
    return fields(**base)


def names(errors: list[FieldError]) -> list[str]:
    return [e.field for e in errors]


def test_a_valid_account_has_no_problems() -> None:
    assert rules.validate_account(fields(), TODAY) == []


@pytest.mark.parametrize("name", sorted(ACCOUNT_PUT_EXAMPLES))
def test_every_openapi_example_is_acceptable(name: str) -> None:
    data = AccountPut.model_validate(ACCOUNT_PUT_EXAMPLES[name]["value"])
    assert rules.validate_account(data, data.as_of) == []


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", rules.NOT_IN_FUTURE_FIELDS)
def test_a_date_equal_to_today_is_allowed(name: str) -> None:
    overrides = {name: TODAY.isoformat()}
    if name == "opened_on":
        overrides["as_of"] = TODAY.isoformat()
    assert rules.check_dates(fields(**overrides), TODAY) == []


@pytest.mark.parametrize("name", rules.NOT_IN_FUTURE_FIELDS)
def test_a_date_after_today_is_refused(name: str) -> None:
    data = fields(**{name: TOMORROW.isoformat()})
    errors = rules.check_dates(data, TODAY)
    assert name in names(errors)
    assert any("after today" in e.detail for e in errors if e.field == name)


def test_closed_on_may_equal_but_not_precede_opened_on() -> None:
    assert rules.check_dates(fields(closed_on="2019-03-01"), TODAY) == []
    assert names(rules.check_dates(fields(closed_on="2019-02-28"), TODAY)) == ["closed_on"]


def test_as_of_may_equal_but_not_precede_opened_on() -> None:
    assert rules.check_dates(fields(as_of="2019-03-01"), TODAY) == []
    assert names(rules.check_dates(fields(as_of="2019-02-28"), TODAY)) == ["as_of"]


def test_delinquency_may_equal_but_not_precede_opened_on() -> None:
    assert rules.check_dates(fields(date_of_first_delinquency="2019-03-01"), TODAY) == []
    errors = rules.check_dates(fields(date_of_first_delinquency="2019-02-28"), TODAY)
    assert names(errors) == ["date_of_first_delinquency"]


def test_a_collection_account_may_have_a_delinquency_before_it_opened() -> None:
    data = fields(
        account_type="collection",
        credit_limit_cents=None,
        original_amount_cents=86_000,
        date_of_first_delinquency="2018-10-01",
    )
    assert rules.check_dates(data, TODAY) == []


# --- amounts ---------------------------------------------------------------------------------


def test_past_due_may_equal_but_not_exceed_the_balance() -> None:
    assert rules.check_amounts(late("71", "1", past_due_cents=800_000)) == []
    errors = rules.check_amounts(late("71", "1", past_due_cents=800_001))
    assert names(errors) == ["past_due_cents"]


def test_revolving_needs_a_credit_limit() -> None:
    errors = rules.check_amounts(fields(credit_limit_cents=None))
    assert names(errors) == ["credit_limit_cents"]


@pytest.mark.parametrize("kind", ["installment", "mortgage", "collection"])
def test_loans_and_collections_need_an_original_amount(kind: str) -> None:
    data = fields(account_type=kind, credit_limit_cents=None)
    assert names(rules.check_amounts(data)) == ["original_amount_cents"]
    data = fields(account_type=kind, credit_limit_cents=None, original_amount_cents=1)
    assert rules.check_amounts(data) == []


def test_an_open_account_needs_neither_limit_nor_original_amount() -> None:
    assert rules.check_amounts(fields(account_type="open", credit_limit_cents=None)) == []


# --- date of first delinquency ---------------------------------------------------------------


@pytest.mark.parametrize("status", sorted(rules.DELINQUENT_STATUSES))
def test_a_delinquent_status_needs_its_date_of_first_delinquency(status: AccountStatus) -> None:
    code = "".join(sorted(rules.STATUS_NEWEST_HISTORY[status]))
    assert rules.check_delinquency_date(late(status, code)) == []
    errors = rules.check_delinquency_date(late(status, code, date_of_first_delinquency=None))
    assert names(errors) == ["date_of_first_delinquency"]


@pytest.mark.parametrize("code", sorted(rules.DELINQUENT_HISTORY_CODES))
def test_a_delinquency_in_the_history_needs_its_date(code: str) -> None:
    history = "0" * 10 + code + "0" * 13
    errors = rules.check_delinquency_date(fields(payment_history=history))
    assert names(errors) == ["date_of_first_delinquency"]
    data = fields(payment_history=history, date_of_first_delinquency="2025-01-01")
    assert rules.check_delinquency_date(data) == []


@pytest.mark.parametrize("code", ["0", "B", "D", "E"])
def test_a_history_without_delinquency_needs_no_date(code: str) -> None:
    history = "0" + code * 23
    assert rules.check_delinquency_date(fields(payment_history=history)) == []


# --- status ----------------------------------------------------------------------------------


def test_status_11_allows_nothing_past_due() -> None:
    assert rules.check_status(fields(past_due_cents=0)) == []
    assert names(rules.check_status(fields(past_due_cents=1))) == ["past_due_cents"]


@pytest.mark.parametrize("status", sorted(rules.PAST_DUE_STATUSES))
def test_statuses_71_to_84_need_an_amount_past_due(status: AccountStatus) -> None:
    assert rules.check_status(late(status, "1", past_due_cents=1)) == []
    assert names(rules.check_status(late(status, "1", past_due_cents=0))) == ["past_due_cents"]


def test_status_13_needs_a_zero_balance_and_a_closing_date() -> None:
    ok = fields(status="13", balance_cents=0, closed_on="2026-09-30")
    assert rules.check_status(ok) == []
    errors = rules.check_status(fields(status="13", balance_cents=1))
    assert sorted(names(errors)) == ["balance_cents", "closed_on"]


@pytest.mark.parametrize("status", ["93", "97", "DA"])
def test_other_statuses_have_no_amount_rule(status: str) -> None:
    assert rules.check_status(fields(status=status, past_due_cents=0)) == []


# --- payment history -------------------------------------------------------------------------

ALL_CODES = "0123456BDEGL"


@pytest.mark.parametrize(
    ("status", "code"),
    [(s, c) for s, allowed in rules.STATUS_NEWEST_HISTORY.items() for c in ALL_CODES],
)
def test_the_newest_month_must_agree_with_the_status(status: AccountStatus, code: str) -> None:
    data = fields(status=status, payment_history=code * 24)
    errors = rules.check_payment_history(data)
    if code in rules.STATUS_NEWEST_HISTORY[status]:
        assert errors == []
    else:
        assert names(errors) == ["payment_history"]
        assert f"'{code}'" in errors[0].detail


def test_the_mapping_is_the_documented_one() -> None:
    expected = {
        "11": "0E",
        "13": "0DE",
        "71": "1",
        "78": "2",
        "80": "3",
        "82": "4",
        "83": "5",
        "84": "6",
        "93": "G",
        "97": "L",
    }
    got = {s.value: "".join(sorted(c)) for s, c in rules.STATUS_NEWEST_HISTORY.items()}
    assert got == expected


@pytest.mark.parametrize("code", list(ALL_CODES))
def test_a_deleted_account_accepts_any_history(code: str) -> None:
    data = fields(status="DA", payment_history=code * 24)
    assert rules.check_payment_history(data) == []


@pytest.mark.parametrize("history", ["0" * 23 + "B", "0" + "B" * 23, "0" * 12 + "B" * 12])
def test_b_as_a_suffix_is_allowed(history: str) -> None:
    assert rules.check_payment_history(fields(payment_history=history)) == []


def test_an_all_b_history_passes_the_b_rule() -> None:
    assert rules.check_payment_history(fields(status="DA", payment_history="B" * 24)) == []


@pytest.mark.parametrize("history", ["0B" + "0" * 22, "0" * 12 + "B" * 11 + "0", "0BBD" + "B" * 20])
def test_b_followed_by_anything_but_b_is_refused(history: str) -> None:
    errors = rules.check_payment_history(fields(payment_history=history))
    assert names(errors) == ["payment_history"]
    assert "'B'" in errors[0].detail


# --- all at once -----------------------------------------------------------------------------


def test_every_problem_is_reported_at_once() -> None:
    data = fields(
        credit_limit_cents=None,
        past_due_cents=200_000,
        as_of=TOMORROW.isoformat(),
        payment_history="1" + "0" * 23,
    )
    got = names(rules.validate_account(data, TODAY))
    assert sorted(got) == sorted(
        [
            "as_of",  # after today
            "past_due_cents",  # more than the balance
            "credit_limit_cents",  # revolving
            "date_of_first_delinquency",  # history shows a 30-day delinquency
            "past_due_cents",  # status 11
            "payment_history",  # status 11 with a newest month of 1
        ]
    )


# --- account_ref, versions, idempotency ------------------------------------------------------


@pytest.mark.parametrize("ref", ["A", "CARD-0001", "loan_7.2:b", "x" * 64])
def test_account_refs_that_are_accepted(ref: str) -> None:
    assert rules.check_account_ref(ref) == []


@pytest.mark.parametrize("ref", ["", "x" * 65, "a/b", "a b", "café"])
def test_account_refs_that_are_refused(ref: str) -> None:
    assert names(rules.check_account_ref(ref)) == ["account_ref"]


def test_the_furnished_fields_are_the_schema_fields() -> None:
    assert set(rules.FURNISHED_FIELDS) == set(AccountFields.model_fields)
    assert "subject_id" not in rules.FURNISHED_FIELDS


def test_json_safe_renders_dates_and_enums() -> None:
    assert rules.json_safe(date(2026, 1, 2)) == "2026-01-02"
    assert rules.json_safe(AccountStatus.current) == "11"
    assert rules.json_safe(5) == 5
    assert rules.json_safe(None) is None


def test_changed_fields_lists_exactly_the_differences_in_schema_order() -> None:
    before = fields().model_dump(mode="json")
    after = fields(as_of="2026-11-01", balance_cents=1).model_dump(mode="json")
    assert rules.changed_fields(before, after) == ["balance_cents", "as_of"]
    assert rules.changed_fields(before, dict(before)) == []


def test_the_request_hash_ignores_layout_but_not_content() -> None:
    body = {"a": 1, "b": [1, 2], "c": None}
    same = {"c": None, "b": [1, 2], "a": 1}
    assert rules.request_hash("R1", body) == rules.request_hash("R1", same)
    assert rules.request_hash("R1", body) != rules.request_hash("R2", body)
    assert rules.request_hash("R1", body) != rules.request_hash("R1", {**body, "a": 2})
    assert len(rules.request_hash("R1", body)) == 64
