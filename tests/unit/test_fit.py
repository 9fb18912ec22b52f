"""The fit pipeline: WoE binning, IV, logistic regression, PDO scaling, validation, CLI."""

import csv
import json
import math
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from service.scoring import fit
from service.scoring import population as pop
from service.scoring.cli import model_app, population_command
from service.scoring.engine.scorecard import get_model, parse_model

TODAY = date(2026, 11, 26)


def _logistic_data(n: int, seed: int, slope: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 100, n)
    p = 1 / (1 + np.exp(-(-3 + slope * (x - 50))))
    return x, (rng.random(n) < p).astype(np.int8)


def _ranged(binning: fit.Binning) -> list[fit.Bin]:
    return [b for b in binning.bins if not b.missing]


# --- binning -------------------------------------------------------------------------------


@pytest.mark.parametrize(("slope", "direction"), [(0.05, "ascending"), (-0.05, "descending")])
def test_numeric_bins_are_monotone_in_the_direction_of_the_data(
    slope: float, direction: str
) -> None:
    x, y = _logistic_data(20_000, seed=1, slope=slope)
    binning = fit.bin_numeric("x", x, y)
    assert binning.direction == direction
    rates = [b.bad_rate for b in _ranged(binning)]
    woes = [b.woe for b in _ranged(binning)]
    assert len(rates) >= 5
    if direction == "ascending":
        assert all(a < b for a, b in zip(rates, rates[1:], strict=False))
        assert all(a > b for a, b in zip(woes, woes[1:], strict=False))
    else:
        assert all(a > b for a, b in zip(rates, rates[1:], strict=False))


def test_bins_are_contiguous_cover_the_line_and_respect_the_minimum_size() -> None:
    x, y = _logistic_data(10_000, seed=2, slope=0.04)
    binning = fit.bin_numeric("x", x, y, min_bin_share=0.08)
    ranged = _ranged(binning)
    assert ranged[0].lower is None
    assert ranged[-1].upper is None
    for before, after in zip(ranged, ranged[1:], strict=False):
        assert before.upper == after.lower
    assert all(b.n >= 0.08 * y.size for b in ranged)
    assert sum(b.n for b in binning.bins) == y.size


def test_a_policy_direction_the_data_contradicts_flattens_the_characteristic() -> None:
    x, y = _logistic_data(10_000, seed=3, slope=0.05)  # risk rises with x
    binning = fit.bin_numeric("x", x, y, direction="descending")
    assert len(_ranged(binning)) == 1
    assert binning.information_value == pytest.approx(0.0, abs=1e-9)


def test_missing_values_get_a_bin_of_their_own() -> None:
    x, y = _logistic_data(10_000, seed=4, slope=0.05)
    x = x.copy()
    x[::10] = np.nan
    y = y.copy()
    y[::10] = 1  # the missing ones are all bad: their own bin must show it
    binning = fit.bin_numeric("x", x, y)
    missing = [b for b in binning.bins if b.missing]
    assert len(missing) == 1
    assert missing[0].n == 1_000
    assert missing[0].bad_rate == 1.0
    assert missing[0].woe == min(b.woe for b in binning.bins)
    index = binning.index(fit.Column("x", "numeric", np.array([np.nan, 1.0, 99.0])))
    assert binning.bins[int(index[0])].missing
    assert not binning.bins[int(index[1])].missing

    complete = fit.bin_numeric("x", np.nan_to_num(x, nan=50.0), y)
    assert not any(b.missing for b in complete.bins)


