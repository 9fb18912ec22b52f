"""Scoring a table of characteristics at the speed of its reading: CSV and Parquet through
Apache Arrow, streamed in batches so that memory stays flat whatever the file's size.

``score_table`` reads the table a batch at a time (pyarrow's streaming CSV reader, or a Parquet
file's record batches), encodes the model's characteristics with Arrow's compute kernels,
scores them with the vectorised engine, and writes every input column as it was read with a
``score`` column added (replaced when the input has one) and, when asked, the reason codes
(``reason_1`` ...). The output is written to a temporary file next to the target and renamed
onto it only when every row has been scored: a refused file leaves no output behind.

A CSV is read in the dialect of ``csv_dialect`` (the one ``model fit`` reads), every column
as text so that each cell is written back as read: header names and cells without their
surrounding blanks; a missing cell is empty or one of ``MISSING_TOKENS`` (in a numeric
column ``none`` too); a number is what Python's ``float`` reads, and finite. Blank lines are
skipped. A Parquet column of a numeric characteristic may be numeric (null is missing) or
text (read as a CSV cell is); a categorical one is text.

A table is refused (``TableError``, naming the row and the column) when it lacks a column for
a characteristic, when a numeric characteristic's cell is not a finite number, or when a CSV
row has more or fewer cells than the header. A categorical value outside the model's bins
takes the bin the model gives a missing or unseen value, as in every other scoring path.

Rows are numbered as a spreadsheet shows them: in a CSV the header is row 1 and the first
record row 2; in Parquet the first record is row 1.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import numpy.typing as npt

from service.scoring import csv_dialect
from service.scoring.engine.scorecard import Scorecard
from service.scoring.engine.scorer import CompiledCharacteristic, Engine, engine_for
from service.scoring.rules import INQUIRY_CHARACTERISTIC, MAX_KEY_FACTORS

if TYPE_CHECKING:
    import pyarrow as pa

Format = Literal["csv", "parquet"]

SCORE_COLUMN: Final = "score"
#: The reason columns ``--reasons`` adds: the key factors (``explain.rank_reasons``), at most
#: ``MAX_KEY_FACTORS``, and one more for hard inquiries when they fell short and are not
#: among them (FCRA 609(f)(1)(C), ``rules``).
REASON_COLUMNS: Final = tuple(f"reason_{i}" for i in range(1, MAX_KEY_FACTORS + 2))
#: Bytes of CSV read per batch: about 10,000 rows of a dozen characteristics; memory stays
#: at a few batches whatever the file's size.
CSV_BLOCK_BYTES: Final = 1 << 20
#: Rows per batch read from a Parquet file.
PARQUET_BATCH_ROWS: Final = 100_000


class TableError(ValueError):
    """A table that cannot be scored: ``detail`` says why, naming the row and the column
    when one is at fault."""

    title = "The file cannot be scored"

    def __init__(self, detail: str, *, row: int | None = None, column: str | None = None):
        where = ", ".join(
            part
            for part in (
                f"row {row}" if row is not None else "",
                f"column {column!r}" if column is not None else "",
            )
            if part
        )
        super().__init__(f"{where}: {detail}" if where else detail)
        self.detail = detail
        self.row = row
        self.column = column


@dataclass(frozen=True)
class Scored:
    rows: int
    seconds: float


# -- encoding: Arrow columns to the engine's matrix -----------------------------------------


def _lowered_tokens(tokens: frozenset[str]) -> pa.Array:
    import pyarrow as pa

    return pa.array(sorted(tokens), type=pa.string())


def _numeric_text(
    column: pa.Array, name: str, first_row: int, missing_tokens: pa.Array
) -> npt.NDArray[np.float64]:
    """A text column of numbers in the CSV dialect: NaN when missing."""
    import pyarrow as pa
    import pyarrow.compute as pc

    nothing = pa.scalar(None, pa.string())

    def plain() -> Any:
        return pc.if_else(pc.equal(column, ""), nothing, column)

    def in_the_dialect() -> Any:
        trimmed = pc.utf8_trim_whitespace(column)
        missing = pc.is_in(pc.utf8_lower(trimmed), value_set=missing_tokens)
        return pc.if_else(missing, nothing, trimmed)

    # Most exports write numbers plainly and a missing one as an empty cell: tried first.
    # Every form Arrow reads as a number Python's float reads as the same number, and the
    # NaN it reads ("nan" in any case) is what the dialect makes of those cells: missing.
    for cells in (plain, in_the_dialect):
        try:
            numbers = pc.cast(cells(), pa.float64())
        except pa.ArrowInvalid:
            continue
        values: npt.NDArray[np.float64] = numbers.to_numpy(zero_copy_only=False)
        if not np.isinf(values).any():
            return values
        break
    # Arrow reads fewer forms than Python's float ("1_000"), or found an infinity: the
    # dialect's own reading decides, and names the first cell that is not a number.
    try:
        return csv_dialect.numbers(column.to_pylist())
    except csv_dialect.NotANumber as exc:
        raise TableError(
            f"{exc.cell!r} is not a number", row=first_row + exc.index, column=name
        ) from exc


def _numeric(column: pa.Array, name: str, first_row: int, tokens: pa.Array) -> Any:
    import pyarrow as pa
    import pyarrow.types as pt

    kind = column.type
    if pt.is_dictionary(kind):
        column = column.dictionary_decode()
        kind = column.type
    if pt.is_string(kind) or pt.is_large_string(kind):
        return _numeric_text(column, name, first_row, tokens)
    if pt.is_integer(kind) or pt.is_floating(kind) or pt.is_decimal(kind) or pt.is_null(kind):
        values: npt.NDArray[np.float64] = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
        bad = np.flatnonzero(np.isinf(values))
        if len(bad):
            i = int(bad[0])
            raise TableError(
                f"{values[i]!r} is not a finite number", row=first_row + i, column=name
            )
        return values
    raise TableError(f"a column of {kind} cannot hold a number", column=name)


def _categorical_codes(
    column: pa.Array, col: CompiledCharacteristic, name: str, tokens: pa.Array
) -> npt.NDArray[np.float64]:
    """A text column of categories: each value's code in the model's vocabulary, the
    missing slot when missing or unseen."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.types as pt

    if pt.is_dictionary(column.type):
        column = column.dictionary_decode()
    if not (
        pt.is_string(column.type) or pt.is_large_string(column.type) or pt.is_null(column.type)
    ):
        raise TableError(f"a column of {column.type} cannot hold a category", column=name)
    column = column.cast(pa.string())
    trimmed = pc.utf8_trim_whitespace(column)
    missing = pc.is_in(pc.utf8_lower(trimmed), value_set=tokens)
    vocabulary = sorted(col.vocabulary, key=col.vocabulary.__getitem__)
    codes = pc.index_in(trimmed, value_set=pa.array(vocabulary, type=pa.string()))
    codes = pc.if_else(missing, pa.scalar(None, pa.int32()), codes)
    filled = pc.fill_null(codes, col.missing_slot)
    out: npt.NDArray[np.float64] = filled.to_numpy(zero_copy_only=False).astype(np.float64)
    return out


