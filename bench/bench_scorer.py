"""Scorer throughput: the vectorised engine against a naive per-row Python loop.

Generates seeded random characteristic rows (1,000,000 by default) for a published scorecard,
encodes them once (timed and shown, not counted: that is parsing), then times the vectorised
scorer (binning + points lookup + sum + clip) and the naive loop over the same scorecard on a
subset of the rows, checks that both give identical scores on that subset, and prints rows per
second for both and the speed-up. One process, one thread: numpy's element-wise operations
do not use threads.

    python -m bench.bench_scorer [--rows N] [--naive-rows N] [--repeat R] [--model FILE]

The default model is the shipped one (service/scoring/scorecards/<CURRENT_VERSION>.json) when it is
there, otherwise the unit tests' hand-made model.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # allow `python bench/bench_scorer.py` as well as `-m`
    sys.path.insert(0, str(ROOT))

from service.scoring.engine.characteristics import Value  # noqa: E402
from service.scoring.engine.scorecard import (  # noqa: E402
    CURRENT_VERSION,
    SCORECARDS_DIR,
    Characteristic,
    Scorecard,
    load_model,
)
from service.scoring.engine.scorer import engine_for, score_rows_naive  # noqa: E402

TARGET_ROWS_PER_SECOND = 10_000_000
MISSING_SHARE = 0.05
TEST_MODEL = ROOT / "tests" / "unit" / "data" / "test-model.json"


def default_model_path() -> Path:
    shipped = SCORECARDS_DIR / f"{CURRENT_VERSION}.json"
    return shipped if shipped.exists() else TEST_MODEL


def random_column(c: Characteristic, n: int, rng: np.random.Generator) -> Any:
    """Values that fall in every bin, hit the bounds exactly when they are whole numbers,
    and are missing (or, for a category, unseen) now and then."""
    if c.kind == "categorical":
        vocabulary = [v for b in c.bins for v in (b.values or ())]
        choices = np.array([*vocabulary, "unseen-value"], dtype=object)
        column = choices[rng.integers(0, len(choices), n)]
        column[rng.random(n) < MISSING_SHARE] = None
        return column.tolist()
    edges = [b.lower for b in c.bins if b.lower is not None]
    low, high = (min(edges), max(edges)) if edges else (0.0, 1.0)
    spread = max(high - low, 1.0)
    values = rng.uniform(low - spread / 2, high + spread / 2, n)
    if all(float(e).is_integer() for e in edges):
        values = np.round(values)
    values[rng.random(n) < MISSING_SHARE] = np.nan
    return values


def timed(repeat: int, run: Any) -> tuple[list[float], Any]:
    seconds = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        seconds.append(time.perf_counter() - start)
    return seconds, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--naive-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=20261115)
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()

    model: Scorecard = load_model(args.model or default_model_path())
    engine = engine_for(model)
    rng = np.random.default_rng(args.seed)
    n = args.rows
    columns = {c.name: random_column(c, n, rng) for c in model.characteristics}
    bins = sum(len(c.bins) for c in model.characteristics)
    print(f"model {model.version}: {len(model.characteristics)} characteristics, {bins} bins")
    print(f"rows {n:,} (seed {args.seed}), numpy {np.__version__}, python {sys.version.split()[0]}")

    start = time.perf_counter()
    encoded = engine.encode_columns(columns)
    encode_seconds = time.perf_counter() - start
    print(f"encode (not counted): {encode_seconds:.3f} s")

    engine.score(encoded[: min(n, 10_000)])  # warm up
    seconds, scores = timed(args.repeat, lambda: engine.score(encoded))
    best, median = min(seconds), statistics.median(seconds)
    fast = n / best
    print(
        f"vectorised: best {best * 1000:.1f} ms, median {median * 1000:.1f} ms "
        f"over {args.repeat} runs -> {fast:,.0f} rows/s (median {n / median:,.0f})"
    )

    m = min(args.naive_rows, n)
    names = model.names
    subset = encoded[:m]
    rows: list[dict[str, Value]] = []
    for i in range(m):
        row: dict[str, Value] = {}
        for name in names:
            v = columns[name][i]
            row[name] = float(v) if isinstance(v, float | np.floating) else v
        rows.append(row)
    start = time.perf_counter()
    naive_scores = score_rows_naive(model, rows)
    naive_seconds = time.perf_counter() - start
    slow = m / naive_seconds
    print(
        f"naive loop: {m:,} rows in {naive_seconds:.2f} s -> {slow:,.0f} rows/s "
        f"(1,000,000 rows would take {1_000_000 / slow:.1f} s)"
    )

    same = scores[:m].tolist() == naive_scores
    again = engine.score(subset).tolist() == naive_scores
    print(f"identical scores on the {m:,}-row subset: {same and again}")
    print(f"speed-up: {fast / slow:,.0f}x")
    print(
        f"target >= {TARGET_ROWS_PER_SECOND:,} rows/s: "
        f"{'met' if fast >= TARGET_ROWS_PER_SECOND else 'NOT met'}"
    )
    summary = np.percentile(scores, [1, 25, 50, 75, 99]).astype(int).tolist()
    print(f"score percentiles 1/25/50/75/99: {summary}")
    return 0 if same and again else 1


if __name__ == "__main__":
    raise SystemExit(main())
