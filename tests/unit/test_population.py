"""The synthetic population: seeded, internally consistent, driven by a known process."""

import csv
import hashlib
import math
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from schemas.furnishing import AccountFields, AccountStatus
from service.file.rules import (
    INQUIRY_SHOWN_MONTHS,
    account_obsolete_on,
    add_months,
    bankruptcy_obsolete_on,
)
from service.furnishing.rules import FURNISHED_FIELDS, shows_delinquency, validate_account
from service.modelling import population as pop
from service.modelling.dataset import read_csv, read_truth
from service.scoring.engine.characteristics import NAMES, no_score_reasons
from service.scoring.engine.inputs import AccountInput

TODAY = date(2026, 11, 26)


@pytest.fixture(scope="module")
def people() -> pop.Population:
    return pop.generate(3_000, seed=42, today=TODAY)


def _accounts(people: pop.Population) -> list[AccountInput]:
    return [a for f in people.files for a in f.accounts]


def test_same_seed_same_population_and_another_seed_another() -> None:
    first = pop.generate(400, seed=7, today=TODAY)
    again = pop.generate(400, seed=7, today=TODAY)
    other = pop.generate(400, seed=8, today=TODAY)
    assert first.files == again.files
    assert first.bad.tolist() == again.bad.tolist()
    assert first.date_of_birth == again.date_of_birth
    assert first.files != other.files


def _digest(people: pop.Population) -> str:
    return hashlib.sha256(
        repr((people.files, people.date_of_birth, people.bad.tolist())).encode()
    ).hexdigest()


def test_a_seed_gives_the_population_it_gave_before_populations_were_streamed() -> None:
    # The digest of generate(500, seed=1) as the all-at-once generator gave it (the shipped
    # model's fit population, 200,000 people, is one generation block like this one).
    assert _digest(pop.generate(500, seed=1, today=TODAY)) == (
        "aa0899d1c6ce01d51692c7a770ac80d4a7e75baa1b1e733092b6407d286317c6"
    )


def test_the_streamed_parts_are_the_population_generate_gives() -> None:
    whole = pop.generate(1_000, seed=9, today=TODAY)
    parts = list(pop.stream(1_000, seed=9, today=TODAY, chunk=300))
    assert [(p.first, len(p), p.size) for p in parts] == [
        (0, 300, 1_000),
        (300, 300, 1_000),
        (600, 300, 1_000),
        (900, 100, 1_000),
    ]
    assert tuple(f for p in parts for f in p.files) == whole.files
    assert tuple(d for p in parts for d in p.date_of_birth) == whole.date_of_birth
    assert np.concatenate([p.bad for p in parts]).tolist() == whole.bad.tolist()
    assert np.concatenate([p.p_bad for p in parts]).tolist() == whole.p_bad.tolist()
    part = whole.part(300, 600)
    assert (part.first, part.size, part.files) == (300, 1_000, parts[1].files)


def test_a_population_larger_than_a_block_is_drawn_block_by_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pop, "GENERATION_BLOCK", 100)
    whole = pop.generate(250, seed=4, today=TODAY)
    assert len(whole) == 250
    # The first block is the population of one block from the same seed; the next ones are
    # drawn from seeds of their own, so they are not copies of it.
    assert whole.files[:100] == pop.generate(100, seed=4, today=TODAY).files
    assert whole.files[100:200] != whole.files[:100]
    streamed = list(pop.stream(250, seed=4, today=TODAY, chunk=60))
    assert [p.first for p in streamed] == [0, 60, 100, 160, 200]
    assert tuple(f for p in streamed for f in p.files) == whole.files


def test_every_generated_account_passes_the_furnishing_rules(people: pop.Population) -> None:
    for account in _accounts(people):
        fields = AccountFields(**{name: getattr(account, name) for name in FURNISHED_FIELDS})
        assert validate_account(fields, TODAY) == [], account