def encode_batch(
    engine: Engine, columns: dict[str, pa.Array], n: int, first_row: int
) -> npt.NDArray[np.float64]:
    """The engine's encoded matrix of a batch's characteristic columns (by name)."""
    import pyarrow as pa

    numeric_tokens = _lowered_tokens(csv_dialect.NUMERIC_MISSING_TOKENS)
    tokens = _lowered_tokens(csv_dialect.MISSING_TOKENS)
    x = np.empty((n, len(engine.columns)), dtype=np.float64, order="F")
    for j, col in enumerate(engine.columns):
        column = columns[col.name]
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        if col.numeric:
            x[:, j] = _numeric(column, col.name, first_row, numeric_tokens)
        else:
            x[:, j] = _categorical_codes(column, col, col.name, tokens)
    return x


# -- reasons ---------------------------------------------------------------------------------


def reason_codes(model: Scorecard, points: npt.NDArray[np.int32]) -> list[npt.NDArray[np.intp]]:
    """Per reason column, the index in the model's characteristics of each row's reason (-1
    for none): ``explain.rank_reasons`` for every row at once."""
    n, k = points.shape
    maximum = np.array([c.max_points for c in model.characteristics], dtype=np.int64)
    below = maximum[None, :] - points.astype(np.int64)
    # Largest shortfall first, ties in model order: one stable key per cell.
    order = np.argsort(-below * k + np.arange(k)[None, :], axis=1, kind="stable")
    ranked = np.take_along_axis(below, order, axis=1)
    top = min(MAX_KEY_FACTORS, k)
    out = [np.where(ranked[:, t] > 0, order[:, t], -1) for t in range(top)]
    out += [np.full(n, -1, dtype=np.intp) for _ in range(MAX_KEY_FACTORS - top)]
    extra = np.full(n, -1, dtype=np.intp)
    if INQUIRY_CHARACTERISTIC in model.names:
        j = model.names.index(INQUIRY_CHARACTERISTIC)
        position = (order == j).argmax(axis=1)
        extra[(position >= top) & (below[:, j] > 0)] = j
    out.append(extra)
    return out


def _reason_arrays(model: Scorecard, points: npt.NDArray[np.int32]) -> list[pa.Array]:
    import pyarrow as pa

    dictionary = pa.array([c.reason_code for c in model.characteristics], type=pa.string())
    arrays = []
    for chosen in reason_codes(model, points):
        indices = pa.array(chosen.astype(np.int32), mask=chosen < 0)
        arrays.append(pa.DictionaryArray.from_arrays(indices, dictionary).cast(pa.string()))
    return arrays


# -- reading and writing ---------------------------------------------------------------------


@dataclass
class _Table:
    """An open input: its column names (as written out), its batches and the number of its
    first record's row."""

    names: list[str]
    batches: Iterator[pa.RecordBatch]
    first_row: int


def _csv_header(source: Path) -> list[str]:
    with csv_dialect.open_text(source) as handle:
        first = next(csv_dialect.rows(handle), None)
    if first is None:
        raise TableError(f"{source} is empty")
    return csv_dialect.header(first)