def test_information_value_is_the_sum_over_bins_by_hand() -> None:
    # Two values: 0 -> 80 goods 20 bads, 1 -> 20 goods 30 bads.
    x = np.array([0.0] * 100 + [1.0] * 50)
    y = np.array([0] * 80 + [1] * 20 + [0] * 20 + [1] * 30, dtype=np.int8)
    binning = fit.bin_numeric("x", x, y, min_bin_share=0.1)
    assert [b.n for b in binning.bins] == [100, 50]
    s = fit.WOE_SMOOTHING
    g0, b0 = (80 + s) / (100 + 2 * s), (20 + s) / (50 + 2 * s)
    g1, b1 = (20 + s) / (100 + 2 * s), (30 + s) / (50 + 2 * s)
    woe0, woe1 = math.log(g0 / b0), math.log(g1 / b1)
    assert binning.bins[0].woe == pytest.approx(woe0)
    assert binning.bins[1].woe == pytest.approx(woe1)
    assert binning.information_value == pytest.approx((g0 - b0) * woe0 + (g1 - b1) * woe1)
    # Without smoothing this is ln(0.8 / 0.4) and ln(0.2 / 0.6): the same to 2 decimals.
    assert binning.bins[0].woe == pytest.approx(math.log(2), abs=0.02)
    assert binning.information_value == pytest.approx(
        0.4 * math.log(2) + 0.4 * math.log(3), abs=0.02
    )


def test_categories_are_grouped_by_bad_rate_and_unseen_values_take_the_fallback() -> None:
    rng = np.random.default_rng(5)
    rates = {"a": 0.02, "b": 0.03, "c": 0.2, "d": 0.25, "rare": 0.21}
    sizes = {"a": 4000, "b": 4000, "c": 4000, "d": 4000, "rare": 100}
    values = np.array([k for k, n in sizes.items() for _ in range(n)] + [None] * 800, object)
    p = np.array([rates[v] if v else 0.5 for v in values])
    y = (rng.random(values.size) < p).astype(np.int8)
    binning = fit.bin_categorical("c", values, y)
    groups = [set(b.values) for b in binning.bins if not b.missing]
    assert all(b.n >= 0.05 * y.size for b in binning.bins if not b.missing)
    # The rare category joins a neighbour of similar risk, never the safe ones.
    rare_group = next(g for g in groups if "rare" in g)
    assert rare_group & {"c", "d"}
    assert not rare_group & {"a", "b"}
    missing = next(b for b in binning.bins if b.missing)
    assert missing.n == 800
    idx = binning.index(fit.Column("c", "categorical", np.array(["a", "zzz", None], object)))
    assert binning.bins[int(idx[1])].missing
    assert binning.bins[int(idx[2])].missing


# --- split, regression, metrics ------------------------------------------------------------


def test_stratified_split_is_seeded_disjoint_and_keeps_the_bad_rate() -> None:
    y = np.array([1] * 100 + [0] * 900, dtype=np.int8)
    train, test = fit.stratified_split(y, test_share=0.3, seed=9)
    assert set(train.tolist()).isdisjoint(test.tolist())
    assert sorted([*train.tolist(), *test.tolist()]) == list(range(1000))
    assert y[test].sum() == 30
    assert test.size == 300
    again = fit.stratified_split(y, test_share=0.3, seed=9)
    other = fit.stratified_split(y, test_share=0.3, seed=10)
    assert test.tolist() == again[1].tolist()
    assert test.tolist() != other[1].tolist()


def test_logistic_regression_recovers_known_coefficients() -> None:
    rng = np.random.default_rng(11)
    x = rng.standard_normal((50_000, 2))
    p = 1 / (1 + np.exp(-(-2.0 + 1.2 * x[:, 0] - 0.7 * x[:, 1])))
    y = (rng.random(50_000) < p).astype(np.int8)
    model = fit.fit_logistic(x, y)
    assert model.intercept == pytest.approx(-2.0, abs=0.06)
    assert model.coef.tolist() == pytest.approx([1.2, -0.7], abs=0.06)
    assert all(0 < s < 0.05 for s in model.stderr.tolist())


