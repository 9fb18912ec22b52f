"""Fit a points scorecard from a CSV of characteristics (issue 3, item 3: "the points are
earned, not invented").

The pipeline, in order, each step on the training rows only:

1. read the CSV: every column but the target is a characteristic; a column whose non-missing
   cells all parse as numbers is numeric, any other is categorical; empty, ``NA``, ``NaN``,
   ``null`` and ``N/A`` cells are missing. The target is 0/1 (1 = bad), or two labels with
   the bad one named;
2. a stratified, seeded held-out split (``TEST_SHARE`` of each class is held out);
3. weight-of-evidence binning: numeric characteristics get quantile pre-bins
   (``MAX_PREBINS``), merged by pooling adjacent violators until the bad rate is monotone
   (the direction from the sign of the correlation with the target, or fixed by policy for
   the Clearfile characteristics in ``RISK_DIRECTION``), then merged until every bin holds at
   least ``MIN_BIN_SHARE`` of the training rows; missing values get a bin of their own.
   Categorical values are ordered by bad rate and grouped the same way;
4. information value per characteristic; those below ``MIN_INFORMATION_VALUE`` are left out;
5. logistic regression of the bad flag on the WoE-transformed columns (Newton-Raphson /
   IRLS in numpy); a characteristic whose coefficient has the wrong sign (risk falling where
   its WoE says it rises, a symptom of collinearity) is left out and the model refitted;
6. PDO scaling to integer points (the agreed format, see docs/model-card.md):
   ``points = round(-(woe * beta + intercept / n) * factor + offset / n)`` with
   ``factor = pdo / ln 2`` and ``offset = base_score - factor * ln(base_odds)``;
7. validation on the held-out rows, scored with the integer points: AUC, KS, Gini, Brier,
   bad rate by score band, calibration by decile and the score distribution (PNG, only when
   matplotlib, the optional ``fit`` extra, is installed).

WoE here is ``ln(share of goods / share of bads)`` with 0.5 added to every count (so an
all-good bin has a finite WoE): positive means safer than average. The fit needs numpy only;
the same data, options and seed give the same model, byte for byte.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

Kind = Literal["numeric", "categorical"]
Direction = Literal["ascending", "descending"]

#: Share of each class held out for validation.
TEST_SHARE = 0.3
#: Quantile pre-bins of a numeric characteristic before merging.
MAX_PREBINS = 20
#: The smallest bin, as a share of the training rows (the missing bin is exempt).
MIN_BIN_SHARE = 0.05
#: Siddiqi (2006), *Credit Risk Scorecards*: IV below 0.02 is "not predictive".
MIN_INFORMATION_VALUE = 0.02
#: Added to every good and bad count of a bin before its WoE is taken.
WOE_SMOOTHING = 0.5
#: Scaling: 700 points at odds of 30 goods to 1 bad, 65 points to double the odds. Chosen so
#: that the log-odds a file can reach here spread over most of the published 300-850 range
#: (with 600 at 30:1 and 40 points, every file landed between 369 and 670).
BASE_SCORE, BASE_ODDS, PDO = 700.0, 30.0, 65.0
SCORE_MIN, SCORE_MAX = 300, 850
#: Width of the score bands of the validation report.
SCORE_BAND_WIDTH = 50
CALIBRATION_GROUPS = 10
#: Cells read as missing (case-insensitive). Not "none": that is a category (credit_mix).
MISSING_TOKENS = frozenset({"", "na", "nan", "null", "n/a"})

#: Policy for the Clearfile characteristics: which way risk may move as the value grows.
#: Points can then never reward a late payment, a higher utilisation or a new inquiry, which
#: the explanation and recourse depend on; if the data disagrees, the binning flattens the
#: characteristic and it is left out. Other columns take the direction of their correlation.
RISK_DIRECTION: dict[str, Direction] = {
    "worst_delinquency_24m": "ascending",
    "lates_30plus_24m": "ascending",
    "months_since_recent_delinquency": "descending",
    "derogatory_count": "ascending",
    "revolving_utilisation_pct": "ascending",
    "accounts_with_balance": "ascending",
    "oldest_account_months": "descending",
    "average_account_age_months": "descending",
    "hard_inquiries_12m": "ascending",
    "accounts_opened_12m": "ascending",
}

#: The reason code and statement of each Clearfile characteristic (Reg B: the principal
#: reasons are stated specifically). Titles, definitions and windows come from
#: service/scoring/engine/characteristics.py.
REASONS: dict[str, tuple[str, str]] = {
    "worst_delinquency_24m": (
        "P01",
        "Serious delinquency, collection or charge-off on an account in the last 24 months",
    ),
    "lates_30plus_24m": ("P02", "Number of payments 30 or more days late in the last 24 months"),
    "months_since_recent_delinquency": (
        "P03",
        "Too little time since the most recent late payment, collection or charge-off",
    ),
    "derogatory_count": ("P04", "Collections, charge-offs or bankruptcies on the file"),
    "revolving_utilisation_pct": (
        "U01",
        "Balances on revolving accounts are high relative to their limits",
    ),
    "accounts_with_balance": ("U02", "Number of accounts carrying a balance"),
    "oldest_account_months": ("H01", "Length of credit history: the oldest account is recent"),
    "average_account_age_months": ("H02", "Average age of the accounts is low"),
    "hard_inquiries_12m": (
        "C01",
        "Number of credit applications (hard inquiries) in the last 12 months",
    ),
    "accounts_opened_12m": ("C02", "Number of accounts opened in the last 12 months"),
    "credit_mix": ("M01", "No mix of open revolving and installment accounts"),
}


class FitError(ValueError):
    """The data cannot be fitted as asked (the message says why)."""


# --- data ----------------------------------------------------------------------------------


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

    @property
    def rows(self) -> int:
        return int(self.y.size)


def _is_missing(cell: str) -> bool:
    return cell.strip().lower() in MISSING_TOKENS


def _as_float(cell: str) -> float | None:
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _binary_label(label: str) -> int | None:
    value = _as_float(label)
    if value is not None and value in (0.0, 1.0):
        return int(value)
    return None


def read_csv(
    path: Path,
    *,
    target: str,
    bad: str | None = None,
    ignore: Sequence[str] = (),
) -> Dataset:
    """Read a CSV of characteristics and a target column (see the module docstring)."""
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig")
    reader = csv.reader(text.splitlines())
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise FitError(f"{path}: the file is empty") from None
    if target not in header:
        raise FitError(f"{path}: there is no column {target!r} (columns: {', '.join(header)})")
    if len(set(header)) != len(header):
        raise FitError(f"{path}: column names must be unique")
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
        if j == t or name in ignore:
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
    )


def _target(
    labels: Sequence[str], *, bad: str | None, path: Path
) -> tuple[NDArray[np.int8], str, str]:
    for i, label in enumerate(labels):
        if _is_missing(label):
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
    parsed: list[float] = []
    numeric = True
    for cell in cells:
        if _is_missing(cell):
            parsed.append(math.nan)
            continue
        value = _as_float(cell)
        if value is None:
            numeric = False
            break
        parsed.append(value)
    if numeric:
        return Column(name, "numeric", np.array(parsed, dtype=np.float64))
    values = np.array([None if _is_missing(c) else c for c in cells], dtype=object)
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
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or "p_bad" not in reader.fieldnames:
            raise FitError(f"{path}: a truth file needs a column 'p_bad'")
        values = np.array([float(r["p_bad"]) for r in reader], dtype=np.float64)
    if values.size != rows:
        raise FitError(f"{path}: {values.size} rows of truth for {rows} rows of data")
    return values


# --- split ---------------------------------------------------------------------------------


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


# --- binning -------------------------------------------------------------------------------


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


# --- logistic regression -------------------------------------------------------------------


@dataclass(frozen=True)
class Logistic:
    intercept: float
    coef: NDArray[np.float64]
    stderr: NDArray[np.float64]  # intercept first
    iterations: int


def fit_logistic(
    x: NDArray[np.float64], y: NDArray[np.int8], *, tol: float = 1e-10, max_iter: int = 100
) -> Logistic:
    """Maximum-likelihood logistic regression of ``y`` (1 bad) on ``x`` by Newton-Raphson
    (iteratively reweighted least squares)."""
    design = np.column_stack([np.ones(y.size), x])
    beta = np.zeros(design.shape[1])
    prior = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
    beta[0] = math.log(prior / (1 - prior))
    ridge = 1e-9 * np.eye(design.shape[1])
    hessian = ridge
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        w = p * (1 - p)
        hessian = (design * w[:, None]).T @ design + ridge
        step = np.linalg.solve(hessian, design.T @ (y - p))
        beta = beta + step
        if float(np.max(np.abs(step))) < tol:
            break
    stderr = np.sqrt(np.diag(np.linalg.inv(hessian)))
    return Logistic(float(beta[0]), beta[1:].copy(), stderr, iterations)


# --- metrics -------------------------------------------------------------------------------


def auc(score: NDArray[np.float64], y: NDArray[np.int8]) -> float:
    """Area under the ROC curve of ``score`` ranking bads (y = 1) above goods; ties count
    half (Mann-Whitney)."""
    n_bad = int(y.sum())
    n_good = y.size - n_bad
    if n_bad == 0 or n_good == 0:
        return math.nan
    _, inverse, counts = np.unique(score, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    avg_rank = ends - (counts - 1) / 2.0  # 1-based average rank of each distinct value
    rank_sum = float(avg_rank[inverse][y == 1].sum())
    return (rank_sum - n_bad * (n_bad + 1) / 2) / (n_bad * n_good)


def ks(score: NDArray[np.float64], y: NDArray[np.int8]) -> float:
    """Kolmogorov-Smirnov: the largest gap between the score distributions of bads and
    goods."""
    values = np.unique(score)
    bad_cdf = np.searchsorted(np.sort(score[y == 1]), values, side="right") / max(1, y.sum())
    good_cdf = np.searchsorted(np.sort(score[y == 0]), values, side="right") / max(
        1, (y == 0).sum()
    )
    return float(np.max(np.abs(bad_cdf - good_cdf)))


# --- the fit -------------------------------------------------------------------------------


@dataclass
class FitOptions:
    seed: int = 7
    test_share: float = TEST_SHARE
    max_prebins: int = MAX_PREBINS
    min_bin_share: float = MIN_BIN_SHARE
    min_information_value: float = MIN_INFORMATION_VALUE
    base_score: float = BASE_SCORE
    base_odds: float = BASE_ODDS
    pdo: float = PDO
    score_min: int = SCORE_MIN
    score_max: int = SCORE_MAX
    version: str = "model"
    name: str = "Clearfile generic risk score"
    description: str = ""
    target_description: str = ""
    directions: Mapping[str, Direction] = field(default_factory=lambda: dict(RISK_DIRECTION))


@dataclass
class FitResult:
    model: dict[str, Any]
    report: dict[str, Any]
    scores_test: NDArray[np.float64]
    y_test: NDArray[np.int8]


def _definitions() -> dict[str, Any]:
    """Titles, definitions and windows of the Clearfile characteristics, if available."""
    try:
        from service.scoring.engine.characteristics import BY_NAME
    except ImportError:  # pragma: no cover - the scoring engine ships with this module
        return {}
    return dict(BY_NAME)


def _documentation(name: str, position: int, known: Mapping[str, Any]) -> dict[str, str]:
    definition = known.get(name)
    code, text = REASONS.get(
        name, (f"X{position:02d}", f"The value of {name} is associated with higher risk")
    )
    if definition is None:
        return {
            "title": name.replace("_", " ").capitalize(),
            "definition": f"Column {name!r} of the data the model was fitted on",
            "window": "as in the data",
            "reason_code": code,
            "reason_text": text,
        }
    return {
        "title": definition.title,
        "definition": definition.definition,
        "window": definition.window,
        "reason_code": code,
        "reason_text": text,
    }


def _r(x: float, digits: int = 4) -> float:
    return round(float(x), digits)


def fit(
    data: Dataset, options: FitOptions, *, truth: NDArray[np.float64] | None = None
) -> FitResult:
    """Fit, scale and validate a scorecard (see the module docstring)."""
    if options.pdo <= 0 or options.base_odds <= 0:
        raise FitError("the points to double the odds and the base odds must be positive")
    if not options.score_min < options.score_max:
        raise FitError("the score range must run from a lower to a higher score")
    train, test = stratified_split(data.y, test_share=options.test_share, seed=options.seed)
    y_train, y_test = data.y[train], data.y[test]

    binnings: dict[str, Binning] = {}
    for column in data.columns:
        train_column = Column(column.name, column.kind, column.values[train])
        binnings[column.name] = fit_binning(
            train_column,
            y_train,
            direction=options.directions.get(column.name),
            max_prebins=options.max_prebins,
            min_bin_share=options.min_bin_share,
        )
    iv = {name: b.information_value for name, b in binnings.items()}
    dropped: dict[str, str] = {}
    kept = []
    for column in data.columns:
        value = iv[column.name]
        if len(binnings[column.name].bins) < 2:
            dropped[column.name] = "a single bin: no information"
        elif value < options.min_information_value:
            dropped[column.name] = (
                f"information value {value:.4f} below {options.min_information_value}"
            )
        else:
            kept.append(column)

    woe_train = {
        c.name: binnings[c.name].woe(Column(c.name, c.kind, c.values[train])) for c in kept
    }
    while True:
        if not kept:
            raise FitError("no characteristic is predictive enough to build a scorecard")
        x = np.column_stack([woe_train[c.name] for c in kept])
        logistic = fit_logistic(x, y_train)
        wrong = [c for c, b in zip(kept, logistic.coef.tolist(), strict=True) if b >= 0]
        if not wrong:
            break
        worst = max(wrong, key=lambda c: float(logistic.coef[kept.index(c)]))
        dropped[worst.name] = (
            "its coefficient had the wrong sign next to the others "
            f"({float(logistic.coef[kept.index(worst)]):+.3f}); left out and refitted"
        )
        kept.remove(worst)

    factor = options.pdo / math.log(2)
    offset = options.base_score - factor * math.log(options.base_odds)
    n = len(kept)
    known = _definitions()
    characteristics = []
    points_of: dict[str, list[int]] = {}
    for position, (column, beta) in enumerate(
        zip(kept, logistic.coef.tolist(), strict=True), start=1
    ):
        binning = binnings[column.name]
        points = [
            round(-(b.woe * beta + logistic.intercept / n) * factor + offset / n)
            for b in binning.bins
        ]
        points_of[column.name] = points
        characteristics.append(
            {
                "name": column.name,
                **_documentation(column.name, position, known),
                "kind": column.kind,
                "information_value": _r(binning.information_value),
                "bins": [
                    _bin_json(b, p, binning.kind) for b, p in zip(binning.bins, points, strict=True)
                ],
            }
        )

    def score(rows: NDArray[np.int64]) -> NDArray[np.float64]:
        total = np.zeros(rows.size, dtype=np.int64)
        for column in kept:
            idx = binnings[column.name].index(Column(column.name, column.kind, column.values[rows]))
            total += np.array(points_of[column.name], dtype=np.int64)[idx]
        return np.clip(total, options.score_min, options.score_max).astype(np.float64)

    scores_test = score(test)
    scores_train = score(train)
    # A higher score means safer: rank bads by the negated score.
    metrics = {
        "auc": _r(auc(-scores_test, y_test)),
        "ks": _r(ks(scores_test, y_test)),
        "gini": _r(2 * auc(-scores_test, y_test) - 1),
        "auc_train": _r(auc(-scores_train, y_train)),
    }
    predicted = 1.0 / (1.0 + np.exp((scores_test - offset) / factor))
    metrics["brier"] = _r(float(np.mean((predicted - y_test) ** 2)), 5)
    truth_section: dict[str, Any] | None = None
    if truth is not None:
        t_test = truth[test]
        truth_section = {
            "auc_of_true_probability": _r(auc(t_test, y_test)),
            "auc_share_of_ceiling": _r(metrics["auc"] / auc(t_test, y_test)),
            "rank_correlation_score_vs_true_probability": _r(
                _rank_correlation(-scores_test, t_test)
            ),
            "mean_true_probability": _r(float(t_test.mean())),
        }

    fit_section: dict[str, Any] = {
        "method": (
            "Weight-of-evidence binning on the training rows (quantile pre-bins, pooled "
            "adjacent violators for a monotone bad rate, minimum bin share, missing values in "
            "a bin of their own; categories grouped by bad rate), information value screen, "
            "maximum-likelihood logistic regression on the WoE columns (IRLS), PDO scaling "
            "to integer points; validated on a stratified held-out split"
        ),
        "seed": options.seed,
        "data": {
            "file": data.source,
            "sha256": data.sha256,
            "rows": data.rows,
            "target": data.target,
            "bad_label": data.bad_label,
        },
        "test_share": options.test_share,
        "n_train": int(train.size),
        "n_test": int(test.size),
        "bad_rate_train": _r(float(y_train.mean())),
        "bad_rate_test": _r(float(y_test.mean())),
        "binning": {
            "max_prebins": options.max_prebins,
            "min_bin_share": options.min_bin_share,
            "woe": f"ln(share of goods / share of bads), {WOE_SMOOTHING} added to each count",
        },
        "min_information_value": options.min_information_value,
        "metrics": metrics,
        "information_value": {name: _r(v) for name, v in iv.items()},
        "intercept": _r(logistic.intercept, 6),
        "coefficients": {
            c.name: _r(b, 6) for c, b in zip(kept, logistic.coef.tolist(), strict=True)
        },
        "standard_errors": {
            c.name: _r(s, 6) for c, s in zip(kept, logistic.stderr[1:].tolist(), strict=True)
        },
        "dropped": dropped,
    }
    if truth_section is not None:
        fit_section["truth"] = truth_section
    model = {
        "version": options.version,
        "name": options.name,
        "description": options.description,
        "score_range": {"min": options.score_min, "max": options.score_max},
        "scaling": {
            "base_score": options.base_score,
            "base_odds": options.base_odds,
            "pdo": options.pdo,
        },
        "target": options.target_description
        or f"{data.target} = {data.bad_label} (the bad outcome)",
        "characteristics": characteristics,
        "fit": fit_section,
    }
    report = {
        "version": options.version,
        "metrics": metrics,
        "truth": truth_section,
        "n_train": int(train.size),
        "n_test": int(test.size),
        "bad_rate_test": _r(float(y_test.mean())),
        "information_value": [
            {"characteristic": k, "information_value": _r(v), "kept": k not in dropped}
            for k, v in sorted(iv.items(), key=lambda item: -item[1])
        ],
        "dropped": dropped,
        "score_bands": _bands(scores_test, y_test, options),
        "calibration": _calibration(
            scores_test, predicted, y_test, None if truth is None else truth[test]
        ),
        "score_distribution": _distribution(scores_test, y_test, options),
    }
    return FitResult(model=model, report=report, scores_test=scores_test, y_test=y_test)


def _bin_json(b: Bin, points: int, kind: Kind) -> dict[str, Any]:
    out: dict[str, Any] = {"label": b.label}
    if b.missing:
        out["missing"] = True
    elif kind == "numeric":
        out["lower"] = b.lower
        out["upper"] = b.upper
    else:
        out["values"] = list(b.values)
    out["points"] = points
    out["woe"] = _r(b.woe)
    out["n_train"] = b.n
    out["bad_rate_train"] = _r(b.bad_rate)
    return out


def _rank_correlation(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    ra = np.unique(a, return_inverse=True)[1].astype(np.float64)
    rb = np.unique(b, return_inverse=True)[1].astype(np.float64)
    return float(np.corrcoef(ra, rb)[0, 1])


def _bands(
    scores: NDArray[np.float64], y: NDArray[np.int8], options: FitOptions
) -> list[dict[str, Any]]:
    rows = []
    lo = options.score_min
    while lo < options.score_max:
        hi = lo + SCORE_BAND_WIDTH
        last = hi >= options.score_max
        inside = (scores >= lo) & ((scores <= options.score_max) if last else (scores < hi))
        n = int(inside.sum())
        rows.append(
            {
                "band": f"{lo}-{options.score_max if last else hi - 1}",
                "n": n,
                "share": _r(n / max(1, scores.size)),
                "bads": int(y[inside].sum()),
                "bad_rate": _r(float(y[inside].mean())) if n else None,
            }
        )
        lo = hi
    return rows


def _calibration(
    scores: NDArray[np.float64],
    predicted: NDArray[np.float64],
    y: NDArray[np.int8],
    truth: NDArray[np.float64] | None,
) -> list[dict[str, Any]]:
    order = np.argsort(-predicted, kind="stable")
    rows = []
    for k, part in enumerate(np.array_split(order, CALIBRATION_GROUPS), start=1):
        if part.size == 0:
            continue
        row: dict[str, Any] = {
            "decile": k,
            "n": int(part.size),
            "score_min": int(scores[part].min()),
            "score_max": int(scores[part].max()),
            "predicted_bad_rate": _r(float(predicted[part].mean())),
            "observed_bad_rate": _r(float(y[part].mean())),
        }
        if truth is not None:
            row["true_bad_probability"] = _r(float(truth[part].mean()))
        rows.append(row)
    return rows


def _distribution(
    scores: NDArray[np.float64], y: NDArray[np.int8], options: FitOptions
) -> dict[str, Any]:
    return {
        "min": int(scores.min()),
        "p10": int(np.percentile(scores, 10)),
        "median": int(np.median(scores)),
        "mean": _r(float(scores.mean()), 1),
        "p90": int(np.percentile(scores, 90)),
        "max": int(scores.max()),
        "median_good": int(np.median(scores[y == 0])),
        "median_bad": int(np.median(scores[y == 1])),
        "at_floor": int((scores <= options.score_min).sum()),
        "at_ceiling": int((scores >= options.score_max).sum()),
    }


# --- output --------------------------------------------------------------------------------


def dumps(data: Mapping[str, Any]) -> str:
    """Stable JSON: the same fit gives the same bytes."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_model(result: FitResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(result.model), encoding="utf-8")