def _open_csv(source: Path, bad_rows: list[Any]) -> _Table:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = _csv_header(source)
    keys = [f"c{i}" for i in range(len(names))]

    def refuse(row: Any) -> str:
        bad_rows.append(row)
        return "skip"

    reader = pacsv.open_csv(
        source,
        read_options=pacsv.ReadOptions(
            column_names=keys, skip_rows=1, block_size=CSV_BLOCK_BYTES, encoding="utf8"
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=csv_dialect.DELIMITER, newlines_in_values=True, invalid_row_handler=refuse
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(keys, pa.string()), strings_can_be_null=False
        ),
    )
    return _Table(names, iter(reader), first_row=2)


def _open_parquet(source: Path) -> _Table:
    import pyarrow.parquet as pq

    handle = pq.ParquetFile(source)
    names = list(handle.schema_arrow.names)
    return _Table(names, handle.iter_batches(batch_size=PARQUET_BATCH_ROWS), first_row=1)


class _Sink:
    """The output table, written to a temporary file beside the target."""

    def __init__(self, fmt: Format, path: Path, schema: pa.Schema) -> None:
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        self.writer: Any
        if fmt == "csv":
            self.writer = pacsv.CSVWriter(str(path), schema)
        else:
            self.writer = pq.ParquetWriter(str(path), schema)

    def write(self, batch: pa.RecordBatch) -> None:
        self.writer.write_batch(batch)

    def close(self) -> None:
        self.writer.close()


def _check_header(model: Scorecard, names: list[str], source: Path) -> dict[str, int]:
    missing = [name for name in model.names if name not in names]
    if missing:
        raise TableError(f"{source} has no column for: {', '.join(missing)}")
    return {name: names.index(name) for name in model.names}


def score_table(
    model: Scorecard, source: Path, target: Path, *, fmt: Format, reasons: bool = False
) -> Scored:
    """Score every row of ``source`` into ``target`` (both CSV or both Parquet)."""
    import pyarrow as pa

    engine = engine_for(model)
    started = time.perf_counter()
    bad_rows: list[Any] = []
    table = _open_csv(source, bad_rows) if fmt == "csv" else _open_parquet(source)
    where = _check_header(model, table.names, source)
    added = [SCORE_COLUMN, *(REASON_COLUMNS if reasons else ())]
    keep = [i for i, name in enumerate(table.names) if name not in added]
    rows = 0
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    sink: _Sink | None = None
    try:
        for batch in table.batches:
            if bad_rows:
                break
            n = batch.num_rows
            first = table.first_row + rows
            columns = {name: batch.column(i) for name, i in where.items()}
            x = encode_batch(engine, columns, n, first)
            arrays = [batch.column(i) for i in keep]
            fields = [pa.field(table.names[i], batch.schema.field(i).type) for i in keep]
            if reasons:
                points = engine.points(x)
                scores = np.clip(
                    points.sum(axis=1, dtype=np.int64),
                    model.score_range.min,
                    model.score_range.max,
                ).astype(np.int32)
                arrays += [pa.array(scores), *_reason_arrays(model, points)]
                fields += [pa.field(SCORE_COLUMN, pa.int32())]
                fields += [pa.field(name, pa.string()) for name in REASON_COLUMNS]
            else:
                arrays.append(pa.array(engine.score(x)))
                fields.append(pa.field(SCORE_COLUMN, pa.int32()))
            out = pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))
            if sink is None:
                sink = _Sink(fmt, Path(temporary), out.schema)
            sink.write(out)
            rows += n
        if bad_rows:
            raise _bad_row(bad_rows[0], source, len(table.names))
        if sink is None:  # no rows: the header alone
            sink = _Sink(fmt, Path(temporary), _empty_schema(table, keep, added, fmt, source))
        sink.close()
        sink = None
        os.replace(temporary, target)
    except BaseException:
        if sink is not None:
            with contextlib.suppress(Exception):
                sink.close()
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return Scored(rows=rows, seconds=time.perf_counter() - started)


def _empty_schema(
    table: _Table, keep: list[int], added: list[str], fmt: Format, source: Path
) -> pa.Schema:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if fmt == "parquet":
        schema = pq.ParquetFile(source).schema_arrow
        fields = [schema.field(i) for i in keep]
    else:
        fields = [pa.field(table.names[i], pa.string()) for i in keep]
    fields += [pa.field(SCORE_COLUMN, pa.int32())]
    fields += [pa.field(name, pa.string()) for name in added[1:]]
    return pa.schema(fields)


def _bad_row(row: Any, source: Path, expected: int) -> TableError:
    """The error of a CSV row with more or fewer cells than the header. Arrow numbers the
    row only when it reads on one thread; otherwise the file is read again, in the dialect,
    up to the first such row."""
    number: int | None = row.number
    if number is None:
        with csv_dialect.open_text(source) as handle:
            for i, cells in enumerate(csv_dialect.rows(handle), start=1):
                if cells and len(cells) != expected:
                    number = i
                    break
    return TableError(f"{row.actual_columns} cells where the header has {expected}", row=number)
