"""One CSV dialect: ``model fit`` and ``score --csv`` read the same file the same way."""

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from service.modelling.dataset import read_csv
from service.scoring import csv_dialect
from service.scoring.engine.scorecard import Scorecard, get_model
from service.scoring.engine.scorer import engine_for
from service.scoring.score_cli import score_csv

#: Written by hand: every way a cell may say "missing", in several cases and with blanks.
MISSING_CELLS = ["", "  ", "NA", "na", "NaN", "nan", "NULL", "null", "N/A", "n/a", " n/a "]


def read_columns(model: Scorecard, header: list[str], block: list[list[str]]) -> dict[str, Any]:
    """The model's characteristics in CSV rows, read one cell at a time in the dialect."""
    columns: dict[str, Any] = {}
    for c in model.characteristics:
        j = header.index(c.name)
        cells = [row[j] if j < len(row) else "" for row in block]
        if c.kind == "numeric":
            columns[c.name] = csv_dialect.numbers(cells)
        else:
            columns[c.name] = csv_dialect.categories(cells)
    return columns


def _characteristics_csv(path: Path) -> tuple[Path, list[str]]:
    """Each missing cell in a numeric column and in the categorical one, then a row with
    'none' in both (missing in a number, a credit mix in a category), then complete rows."""
    model = get_model()
    names = list(model.names)
    complete = {name: "3" for name in names} | {"credit_mix": "revolving_only"}
    rows = []
    for cell in MISSING_CELLS:
        rows.append(complete | {"lates_30plus_24m": cell, "credit_mix": cell})
    rows.append(complete | {"hard_inquiries_12m": "None", "credit_mix": "none"})
    rows += [complete | {"oldest_account_months": str(12 * k)} for k in range(1, 9)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*names, "bad"])
        writer.writerows([*(row[n] for n in names), i % 2] for i, row in enumerate(rows))
    return path, names


def test_fit_and_score_read_each_missing_cell_the_same_way(tmp_path: Path) -> None:
    path, names = _characteristics_csv(tmp_path / "in.csv")
    model = get_model()
    fitted = {c.name: c for c in read_csv(path, target="bad").columns}
    with csv_dialect.open_text(path) as handle:
        reader = csv_dialect.rows(handle)
        header = csv_dialect.header(next(reader))
        scored = read_columns(model, header, list(reader))

    n = len(MISSING_CELLS)
    lates = fitted["lates_30plus_24m"]
    assert lates.kind == "numeric"
    assert [math.isnan(v) for v in lates.values.tolist()] == [True] * n + [False] * 9
    assert np.array_equal(lates.values, scored["lates_30plus_24m"], equal_nan=True)
    inquiries = fitted["hard_inquiries_12m"]
    assert inquiries.kind == "numeric"
    assert math.isnan(inquiries.values[n])
    assert np.array_equal(inquiries.values, scored["hard_inquiries_12m"], equal_nan=True)
    mix = fitted["credit_mix"]
    assert mix.kind == "categorical"
    assert mix.values.tolist() == [None] * n + ["none"] + ["revolving_only"] * 8
    assert scored["credit_mix"] == mix.values.tolist()
    for name in names:
        if fitted[name].kind == "numeric":
            assert np.array_equal(fitted[name].values, scored[name], equal_nan=True), name

    # And the scores written are those of the columns as the fit reads them.
    out = tmp_path / "out.csv"
    score_csv(model, path, out)
    with out.open(newline="") as handle:
        written = [int(row["score"]) for row in csv.DictReader(handle)]
    engine = engine_for(model)
    as_fitted = {
        name: fitted[name].values
        if fitted[name].kind == "numeric"
        else fitted[name].values.tolist()
        for name in names
    }
    assert written == engine.score(engine.encode_columns(as_fitted)).tolist()


@pytest.mark.parametrize(
    ("cell", "value"),
    [("12", 12.0), (" 1.5 ", 1.5), ("-3e2", -300.0), ("inf", None), ("1,5", None), ("x", None)],
)
def test_a_number_is_a_finite_float(cell: str, value: float | None) -> None:
    assert csv_dialect.number(cell) == value


def test_a_cell_that_is_not_a_number_is_named_and_inf_is_not_a_number() -> None:
    assert np.isnan(csv_dialect.numbers(["1", "none", "NA"])[1:]).all()
    with pytest.raises(csv_dialect.NotANumber) as caught:
        csv_dialect.numbers(["1", "2", "inf"])
    assert (caught.value.index, caught.value.cell) == (2, "inf")


def test_a_byte_order_mark_and_blanks_around_names_are_not_part_of_the_header(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeff x , bad \n1,0\n2,1\n".encode())
    data = read_csv(path, target="bad")
    assert [c.name for c in data.columns] == ["x"]
    with csv_dialect.open_text(path) as handle:
        assert csv_dialect.header(next(csv_dialect.rows(handle))) == ["x", "bad"]
