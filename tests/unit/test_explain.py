"""Hand-computed scores against the test model, reasons, and the minimum scoring criteria."""

from datetime import date

import pytest
from hypothesis import given, settings

from service.scoring.engine.characteristics import compute
from service.scoring.engine.explain import explain_file, explain_values, score_file
from service.scoring.engine.inputs import FileInput
from service.scoring.engine.scorecard import ScorecardError, parse_model, to_json
from service.scoring.engine.scorer import engine_for
from service.scoring.rules import (
    INQUIRY_CHARACTERISTIC,
    MAX_KEY_FACTORS,
    NO_ACCOUNT_OLD_ENOUGH,
    NO_RECENT_REPORT,
)
from tests.unit.scoring_factories import (
    CLEAN,
    TODAY,
    account,
    file_of,
    files,
    installment,
    load_test_model,
    stretched,
)

MODEL = load_test_model()


def test_clean_file_earns_every_maximum() -> None:
    explanation = explain_file(CLEAN, TODAY, MODEL)
    # 80 + 75 + 80 + 80 + 95 (8 %) + 70 + 80 (140 months) + 65 (96.5) + 70 + 65 + 65
    assert explanation.score == 825
    assert explanation.total_points == 825
    assert explanation.model_version == "test-model"
    assert explanation.reasons == ()
    assert all(f.points == f.max_points for f in explanation.factors)
    assert explanation.characteristics["oldest_account_months"] == 140


def test_stretched_file_hand_computed() -> None:
    explanation = explain_file(stretched(3), TODAY, MODEL)
    factors = {f.characteristic: f for f in explanation.factors}
    expected = {  # characteristic: (value, bin, points, max)
        "worst_delinquency_24m": (1, "[1, 2)", 60, 80),
        "lates_30plus_24m": (1, "[1, 3)", 55, 75),
        "months_since_recent_delinquency": (0, "(-inf, 6)", 30, 80),
        "derogatory_count": (0, "(-inf, 1)", 80, 80),
        "revolving_utilisation_pct": (260_000 / 300_000 * 100, "[75, inf)", 30, 95),
        "accounts_with_balance": (2, "(-inf, 3)", 70, 70),
        "oldest_account_months": (35, "[12, 36)", 50, 80),
        "average_account_age_months": (25.0, "[12, 36)", 50, 65),
        "hard_inquiries_12m": (3, "[2, 4)", 45, 70),
        "accounts_opened_12m": (0, "(-inf, 1)", 65, 65),
        "credit_mix": ("revolving_only", "revolving only", 50, 65),
    }
    assert list(factors) == list(MODEL.names)
    for name, (value, label, points, max_points) in expected.items():
        f = factors[name]
        assert f.value == pytest.approx(value), name
        assert (f.bin_label, f.points, f.max_points) == (label, points, max_points), name
    assert explanation.score == 585
    # Shortfalls: U01 65, D03 50, A01 30, I01 25, D01 20, D02 20, A02 15, M01 15.
    assert [(r.code, r.points_below_max) for r in explanation.reasons] == [
        ("U01", 65),
        ("D03", 50),
        ("A01", 30),
        ("I01", 25),
    ]
    # The test model documents no bin as adverse: the statement names the value and the best
    # band, and claims nothing.
    assert explanation.reasons[0].text == (
        "Revolving utilisation is 86.7 %; the most points go to under 10 %"
    )


def test_inquiries_are_a_fifth_reason_when_not_among_the_four() -> None:
    explanation = explain_file(stretched(1), TODAY, MODEL)
    assert explanation.score == 600  # 585 with 60 instead of 45 for one inquiry
    # D01 and D02 both fall 20 short: the model's order breaks the tie.
    assert [(r.code, r.points_below_max) for r in explanation.reasons] == [
        ("U01", 65),
        ("D03", 50),
        ("A01", 30),
        ("D01", 20),
        ("I01", 10),
    ]


