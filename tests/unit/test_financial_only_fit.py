"""``clearfile model fit`` fits financial data only: the prohibited-category table (the one the
API uses) recognises the column names real credit data sets use, a CSV with such a column is
refused naming each column and its category, ``--drop-prohibited`` leaves them out and says so,
and a prohibited target is refused either way."""

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from service.core.prohibited import prohibited_category
from service.modelling.cli import model_app
from service.modelling.dataset import FitError, make_dataset, read_csv
from service.modelling.fit import FitOptions, fit


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("Age", "age"),
        ("age_in_years", "age"),
        ("AGE", "age"),
        ("date_of_birth", "age"),
        ("Marital", "marital status"),
        ("MARRIAGE", "marital status"),
        ("personal_status_and_sex", "sex"),
        ("SEX", "sex"),
        ("foreign_worker", "national origin"),
        ("customerEthnicity", "race or colour"),
    ],
)
def test_names_real_data_sets_use_are_recognised(name: str, category: str) -> None:
    assert prohibited_category(name) == category


@pytest.mark.parametrize(
    "name",
    [
        "average_account_age_months",  # the age of accounts, not of a person
        "oldest_account_months",
        "credit_age_months",
        "Seniority",
        "Home",
        "Records",
        "Job",
        "Income",
        "Amount",
        "revolving_utilisation_pct",
        "Status",
    ],
)
def test_financial_names_are_not_flagged(name: str) -> None:
    assert prohibited_category(name) is None


def _write(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _credit_like(path: Path, n: int = 2_000, seed: int = 3) -> Path:
    """Income drives the outcome; age_in_years and personal_status_and_sex come along."""
    rng = np.random.default_rng(seed)
    income = rng.normal(50, 15, n)
    bad = (rng.random(n) < 1 / (1 + np.exp(0.08 * (income - 40)))).astype(int)
    age = rng.integers(18, 80, n)
    status = rng.choice(["A91", "A92", "A93"], n)
    rows = [[round(i, 1), a, s, b] for i, a, s, b in zip(income, age, status, bad, strict=True)]
    return _write(path, ["income", "age_in_years", "personal_status_and_sex", "bad"], rows)


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(model_app, name="model")
    return app


def test_a_csv_with_prohibited_columns_is_refused_naming_each_and_its_category(
    tmp_path: Path,
) -> None:
    data = _credit_like(tmp_path / "credit.csv")
    out = tmp_path / "m.json"
    result = CliRunner().invoke(
        _cli(), ["model", "fit", "--data", str(data), "--target", "bad", "--out", str(out)]
    )
    assert result.exit_code == 2
    assert "'age_in_years' (age)" in result.output
    assert "'personal_status_and_sex' (sex)" in result.output
    assert "--drop-prohibited" in result.output
    assert not out.exists()


def test_drop_prohibited_leaves_them_out_and_the_report_says_so(tmp_path: Path) -> None:
    data = _credit_like(tmp_path / "credit.csv")
    out, reports = tmp_path / "m.json", tmp_path / "report"
    args = ["model", "fit", "--data", str(data), "--target", "bad", "--out", str(out)]
    args += ["--drop-prohibited", "--report-dir", str(reports)]
    result = CliRunner().invoke(_cli(), args)
    assert result.exit_code == 0, result.output
    assert "left out age_in_years: names a prohibited data category (age)" in result.output
    model = json.loads(out.read_text())
    assert [c["name"] for c in model["characteristics"]] == ["income"]
    assert model["fit"]["left_out_prohibited"] == {
        "age_in_years": "age",
        "personal_status_and_sex": "sex",
    }
    assert "--drop-prohibited" in model["fit"]["command"]
    markdown = (reports / "m-validation.md").read_text()
    assert "| age_in_years | age |" in markdown
    assert "| personal_status_and_sex | sex |" in markdown


def test_a_prohibited_target_is_refused_even_with_drop_prohibited(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", ["income", "Marital"], [[1, 0], [2, 1], [3, 0], [4, 1]])
    for mode in ("refuse", "drop"):
        with pytest.raises(FitError, match=r"target 'Marital'.*marital status"):
            read_csv(path, target="Marital", prohibited=mode)  # type: ignore[arg-type]


def test_fit_itself_refuses_a_prohibited_column_however_the_data_was_built() -> None:
    rng = np.random.default_rng(1)
    data = make_dataset(
        {"income": rng.normal(size=500).tolist(), "Age": rng.integers(18, 80, 500).tolist()},
        (rng.random(500) < 0.3).astype(int).tolist(),
    )
    with pytest.raises(FitError, match=r"'Age' \(age\)"):
        fit(data, FitOptions(version="t"))
