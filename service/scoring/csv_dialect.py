"""The dialect of a CSV of characteristics: ``clearfile model fit`` and ``clearfile score
--csv`` read a file through this module, so they read the same file the same way.

* comma-separated with standard quoting, UTF-8 (a byte-order mark is ignored);
* header names and cells are read without their surrounding blanks;
* a cell is missing when it is empty or one of ``MISSING_TOKENS`` (in any case); in a numeric
  column ``none`` is missing too, while in a categorical one it is a value (a credit mix of
  none);
* a number is what Python's ``float`` reads, and finite (``inf`` is not a number).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

ENCODING = "utf-8-sig"
DELIMITER = ","
#: Cells read as missing in any column (compared in lower case, without blanks).
MISSING_TOKENS = frozenset({"", "na", "nan", "null", "n/a"})
#: Cells read as missing in a numeric column.
NUMERIC_MISSING_TOKENS = MISSING_TOKENS | {"none"}


class NotANumber(ValueError):
    """A cell of a numeric column that is neither a number nor missing."""

    def __init__(self, index: int, cell: str) -> None:
        super().__init__(f"{cell!r} is not a number")
        self.index = index
        self.cell = cell


def rows(handle: IO[str]) -> Iterator[list[str]]:
    """The rows of a file opened with ``open_text`` (the header first), as read."""
    return csv.reader(handle, delimiter=DELIMITER)


def rows_of_text(text: str) -> Iterator[list[str]]:
    """The rows of a whole decoded file."""
    return rows(io.StringIO(text, newline=""))


def open_text(path: Path) -> IO[str]:
    """A CSV file opened for reading in this dialect."""
    return path.open(newline="", encoding=ENCODING)


def header(row: Sequence[str]) -> list[str]:
    """The column names of a header row."""
    return [name.strip() for name in row]


def is_missing(cell: str, *, numeric: bool = False) -> bool:
    tokens = NUMERIC_MISSING_TOKENS if numeric else MISSING_TOKENS
    return cell.strip().lower() in tokens


def number(cell: str) -> float | None:
    """The cell's finite number, or None when it is not one (missing cells included)."""
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def numbers(cells: Sequence[str]) -> NDArray[np.float64]:
    """A numeric column: NaN for a missing cell; ``NotANumber`` names the first cell that is
    neither."""
    import numpy as np

    try:
        values: NDArray[np.float64] = np.array(cells, dtype=np.float64)
    except ValueError:
        pass
    else:
        if not np.isinf(values).any():
            return values
    values = np.empty(len(cells), dtype=np.float64)
    for i, cell in enumerate(cells):
        if is_missing(cell, numeric=True):
            values[i] = np.nan
            continue
        value = number(cell)
        if value is None:
            raise NotANumber(i, cell)
        values[i] = value
    return values


def categories(cells: Sequence[str]) -> list[str | None]:
    """A categorical column: None for a missing cell, else the cell without its blanks."""
    return [None if is_missing(cell) else cell.strip() for cell in cells]
