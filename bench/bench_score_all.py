"""``score --all`` end to end: subjects per second on a 100,000-subject population in SQLite.

Creates a temporary SQLite database, applies the migrations, generates a seeded population
(``service.modelling.population``) and loads it (both timed and shown, not counted), then times
``service.jobs.score_all.score_all`` end to end: the chunked reads of the files, the vectorised
characteristics and scorer, and the bulk insert of one receipt per subject, each chunk in its
own committed transaction. Prints subjects per second and checks the receipts: one per
subject, and a sample recomputed one by one from their stored inputs gives the same scores.

    python -m bench.bench_score_all [--n N] [--seed S] [--chunk C] [--model FILE] [--profile]

The default model is the shipped one (service/scoring/scorecards/<CURRENT_VERSION>.json) when it is
there, otherwise the unit tests' hand-made model.
"""

import argparse
import cProfile
import gc
import pstats
import sys
import tempfile
import time
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # allow `python bench/bench_score_all.py` as well as `-m`
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from service.core.db import make_engine, make_sessionmaker  # noqa: E402
from service.core.migrate import upgrade  # noqa: E402
from service.jobs.load_population import load_population  # noqa: E402
from service.jobs.score_all import DEFAULT_CHUNK, score_all  # noqa: E402
from service.modelling import population  # noqa: E402
from service.scoring.engine.scorecard import (  # noqa: E402
    CURRENT_VERSION,
    SCORECARDS_DIR,
    load_model,
)
from service.scoring.models import ScoreReceipt  # noqa: E402
from service.scoring.receipts import recompute  # noqa: E402

TARGET_SUBJECTS_PER_SECOND = 20_000
TEST_MODEL = ROOT / "tests" / "unit" / "data" / "test-model.json"
#: Receipts recomputed one by one after the run, to check them.
SAMPLE = 500


def default_model_path() -> Path:
    shipped = SCORECARDS_DIR / f"{CURRENT_VERSION}.json"
    return shipped if shipped.exists() else TEST_MODEL


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--chunk", type=int, default=DEFAULT_CHUNK)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--profile", action="store_true", help="print the top of a profile")
    args = parser.parse_args()

    model = load_model(args.model or default_model_path())
    today = population.REFERENCE_DAY
    now = datetime.combine(today, clock_time(18, 0), tzinfo=UTC)
    with tempfile.TemporaryDirectory(prefix="clearfile-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        factory = make_sessionmaker(engine)

        start = time.perf_counter()
        people = population.generate(args.n, seed=args.seed, today=today)
        generated = time.perf_counter() - start
        start = time.perf_counter()
        with factory() as session, session.begin():
            loaded = load_population(session, people, now)
        load_seconds = time.perf_counter() - start
        print(
            f"model {model.version}; population n={args.n:,} seed={args.seed} as of {today}: "
            f"{loaded.accounts:,} accounts, {loaded.inquiries:,} inquiries, "
            f"{loaded.public_records:,} bankruptcies"
        )
        print(f"generate {generated:.1f} s, load {load_seconds:.1f} s (not counted)")
        del people  # the generator's objects are not part of the run
        gc.collect()

        profiler = cProfile.Profile() if args.profile else None
        start, cpu = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        result = score_all(factory, now=now, model=model, chunk=args.chunk)
        if profiler is not None:
            profiler.disable()
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        rate = result.subjects / seconds

        with factory() as session:
            receipts = session.scalar(select(func.count()).select_from(ScoreReceipt))
            sample = session.scalars(
                select(ScoreReceipt).order_by(ScoreReceipt.subject_id).limit(SAMPLE)
            ).all()
            same = all(recompute(r.inputs, r.scored_on, model).score == r.score for r in sample)
        size = Path(url.removeprefix("sqlite:///")).stat().st_size
        engine.dispose()

    print(
        f"score --all: {result.subjects:,} subjects ({result.scored:,} scored, "
        f"{result.no_score:,} too thin) in {result.chunks} chunks of {args.chunk:,}"
    )
    print(
        f"end to end: {seconds:.2f} s wall, {cpu:.2f} s CPU -> {rate:,.0f} subjects/s "
        f"({result.subjects / cpu:,.0f} per CPU second; one process, one thread; "
        f"database {size / 2**20:,.0f} MiB after)"
    )
    print(f"receipts stored: {receipts:,}; {len(sample)} recomputed one by one, same: {same}")
    print(
        f"target >= {TARGET_SUBJECTS_PER_SECOND:,} subjects/s: "
        f"{'met' if rate >= TARGET_SUBJECTS_PER_SECOND else 'NOT met'}"
    )
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    return 0 if same and receipts == result.subjects else 1


if __name__ == "__main__":
    raise SystemExit(main())