def test_auc_and_ks_on_small_cases() -> None:
    y = np.array([0, 0, 1, 1], dtype=np.int8)
    assert fit.auc(np.array([1.0, 2.0, 3.0, 4.0]), y) == 1.0
    assert fit.auc(np.array([4.0, 3.0, 2.0, 1.0]), y) == 0.0
    assert fit.auc(np.array([1.0, 1.0, 1.0, 1.0]), y) == 0.5
    assert fit.auc(np.array([1.0, 3.0, 2.0, 4.0]), y) == 0.75
    assert fit.ks(np.array([1.0, 2.0, 3.0, 4.0]), y) == 1.0
    assert fit.ks(np.array([1.0, 3.0, 2.0, 4.0]), y) == 0.5


# --- the whole fit -------------------------------------------------------------------------


def _synthetic(n: int, seed: int) -> fit.Dataset:
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-2.5 + 1.5 * z)))).astype(np.int8)
    risky = z + rng.standard_normal(n)
    safe = np.round(60 - 15 * z + 20 * rng.standard_normal(n))
    noise = rng.standard_normal(n)
    kind = np.where(z + rng.standard_normal(n) > 0.5, "thin", "thick").astype(object)
    columns: dict[str, list[Any]] = {
        "risky": [None if i % 17 == 0 else float(v) for i, v in enumerate(risky)],
        "safe": safe.tolist(),
        "noise": noise.tolist(),
        "kind": kind.tolist(),
    }
    return fit.make_dataset(columns, y.tolist(), source="synthetic")


def test_fit_scores_with_points_from_the_scaling_formula() -> None:
    result = fit.fit(_synthetic(8_000, seed=1), fit.FitOptions(seed=3, version="t-1"))
    model = parse_model(result.model)  # the agreed format, as the engine reads it
    section = result.model["fit"]
    assert "noise" in section["dropped"]
    assert "noise" not in model.names
    assert set(model.names) == {"risky", "safe", "kind"}
    factor = fit.PDO / math.log(2)
    offset = fit.BASE_SCORE - factor * math.log(fit.BASE_ODDS)
    n = len(model.names)
    for c in result.model["characteristics"]:
        beta = section["coefficients"][c["name"]]
        assert beta < 0
        for b in c["bins"]:
            exact = -(b["woe"] * beta + section["intercept"] / n) * factor + offset / n
            assert isinstance(b["points"], int)
            assert abs(b["points"] - exact) <= 0.5 + 1e-3
    risky = result.model["characteristics"][0]
    ranged = [b["points"] for b in risky["bins"] if not b.get("missing")]
    assert ranged == sorted(ranged, reverse=True)
    assert ranged[0] > ranged[-1]
    assert section["metrics"]["auc"] > 0.7
    assert section["metrics"]["gini"] == pytest.approx(2 * section["metrics"]["auc"] - 1, abs=2e-4)


def test_binning_is_fitted_on_training_rows_only() -> None:
    data = _synthetic(6_000, seed=2)
    options = fit.FitOptions(seed=4, version="t-2")
    first = fit.fit(data, options)
    _, test = fit.stratified_split(data.y, test_share=options.test_share, seed=options.seed)
    # Wreck the held-out rows' values (the target stays: it defines the stratified split):
    # bins, WoE and points must not move; the held-out metrics must.
    columns = []
    for column in data.columns:
        values = column.values.copy()
        if column.kind == "numeric":
            values[test] = 1e6
        else:
            values[test] = "never-seen"
        columns.append(fit.Column(column.name, column.kind, values))
    scrambled = fit.Dataset(tuple(columns), data.y, "bad", "1", "0", source="synthetic")
    second = fit.fit(scrambled, options)
    assert second.model["characteristics"] == first.model["characteristics"]
    assert first.model["fit"]["metrics"]["auc"] > 0.7
    assert second.model["fit"]["metrics"]["auc"] == 0.5  # every held-out row scores the same


def test_the_same_data_and_seed_give_the_same_bytes() -> None:
    data = _synthetic(4_000, seed=3)
    a = fit.dumps(fit.fit(data, fit.FitOptions(seed=5, version="t-3")).model)
    b = fit.dumps(fit.fit(data, fit.FitOptions(seed=5, version="t-3")).model)
    c = fit.dumps(fit.fit(data, fit.FitOptions(seed=6, version="t-3")).model)
    assert a == b
    assert a != c


