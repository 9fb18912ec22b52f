"""The scoring engine: a scorecard compiled for numpy, and the naive reference scorer.

Rows of characteristic values are first *encoded* into a float64 matrix (n rows x the model's
characteristics, in model order, column-major): a numeric column holds the raw value (NaN when
missing), a categorical column the integer code of the value in the model's vocabulary (the
vocabulary's size when missing or unseen). Scoring then bins every column, looks the bins'
points up and sums them, clipped to the score range.

Binning a numeric column with k range bins is k-1 vectorised comparisons: the slot of a value
is ``(k-1) - #{edges e : value < e} + isnan(value)``, so a value below every edge is in the
first bin, one at or above the last edge in the last, and NaN (every comparison false) one
past it, in the missing slot. This gives the same bins as ``np.searchsorted(edges, value,
side="right")`` with element-wise comparisons only, which suit the handful of edges a
scorecard has. Rows are processed in blocks that stay in the processor's cache.

``score_rows_naive`` is the same scorecard applied one row and one bin at a time in plain
Python (``Characteristic.bin_index``, the reference semantics); the two must agree exactly.
"""

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from service.scoring.engine.characteristics import Value
from service.scoring.engine.scorecard import Characteristic, Scorecard, ScorecardError

FloatMatrix = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]
IndexMatrix = npt.NDArray[np.intp]

#: Rows per block: 64 Ki rows keep a block's temporaries in a core's L2 cache.
BLOCK_ROWS: Final = 1 << 16
_UINT8_SLOTS: Final = 256


@dataclass(frozen=True, slots=True)
class CompiledCharacteristic:
    """One characteristic as lookup tables.

    ``edges``: numeric only, the lower bounds of the range bins after the first.
    ``table``: points by slot; numeric slots are the range bins in order then the missing
    slot, categorical slots are the vocabulary codes then the missing/unseen slot.
    ``bin_of_slot``: the index in the characteristic's ``bins`` of each slot.
    """

    name: str
    numeric: bool
    edges: tuple[float, ...]
    vocabulary: Mapping[str, int]
    table: IntArray
    bin_of_slot: IndexMatrix

    @property
    def missing_slot(self) -> int:
        return len(self.table) - 1


def _compile(characteristic: Characteristic) -> CompiledCharacteristic:
    bins = characteristic.bins
    fallback = characteristic.fallback_index
    slots: list[int] = []
    edges: tuple[float, ...] = ()
    vocabulary: dict[str, int] = {}
    if characteristic.kind == "numeric":
        ranged = [i for i, b in enumerate(bins) if not b.missing]
        # Validated contiguous: every range bin after the first has a lower bound.
        edges = tuple(float(lower) for i in ranged[1:] if (lower := bins[i].lower) is not None)
        slots = ranged
    else:
        for i, b in enumerate(bins):
            for v in b.values or ():
                vocabulary[v] = len(slots)
                slots.append(i)
    slots.append(fallback)
    return CompiledCharacteristic(
        name=characteristic.name,
        numeric=characteristic.kind == "numeric",
        edges=edges,
        vocabulary=vocabulary,
        table=np.array([bins[i].points for i in slots], dtype=np.int32),
        bin_of_slot=np.array(slots, dtype=np.intp),
    )


def _number(name: str, value: Any) -> float:
    if value is None:
        return math.nan
    if isinstance(value, str):
        raise ScorecardError(f"{name}: a number is expected, not {value!r}")
    return float(value)


