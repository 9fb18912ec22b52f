"""Weight-of-evidence binning: monotone bins, minimum size, missing values, IV by hand."""

import math

import numpy as np
import pytest

from service.modelling.binning import (
    WOE_SMOOTHING,
    Bin,
    Binning,
    best_partition,
    bin_categorical,
    bin_numeric,
    readable,
    readable_numbers,
    significant_digits,
)
from service.modelling.dataset import (
    Column,
)


def _logistic_data(n: int, seed: int, slope: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 100, n)
    p = 1 / (1 + np.exp(-(-3 + slope * (x - 50))))
    return x, (rng.random(n) < p).astype(np.int8)


def _ranged(binning: Binning) -> list[Bin]:
    return [b for b in binning.bins if not b.missing]


@pytest.mark.parametrize(("slope", "direction"), [(0.05, "ascending"), (-0.05, "descending")])
def test_numeric_bins_are_monotone_in_the_direction_of_the_data(
    slope: float, direction: str
) -> None:
    x, y = _logistic_data(20_000, seed=1, slope=slope)
    binning = bin_numeric("x", x, y)
    assert binning.direction == direction
    rates = [b.bad_rate for b in _ranged(binning)]
    woes = [b.woe for b in _ranged(binning)]
    assert len(rates) >= 5
    if direction == "ascending":
        assert all(a < b for a, b in zip(rates, rates[1:], strict=False))
        assert all(a > b for a, b in zip(woes, woes[1:], strict=False))
    else:
        assert all(a > b for a, b in zip(rates, rates[1:], strict=False))


def test_bins_are_contiguous_cover_the_line_and_respect_the_minimum_size() -> None:
    x, y = _logistic_data(10_000, seed=2, slope=0.04)
    binning = bin_numeric("x", x, y, min_bin_share=0.08)
    ranged = _ranged(binning)
    assert ranged[0].lower is None
    assert ranged[-1].upper is None
    for before, after in zip(ranged, ranged[1:], strict=False):
        assert before.upper == after.lower
    assert all(b.n >= 0.08 * y.size for b in ranged)
    assert sum(b.n for b in binning.bins) == y.size


def test_a_policy_direction_the_data_contradicts_flattens_the_characteristic() -> None:
    x, y = _logistic_data(10_000, seed=3, slope=0.05)  # risk rises with x
    binning = bin_numeric("x", x, y, direction="descending")
    assert len(_ranged(binning)) == 1
    assert binning.information_value == pytest.approx(0.0, abs=1e-9)


def test_missing_values_get_a_bin_of_their_own() -> None:
    x, y = _logistic_data(10_000, seed=4, slope=0.05)
    x = x.copy()
    x[::10] = np.nan
    y = y.copy()
    y[::10] = 1  # the missing ones are all bad: their own bin must show it
    binning = bin_numeric("x", x, y)
    missing = [b for b in binning.bins if b.missing]
    assert len(missing) == 1
    assert missing[0].n == 1_000
    assert missing[0].bad_rate == 1.0
    assert missing[0].woe == min(b.woe for b in binning.bins)
    index = binning.index(Column("x", "numeric", np.array([np.nan, 1.0, 99.0])))
    assert binning.bins[int(index[0])].missing
    assert not binning.bins[int(index[1])].missing

    complete = bin_numeric("x", np.nan_to_num(x, nan=50.0), y)
    assert not any(b.missing for b in complete.bins)


def test_information_value_is_the_sum_over_bins_by_hand() -> None:
    # Two values: 0 -> 80 goods 20 bads, 1 -> 20 goods 30 bads.
    x = np.array([0.0] * 100 + [1.0] * 50)
    y = np.array([0] * 80 + [1] * 20 + [0] * 20 + [1] * 30, dtype=np.int8)
    binning = bin_numeric("x", x, y, min_bin_share=0.1)
    assert [b.n for b in binning.bins] == [100, 50]
    s = WOE_SMOOTHING
    g0, b0 = (80 + s) / (100 + 2 * s), (20 + s) / (50 + 2 * s)
    g1, b1 = (20 + s) / (100 + 2 * s), (30 + s) / (50 + 2 * s)
    woe0, woe1 = math.log(g0 / b0), math.log(g1 / b1)
    assert binning.bins[0].woe == pytest.approx(woe0)
    assert binning.bins[1].woe == pytest.approx(woe1)
    assert binning.information_value == pytest.approx((g0 - b0) * woe0 + (g1 - b1) * woe1)
    # Without smoothing this is ln(0.8 / 0.4) and ln(0.2 / 0.6): the same to 2 decimals.
    assert binning.bins[0].woe == pytest.approx(math.log(2), abs=0.02)
    assert binning.information_value == pytest.approx(
        0.4 * math.log(2) + 0.4 * math.log(3), abs=0.02
    )