def test_accounts_carry_what_their_type_and_status_imply(people: pop.Population) -> None:
    accounts = _accounts(people)
    kinds = {a.account_type for a in accounts}
    assert kinds == {"revolving", "installment", "mortgage", "open", "collection"}
    statuses = {a.status for a in accounts}
    assert {"11", "13", "71", "78", "93", "97"} <= statuses
    newest = {"11": "0E", "13": "0ED", "71": "1", "78": "2", "80": "3", "82": "4"}
    newest |= {"83": "5", "84": "6", "93": "G", "97": "L"}
    for a in accounts:
        assert len(a.payment_history) == 24
        assert a.payment_history[0] in newest[a.status]
        assert (a.credit_limit_cents is not None) == (a.account_type == "revolving")
        has_original = a.account_type in {"installment", "mortgage", "collection"}
        assert (a.original_amount_cents is not None) == has_original
        # A delinquency has its date, and no date is given without one.
        assert (a.date_of_first_delinquency is not None) == shows_delinquency(
            AccountStatus(a.status), a.payment_history
        )
        if a.status == "13":
            assert a.balance_cents == 0
            assert a.closed_on is not None
        if a.status == "97":
            assert a.closed_on is not None
        assert 0 <= a.past_due_cents <= a.balance_cents
        assert a.opened_on <= a.as_of <= TODAY


def test_nothing_generated_is_obsolete_and_everyone_can_be_scored(
    people: pop.Population,
) -> None:
    for file in people.files:
        assert no_score_reasons(file, TODAY) == ()
        for a in file.accounts:
            leaves = account_obsolete_on(
                status=a.status,
                account_type=a.account_type,
                date_of_first_delinquency=a.date_of_first_delinquency,
            )
            assert leaves is None or leaves > TODAY
        for record in file.public_records:
            leaves = bankruptcy_obsolete_on(
                chapter=record.chapter, status=record.status, filed_on=record.filed_on
            )
            assert record.filed_on <= TODAY < leaves
        for inquiry in file.inquiries:
            assert add_months(TODAY, -INQUIRY_SHOWN_MONTHS) < inquiry.at <= TODAY
        assert list(file.inquiries) == sorted(file.inquiries, key=lambda i: i.at)


def test_defaults_follow_the_documented_logistic_formula() -> None:
    people = pop.generate(20_000, seed=3, today=TODAY)
    expected = 1 / (1 + np.exp(-(pop.DEFAULT_INTERCEPT + pop.DEFAULT_RISK_WEIGHT * people.risk)))
    assert np.allclose(people.p_bad, expected)
    # The outcome is a draw from p_bad: the bad rate matches its mean within 4 sigma ...
    sigma = math.sqrt(float(np.sum(people.p_bad * (1 - people.p_bad)))) / len(people)
    assert abs(float(people.bad.mean()) - float(people.p_bad.mean())) < 4 * sigma
    # ... and riskier people default more often.
    riskiest = people.risk > np.quantile(people.risk, 0.9)
    safest = people.risk < np.quantile(people.risk, 0.1)
    assert people.bad[riskiest].mean() > 5 * people.bad[safest].mean()


def test_the_latent_risk_shows_in_the_file(people: pop.Population) -> None:
    rows = list(pop.characteristic_rows(people))
    risk = people.risk

    def corr(name: str) -> float:
        values = np.array([np.nan if r[name] is None else r[name] for r in rows], float)
        ok = ~np.isnan(values)
        return float(np.corrcoef(values[ok], risk[ok])[0, 1])

    for name in ("lates_30plus_24m", "revolving_utilisation_pct", "hard_inquiries_12m"):
        assert corr(name) > 0.1, name
    for name in ("oldest_account_months", "average_account_age_months"):
        assert corr(name) < -0.1, name


def test_rows_hold_every_characteristic_and_the_target_and_round_trip_as_csv(
    people: pop.Population, tmp_path: Path
) -> None:
    path = tmp_path / "population.csv"
    written = pop.write_csv(pop.characteristic_rows(people), path)
    assert written == len(people)
    with path.open() as handle:
        header = next(csv.reader(handle))
    assert header == [*NAMES, pop.TARGET_COLUMN]
    data = read_csv(path, target=pop.TARGET_COLUMN)
    assert data.y.tolist() == people.bad.tolist()
    kinds = {c.name: c.kind for c in data.columns}
    assert kinds["credit_mix"] == "categorical"
    assert all(kinds[n] == "numeric" for n in NAMES if n != "credit_mix")
    truth = tmp_path / "truth.csv"
    pop.write_truth_csv(people, truth)
    assert np.allclose(read_truth(truth, len(people)), people.p_bad, atol=1e-7)
