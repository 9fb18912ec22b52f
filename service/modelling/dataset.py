"""The data set of a fit: a CSV of characteristics and a target, and its held-out split.

The CSV is read in the dialect of service/scoring/csv_dialect.py (the one ``score --csv``
reads). Every column but the target is a characteristic; a column whose cells are all numbers
or missing is numeric, any other is categorical. The target is 0/1 (1 = bad), or two labels
with the bad one named. The split holds out ``TEST_SHARE`` of each class, chosen by a seeded
generator.

Financial data only: a column whose name names a prohibited data category (the table the API
uses, service/core/prohibited.py) is refused, naming each such column and its category, or,
with ``prohibited="drop"`` (``--drop-prohibited``), left out and listed in ``dropped``. The
target is never exempt: a target that names a prohibited category is refused either way.
"""

from __future__ import annotations

import csv
import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from service.core.prohibited import prohibited_category
from service.modelling.defaults import TEST_SHARE
from service.scoring import csv_dialect

Kind = Literal["numeric", "categorical"]
#: What to do with a column that names a prohibited category: refuse the file, or drop it.
Prohibited = Literal["refuse", "drop"]


class FitError(ValueError):
    """The data cannot be fitted as asked (the message says why)."""


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    #: float64 with NaN for missing (numeric), or object array of str / None (categorical).
    values: NDArray[Any]

    def missing(self) -> NDArray[np.bool_]:
        if self.kind == "numeric":
            result: NDArray[np.bool_] = np.isnan(self.values)
            return result
        return np.array([v is None for v in self.values], dtype=bool)


@dataclass(frozen=True)
class Dataset:
    columns: tuple[Column, ...]
    y: NDArray[np.int8]  # 1 bad, 0 good
    target: str
    bad_label: str
    good_label: str
    source: str = ""
    sha256: str = ""
    #: Columns left out because they name a prohibited category: (column, category).
    dropped: tuple[tuple[str, str], ...] = ()

    @property
    def rows(self) -> int:
        return int(self.y.size)


def _binary_label(label: str) -> int | None:
    value = csv_dialect.number(label)
    if value is not None and value in (0.0, 1.0):
        return int(value)
    return None


def read_csv(
    path: Path,
    *,
    target: str,
    bad: str | None = None,
    ignore: Sequence[str] = (),
    prohibited: Prohibited = "refuse",
) -> Dataset:
    """Read a CSV of characteristics and a target column (see the module docstring)."""
    raw = path.read_bytes()
    reader = csv_dialect.rows_of_text(raw.decode(csv_dialect.ENCODING))
    try:
        header = csv_dialect.header(next(reader))
    except StopIteration:
        raise FitError(f"{path}: the file is empty") from None
    if target not in header:
        raise FitError(f"{path}: there is no column {target!r} (columns: {', '.join(header)})")
    if len(set(header)) != len(header):
        raise FitError(f"{path}: column names must be unique")
    dropped = check_financial_only(header, target=target, prohibited=prohibited, where=str(path))
    cells: list[list[str]] = []
    for line_no, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise FitError(f"{path}, line {line_no}: {len(row)} cells, expected {len(header)}")
        cells.append([c.strip() for c in row])
    if not cells:
        raise FitError(f"{path}: no data rows")
    t = header.index(target)
    labels = [r[t] for r in cells]
    y, bad_label, good_label = _target(labels, bad=bad, path=path)
    columns = []
    for j, name in enumerate(header):
        if j == t or name in ignore or name in dict(dropped):
            continue
        columns.append(_column(name, [r[j] for r in cells]))
    if not columns:
        raise FitError(f"{path}: no characteristic columns besides the target")
    return Dataset(
        columns=tuple(columns),
        y=y,
        target=target,
        bad_label=bad_label,
        good_label=good_label,
        source=path.name,
        sha256=hashlib.sha256(raw).hexdigest(),
        dropped=dropped,
    )