def test_inquiries_at_their_maximum_are_no_reason() -> None:
    explanation = explain_file(stretched(0), TODAY, MODEL)
    assert [r.code for r in explanation.reasons] == ["U01", "D03", "A01", "D01"]


def test_fewer_shortfalls_than_four_give_fewer_reasons() -> None:
    values = compute(CLEAN, TODAY) | {"hard_inquiries_12m": 5, "credit_mix": "revolving_only"}
    explanation = explain_values(MODEL, values)
    assert [(r.code, r.points_below_max) for r in explanation.reasons] == [("I01", 40), ("M01", 15)]
    assert explanation.score == 825 - 40 - 15


def test_clipped_score_keeps_its_total() -> None:
    raw = to_json(MODEL)
    for c in raw["characteristics"]:
        for b in c["bins"]:
            b["points"] += 10  # every maximum now sums to 935
    model = parse_model(raw)
    explanation = explain_file(CLEAN, TODAY, model)
    assert (explanation.score, explanation.total_points) == (850, 935)


def test_a_model_with_characteristics_a_file_lacks_cannot_score_files() -> None:
    raw = to_json(MODEL)
    raw["characteristics"][0]["name"] = "shoe_size"
    with pytest.raises(ScorecardError, match="shoe_size"):
        explain_file(CLEAN, TODAY, parse_model(raw))


# -- minimum scoring criteria (the thin-file path) ----------------------------------------


def test_no_account_six_months_old_gives_no_score() -> None:
    young = file_of(account(opened_on=date(2026, 5, 16)))  # 5 whole months
    explanation = explain_file(young, TODAY, MODEL)
    assert explanation.score is None
    assert explanation.no_score_reasons == (NO_ACCOUNT_OLD_ENOUGH,)
    assert explanation.no_score_reasons[0].code == "NS01"
    assert explanation.reasons == ()
    assert explanation.factors == ()
    assert explanation.characteristics["oldest_account_months"] == 5
    assert score_file(file_of(account(opened_on=date(2026, 5, 15))), TODAY, MODEL) is not None


def test_no_account_reported_in_six_months_gives_no_score() -> None:
    stale = file_of(account(as_of=date(2026, 5, 15)))  # 6 months ago: too old
    assert explain_file(stale, TODAY, MODEL).no_score_reasons == (NO_RECENT_REPORT,)
    assert score_file(file_of(account(as_of=date(2026, 5, 16))), TODAY, MODEL) is not None


def test_empty_file_gives_both_reasons() -> None:
    explanation = explain_file(FileInput(accounts=()), TODAY, MODEL)
    assert explanation.score is None
    assert [r.code for r in explanation.no_score_reasons] == ["NS01", "NS02"]
    assert all(r.text for r in explanation.no_score_reasons)


def test_one_old_and_one_recent_account_suffice() -> None:
    f = file_of(
        account(opened_on=date(2010, 1, 1), as_of=date(2019, 1, 1), closed_on=date(2019, 1, 1)),
        installment(opened_on=date(2026, 10, 1)),
    )
    assert score_file(f, TODAY, MODEL) is not None


