"""The validator: each rule, shown by a record that breaks that rule and no other."""

from datetime import date
from typing import Any

import pytest

from service.metro2.validator import check
from tests.metro2_files import CARD, HEADER, metro2_file

LATE = {"accountStatus": "71", "paymentHistoryProfile": "100000000000BBBBBBBBBBBB"}
LATE_OK = {**LATE, "amountPastDue": 40, "dateFirstDelinquency": date(2026, 9, 1)}

#: (rule, field, the base segment's changes): the record breaks that rule only.
BROKEN: list[tuple[str, str, dict[str, Any]]] = [
    ("layout.type", "highestCredit", {"highestCredit": "00000050X"}),
    ("cross.credit_limit", "creditLimit", {"creditLimit": 0}),
    (
        "cross.original_amount",
        "highestCredit",
        {"portfolioType": "I", "accountType": "01", "termsDuration": "036", "creditLimit": 0},
    ),
    ("layout.type", "dateOpened", {"dateOpened": "13452020"}),
    ("layout.required", "surname", {"surname": ""}),
    ("layout.required", "dateAccountInformation", {"dateAccountInformation": None}),
    ("layout.reserved", "reservedBase", {"reservedBase": "X"}),
    ("code.portfolioType", "portfolioType", {"portfolioType": "L"}),
    ("code.accountType", "accountType", {"accountType": "Q9"}),
    ("code.accountStatus", "accountStatus", {"accountStatus": "1X"}),
    ("code.specialComment", "specialComment", {"specialComment": "ZZ"}),
    ("code.complianceConditionCode", "complianceConditionCode", {"complianceConditionCode": "XZ"}),
    ("code.ecoaCode", "ecoaCode", {"ecoaCode": "9"}),
    ("code.termsFrequency", "termsFrequency", {"termsFrequency": "X"}),
    ("code.termsDuration", "termsDuration", {"termsDuration": "ABC"}),
    (
        "code.paymentHistoryProfile",
        "paymentHistoryProfile",
        {"paymentHistoryProfile": "0000000000X0BBBBBBBBBBBB"},
    ),
    (
        "cross.history_b",
        "paymentHistoryProfile",
        {"paymentHistoryProfile": "0000000000B0BBBBBBBBBBBB"},
    ),
    ("cross.payment_rating", "paymentRating", {"paymentRating": "1"}),
    (
        "cross.payment_rating",
        "paymentRating",
        {"accountStatus": "13", "currentBalance": 0, "dateClosed": date(2026, 10, 1)},
    ),
    (
        "cross.history_status",
        "paymentHistoryProfile",
        {"paymentHistoryProfile": "100000000000BBBBBBBBBBBB"},
    ),
    ("cross.dofd_required", "dateFirstDelinquency", {**LATE_OK, "dateFirstDelinquency": None}),
    ("cross.past_due_status", "amountPastDue", {**LATE_OK, "amountPastDue": 0}),
    ("cross.past_due_status", "amountPastDue", {"amountPastDue": 10}),
    ("cross.past_due_balance", "amountPastDue", {**LATE_OK, "amountPastDue": 451}),
    (
        "cross.balance_status",
        "currentBalance",
        {"accountStatus": "13", "paymentRating": "0", "dateClosed": date(2026, 10, 1)},
    ),
    ("cross.date_opened", "dateOpened", {"dateOpened": date(2026, 11, 2)}),
    ("cross.date_order", "dateClosed", {"dateClosed": date(2026, 11, 20)}),
    ("cross.date_order", "dateAccountInformation", {"dateAccountInformation": date(2026, 11, 3)}),
    ("cross.ssn_or_dob", "dateBirth", {"socialSecurityNumber": 999999999, "dateBirth": None}),
    ("cross.account_number", "consumerAccountNumber", {"consumerAccountNumber": "CARD 0001"}),
    ("cross.identification_number", "identificationNumber", {"identificationNumber": "AB1"}),
    ("fictional.ssn", "socialSecurityNumber", {"socialSecurityNumber": 123456789}),
]


@pytest.mark.parametrize(("rule", "field", "changes"), BROKEN, ids=lambda v: str(v))
def test_a_record_breaking_one_rule_reports_that_rule_only(
    rule: str, field: str, changes: dict[str, Any]
) -> None:
    _, report = check(
        metro2_file([CARD, {**CARD, "consumerAccountNumber": "CARD-0002", **changes}])
    )
    errors = [p for p in report.problems if p.rule == rule]
    assert {(p.rule, p.record, p.field) for p in errors} == {(rule, 3, field)}, report.problems
    assert all(p.record == 3 for p in report.problems if p.rule != "cross.trailer_total")
    others = {p.rule for p in report.problems} - {rule, "cross.trailer_total"}
    assert not others, report.problems
    assert errors[0].positions


def test_the_valid_records_pass() -> None:
    _, report = check(
        metro2_file([CARD, {**CARD, "consumerAccountNumber": "CARD-0002", **LATE_OK}])
    )
    assert report.problems == []


def test_positions_name_the_field_in_the_record() -> None:
    _, report = check(
        metro2_file([CARD, {**CARD, "consumerAccountNumber": "X2", "accountStatus": "1X"}])
    )
    (problem,) = [p for p in report.problems if p.rule == "code.accountStatus"]
    assert (problem.record, problem.positions, problem.severity) == (3, "124-125", "error")


def test_trailer_totals_must_count_the_base_segments() -> None:
    data = metro2_file([CARD]).decode()
    lines = data.splitlines()
    trailer = lines[-1]
    # totalBaseRecords, positions 12-20: say 2 where there is 1.
    lines[-1] = trailer[:11] + "000000002" + trailer[20:]
    _, report = check(("\n".join(lines) + "\n").encode())
    assert [(p.rule, p.field, p.positions) for p in report.problems] == [
        ("cross.trailer_total", "totalBaseRecords", "12-20")
    ]


def test_a_status_count_in_the_trailer_is_checked() -> None:
    data = metro2_file([CARD]).decode().splitlines()
    base = data[1]
    data[1] = base[:123] + "13" + base[125:]  # status 11 -> 13, trailer still counts an 11
    _, report = check(("\n".join(data) + "\n").encode())
    totals = {p.field for p in report.problems if p.rule == "cross.trailer_total"}
    assert totals == {"totalStatusCode11", "totalStatusCode13"}


def test_duplicate_accounts_are_reported() -> None:
    _, report = check(metro2_file([CARD, CARD]))
    assert [(p.rule, p.record) for p in report.problems] == [("cross.duplicate_account", 3)]


def test_header_dates_are_checked() -> None:
    _, report = check(metro2_file([CARD], header={**HEADER, "dateCreated": None}))
    assert ("layout.required", 1, "dateCreated") in {
        (p.rule, p.record, p.field) for p in report.problems
    }
