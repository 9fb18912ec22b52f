"""The data set of a fit: the held-out split and reading a CSV of characteristics."""

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from service.modelling.dataset import (
    FitError,
    read_csv,
    stratified_split,
)


def _write(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_stratified_split_is_seeded_disjoint_and_keeps_the_bad_rate() -> None:
    y = np.array([1] * 100 + [0] * 900, dtype=np.int8)
    train, test = stratified_split(y, test_share=0.3, seed=9)
    assert set(train.tolist()).isdisjoint(test.tolist())
    assert sorted([*train.tolist(), *test.tolist()]) == list(range(1000))
    assert y[test].sum() == 30
    assert test.size == 300
    again = stratified_split(y, test_share=0.3, seed=9)
    other = stratified_split(y, test_share=0.3, seed=10)
    assert test.tolist() == again[1].tolist()
    assert test.tolist() != other[1].tolist()


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
    with pytest.raises(FitError, match=message):
        read_csv(path, target="target", bad=bad)


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
    data = read_csv(path, target="bad")
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