def write_report(result: FitResult, directory: Path) -> list[Path]:
    """The validation report as JSON and markdown, and the score distribution as a PNG when
    matplotlib (the optional ``fit`` extra) is installed. Returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    version = result.model["version"]
    written = []
    json_path = directory / f"{version}-validation.json"
    json_path.write_text(dumps(result.report), encoding="utf-8")
    written.append(json_path)
    png = directory / f"{version}-score-distribution.png"
    plotted = plot_scores(result, png)
    if plotted:
        written.append(png)
    md_path = directory / f"{version}-validation.md"
    md_path.write_text(report_markdown(result, png.name if plotted else None), encoding="utf-8")
    written.append(md_path)
    return written


def plot_scores(result: FitResult, path: Path) -> bool:
    """Score distribution of goods and bads on the held-out rows, and the calibration
    (False when matplotlib is not installed)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    model = result.model
    lo, hi = model["score_range"]["min"], model["score_range"]["max"]
    bins = np.arange(lo, hi + 10, 10)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    s, y = result.scores_test, result.y_test
    left.hist(
        s[y == 0], bins=bins, density=True, alpha=0.6, label=f"good (n={int((y == 0).sum())})"
    )
    left.hist(s[y == 1], bins=bins, density=True, alpha=0.6, label=f"bad (n={int(y.sum())})")
    left.set_xlabel("score")
    left.set_ylabel("density")
    metrics = model["fit"]["metrics"]
    left.set_title(
        f"{model['version']}: held-out scores (AUC {metrics['auc']:.3f}, KS {metrics['ks']:.3f})"
    )
    left.legend()
    cal = result.report["calibration"]
    pred = [row["predicted_bad_rate"] for row in cal]
    obs = [row["observed_bad_rate"] for row in cal]
    top = max([*pred, *obs, 0.01]) * 1.1
    right.plot([0, top], [0, top], color="grey", linewidth=1, linestyle="--")
    right.plot(pred, obs, marker="o", label="observed")
    if cal and "true_bad_probability" in cal[0]:
        right.plot(pred, [row["true_bad_probability"] for row in cal], marker="x", label="truth")
    right.set_xlabel("predicted bad rate (from the score)")
    right.set_ylabel("bad rate")
    right.set_title("Calibration by decile of predicted risk")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
    return True