def check_financial_only(
    names: Sequence[str], *, target: str, prohibited: Prohibited, where: str
) -> tuple[tuple[str, str], ...]:
    """The columns of ``names`` that name a prohibited category, as (column, category), when
    ``prohibited`` is "drop"; a FitError naming each of them (and its category) when it is
    "refuse", and always when the target is one of them."""
    named = [(n, c) for n in names if (c := prohibited_category(n)) is not None]
    target_category = prohibited_category(target)
    if target_category is not None:
        raise FitError(
            f"{where}: the target {target!r} names a prohibited data category "
            f"({target_category}); Clearfile fits financial outcomes only"
        )
    if named and prohibited == "refuse":
        listed = "; ".join(f"{n!r} ({c})" for n, c in named)
        raise FitError(
            f"{where}: columns that name a prohibited data category: {listed}. Clearfile fits "
            "financial data only: remove them, or leave them out with --drop-prohibited"
        )
    return tuple(named)


def _target(
    labels: Sequence[str], *, bad: str | None, path: Path
) -> tuple[NDArray[np.int8], str, str]:
    for i, label in enumerate(labels):
        if csv_dialect.is_missing(label):
            raise FitError(f"{path}, line {i + 2}: the target is missing")
    distinct = sorted(set(labels))
    if bad is not None:
        if bad not in distinct:
            raise FitError(
                f"{path}: --bad {bad!r} is not a value of the target "
                f"(values: {', '.join(distinct[:5])})"
            )
        if len(distinct) != 2:
            raise FitError(
                f"{path}: the target must have exactly two labels, found {len(distinct)}"
            )
        good = next(d for d in distinct if d != bad)
        return np.array([lb == bad for lb in labels], dtype=np.int8), bad, good
    binary = [_binary_label(lb) for lb in labels]
    if any(b is None for b in binary):
        shown = ", ".join(repr(d) for d in distinct[:5])
        raise FitError(
            f"{path}: the target is not 0/1 (values: {shown}); name the bad label with --bad"
        )
    y = np.array(binary, dtype=np.int8)
    return y, "1", "0"


def _column(name: str, cells: Sequence[str]) -> Column:
    try:
        return Column(name, "numeric", csv_dialect.numbers(cells))
    except csv_dialect.NotANumber:
        values = np.array(csv_dialect.categories(cells), dtype=object)
        return Column(name, "categorical", values)


def make_dataset(
    columns: Mapping[str, Sequence[Any]], y: Sequence[int], *, source: str = ""
) -> Dataset:
    """A dataset from in-memory columns (numbers or None = numeric; strings = categorical)."""
    cols = []
    for name, raw in columns.items():
        if any(isinstance(v, str) for v in raw):
            cols.append(
                Column(
                    name,
                    "categorical",
                    np.array([None if v is None else str(v) for v in raw], dtype=object),
                )
            )
        else:
            cols.append(
                Column(
                    name, "numeric", np.array([math.nan if v is None else float(v) for v in raw])
                )
            )
    return Dataset(
        columns=tuple(cols),
        y=np.asarray(y, dtype=np.int8),
        target="bad",
        bad_label="1",
        good_label="0",
        source=source,
    )


def read_truth(path: Path, rows: int) -> NDArray[np.float64]:
    """The true P(bad) of each data row (column ``p_bad``), for judging a fit only."""
    with csv_dialect.open_text(path) as handle:
        reader = csv.DictReader(handle, delimiter=csv_dialect.DELIMITER)
        if reader.fieldnames is None or "p_bad" not in reader.fieldnames:
            raise FitError(f"{path}: a truth file needs a column 'p_bad'")
        values = np.array([float(r["p_bad"]) for r in reader], dtype=np.float64)
    if values.size != rows:
        raise FitError(f"{path}: {values.size} rows of truth for {rows} rows of data")
    return values


def stratified_split(
    y: NDArray[np.int8], *, test_share: float = TEST_SHARE, seed: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Row indices (train, test): ``test_share`` of the goods and of the bads are held out,
    chosen by a generator seeded with ``seed``."""
    if not 0 < test_share < 1:
        raise FitError("the held-out share must be between 0 and 1")
    rng = np.random.default_rng(seed)
    train: list[NDArray[np.int64]] = []
    test: list[NDArray[np.int64]] = []
    for cls in (0, 1):
        idx = np.flatnonzero(y == cls)
        if idx.size < 2:
            raise FitError(f"the target needs at least 2 {'bad' if cls else 'good'} rows")
        shuffled = rng.permutation(idx)
        n_test = min(max(1, round(test_share * idx.size)), idx.size - 1)
        test.append(shuffled[:n_test])
        train.append(shuffled[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))