def test_a_fit_on_a_seeded_population_recovers_the_known_process() -> None:
    people = pop.generate(12_000, seed=2026, today=TODAY)
    rows = list(pop.characteristic_rows(people))
    names = [k for k in rows[0] if k != pop.TARGET_COLUMN]
    data = fit.make_dataset({k: [r[k] for r in rows] for k in names}, people.bad.tolist())
    result = fit.fit(data, fit.FitOptions(seed=1, version="t-pop"), truth=people.p_bad)
    section = result.model["fit"]
    assert section["metrics"]["auc"] > 0.72
    assert section["metrics"]["ks"] > 0.3
    assert section["truth"]["auc_of_true_probability"] > section["metrics"]["auc"] - 0.02
    assert section["truth"]["rank_correlation_score_vs_true_probability"] > 0.6
    kept = {c["name"]: c for c in result.model["characteristics"]}
    assert len(kept) >= 7
    assert {"lates_30plus_24m", "revolving_utilisation_pct", "hard_inquiries_12m"} <= set(kept)
    for name, c in kept.items():
        if c["kind"] != "numeric":
            continue
        points = [b["points"] for b in c["bins"] if not b.get("missing")]
        if fit.RISK_DIRECTION[name] == "ascending":  # more of it, more risk, fewer points
            assert points == sorted(points, reverse=True), name
        else:
            assert points == sorted(points), name
        assert points[0] != points[-1], name
    # Predicted bad rates from the score track the observed ones decile by decile.
    for row in result.report["calibration"]:
        assert abs(row["predicted_bad_rate"] - row["observed_bad_rate"]) < 0.06


# --- reading data and the command line -----------------------------------------------------