def report_markdown(result: FitResult, png_name: str | None) -> str:
    model, report = result.model, result.report
    fit_section = model["fit"]
    m = fit_section["metrics"]
    lines = [
        f"# Validation report: {model['version']}",
        "",
        f"Fitted on `{fit_section['data']['file']}` ({fit_section['data']['rows']} rows, "
        f"sha256 `{fit_section['data']['sha256'][:16]}…`), target `{fit_section['data']['target']}`"
        f" (bad = `{fit_section['data']['bad_label']}`), seed {fit_section['seed']}: "
        f"{fit_section['n_train']} training rows, {fit_section['n_test']} held-out rows "
        f"(bad rate {fit_section['bad_rate_test']:.2%}). Every figure below is on the held-out "
        "rows, scored with the published integer points.",
        "",
        "| metric | value |",
        "|---|---|",
        f"| AUC | {m['auc']:.4f} |",
        f"| KS | {m['ks']:.4f} |",
        f"| Gini | {m['gini']:.4f} |",
        f"| Brier score | {m['brier']:.5f} |",
        f"| AUC on the training rows | {m['auc_train']:.4f} |",
    ]
    truth = report.get("truth")
    if truth:
        lines += [
            "| AUC of the true probability (the ceiling) | "
            f"{truth['auc_of_true_probability']:.4f} |",
            f"| model AUC / ceiling | {truth['auc_share_of_ceiling']:.4f} |",
            "| rank correlation, score vs true probability | "
            f"{truth['rank_correlation_score_vs_true_probability']:.4f} |",
        ]
    lines += [
        "",
        "## Information value",
        "",
        "| characteristic | IV | in the model |",
        "|---|---|---|",
    ]
    for row in report["information_value"]:
        lines.append(
            f"| {row['characteristic']} | {row['information_value']:.4f} | "
            f"{'yes' if row['kept'] else 'no: ' + report['dropped'][row['characteristic']]} |"
        )
    lines += [
        "",
        "## Bad rate by score band",
        "",
        "| band | n | share | bads | bad rate |",
        "|---|---|---|---|---|",
    ]
    for row in report["score_bands"]:
        rate = "–" if row["bad_rate"] is None else f"{row['bad_rate']:.2%}"
        lines.append(
            f"| {row['band']} | {row['n']} | {row['share']:.2%} | {row['bads']} | {rate} |"
        )
    has_truth = bool(report["calibration"]) and "true_bad_probability" in report["calibration"][0]
    lines += [
        "",
        "## Calibration (deciles of predicted risk, riskiest first)",
        "",
        "| decile | n | scores | predicted | observed |" + (" true P(bad) |" if has_truth else ""),
        "|---|---|---|---|---|" + ("---|" if has_truth else ""),
    ]
    for row in report["calibration"]:
        line = (
            f"| {row['decile']} | {row['n']} | {row['score_min']}–{row['score_max']} | "
            f"{row['predicted_bad_rate']:.2%} | {row['observed_bad_rate']:.2%} |"
        )
        if has_truth:
            line += f" {row['true_bad_probability']:.2%} |"
        lines.append(line)
    d = report["score_distribution"]
    lines += [
        "",
        "## Score distribution",
        "",
        f"min {d['min']}, 10th percentile {d['p10']}, median {d['median']}, mean {d['mean']}, "
        f"90th percentile {d['p90']}, max {d['max']}; median of goods {d['median_good']}, of "
        f"bads {d['median_bad']}; {d['at_floor']} at the floor, {d['at_ceiling']} at the "
        "ceiling.",
    ]
    if png_name:
        lines += ["", f"![Score distribution and calibration]({png_name})"]
    lines += ["", "## Points", ""]
    for c in model["characteristics"]:
        lines += [
            f"### {c['name']} ({c['reason_code']}, IV {c['information_value']:.4f})",
            "",
            "| bin | points | WoE | training rows | bad rate |",
            "|---|---|---|---|---|",
        ]
        for b in c["bins"]:
            lines.append(
                f"| {b['label']} | {b['points']} | {b['woe']:+.4f} | {b['n_train']} | "
                f"{b['bad_rate_train']:.2%} |"
            )
        lines.append("")
    return "\n".join(lines)
