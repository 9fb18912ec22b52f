"""A report's JSON, with its accounts' cached JSON spliced in, is byte for byte the JSON
pydantic would make of the whole report."""

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.examples import ACCOUNT, REPORT
from schemas.file import Report
from schemas.furnishing import AccountRead


def _report(accounts: int, **subject: Any) -> Report:
    data = copy.deepcopy(REPORT)
    data["subject"].update(subject)
    data["accounts"] = [
        {**copy.deepcopy(ACCOUNT), "id": f"acc_{i:020d}", "account_ref": f"CARD-{i}"}
        for i in range(accounts)
    ]
    return Report.model_validate(data)


@pytest.mark.parametrize("accounts", [0, 1, 20])
def test_spliced_json_is_exactly_pydantics(accounts: int) -> None:
    report = _report(accounts)
    assert report.json_bytes() == report.model_dump_json().encode()


def test_accounts_key_inside_a_string_is_left_alone() -> None:
    report = _report(2, given_name='"accounts":[]', family_name='x","accounts":[]')
    assert report.json_bytes() == report.model_dump_json().encode()


def test_an_accounts_json_is_made_once_and_kept() -> None:
    account = AccountRead.model_validate(ACCOUNT)
    first = account.cached_json
    assert account.cached_json is first
    assert first == account.model_dump_json().encode()


def test_a_cached_account_view_cannot_be_changed() -> None:
    account = AccountRead.model_validate(ACCOUNT)
    assert account.cached_json
    with pytest.raises(ValidationError, match="frozen"):
        setattr(account, "balance_cents", 1)  # noqa: B010 - mypy already refuses the plain form
