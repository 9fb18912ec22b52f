"""The whole fit: PDO points, training rows only, same bytes, the known process, labels."""

import csv
import math
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from service.modelling import population as pop
from service.modelling.dataset import (
    Column,
    Dataset,
    make_dataset,
    read_csv,
    stratified_split,
)
from service.modelling.defaults import BASE_ODDS, BASE_SCORE, PDO
from service.modelling.fit import RISK_DIRECTION, FitOptions, fit
from service.modelling.report import dumps
from service.scoring.engine.scorecard import get_model, parse_model

TODAY = date(2026, 11, 26)


def _synthetic(n: int, seed: int) -> Dataset:
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
    return make_dataset(columns, y.tolist(), source="synthetic")


def _write(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _csv_rows(data: Dataset, labels: tuple[str, str]) -> list[list[Any]]:
    cols = [c.values.tolist() for c in data.columns]
    return [
        [("" if v is None or (isinstance(v, float) and math.isnan(v)) else v) for v in row]
        + [labels[int(y)]]
        for row, y in zip(zip(*cols, strict=True), data.y.tolist(), strict=True)
    ]


def test_fit_scores_with_points_from_the_scaling_formula() -> None:
    result = fit(_synthetic(8_000, seed=1), FitOptions(seed=3, version="t-1"))
    model = parse_model(result.model)  # the agreed format, as the engine reads it
    section = result.model["fit"]
    assert "noise" in section["dropped"]
    assert "noise" not in model.names
    assert set(model.names) == {"risky", "safe", "kind"}
    factor = PDO / math.log(2)
    offset = BASE_SCORE - factor * math.log(BASE_ODDS)
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
    options = FitOptions(seed=4, version="t-2")
    first = fit(data, options)
    _, test = stratified_split(data.y, test_share=options.test_share, seed=options.seed)
    # Wreck the held-out rows' values (the target stays: it defines the stratified split):
    # bins, WoE and points must not move; the held-out metrics must.
    columns = []
    for column in data.columns:
        values = column.values.copy()
        if column.kind == "numeric":
            values[test] = 1e6
        else:
            values[test] = "never-seen"
        columns.append(Column(column.name, column.kind, values))
    scrambled = Dataset(tuple(columns), data.y, "bad", "1", "0", source="synthetic")
    second = fit(scrambled, options)
    assert second.model["characteristics"] == first.model["characteristics"]
    assert first.model["fit"]["metrics"]["auc"] > 0.7
    assert second.model["fit"]["metrics"]["auc"] == 0.5  # every held-out row scores the same


def test_the_same_data_and_seed_give_the_same_bytes() -> None:
    data = _synthetic(4_000, seed=3)
    a = dumps(fit(data, FitOptions(seed=5, version="t-3")).model)
    b = dumps(fit(data, FitOptions(seed=5, version="t-3")).model)
    c = dumps(fit(data, FitOptions(seed=6, version="t-3")).model)
    assert a == b
    assert a != c


def test_a_fit_on_a_seeded_population_recovers_the_known_process() -> None:
    people = pop.generate(12_000, seed=2026, today=TODAY)
    rows = list(pop.characteristic_rows(people))
    names = [k for k in rows[0] if k != pop.TARGET_COLUMN]
    data = make_dataset({k: [r[k] for r in rows] for k in names}, people.bad.tolist())
    result = fit(data, FitOptions(seed=1, version="t-pop"), truth=people.p_bad)
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
        if RISK_DIRECTION[name] == "ascending":  # more of it, more risk, fewer points
            assert points == sorted(points, reverse=True), name
        else:
            assert points == sorted(points), name
        assert points[0] != points[-1], name
    # Predicted bad rates from the score track the observed ones decile by decile.
    for row in result.report["calibration"]:
        assert abs(row["predicted_bad_rate"] - row["observed_bad_rate"]) < 0.06


def test_two_labels_with_bad_named_fit_the_same_model_as_zero_one(tmp_path: Path) -> None:
    data = _synthetic(3_000, seed=6)
    header = [c.name for c in data.columns] + ["outcome"]
    binary = _write(tmp_path / "binary.csv", header, _csv_rows(data, ("0", "1")))
    labelled = _write(tmp_path / "labelled.csv", header, _csv_rows(data, ("paid", "defaulted")))
    a = read_csv(binary, target="outcome")
    b = read_csv(labelled, target="outcome", bad="defaulted")
    assert b.bad_label == "defaulted"
    assert b.good_label == "paid"
    assert a.y.tolist() == b.y.tolist() == data.y.tolist()
    options = FitOptions(seed=2, version="t-labels")
    model_a, model_b = fit(a, options).model, fit(b, options).model
    assert model_a["characteristics"] == model_b["characteristics"]
    assert model_b["fit"]["data"]["bad_label"] == "defaulted"
    # Naming the other label as bad turns the model around.
    flipped = fit(read_csv(labelled, target="outcome", bad="paid"), options).model
    assert flipped["fit"]["bad_rate_train"] == pytest.approx(
        1 - model_a["fit"]["bad_rate_train"], abs=1e-3
    )


def test_the_shipped_model_is_published_fitted_and_monotone() -> None:
    model = get_model("cf-2026.11")
    assert model.scaling.base_score == BASE_SCORE
    assert model.scaling.pdo == PDO
    section = model.fit or {}
    assert section["seed"] == 20261126
    assert section["data"]["rows"] == 200_000
    assert section["metrics"]["auc"] > 0.75
    for c in model.characteristics:
        if c.kind != "numeric":
            continue
        points = [b.points for b in c.bins if not b.missing]
        direction = RISK_DIRECTION[c.name]
        assert points == sorted(points, reverse=direction == "ascending"), c.name


def test_each_selection_rule_is_recorded_with_what_it_removed_and_why() -> None:
    base = _synthetic(6_000, seed=21)
    rng = np.random.default_rng(21)
    columns = {c.name: c.values.tolist() for c in base.columns}
    # A near copy of "safe" (a few rows nudged), and a column of pure noise.
    twin = np.array(columns["safe"], dtype=float)
    twin[rng.random(twin.size) < 0.01] += 1
    columns["safe_again"] = twin.tolist()
    columns["coin"] = rng.integers(0, 2, base.rows).tolist()
    data = make_dataset(columns, base.y.tolist(), source="synthetic")
    result = fit(data, FitOptions(seed=2, version="t-rules", directions={}))
    selection = {(r["rule"], r["characteristic"]): r["why"] for r in result.report["selection"]}
    assert ("information value", "coin") in selection
    assert ("correlation", "safe_again") in selection or ("correlation", "safe") in selection
    why = next(w for (rule, _), w in selection.items() if rule == "correlation")
    assert "correlates" in why
    kept = {c["name"] for c in result.model["characteristics"]}
    assert not ({"safe", "safe_again"} <= kept)
    assert "coin" not in kept
    assert result.model["fit"]["dropped"].keys() == {c for _, c in selection}


def test_the_report_says_what_rounding_the_cut_points_cost() -> None:
    result = fit(_synthetic(8_000, seed=22), FitOptions(seed=3, version="t-round"))
    rounding = result.model["fit"]["rounding"]
    assert rounding["cost"] == pytest.approx(
        rounding["auc_exact"] - rounding["auc_readable"], abs=1.5e-4
    )
    assert rounding["published"] in ("readable", "exact")
    published_auc = result.model["fit"]["metrics"]["auc"]
    if rounding["published"] == "readable":
        assert rounding["cost"] <= rounding["max_cost"]
        assert published_auc == rounding["auc_readable"]
    else:
        assert published_auc == rounding["auc_exact"]
    risky = next(c for c in result.model["characteristics"] if c["name"] == "risky")
    assert risky["trend"] == "ascending"
    assert any(b["adverse"] for b in risky["bins"])
    assert all(b["adverse"] == (b["woe"] < 0) for b in risky["bins"])