def test_categories_are_grouped_by_bad_rate_and_unseen_values_take_the_fallback() -> None:
    rng = np.random.default_rng(5)
    rates = {"a": 0.02, "b": 0.03, "c": 0.2, "d": 0.25, "rare": 0.21}
    sizes = {"a": 4000, "b": 4000, "c": 4000, "d": 4000, "rare": 100}
    values = np.array([k for k, n in sizes.items() for _ in range(n)] + [None] * 800, object)
    p = np.array([rates[v] if v else 0.5 for v in values])
    y = (rng.random(values.size) < p).astype(np.int8)
    binning = bin_categorical("c", values, y)
    groups = [set(b.values) for b in binning.bins if not b.missing]
    assert all(b.n >= 0.05 * y.size for b in binning.bins if not b.missing)
    # The rare category joins a neighbour of similar risk, never the safe ones.
    rare_group = next(g for g in groups if "rare" in g)
    assert rare_group & {"c", "d"}
    assert not rare_group & {"a", "b"}
    missing = next(b for b in binning.bins if b.missing)
    assert missing.n == 800
    idx = binning.index(Column("c", "categorical", np.array(["a", "zzz", None], object)))
    assert binning.bins[int(idx[1])].missing
    assert binning.bins[int(idx[2])].missing


# --- the exact search, the trend, readable cut points ----------------------------------------


def _brute_force_best(goods: list[int], bads: list[int], min_count: int, rising: bool) -> float:
    """The largest IV over every way of cutting the units, by enumeration."""
    import itertools

    m, tg, tb = len(goods), sum(goods), sum(bads)
    best = 0.0
    for k in range(m):
        for cuts in itertools.combinations(range(1, m), k):
            edges = [0, *cuts, m]
            g = [sum(goods[a:b]) for a, b in zip(edges, edges[1:], strict=False)]
            b = [sum(bads[a:c]) for a, c in zip(edges, edges[1:], strict=False)]
            if min(x + z for x, z in zip(g, b, strict=True)) < min_count:
                continue
            rates = [z / (x + z) for x, z in zip(g, b, strict=True)]
            steps = [r2 - r1 for r1, r2 in zip(rates, rates[1:], strict=False)]
            if not all((s > 0) if rising else (s < 0) for s in steps):
                continue
            iv = 0.0
            for x, z in zip(g, b, strict=True):
                if x and z:
                    iv += (x / tg - z / tb) * math.log((x / tg) / (z / tb))
            best = max(best, iv)
    return best


def test_the_search_finds_the_largest_information_value_there_is() -> None:
    rng = np.random.default_rng(11)
    for _ in range(60):
        m = int(rng.integers(2, 8))
        goods = rng.integers(1, 40, m).tolist()
        bads = rng.integers(1, 15, m).tolist()
        min_count = int(rng.integers(1, 50))
        for trend, rising in (("ascending", True), ("descending", False)):
            cuts, iv = best_partition(
                np.array(goods),
                np.array(bads),
                min_count,
                trend,  # type: ignore[arg-type]
            )
            assert iv == pytest.approx(_brute_force_best(goods, bads, min_count, rising))
            assert cuts == sorted(set(cuts))


def test_a_risk_high_at_both_ends_gets_a_valley_and_a_straight_one_does_not() -> None:
    rng = np.random.default_rng(12)
    x = rng.uniform(0, 100, 20_000)
    u_shaped = (rng.random(x.size) < 0.03 + 0.3 * ((x - 50) / 50) ** 2).astype(np.int8)
    valley = bin_numeric("x", x, u_shaped)
    assert valley.direction == "valley"
    rates = [b.bad_rate for b in _ranged(valley)]
    low = int(np.argmin(rates))
    assert 0 < low < len(rates) - 1
    assert all(a > b for a, b in zip(rates[: low + 1], rates[1 : low + 1], strict=False))
    assert all(a < b for a, b in zip(rates[low:], rates[low + 1 :], strict=False))
    x2, y2 = _logistic_data(20_000, seed=13, slope=0.05)
    assert bin_numeric("x", x2, y2).direction == "ascending"


def test_readable_cut_points_are_round_and_keep_the_trend_and_the_minimum_size() -> None:
    x, y = _logistic_data(20_000, seed=14, slope=0.06)
    x = x * 1.2345  # no round numbers in the data
    exact = bin_numeric("x", x, y, min_bin_share=0.05)
    rounded = readable(exact, x, y)
    assert len(rounded.cuts) == len(exact.cuts) >= 4
    assert all(significant_digits(c) <= 4 for c in rounded.cuts)
    assert sum(significant_digits(c) <= 2 for c in rounded.cuts) >= len(rounded.cuts) // 2
    assert any(
        significant_digits(c) < significant_digits(e)
        for c, e in zip(rounded.cuts, exact.cuts, strict=True)
    )
    assert all(b.n >= 0.05 * y.size for b in rounded.bins)
    rates = [b.bad_rate for b in _ranged(rounded)]
    assert all(a < b for a, b in zip(rates, rates[1:], strict=False))
    assert sum(b.n for b in rounded.bins) == y.size


def test_readable_numbers_are_what_a_person_writes() -> None:
    assert readable_numbers(4.3, 4.6, 4.41, whole=False)[0] == 4.5
    assert readable_numbers(2_410.0, 2_730.0, 2_480.0, whole=False)[0] == 2_500
    assert readable_numbers(22.5, 25.5, 24.0, whole=True)[0] == 25
    assert all(c.is_integer() for c in readable_numbers(22.5, 25.5, 24.0, whole=True))
    assert significant_digits(2_500) == 2
    assert significant_digits(47.25) == 4
