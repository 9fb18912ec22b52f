"""Weight-of-evidence binning of one characteristic, on the training rows only.

Numeric characteristics get quantile pre-bins (``MAX_PREBINS``), merged by pooling adjacent
violators until the bad rate is monotone (in a direction given by policy, or else the sign of
the rank correlation with the target), then merged until every bin holds at least
``MIN_BIN_SHARE`` of the training rows; missing values get a bin of their own. Categorical
values are ordered by bad rate and grouped the same way.

WoE here is ``ln(share of goods / share of bads)`` with ``WOE_SMOOTHING`` added to every
count (so an all-good bin has a finite WoE): positive means safer than average. The
information value of a characteristic is the sum over its bins of
``(share of goods - share of bads) * WoE``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from service.modelling.dataset import Column, Kind
from service.modelling.defaults import MAX_PREBINS, MIN_BIN_SHARE

Direction = Literal["ascending", "descending"]

#: Added to every good and bad count of a bin before its WoE is taken.
WOE_SMOOTHING = 0.5


@dataclass
class Bin:
    """One bin of a characteristic, with its training counts."""

    label: str
    n_good: int
    n_bad: int
    missing: bool = False
    lower: float | None = None
    upper: float | None = None
    values: tuple[str, ...] = ()
    woe: float = 0.0

    @property
    def n(self) -> int:
        return self.n_good + self.n_bad

    @property
    def bad_rate(self) -> float:
        return self.n_bad / self.n if self.n else 0.0


@dataclass
class Binning:
    """The bins of one characteristic, fitted on training rows, and their WoE."""

    name: str
    kind: Kind
    bins: list[Bin]
    direction: Direction | None = None
    information_value: float = 0.0

    def index(self, column: Column) -> NDArray[np.int64]:
        """The bin of every value of ``column`` (missing: the missing bin, or else the bin
        with the lowest WoE, as the scorecard format does with the lowest points)."""
        fallback = self._fallback()
        out = np.full(column.values.size, fallback, dtype=np.int64)
        missing = column.missing()
        if self.kind == "numeric":
            ranged = [i for i, b in enumerate(self.bins) if not b.missing]
            cuts = np.array([self.bins[i].lower for i in ranged[1:]], dtype=np.float64)
            pos = np.searchsorted(cuts, column.values[~missing], side="right")
            out[~missing] = np.array(ranged, dtype=np.int64)[pos]
            return out
        lookup = {v: i for i, b in enumerate(self.bins) for v in b.values}
        for k, v in enumerate(column.values.tolist()):
            if v is not None:
                out[k] = lookup.get(v, fallback)
        return out

    def _fallback(self) -> int:
        for i, b in enumerate(self.bins):
            if b.missing:
                return i
        woes = [b.woe for b in self.bins]
        return int(np.argmin(woes))

    def woe(self, column: Column) -> NDArray[np.float64]:
        table = np.array([b.woe for b in self.bins], dtype=np.float64)
        result: NDArray[np.float64] = table[self.index(column)]
        return result


def _fmt(x: float) -> str:
    return f"{x:g}"


def _nice(x: float, digits: int = 3) -> float:
    """``x`` rounded to ``digits`` significant digits (published cut points stay readable)."""
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - math.floor(math.log10(abs(x))))


def _counts(groups: NDArray[np.int64], y: NDArray[np.int8], k: int) -> tuple[list[int], list[int]]:
    bad = np.bincount(groups, weights=y, minlength=k).astype(np.int64)
    total = np.bincount(groups, minlength=k).astype(np.int64)
    return (total - bad).tolist(), bad.tolist()


def _pool_adjacent_violators(
    goods: Sequence[int], bads: Sequence[int], direction: Direction
) -> list[list[int]]:
    """Group consecutive pre-bins so that the bad rate is strictly monotone in
    ``direction`` (the pooled-adjacent-violators algorithm; ties are pooled)."""
    sign = 1.0 if direction == "ascending" else -1.0
    blocks: list[list[int]] = []  # [first, last, goods, bads]
    for i, (g, b) in enumerate(zip(goods, bads, strict=True)):
        blocks.append([i, i, g, b])
        while len(blocks) > 1:
            g1, b1 = blocks[-2][2], blocks[-2][3]
            g2, b2 = blocks[-1][2], blocks[-1][3]
            # rate1 >= rate2 (ascending) without division: b1 * n2 >= b2 * n1
            if sign * (b1 * (g2 + b2) - b2 * (g1 + b1)) >= 0:
                last = blocks.pop()
                blocks[-1][1] = last[1]
                blocks[-1][2] += last[2]
                blocks[-1][3] += last[3]
            else:
                break
    return [list(range(first, last + 1)) for first, last, _, _ in blocks]


def _enforce_min_size(
    groups: list[list[int]], goods: Sequence[int], bads: Sequence[int], min_count: int
) -> list[list[int]]:
    """Merge the smallest group into the adjacent one with the closer bad rate until every
    group holds ``min_count`` rows (adjacent merges keep a monotone order monotone)."""
    groups = [list(g) for g in groups]

    def size(g: list[int]) -> int:
        return sum(goods[i] + bads[i] for i in g)

    def rate(g: list[int]) -> float:
        n = size(g)
        return sum(bads[i] for i in g) / n if n else 0.0

    while len(groups) > 1:
        sizes = [size(g) for g in groups]
        smallest = int(np.argmin(sizes))
        if sizes[smallest] >= min_count:
            break
        if smallest == 0:
            other = 1
        elif smallest == len(groups) - 1:
            other = smallest - 1
        else:
            r = rate(groups[smallest])
            left, right = smallest - 1, smallest + 1
            other = left if abs(rate(groups[left]) - r) <= abs(rate(groups[right]) - r) else right
        a, b = sorted((smallest, other))
        groups[a] = groups[a] + groups[b]
        del groups[b]
    return groups


def _direction_of(values: NDArray[np.float64], y: NDArray[np.int8]) -> Direction:
    """Ascending when the bad rate tends to rise with the value (rank correlation sign)."""
    if values.size < 2 or np.all(values == values[0]):
        return "ascending"
    ranks = np.unique(values, return_inverse=True)[1].astype(np.float64)
    yc = y - y.mean()
    return "descending" if float(np.dot(ranks - ranks.mean(), yc)) < 0 else "ascending"


def _woe_and_iv(bins: list[Bin], total_good: int, total_bad: int) -> float:
    k = len(bins)
    g_den = total_good + WOE_SMOOTHING * k
    b_den = total_bad + WOE_SMOOTHING * k
    iv = 0.0
    for b in bins:
        pg = (b.n_good + WOE_SMOOTHING) / g_den
        pb = (b.n_bad + WOE_SMOOTHING) / b_den
        b.woe = math.log(pg / pb)
        iv += (pg - pb) * b.woe
    return iv


def bin_numeric(
    name: str,
    x: NDArray[np.float64],
    y: NDArray[np.int8],
    *,
    direction: Direction | None = None,
    max_prebins: int = MAX_PREBINS,
    min_bin_share: float = MIN_BIN_SHARE,
) -> Binning:
    """Monotone WoE bins of a numeric characteristic (training rows only)."""
    missing = np.isnan(x)
    v, yv = x[~missing], y[~missing]
    min_count = math.ceil(min_bin_share * y.size)
    bins: list[Bin] = []
    if missing.any():
        n_bad = int(y[missing].sum())
        bins.append(Bin("missing", int(missing.sum()) - n_bad, n_bad, missing=True))
    chosen = direction
    if v.size:
        # As many equal-count pre-bins as can each hold the minimum bin size (at most
        # max_prebins), so that the size rule does not undo the quantile resolution.
        k = max(2, min(max_prebins, v.size // max(1, min_count)))
        qs = np.quantile(v, np.arange(1, k) / k, method="inverted_cdf")
        cuts = np.unique([_nice(float(q)) for q in qs])
        cuts = cuts[(cuts > v.min()) & (cuts <= v.max())]
        pre = np.searchsorted(cuts, v, side="right")
        goods, bads = _counts(pre, yv, cuts.size + 1)
        chosen = direction or _direction_of(v, yv)
        groups = _pool_adjacent_violators(goods, bads, chosen)
        groups = _enforce_min_size(groups, goods, bads, min_count)
        edges = [None, *[float(cuts[g[0] - 1]) for g in groups[1:]], None]
        for g, lo, hi in zip(groups, edges[:-1], edges[1:], strict=True):
            label = f"[{_fmt(lo)}, " if lo is not None else "(-inf, "
            label += f"{_fmt(hi)})" if hi is not None else "inf)"
            bins.append(
                Bin(
                    label,
                    sum(goods[i] for i in g),
                    sum(bads[i] for i in g),
                    lower=lo,
                    upper=hi,
                )
            )
    else:
        bins.append(Bin("(-inf, inf)", 0, 0))
    binning = Binning(name, "numeric", bins, direction=chosen)
    binning.information_value = _woe_and_iv(bins, int((y == 0).sum()), int(y.sum()))
    return binning


def bin_categorical(
    name: str,
    x: NDArray[Any],
    y: NDArray[np.int8],
    *,
    min_bin_share: float = MIN_BIN_SHARE,
) -> Binning:
    """Categorical values ordered by bad rate and grouped (adjacent in that order, similar
    bad rates together) until every group holds ``min_bin_share`` of the training rows."""
    missing = np.array([v is None for v in x], dtype=bool)
    min_count = math.ceil(min_bin_share * y.size)
    bins: list[Bin] = []
    if missing.any():
        n_bad = int(y[missing].sum())
        bins.append(Bin("missing", int(missing.sum()) - n_bad, n_bad, missing=True))
    present = x[~missing].astype(str)
    if present.size:
        cats, inverse = np.unique(present, return_inverse=True)
        goods, bads = _counts(inverse.astype(np.int64), y[~missing], cats.size)
        order = sorted(
            range(cats.size),
            key=lambda i: ((bads[i] + WOE_SMOOTHING) / (goods[i] + bads[i] + 1), str(cats[i])),
        )
        g_sorted = [goods[i] for i in order]
        b_sorted = [bads[i] for i in order]
        groups = _enforce_min_size([[i] for i in range(len(order))], g_sorted, b_sorted, min_count)
        for g in groups:
            values = tuple(sorted(str(cats[order[i]]) for i in g))
            bins.append(
                Bin(
                    ", ".join(values),
                    sum(g_sorted[i] for i in g),
                    sum(b_sorted[i] for i in g),
                    values=values,
                )
            )
    binning = Binning(name, "categorical", bins)
    binning.information_value = _woe_and_iv(bins, int((y == 0).sum()), int(y.sum()))
    return binning


def fit_binning(
    column: Column,
    y: NDArray[np.int8],
    *,
    direction: Direction | None = None,
    max_prebins: int = MAX_PREBINS,
    min_bin_share: float = MIN_BIN_SHARE,
) -> Binning:
    if column.kind == "numeric":
        return bin_numeric(
            column.name,
            column.values,
            y,
            direction=direction,
            max_prebins=max_prebins,
            min_bin_share=min_bin_share,
        )
    return bin_categorical(column.name, column.values, y, min_bin_share=min_bin_share)
