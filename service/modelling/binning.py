"""Weight-of-evidence binning of one characteristic, on the training rows only.

A numeric characteristic is binned in four steps:

1. **Candidate cut points**: every distinct value when there are at most ``MAX_CANDIDATES``,
   else the values at ``MAX_CANDIDATES`` equal-count quantiles. A cut ``c`` sends values
   below ``c`` to one bin and the rest to the next.
2. **The best bins, by exact search** (``best_partition``): among all ways of choosing cut
   points from the candidates such that every bin holds at least ``MIN_BIN_SHARE`` of the
   training rows and the bad rate follows the trend, the one with the largest information
   value. Information value adds up over bins, so dynamic programming finds the optimum
   exactly: the best partition ending with bin ``[i, j)`` is that bin's IV plus the best
   partition ending just before ``i`` whose last bad rate keeps the trend.
3. **The trend** (``choose_trend``): given by policy (``RISK_DIRECTION`` in fit.py), or else the
   better of ascending and descending bad rate, or one peak or valley when its IV beats the
   best monotone one by ``PEAK_MIN_GAIN`` (relative) and ``PEAK_MIN_IV_GAIN`` (absolute).
4. **Readable cut points** (``readable``): each cut moved to the number with the fewest
   significant digits (multiples of 5, 2.5, 2 or 1 times a power of ten) within half a
   candidate step of it, as long as the bins keep the trend and their minimum size. fit.py
   publishes these when they cost at most ``MAX_ROUNDING_AUC_COST`` of held-out AUC.

Missing values get a bin of their own. Categorical values are ordered by bad rate, categories
under ``RARE_CATEGORY_SHARE`` of the rows pooled into one unit first (their own bad rate is
noise), and the same exact search groups neighbours in that order.

WoE here is ``ln(share of goods / share of bads)`` with ``WOE_SMOOTHING`` added to every
count (so an all-good bin has a finite WoE): positive means safer than average. The
information value of a characteristic is the sum over its bins of
``(share of goods - share of bads) * WoE``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from service.modelling.dataset import Column, Kind
from service.modelling.defaults import (
    MAX_CANDIDATES,
    MIN_BIN_SHARE,
    PEAK_MIN_GAIN,
    PEAK_MIN_IV_GAIN,
    RARE_CATEGORY_SHARE,
)

#: The bad rate as the value grows: only up, only down, up then down, down then up.
Trend = Literal["ascending", "descending", "peak", "valley"]
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
    direction: Trend | None = None
    information_value: float = 0.0
    #: The candidate cut points a numeric binning chose from (``readable`` moves within them).
    candidates: tuple[float, ...] = ()

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

    @property
    def cuts(self) -> list[float]:
        """The cut points of a numeric binning, in order."""
        return [b.lower for b in self.bins if not b.missing and b.lower is not None]


def _fmt(x: float) -> str:
    return f"{x:g}"


# --- the exact search ------------------------------------------------------------------------


def _iv_terms(
    goods: NDArray[np.float64], bads: NDArray[np.float64], total_good: float, total_bad: float
) -> NDArray[np.float64]:
    """The IV of a bin with ``goods`` and ``bads`` (unsmoothed; an empty side adds 0)."""
    pg = goods / max(total_good, 1.0)
    pb = bads / max(total_bad, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = (pg - pb) * np.log(pg / pb)
    result: NDArray[np.float64] = np.where(np.isfinite(term), term, 0.0)
    return result


def best_partition(
    goods: NDArray[np.int64], bads: NDArray[np.int64], min_count: int, trend: Trend
) -> tuple[list[int], float]:
    """The cut positions (indices into the units, 1..m-1) that split ``m`` ordered units into
    bins of at least ``min_count`` rows whose bad rate follows ``trend``, with the largest
    information value; and that IV. Exact, by dynamic programming over (first unit, end unit)
    of the last bin (see the module docstring)."""
    m = goods.size
    cg = np.concatenate([[0], np.cumsum(goods)]).astype(np.float64)
    cb = np.concatenate([[0], np.cumsum(bads)]).astype(np.float64)
    g = cg[None, :] - cg[:, None]  # g[i, j]: goods in units i..j-1
    b = cb[None, :] - cb[:, None]
    n = g + b
    valid = (n >= min_count) & np.triu(np.ones((m + 1, m + 1), dtype=bool), 1)
    iv = np.where(valid, _iv_terms(g, b, cg[-1], cb[-1]), -np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, b / n, 0.0)
    sign = 1.0 if trend in ("ascending", "peak") else -1.0
    rate = sign * rate  # now the bad rate must rise (then, for peak/valley, fall)
    phases = 2 if trend in ("peak", "valley") else 1
    # best[p, i, j]: the largest IV of a partition of units 0..j-1 whose last bin is units
    # i..j-1, the bad rate rising all the way (p = 0) or having turned once (p = 1, peak and
    # valley only). came_from[p, i, j]: where the bin before it starts, and its phase.
    best = np.full((phases, m + 1, m + 1), -np.inf)
    came_from = np.zeros((phases, m + 1, m + 1, 2), dtype=np.int64)
    best[0, 0] = iv[0]  # a first bin has nothing before it
    rows = np.arange(m + 1)
    for i in range(1, m):
        h = np.arange(i)  # the bin before this one: units h..i-1
        ends = np.arange(i + 1, m + 1)  # this bin: units i..end-1
        r_before, r_this = rate[h, i][None, :], rate[i, ends][:, None]
        rising = np.where(r_before < r_this, best[0, h, i][None, :], -np.inf)
        k = rising.argmax(axis=1)
        best[0, i, ends] = iv[i, ends] + rising[rows[: ends.size], k]
        came_from[0, i, ends] = np.column_stack([k, np.zeros_like(k)])
        if phases == 2:
            turned = best[1, h, i] > best[0, h, i]
            either = np.where(turned, best[1, h, i], best[0, h, i])
            falling = np.where(r_before > r_this, either[None, :], -np.inf)
            k = falling.argmax(axis=1)
            best[1, i, ends] = iv[i, ends] + falling[rows[: ends.size], k]
            came_from[1, i, ends] = np.column_stack([k, turned[k].astype(np.int64)])
    # The best last bin, in either phase (a peak or valley that never turns is rising).
    phase = 1 if phases == 2 and best[1, :, m].max() > best[0, :, m].max() else 0
    start = int(best[phase, :, m].argmax())
    total = float(best[phase, start, m])
    if not math.isfinite(total):
        return [], 0.0
    cuts: list[int] = []
    end = m
    while start > 0:  # walk back bin by bin
        cuts.append(start)
        before, phase_before = came_from[phase, start, end]
        end, start, phase = start, int(before), int(phase_before)
    return sorted(cuts), total


# --- numeric characteristics ----------------------------------------------------------------


def _candidates(v: NDArray[np.float64], max_candidates: int) -> NDArray[np.float64]:
    """Candidate cut points: the distinct values but the smallest, or (when there are more
    than ``max_candidates``) the values at equal-count quantiles."""
    distinct = np.unique(v)
    if distinct.size <= max_candidates + 1:
        return distinct[1:]
    qs = np.quantile(v, np.arange(1, max_candidates) / max_candidates, method="inverted_cdf")
    cuts: NDArray[np.float64] = np.unique(qs)
    result: NDArray[np.float64] = cuts[cuts > distinct[0]]
    return result


def _unit_counts(
    v: NDArray[np.float64], y: NDArray[np.int8], cuts: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    units = np.searchsorted(cuts, v, side="right")
    total = np.bincount(units, minlength=cuts.size + 1).astype(np.int64)
    bads = np.bincount(units, weights=y, minlength=cuts.size + 1).astype(np.int64)
    return total - bads, bads


def choose_trend(
    goods: NDArray[np.int64], bads: NDArray[np.int64], min_count: int
) -> tuple[Trend, list[int], float]:
    """The trend of the bad rate with the largest IV (see the module docstring); a peak or
    valley only when it is clearly better than either monotone trend."""
    results = {t: best_partition(goods, bads, min_count, t) for t in ("ascending", "descending")}
    monotone: Trend = max(results, key=lambda t: results[t][1])  # type: ignore[arg-type]
    best_iv = results[monotone][1]
    chosen: Trend = monotone
    for shape in ("peak", "valley"):
        cuts, iv = best_partition(goods, bads, min_count, shape)
        gain = iv - best_iv
        if gain > PEAK_MIN_IV_GAIN and gain > PEAK_MIN_GAIN * best_iv:
            chosen, best_iv, results[shape] = shape, iv, (cuts, iv)
    return chosen, results[chosen][0], results[chosen][1]


class _Sorted:
    """Values sorted once with the running count of bads, so that the counts of any set of
    bins take a binary search per cut instead of a pass over the rows."""

    def __init__(self, v: NDArray[np.float64], y: NDArray[np.int8]) -> None:
        order = np.argsort(v, kind="stable")
        self.values = v[order]
        self.bads_before = np.concatenate([[0], np.cumsum(y[order])]).astype(np.int64)

    def counts(self, cuts: list[float]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        inner = np.searchsorted(self.values, np.array(cuts, dtype=np.float64), side="left")
        ends = np.concatenate([[0], inner, [self.values.size]]).astype(np.int64)
        total = np.diff(ends)
        bads = np.diff(self.bads_before[ends])
        return total - bads, bads


def _ranged_bins(sorted_rows: _Sorted, cuts: list[float]) -> list[Bin]:
    goods, bads = sorted_rows.counts(cuts)
    edges: list[float | None] = [None, *cuts, None]
    bins = []
    for k, (lo, hi) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        label = f"[{_fmt(lo)}, " if lo is not None else "(-inf, "
        label += f"{_fmt(hi)})" if hi is not None else "inf)"
        bins.append(Bin(label, int(goods[k]), int(bads[k]), lower=lo, upper=hi))
    return bins


def _follows(rates: list[float], trend: Trend | None) -> bool:
    """Whether bad rates follow ``trend`` strictly (one turn at most for peak/valley)."""
    if trend is None or len(rates) < 2:
        return True
    steps = [b - a for a, b in zip(rates, rates[1:], strict=False)]
    if trend == "ascending":
        return all(s > 0 for s in steps)
    if trend == "descending":
        return all(s < 0 for s in steps)
    signs = [1 if s > 0 else -1 if s < 0 else 0 for s in steps]
    if 0 in signs:
        return False
    first = 1 if trend == "peak" else -1
    turned = False
    for s in signs:
        if s != first:
            turned = True
        elif turned:
            return False
    return True


def bin_numeric(
    name: str,
    x: NDArray[np.float64],
    y: NDArray[np.int8],
    *,
    direction: Direction | None = None,
    max_candidates: int = MAX_CANDIDATES,
    min_bin_share: float = MIN_BIN_SHARE,
) -> Binning:
    """The WoE bins of a numeric characteristic with the largest IV under the trend and the
    minimum bin share (training rows only; see the module docstring)."""
    missing = np.isnan(x)
    v, yv = x[~missing], y[~missing]
    min_count = max(1, math.ceil(min_bin_share * y.size))
    bins: list[Bin] = []
    if missing.any():
        n_bad = int(y[missing].sum())
        bins.append(Bin("missing", int(missing.sum()) - n_bad, n_bad, missing=True))
    trend: Trend | None = direction
    candidates = np.array([], dtype=np.float64)
    if v.size:
        candidates = _candidates(v, max_candidates)
        goods, bads = _unit_counts(v, yv, candidates)
        if direction is None:
            trend, positions, _ = choose_trend(goods, bads, min_count)
        else:
            positions, _ = best_partition(goods, bads, min_count, direction)
        cuts = [float(candidates[p - 1]) for p in positions]
        bins += _ranged_bins(_Sorted(v, yv), cuts)
    else:
        bins.append(Bin("(-inf, inf)", 0, 0))
    binning = Binning(name, "numeric", bins, direction=trend, candidates=tuple(candidates))
    binning.information_value = woe_and_iv(bins, int((y == 0).sum()), int(y.sum()))
    return binning


# --- readable cut points ---------------------------------------------------------------------

#: The round steps a person writes, as multiples of a power of ten.
ROUND_STEPS = (5.0, 2.5, 2.0, 1.0)


def significant_digits(x: float) -> int:
    """How many significant digits ``x`` needs: 2500 -> 2, 4.4 -> 2, 47.25 -> 4."""
    digits = f"{abs(x):.10f}".rstrip("0").replace(".", "").lstrip("0")
    return max(1, len(digits.rstrip("0")) if float(x).is_integer() else len(digits))


def readable_numbers(lower: float, upper: float, near: float, *, whole: bool) -> list[float]:
    """Numbers in ``(lower, upper]`` that are multiples of a step of ``ROUND_STEPS`` times a
    power of ten (whole numbers only when ``whole``), the most readable first: fewest
    significant digits, then ending in 5 or 0, then nearest to ``near``."""
    span = max(abs(lower), abs(upper), 1e-12)
    top = math.floor(math.log10(span))
    found: set[float] = set()
    for exponent in range(top, top - 6, -1):
        for step in ROUND_STEPS:
            unit = step * 10.0**exponent
            first, last = math.floor(lower / unit) + 1, math.floor(upper / unit)
            for k in range(first, min(last, first + 20) + 1):
                c = round(k * unit, 10)
                if lower < c <= upper and (not whole or c.is_integer()):
                    found.add(c)

    def key(c: float) -> tuple[int, int, float]:
        last_digit = f"{c:.10f}".rstrip("0").rstrip(".")[-1]
        return (significant_digits(c), 0 if last_digit in "05" else 1, abs(c - near))

    return sorted(found, key=key)


def readable(binning: Binning, x: NDArray[np.float64], y: NDArray[np.int8]) -> Binning:
    """``binning`` with each cut point moved to the roundest number within half a candidate
    step of it that keeps the bins' trend and minimum size (see the module docstring); the
    same binning when nothing can move."""
    if binning.kind != "numeric" or not binning.cuts:
        return binning
    candidates = np.array(binning.candidates, dtype=np.float64)
    missing = np.isnan(x)
    v, yv = x[~missing], y[~missing]
    min_count = min(b.n for b in binning.bins if not b.missing)
    cuts = list(binning.cuts)
    whole = bool(np.all(v == np.round(v)))
    rows = _Sorted(v, yv)
    for k, cut in enumerate(cuts):
        pos = int(np.searchsorted(candidates, cut))
        below = float(candidates[pos - 1]) if pos > 0 else float(v.min())
        above = float(candidates[pos + 1]) if pos + 1 < candidates.size else float(v.max())
        lower = max(cut - (cut - below) / 2, cuts[k - 1] if k else -math.inf)
        upper = min(cut + (above - cut) / 2, cuts[k + 1] if k + 1 < len(cuts) else math.inf)
        for option in readable_numbers(lower, upper, cut, whole=whole):
            if significant_digits(option) >= significant_digits(cut):
                break  # no more readable than the cut itself
            trial = [*cuts[:k], option, *cuts[k + 1 :]]
            bins = _ranged_bins(rows, trial)
            if min(b.n for b in bins) >= min_count and _follows(
                [b.bad_rate for b in bins], binning.direction
            ):
                cuts[k] = option
                break
    if cuts == binning.cuts:
        return binning
    bins = [b for b in binning.bins if b.missing]
    bins = [replace(b) for b in bins] + _ranged_bins(rows, cuts)
    out = replace(binning, bins=bins)
    out.information_value = woe_and_iv(bins, int((y == 0).sum()), int(y.sum()))
    return out


# --- categorical characteristics -----------------------------------------------------------


def bin_categorical(
    name: str,
    x: NDArray[Any],
    y: NDArray[np.int8],
    *,
    min_bin_share: float = MIN_BIN_SHARE,
    rare_share: float = RARE_CATEGORY_SHARE,
) -> Binning:
    """Categories ordered by bad rate (the rare ones pooled first), grouped by the exact
    search into neighbours of at least ``min_bin_share`` of the rows with rising bad rates."""
    missing = np.array([v is None for v in x], dtype=bool)
    min_count = max(1, math.ceil(min_bin_share * y.size))
    bins: list[Bin] = []
    if missing.any():
        n_bad = int(y[missing].sum())
        bins.append(Bin("missing", int(missing.sum()) - n_bad, n_bad, missing=True))
    present = x[~missing].astype(str)
    if present.size:
        cats, inverse = np.unique(present, return_inverse=True)
        total = np.bincount(inverse, minlength=cats.size)
        bad = np.bincount(inverse, weights=y[~missing], minlength=cats.size).astype(np.int64)
        rare = [i for i in range(cats.size) if total[i] < rare_share * y.size]
        units: list[list[int]] = [[i] for i in range(cats.size) if i not in rare]
        if rare:
            units.append(rare)
        u_bad = np.array([sum(int(bad[i]) for i in u) for u in units], dtype=np.int64)
        u_n = np.array([sum(int(total[i]) for i in u) for u in units], dtype=np.int64)
        order = sorted(
            range(len(units)),
            key=lambda k: (
                (u_bad[k] + WOE_SMOOTHING) / (u_n[k] + 1),
                min(str(cats[i]) for i in units[k]),
            ),
        )
        g_sorted, b_sorted = (u_n - u_bad)[order], u_bad[order]
        positions, _ = best_partition(g_sorted, b_sorted, min_count, "ascending")
        edges = [0, *positions, len(order)]
        for lo, hi in zip(edges[:-1], edges[1:], strict=True):
            members = [i for k in order[lo:hi] for i in units[k]]
            values = tuple(sorted(str(cats[i]) for i in members))
            n_bad = int(sum(int(bad[i]) for i in members))
            n = int(sum(int(total[i]) for i in members))
            bins.append(Bin(", ".join(values), n - n_bad, n_bad, values=values))
    binning = Binning(name, "categorical", bins, direction="ascending")
    binning.information_value = woe_and_iv(bins, int((y == 0).sum()), int(y.sum()))
    return binning


def woe_and_iv(bins: list[Bin], total_good: int, total_bad: int) -> float:
    """Set every bin's WoE (smoothed, see the module docstring) and return the IV."""
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


def fit_binning(
    column: Column,
    y: NDArray[np.int8],
    *,
    direction: Direction | None = None,
    max_candidates: int = MAX_CANDIDATES,
    min_bin_share: float = MIN_BIN_SHARE,
) -> Binning:
    if column.kind == "numeric":
        return bin_numeric(
            column.name,
            column.values,
            y,
            direction=direction,
            max_candidates=max_candidates,
            min_bin_share=min_bin_share,
        )
    return bin_categorical(column.name, column.values, y, min_bin_share=min_bin_share)