def _write(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _csv_rows(data: fit.Dataset, labels: tuple[str, str]) -> list[list[Any]]:
    cols = [c.values.tolist() for c in data.columns]
    return [
        [("" if v is None or (isinstance(v, float) and math.isnan(v)) else v) for v in row]
        + [labels[int(y)]]
        for row, y in zip(zip(*cols, strict=True), data.y.tolist(), strict=True)
    ]


def test_two_labels_with_bad_named_fit_the_same_model_as_zero_one(tmp_path: Path) -> None:
    data = _synthetic(3_000, seed=6)
    header = [c.name for c in data.columns] + ["outcome"]
    binary = _write(tmp_path / "binary.csv", header, _csv_rows(data, ("0", "1")))
    labelled = _write(tmp_path / "labelled.csv", header, _csv_rows(data, ("paid", "defaulted")))
    a = fit.read_csv(binary, target="outcome")
    b = fit.read_csv(labelled, target="outcome", bad="defaulted")
    assert b.bad_label == "defaulted"
    assert b.good_label == "paid"
    assert a.y.tolist() == b.y.tolist() == data.y.tolist()
    options = fit.FitOptions(seed=2, version="t-labels")
    model_a, model_b = fit.fit(a, options).model, fit.fit(b, options).model
    assert model_a["characteristics"] == model_b["characteristics"]
    assert model_b["fit"]["data"]["bad_label"] == "defaulted"
    # Naming the other label as bad turns the model around.
    flipped = fit.fit(fit.read_csv(labelled, target="outcome", bad="paid"), options).model
    assert flipped["fit"]["bad_rate_train"] == pytest.approx(
        1 - model_a["fit"]["bad_rate_train"], abs=1e-3
    )


@pytest.mark.parametrize(
    ("labels", "bad", "message"),
    [
        (["yes", "no"], None, "name the bad label with --bad"),
        (["yes", "no"], "maybe", "is not a value of the target"),
        (["a", "b", "c"], "a", "exactly two labels"),
        (["1", ""], None, "the target is missing"),
    ],
)
def test_unusable_targets_are_refused_with_a_reason(
    tmp_path: Path, labels: list[str], bad: str | None, message: str
) -> None:
    rows = [[i, labels[i % len(labels)]] for i in range(12)]
    path = _write(tmp_path / "t.csv", ["x", "target"], rows)
    with pytest.raises(fit.FitError, match=message):
        fit.read_csv(path, target="target", bad=bad)


def test_cells_are_numeric_or_categorical_and_none_is_a_category(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        [1.5, "none", "x"],
        ["", "revolving_only", "y"],
        ["NA", "", "z"],
        [2, "none", "w"],
    ]
    path = _write(
        tmp_path / "c.csv", ["num", "mix", "bad"], [[*r[:2], i % 2] for i, r in enumerate(rows)]
    )
    data = fit.read_csv(path, target="bad")
    num, mix = data.columns
    assert num.kind == "numeric"
    assert np.isnan(num.values[1])
    assert np.isnan(num.values[2])
    assert mix.kind == "categorical"
    assert mix.values.tolist() == [
        "none",
        "revolving_only",
        None,
        "none",
    ]


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(model_app, name="model")
    app.command("population")(population_command)
    return app


def test_population_and_model_fit_commands_write_a_publishable_model(tmp_path: Path) -> None:
    runner = CliRunner()
    csv_path, truth = tmp_path / "population.csv", tmp_path / "truth.csv"
    result = runner.invoke(
        _cli(),
        [
            "population",
            "--n",
            "3000",
            "--seed",
            "4",
            "--out",
            str(csv_path),
            "--truth-out",
            str(truth),
            "--today",
            TODAY.isoformat(),
        ],
    )
    assert result.exit_code == 0, result.output
    out, reports = tmp_path / "models" / "cf-test.1.json", tmp_path / "validation"
    result = runner.invoke(
        _cli(),
        [
            "model",
            "fit",
            "--data",
            str(csv_path),
            "--target",
            "bad",
            "--out",
            str(out),
            "--seed",
            "3",
            "--report-dir",
            str(reports),
            "--truth",
            str(truth),
        ],
    )
    assert result.exit_code == 0, result.output
    model = get_model("cf-test.1", out.parent)
    assert model.version == "cf-test.1"
    assert model.score_range.min == 300
    assert model.score_range.max == 850
    written = json.loads(out.read_text())
    assert written["fit"]["command"].startswith("clearfile model fit --data population.csv")
    assert (reports / "cf-test.1-validation.json").is_file()
    markdown = (reports / "cf-test.1-validation.md").read_text()
    assert "Calibration" in markdown
    assert "Bad rate by score band" in markdown
    pytest.importorskip("matplotlib")
    assert (reports / "cf-test.1-score-distribution.png").read_bytes()[:4] == b"\x89PNG"


def test_fit_command_reports_bad_input_without_a_traceback(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", ["x", "target"], [[1, "yes"], [2, "no"]])
    result = CliRunner().invoke(
        _cli(),
        [
            "model",
            "fit",
            "--data",
            str(path),
            "--target",
            "target",
            "--out",
            str(tmp_path / "m.json"),
        ],
    )
    assert result.exit_code == 2
    assert "--bad" in result.output
    assert not (tmp_path / "m.json").exists()


def test_the_shipped_model_is_published_fitted_and_monotone() -> None:
    model = get_model("cf-2026.11")
    assert model.scaling.base_score == fit.BASE_SCORE
    assert model.scaling.pdo == fit.PDO
    section = model.fit or {}
    assert section["seed"] == 20261126
    assert section["data"]["rows"] == 200_000
    assert section["metrics"]["auc"] > 0.75
    for c in model.characteristics:
        if c.kind != "numeric":
            continue
        points = [b.points for b in c.bins if not b.missing]
        direction = fit.RISK_DIRECTION[c.name]
        assert points == sorted(points, reverse=direction == "ascending"), c.name
