"""Per-file characteristics against the vectorised ones, over the same files, in one run.

Generates a fixed seeded population of files (the modelling generator's), checks that the
per-file evaluator (``characteristics.compute``, which serves a subject's score, simulate,
recourse and the generator) gives the values of the vectorised one
(``columns.characteristic_columns``, the batch's), then for several runs prints the time per
file of each over the whole set and their ratio, and the per-file time on a few fixed files
(no account, 2 accounts, 20 accounts), each evaluated repeatedly. The vectorised figure is
measured in the same process on the same files, so the ratio does not depend on how busy the
machine is the way a bare time does. One process, one thread.

    python -m bench.bench_characteristics [--n N] [--seed S] [--runs R]
"""

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # allow `python bench/bench_characteristics.py` as well as `-m`
    sys.path.insert(0, str(ROOT))

from service.modelling import population  # noqa: E402
from service.scoring.engine.characteristics import compute  # noqa: E402
from service.scoring.engine.columns import characteristic_columns, columns_of_files  # noqa: E402
from service.scoring.engine.inputs import FileInput  # noqa: E402

#: Accounts in the fixed files timed one by one: an empty file, a thin one, a thick one.
FIXED_SIZES = (0, 2, 20)
#: Evaluations of each fixed file per run.
REPEAT = 500


def _seconds(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def _repeated(file: FileInput, today: date) -> Callable[[], object]:
    return lambda: [compute(file, today) for _ in range(REPEAT)]


def _fixed_files(files: tuple[FileInput, ...]) -> dict[int, FileInput]:
    """For each of ``FIXED_SIZES``, the first file with that many accounts (a file of the
    largest file's accounts, cut to size, when there is none)."""
    largest = max(files, key=lambda f: len(f.accounts))
    fixed = {}
    for size in FIXED_SIZES:
        found = next((f for f in files if len(f.accounts) == size), None)
        fixed[size] = found or FileInput(
            accounts=(largest.accounts * (size // max(len(largest.accounts), 1) + 1))[:size],
            inquiries=largest.inquiries,
            public_records=largest.public_records,
        )
    return fixed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5_000, help="files in the set")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    today = population.REFERENCE_DAY
    files = population.generate(args.n, seed=args.seed, today=today).files
    accounts = sum(len(f.accounts) for f in files)
    print(
        f"{len(files):,} files (seed {args.seed}, as of {today}): {accounts:,} accounts, "
        f"{accounts / len(files):.1f} per file"
    )
    columns = columns_of_files(files)
    vectorised = characteristic_columns(columns, today).values()
    same = all(compute(f, today) == v for f, v in zip(files, vectorised, strict=True))
    print(f"per-file values identical to the vectorised ones: {same}")

    per_file: list[float] = []
    over_columns: list[float] = []
    for run in range(1, args.runs + 1):
        one = _seconds(lambda: [compute(f, today) for f in files]) / len(files)
        many = _seconds(lambda: characteristic_columns(columns, today)) / len(files)
        per_file.append(one)
        over_columns.append(many)
        print(
            f"run {run}: per file {one * 1e6:6.1f} us/file, vectorised {many * 1e6:5.2f} us/file,"
            f" ratio {one / many:5.1f}"
        )
    ratios = [a / b for a, b in zip(per_file, over_columns, strict=True)]
    print(
        f"best: per file {min(per_file) * 1e6:.1f} us/file, vectorised "
        f"{min(over_columns) * 1e6:.2f} us/file; median ratio {statistics.median(ratios):.1f}"
    )
    for size, file in _fixed_files(files).items():
        times = [_seconds(_repeated(file, today)) / REPEAT for _ in range(args.runs)]
        print(
            f"one file of {size:2d} accounts, {len(file.inquiries)} inquiries, evaluated "
            f"{REPEAT} times: min {min(times) * 1e6:.1f} us, median "
            f"{statistics.median(times) * 1e6:.1f} us"
        )
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
