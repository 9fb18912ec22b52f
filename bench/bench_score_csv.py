"""CSV scoring: `clearfile score --csv` against pandas + optbinning on the same file.

Writes a seeded CSV of 1,000,000 rows (an application id, the published model's
characteristics as text and numbers with some cells missing, a free-text branch column), then,
in the same run and alternately for ``--rounds`` rounds:

- ``clearfile score --csv IN --out OUT`` in a child process (interpreter start included), its
  wall and CPU time and its peak resident memory (``/usr/bin/time``);
- the pipeline a data scientist would write, in this process: ``pandas.read_csv`` with its
  defaults, optbinning's ``Scorecard.score`` (a scorecard fitted beforehand, untimed, on a
  sample of the same file), and ``to_csv(index=False)``.

It prints rows/s for both (wall, and per CPU second: the machine is shared), the ratio, and
the CLI's peak memory, next to the targets.

    python -m bench.bench_score_csv [--rows N] [--rounds R] [--reasons]

Needs the ``bench`` extra (pandas, optbinning). Targets: >= 4x the pipeline's rows/s; peak
memory <= 500 MB.
"""

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_scorer import random_column  # noqa: E402
from service.scoring.engine.scorecard import get_model  # noqa: E402
from service.scoring.engine.scorer import engine_for  # noqa: E402

TARGET_RATIO = 4.0
TARGET_PEAK_MB = 500
FIT_ROWS = 20_000
BRANCHES = ("north", "south", "east", "west", "online, direct", 'the "big" one')


def write_input(path: Path, rows: int, seed: int) -> None:
    """The characteristics of ``rows`` applicants, as a data team would export them."""
    import pandas as pd

    model = get_model()
    rng = np.random.default_rng(seed)
    frame: dict[str, Any] = {"application_id": [f"app-{i:08d}" for i in range(rows)]}
    for c in model.characteristics:
        column = random_column(c, rows, rng)
        if c.kind == "numeric" and all(
            float(b.lower).is_integer() for b in c.bins if b.lower is not None
        ):
            missing = np.isnan(column)
            column = pd.array(np.where(missing, 0, column).astype(np.int64), dtype="Int64")
            column[missing] = pd.NA
        frame[c.name] = column
    frame["branch"] = np.array(BRANCHES, dtype=object)[rng.integers(0, len(BRANCHES), rows)]
    pd.DataFrame(frame).to_csv(path, index=False)


def fit_optbinning(path: Path, seed: int) -> Any:
    """An optbinning scorecard of the same characteristics, fitted on a sample of the file
    against an outcome drawn from Clearfile's own score (so that the bins are meaningful)."""
    import pandas as pd
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    model = get_model()
    sample = pd.read_csv(path, nrows=FIT_ROWS)
    engine = engine_for(model)
    columns = {
        c.name: (
            sample[c.name].to_numpy(dtype=np.float64)
            if c.kind == "numeric"
            else [v if isinstance(v, str) else None for v in sample[c.name]]
        )
        for c in model.characteristics
    }
    score = engine.score(engine.encode_columns(columns)).astype(np.float64)
    rng = np.random.default_rng(seed)
    odds = np.exp((score - score.mean()) / 40.0)
    y = (rng.random(len(score)) < 1 / (1 + odds)).astype(int)
    names = list(model.names)
    categorical = [c.name for c in model.characteristics if c.kind == "categorical"]
    process = BinningProcess(names, categorical_variables=categorical)
    card = Scorecard(
        binning_process=process,
        estimator=LogisticRegression(),
        scaling_method="pdo_odds",
        scaling_method_params={"pdo": 20, "odds": 50, "scorecard_points": 600},
    )
    card.fit(sample[names], y)
    return card


@dataclass
class Run:
    wall: float
    cpu: float  # user + system seconds, every thread
    peak_mb: float = 0.0


def _cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_pipeline(card: Any, source: Path, target: Path) -> Run:
    import pandas as pd

    started, cpu = time.perf_counter(), _cpu_self()
    frame = pd.read_csv(source)
    frame["score"] = card.score(frame)
    frame.to_csv(target, index=False)
    return Run(time.perf_counter() - started, _cpu_self() - cpu)


def run_cli(source: Path, target: Path, reasons: bool, tmp: Path) -> Run:
    """Wall and CPU seconds and peak resident memory of ``clearfile score --csv``, as
    ``/usr/bin/time`` sees them (its child's own ``ru_maxrss``: a child forked from this
    large process directly would report this process's size as its peak)."""
    report = tmp / "time.txt"
    command = ["/usr/bin/time", "-f", "%e %U %S %M", "-o", str(report)]
    command += [sys.executable, "-m", "service.cli", "score", "--csv", str(source)]
    command += ["--out", str(target), *(["--reasons"] if reasons else [])]
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
    wall, user, system, kilobytes = report.read_text().split()[-4:]
    return Run(float(wall), float(user) + float(system), int(kilobytes) / 1024)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--reasons", action="store_true", help="clearfile adds reason codes")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "applicants.csv"
        write_input(source, args.rows, args.seed)
        size = source.stat().st_size / 1e6
        print(f"input: {args.rows:,} rows, {size:.1f} MB ({source.name})")
        card = fit_optbinning(source, args.seed)
        ratios, cpu_ratios, peaks = [], [], []
        n = args.rows
        for r in range(1, args.rounds + 1):
            cli = run_cli(source, Path(tmp) / "cli.csv", args.reasons, Path(tmp))
            pipe = run_pipeline(card, source, Path(tmp) / "pandas.csv")
            ratios.append(pipe.wall / cli.wall)
            cpu_ratios.append(pipe.cpu / cli.cpu)
            peaks.append(cli.peak_mb)
            print(
                f"round {r}: clearfile score --csv {n / cli.wall:>9,.0f} rows/s "
                f"({cli.wall:.2f} s, {n / cli.cpu:,.0f} per CPU s, peak {cli.peak_mb:,.0f} MB)"
                f"   pandas + optbinning {n / pipe.wall:>8,.0f} rows/s ({pipe.wall:.2f} s, "
                f"{n / pipe.cpu:,.0f} per CPU s)   ratio {ratios[-1]:.2f}x "
                f"({cpu_ratios[-1]:.2f}x per CPU s)"
            )
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"(this process, which ran pandas + optbinning, peaked at {own:,.0f} MB)")
    worst, peak = min(ratios), max(peaks)
    ok = worst >= TARGET_RATIO and peak <= TARGET_PEAK_MB
    print(
        f"ratio {min(ratios):.2f}-{max(ratios):.2f}x wall, {min(cpu_ratios):.2f}-"
        f"{max(cpu_ratios):.2f}x CPU (target >= {TARGET_RATIO:g}x); clearfile's peak memory "
        f"{peak:,.0f} MB (target <= {TARGET_PEAK_MB} MB): " + ("met" if ok else "NOT MET")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
