"""Shared by the scoring unit tests: the hand-made test model, file factories, strategies."""

import functools
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from service.scoring.engine.inputs import AccountInput, FileInput, InquiryInput, PublicRecordInput
from service.scoring.engine.scorecard import Scorecard, load_model

TEST_MODEL_PATH = Path(__file__).parent / "data" / "test-model.json"
TODAY = date(2026, 11, 15)


@functools.cache
def load_test_model() -> Scorecard:
    return load_model(TEST_MODEL_PATH)


def account(**fields: Any) -> AccountInput:
    """A current, open revolving account reported today, unless told otherwise."""
    base = AccountInput(
        account_type="revolving",
        opened_on=date(2020, 1, 15),
        credit_limit_cents=500_000,
        original_amount_cents=None,
        balance_cents=100_000,
        past_due_cents=0,
        status="11",
        payment_history="0" * 24,
        date_of_first_delinquency=None,
        closed_on=None,
        as_of=TODAY,
    )
    return replace(base, **fields)


def installment(**fields: Any) -> AccountInput:
    defaults: dict[str, Any] = {
        "account_type": "installment",
        "credit_limit_cents": None,
        "original_amount_cents": 2_000_000,
        "balance_cents": 1_200_000,
    }
    return account(**(defaults | fields))


def hard(at: date) -> InquiryInput:
    return InquiryInput(at=at, kind="hard")


def file_of(*accounts: AccountInput, **fields: Any) -> FileInput:
    return FileInput(accounts=tuple(accounts), **fields)


# A long, clean file: every characteristic in its best bin.
CLEAN = file_of(
    account(opened_on=date(2015, 3, 1), credit_limit_cents=500_000, balance_cents=40_000),
    installment(opened_on=date(2022, 6, 10)),
)


def stretched(hard_inquiries: int) -> FileInput:
    """Two cards near their limits, one 30 days late this month, and recent applications."""
    dates = (date(2026, 10, 1), date(2026, 3, 1), date(2025, 12, 20))[:hard_inquiries]
    return file_of(
        account(
            opened_on=date(2023, 11, 20),
            credit_limit_cents=200_000,
            balance_cents=170_000,
            status="71",
            payment_history="1" + "0" * 23,
            date_of_first_delinquency=date(2026, 10, 15),
        ),
        account(opened_on=date(2025, 8, 1), credit_limit_cents=100_000, balance_cents=90_000),
        inquiries=(*(hard(d) for d in dates), InquiryInput(at=date(2026, 11, 1), kind="soft")),
    )


# -- Hypothesis strategies: random but well-formed files around TODAY ---------------------

HISTORY_CODES = "0123456BDEGL"
STATUSES = ("11", "11", "11", "13", "71", "78", "80", "82", "83", "84", "93", "97")
TYPES = ("revolving", "revolving", "installment", "mortgage", "open", "collection")


def _days_before(low: int, high: int) -> st.SearchStrategy[date]:
    return st.integers(low, high).map(lambda d: TODAY - timedelta(days=d))


@st.composite
def accounts(draw: st.DrawFn, account_type: str | None = None) -> AccountInput:
    kind = account_type or draw(st.sampled_from(TYPES))
    limit = draw(st.none() | st.integers(0, 3_000_000)) if kind == "revolving" else None
    opened_on = draw(_days_before(0, 9000))
    return AccountInput(
        account_type=kind,
        opened_on=opened_on,
        credit_limit_cents=limit,
        original_amount_cents=None if kind == "revolving" else draw(st.integers(0, 10**8)),
        balance_cents=draw(st.integers(0, 4_000_000)),
        past_due_cents=draw(st.integers(0, 100_000)),
        status=draw(st.sampled_from(STATUSES)),
        payment_history=draw(st.text(alphabet=HISTORY_CODES, min_size=24, max_size=24)),
        date_of_first_delinquency=draw(st.none() | _days_before(0, 2500)),
        closed_on=draw(st.none() | st.none() | _days_before(0, 600)),
        as_of=draw(_days_before(0, 120) | _days_before(0, 400)),  # mostly reported recently
    )


@st.composite
def files(draw: st.DrawFn, min_revolving: int = 0) -> FileInput:
    revolving = draw(st.lists(accounts("revolving"), min_size=min_revolving, max_size=3))
    others = draw(st.lists(accounts(), max_size=4))
    inquiries = draw(
        st.lists(
            st.builds(
                InquiryInput, at=_days_before(0, 800), kind=st.sampled_from(("hard", "soft"))
            ),
            max_size=6,
        )
    )
    records = draw(
        st.lists(
            st.builds(
                PublicRecordInput,
                chapter=st.sampled_from((7, 13)),
                status=st.sampled_from(("filed", "discharged", "dismissed")),
                filed_on=_days_before(0, 3000),
            ),
            max_size=1,
        )
    )
    mixed = draw(st.permutations(revolving + others))
    return FileInput(
        accounts=tuple(mixed), inquiries=tuple(inquiries), public_records=tuple(records)
    )