class Engine:
    """A scorecard compiled for vectorised scoring. Build once per model (``engine_for``)."""

    def __init__(self, model: Scorecard) -> None:
        self.model = model
        self.names = model.names
        self.columns = tuple(_compile(c) for c in model.characteristics)
        largest = max(len(c.table) for c in self.columns)
        self._slot_dtype: type[np.unsignedinteger[Any]] | type[np.intp] = (
            np.uint8 if largest <= _UINT8_SLOTS else np.intp
        )

    # -- encoding ------------------------------------------------------------------------

    def _empty(self, n: int) -> FloatMatrix:
        return np.empty((n, len(self.columns)), dtype=np.float64, order="F")

    def encode_rows(self, rows: Iterable[Mapping[str, Value]]) -> FloatMatrix:
        """Encode rows of values by characteristic name (an absent name counts as missing)."""
        seq = rows if isinstance(rows, Sequence) else list(rows)
        out = self._empty(len(seq))
        for j, col in enumerate(self.columns):
            name = col.name
            if col.numeric:
                out[:, j] = [_number(name, r.get(name)) for r in seq]
            else:
                vocabulary, unseen = col.vocabulary, col.missing_slot
                out[:, j] = [_code(vocabulary, r.get(name), unseen) for r in seq]
        return out

    def encode_columns(
        self, columns: Mapping[str, Sequence[Value] | npt.NDArray[Any]]
    ) -> FloatMatrix:
        """Encode columns of values by characteristic name (every model name is required)."""
        absent = [name for name in self.names if name not in columns]
        if absent:
            raise ScorecardError(f"columns missing for characteristics: {', '.join(absent)}")
        lengths = {len(columns[name]) for name in self.names}
        if len(lengths) > 1:
            raise ScorecardError("the columns differ in length")
        out = self._empty(lengths.pop())
        for j, col in enumerate(self.columns):
            values = columns[col.name]
            if col.numeric:
                if isinstance(values, np.ndarray) and values.dtype.kind in "biuf":
                    out[:, j] = values
                else:
                    out[:, j] = [_number(col.name, v) for v in values]
            else:
                vocabulary, unseen = col.vocabulary, col.missing_slot
                out[:, j] = [_code(vocabulary, v, unseen) for v in values]
        return out

    # -- scoring -------------------------------------------------------------------------

    def _matrix(self, encoded: npt.ArrayLike) -> FloatMatrix:
        x = np.asarray(encoded, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != len(self.columns):
            raise ScorecardError(
                f"expected an (n, {len(self.columns)}) matrix, got shape {np.shape(x)}"
            )
        return x if x.flags.f_contiguous else np.asfortranarray(x)

    def _slots_into(
        self,
        col: CompiledCharacteristic,
        values: FloatMatrix,
        flags: npt.NDArray[np.bool_],
        slots: npt.NDArray[Any],
    ) -> None:
        """Write the slot of every value of one column into ``slots``."""
        if col.numeric:
            np.isnan(values, out=flags)
            np.add(flags, len(col.edges), out=slots, casting="unsafe")
            for edge in col.edges:
                np.less(values, edge, out=flags)
                np.subtract(slots, flags, out=slots, casting="unsafe")
        else:  # codes from the encoder; anything else counts as unseen
            valid = (values >= 0) & (values < col.missing_slot)
            np.copyto(slots, np.where(valid, values, col.missing_slot), casting="unsafe")

    def score(self, encoded: npt.ArrayLike, *, block_rows: int = BLOCK_ROWS) -> IntArray:
        """The score of every row: binning, points lookup, sum, clip. Vectorised."""
        x = self._matrix(encoded)
        n = x.shape[0]
        out = np.empty(n, dtype=np.int32)
        block = max(1, min(block_rows, n))
        flags = np.empty(block, dtype=np.bool_)
        slots = np.empty(block, dtype=self._slot_dtype)
        points = np.empty(block, dtype=np.int32)
        for start in range(0, n, block):
            rows = x[start : start + block]
            c = rows.shape[0]
            total, f, s, p = out[start : start + c], flags[:c], slots[:c], points[:c]
            for j, col in enumerate(self.columns):
                self._slots_into(col, rows[:, j], f, s)
                if j == 0:
                    np.take(col.table, s, out=total)
                else:
                    np.take(col.table, s, out=p)
                    total += p
        np.clip(out, self.model.score_range.min, self.model.score_range.max, out=out)
        return out

    def bin_indexes(self, encoded: npt.ArrayLike) -> IndexMatrix:
        """For every row and characteristic, the index of its bin in the model's ``bins``."""
        x = self._matrix(encoded)
        n = x.shape[0]
        out = np.empty((n, len(self.columns)), dtype=np.intp, order="F")
        flags = np.empty(n, dtype=np.bool_)
        slots = np.empty(n, dtype=self._slot_dtype)
        for j, col in enumerate(self.columns):
            self._slots_into(col, x[:, j], flags, slots)
            np.take(col.bin_of_slot, slots, out=out[:, j])
        return out

    def points(self, encoded: npt.ArrayLike) -> npt.NDArray[np.int32]:
        """For every row and characteristic, the points of its bin (the sum, unclipped, is
        the row's total before the score range is applied)."""
        x = self._matrix(encoded)
        n = x.shape[0]
        out = np.empty((n, len(self.columns)), dtype=np.int32, order="F")
        flags = np.empty(n, dtype=np.bool_)
        slots = np.empty(n, dtype=self._slot_dtype)
        for j, col in enumerate(self.columns):
            self._slots_into(col, x[:, j], flags, slots)
            np.take(col.table, slots, out=out[:, j])
        return out


def _code(vocabulary: Mapping[str, int], value: Any, unseen: int) -> int:
    return vocabulary.get(value, unseen) if isinstance(value, str) else unseen


@functools.lru_cache(maxsize=16)
def engine_for(model: Scorecard) -> Engine:
    """The compiled engine of ``model`` (cached)."""
    return Engine(model)


def score_rows_naive(model: Scorecard, rows: Iterable[Mapping[str, Value]]) -> list[int]:
    """The naive scorer: for each row, for each characteristic, walk its bins in Python."""
    scores = []
    for row in rows:
        total = 0
        for characteristic in model.characteristics:
            total += characteristic.bin_for(row.get(characteristic.name)).points
        scores.append(model.clip(total))
    return scores