# -- properties ----------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(file=files())
def test_reasons_come_from_characteristics_below_their_maximum(file: FileInput) -> None:
    explanation = explain_file(file, TODAY, MODEL)
    if explanation.score is None:
        assert explanation.reasons == ()
        assert explanation.no_score_reasons
        return
    factors = {f.characteristic: f for f in explanation.factors}
    reasons = explanation.reasons
    for r in reasons:
        f = factors[r.characteristic]
        assert f.points < f.max_points
        assert r.points_below_max == f.max_points - f.points
        assert r.code == MODEL.characteristic(r.characteristic).reason_code
    assert len({r.code for r in reasons}) == len(reasons)
    short = [f for f in explanation.factors if f.points < f.max_points]
    first = reasons[:MAX_KEY_FACTORS]
    assert len(first) == min(len(short), MAX_KEY_FACTORS)
    gaps = [r.points_below_max for r in first]
    assert gaps == sorted(gaps, reverse=True)
    chosen = {r.characteristic for r in first}
    if first:  # nothing left out falls further short than the last chosen
        assert all(f.points_below_max <= gaps[-1] for f in short if f.characteristic not in chosen)
    if len(reasons) > MAX_KEY_FACTORS:
        assert len(reasons) == MAX_KEY_FACTORS + 1
        assert reasons[-1].characteristic == INQUIRY_CHARACTERISTIC
    inquiries = factors[INQUIRY_CHARACTERISTIC]
    assert (inquiries.points < inquiries.max_points) == any(
        r.characteristic == INQUIRY_CHARACTERISTIC for r in reasons
    )
    # The explanation's score is the engine's.
    engine = engine_for(MODEL)
    encoded = engine.encode_rows([explanation.characteristics])
    assert engine.score(encoded).tolist() == [explanation.score]


def test_statements_under_the_shipped_model_name_the_value_and_the_best_band() -> None:
    from service.scoring.engine.explain import band_text, statement
    from service.scoring.engine.scorecard import get_model

    model = get_model("cf-2026.12")
    util = model.characteristic("revolving_utilisation_pct")
    assert statement(util, 4.9) == (
        "Revolving utilisation is 4.9 %; the most points go to under 1.3 %"
    )
    assert statement(util, 1.31).startswith("Revolving utilisation is 1.31 %")  # not "1.3 %"
    assert statement(util, 62.0).startswith(
        "Balances on revolving accounts are high relative to their limits: revolving "
        "utilisation is 62 %"
    )
    assert statement(util, None) == (
        "There is no open revolving limit; the most points go to under 1.3 %"
    )
    lates = model.characteristic("lates_30plus_24m")
    assert statement(lates, 6.0) == (
        "Too many late payments: the number of payments 30 or more days late in the last 24 "
        "months is 6; the most points go to none"
    )
    assert [band_text(lates, b) for b in lates.bins] == [
        "none",
        "1",
        "2",
        "3 to 6",
        "7 or more",
    ]
    since = model.characteristic("months_since_recent_delinquency")
    assert statement(since, 12.0) == (
        "The time since the most recent delinquency is 12 months; the most points go to "
        "no delinquency"
    )
    mix = model.characteristic("credit_mix")
    assert statement(mix, "revolving_only").endswith(
        "the credit mix is revolving accounts only; the most points go to installment accounts only"
    )
    # The earlier model documents no adverse bin: its statements never claim.
    old = get_model("cf-2026.11").characteristic("revolving_utilisation_pct")
    assert statement(old, 62.0).startswith("Revolving utilisation is 62 %;")


def test_when_bands_tie_for_the_most_points_the_statement_names_them_all() -> None:
    from service.scoring.engine.explain import statement
    from service.scoring.engine.scorecard import parse_model

    model = parse_model(
        {
            "version": "t-ties",
            "name": "t",
            "score_range": {"min": 0, "max": 100},
            "scaling": {"base_score": 50, "base_odds": 1, "pdo": 10},
            "characteristics": [
                {
                    "name": "hard_inquiries_12m",
                    "title": "Hard inquiries",
                    "definition": "d",
                    "window": "w",
                    "kind": "numeric",
                    "reason_code": "C01",
                    "reason_text": "Too many recent credit applications",
                    "bins": [
                        {"label": "a", "upper": 1, "points": 30},
                        {"label": "b", "lower": 1, "upper": 2, "points": 30},
                        {"label": "c", "lower": 2, "points": 10, "adverse": True},
                    ],
                }
            ],
        }
    )
    c = model.characteristic("hard_inquiries_12m")
    assert statement(c, 3.0) == (
        "Too many recent credit applications: the number of hard inquiries in the last 12 "
        "months is 3; the most points go to none or 1"
    )
