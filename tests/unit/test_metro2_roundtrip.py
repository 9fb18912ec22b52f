"""Round trips: generated accounts -> Metro 2 file -> parse -> the same accounts."""

from datetime import UTC, date, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.furnishing import AccountType
from service.metro2 import mapping
from service.metro2.codec import read_values
from service.metro2.fields import BASE
from service.metro2.reader import read
from service.metro2.service import _furnishing
from service.metro2.writer import BaseOut, render_file
from tests.metro2_files import HEADER

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2026, 10, 31))
amounts = st.integers(min_value=0, max_value=10**10)
names = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ-", min_size=1, max_size=20).filter(
    lambda s: s.strip("-")
)


@st.composite
def accounts(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(list(AccountType)))
    opened = draw(days)
    return {
        "account_ref": draw(st.from_regex(r"[A-Za-z0-9._:-]{1,30}", fullmatch=True)),
        "account_type": kind.value,
        "opened_on": opened,
        "credit_limit_cents": draw(st.none() | amounts),
        "original_amount_cents": draw(st.none() | amounts),
        "balance_cents": draw(amounts),
        "past_due_cents": draw(amounts),
        "status": draw(st.sampled_from(sorted(mapping.CLEARFILE_STATUSES))),
        "payment_history": draw(st.from_regex(r"[0-6BDEGL]{24}", fullmatch=True)),
        "date_of_first_delinquency": draw(st.none() | days),
        "closed_on": draw(st.none() | days),
        "as_of": draw(st.dates(min_value=opened, max_value=date(2026, 11, 1))),
        "compliance_condition_code": draw(st.sampled_from([None, "XB", "XC", "XH"])),
        "updated_at": datetime(2026, 11, 1, 12, 30, tzinfo=UTC),
        "given_name": draw(names),
        "family_name": draw(names),
        "date_of_birth": draw(days),
        "national_id": f"000-{draw(st.integers(0, 99)):02d}-{draw(st.integers(0, 9999)):04d}",
        "addresses": [],
    }


@settings(max_examples=150, deadline=None)
@given(st.lists(accounts(), min_size=0, max_size=5))
def test_accounts_written_and_read_back_are_the_same_accounts(rows: list[dict[str, Any]]) -> None:
    data = render_file(HEADER, [BaseOut(mapping.base_values(r, "fur_test")) for r in rows])
    parsed = read(data)
    assert len(parsed.bases) == len(rows)
    for row, base in zip(rows, parsed.bases, strict=True):
        values = read_values(BASE, base.text)
        put, reasons = _furnishing(values, "sub_x", stored=row)
        # The stored row is the account: its cents survive (the file truncates them).
        if put is None:
            # Only the furnishing rules' schema may refuse (e.g. amounts the schema bounds).
            assert all(r.rule == "furnishing.schema" for r in reasons)
            continue
        assert put.account_type.value == row["account_type"]
        for name in (
            "opened_on",
            "credit_limit_cents",
            "original_amount_cents",
            "balance_cents",
            "past_due_cents",
            "payment_history",
            "date_of_first_delinquency",
            "closed_on",
            "as_of",
        ):
            assert getattr(put, name) == row[name], name
        assert put.status.value == row["status"]
        assert values["complianceConditionCode"] == (row["compliance_condition_code"] or "")
        assert values["consumerAccountNumber"] == row["account_ref"]


@settings(max_examples=100, deadline=None)
@given(accounts())
def test_cents_below_a_dollar_are_lost_only_without_a_stored_amount(row: dict[str, Any]) -> None:
    data = render_file(HEADER, [BaseOut(mapping.base_values(row, "fur_test"))])
    values = read_values(BASE, read(data).bases[0].text)
    put, _ = _furnishing(values, "sub_x", stored=None)
    if put is not None:
        assert put.balance_cents == row["balance_cents"] // 100 * 100


@settings(max_examples=150, deadline=None)
@given(
    st.fixed_dictionaries(
        {
            "identificationNumber": st.from_regex(r"[A-Z0-9]{5,20}", fullmatch=True),
            "consumerAccountNumber": st.from_regex(r"[A-Z0-9]{1,30}", fullmatch=True),
            "creditLimit": st.integers(0, 999_999_999),
            "currentBalance": st.integers(0, 999_999_999),
            "dateOpened": days,
            "dateClosed": st.none() | days,
            "timeStamp": st.datetimes(
                min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - Metro 2 has no zones
                max_value=datetime(2030, 1, 1),  # noqa: DTZ001
            ).map(lambda d: d.replace(microsecond=0)),
            "surname": names,
            "paymentHistoryProfile": st.from_regex(r"[0-6BDEGHJKL]{24}", fullmatch=True),
        }
    )
)
def test_field_values_round_trip_through_the_table(values: dict[str, Any]) -> None:
    data = render_file(HEADER, [BaseOut(values)])
    read_back = read_values(BASE, read(data).bases[0].text)
    assert {k: read_back[k] for k in values} == values
