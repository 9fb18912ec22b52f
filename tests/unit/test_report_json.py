"""A report's JSON, with its accounts' and inquiries' JSON made beforehand and written in, is
byte for byte the JSON pydantic would make of the whole report."""

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.examples import ACCOUNT, REPORT
from schemas.file import Report
from schemas.furnishing import AccountRead
from service.core.responses import json_with_lists


def _report(accounts: int, **subject: Any) -> Report:
    data = copy.deepcopy(REPORT)
    data["subject"].update(subject)
    data["accounts"] = [
        {**copy.deepcopy(ACCOUNT), "id": f"acc_{i:020d}", "account_ref": f"CARD-{i}"}
        for i in range(accounts)
    ]
    return Report.model_validate(data)


def _joined(items: Any) -> bytes:
    return b",".join(i.model_dump_json().encode() for i in items)


def _spliced(report: Report) -> bytes:
    inquiries = tuple(i.model_dump_json().encode() for i in report.inquiries)  # item by item
    lists = {"accounts": _joined(report.accounts), "inquiries": inquiries}
    return json_with_lists(report, lists)


@pytest.mark.parametrize("accounts", [0, 1, 20])
def test_spliced_json_is_exactly_pydantics(accounts: int) -> None:
    report = _report(accounts)
    assert _spliced(report) == report.model_dump_json().encode()


def test_accounts_key_inside_a_string_is_left_alone() -> None:
    report = _report(2, given_name='"accounts":[]', family_name='x","accounts":[]')
    assert _spliced(report) == report.model_dump_json().encode()


def test_accounts_key_in_a_free_form_field_is_left_alone() -> None:
    report = _report(2, addresses=[{"accounts": [], "inquiries": []}])
    assert _spliced(report) == report.model_dump_json().encode()


def test_the_list_can_be_the_last_field() -> None:
    report = _report(3)
    lists = {"inquiries": _joined(report.inquiries), "sources": _joined(report.sources)}
    assert json_with_lists(report, lists) == report.model_dump_json().encode()


def test_no_list_is_the_plain_dump() -> None:
    report = _report(1)
    assert json_with_lists(report, {}) == report.model_dump_json().encode()


def test_a_cached_account_view_cannot_be_changed() -> None:
    account = AccountRead.model_validate(ACCOUNT)
    with pytest.raises(ValidationError, match="frozen"):
        setattr(account, "balance_cents", 1)  # noqa: B010 - mypy already refuses the plain form


def _with_inquiries(count: int) -> Report:
    data = copy.deepcopy(REPORT)
    data["inquiries"] = [
        {**copy.deepcopy(REPORT["inquiries"][0]), "id": f"inq_{i:020d}"} for i in range(count)
    ]
    return Report.model_validate(data)


@pytest.mark.parametrize(
    ("count", "run"), [(0, 1), (1, 1), (2, 1), (7, 1), (7, 3), (7, 7)], ids=str
)
def test_a_list_given_in_pieces_is_written_piece_by_piece(count: int, run: int) -> None:
    """Each piece one item, or a run of ``run`` items already joined (a lender view's)."""
    report = _with_inquiries(count)
    items = [i.model_dump_json().encode() for i in report.inquiries]
    pieces = tuple(b",".join(items[at : at + run]) for at in range(0, count, run))
    lists = {"accounts": _joined(report.accounts), "inquiries": pieces}
    assert json_with_lists(report, lists) == report.model_dump_json().encode()
