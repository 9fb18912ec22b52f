"""``score --all`` end to end: subjects per second over a population, on SQLite or PostgreSQL.

Without ``--database-url``: creates a temporary SQLite database, applies the migrations,
generates a seeded population (``service.modelling.population``) as of its reference day and
loads it (both timed and shown, not counted).

With ``--database-url URL`` (SQLite or PostgreSQL): applies the migrations to that database and
reuses the population already in it, scored as of its sandbox clock (as ``clearfile score
--all`` does); an empty one is first loaded with ``--n`` people in parts (``clearfile
population --load``'s path; timed, not counted), so that repeat runs do not reload a million
subjects. The run's receipts (its moment, its purpose) are deleted afterwards, and on
PostgreSQL the table vacuumed, unless ``--keep-receipts``, so that every run starts from the
same tables (the receipts already there before a run are counted and shown); each run's
``score.batch`` audit event stays on the system chain.

Then times ``service.jobs.score_all.score_all`` end to end: the chunked reads of the files,
the vectorised characteristics and scorer, and the bulk write of one receipt per subject,
each chunk in its own committed transaction. Prints subjects per second next to the target
and checks the receipts: one per subject, and a sample recomputed one by one from their
stored inputs gives the same scores.

    python -m bench.bench_score_all [--n N] [--seed S] [--chunk C] [--model FILE] [--profile]
    python -m bench.bench_score_all --database-url postgresql+psycopg://HOST/DB [--n 1000000]

The default model is the shipped one (service/scoring/scorecards/<CURRENT_VERSION>.json) when it is
there, otherwise the unit tests' hand-made model.
"""

import argparse
import cProfile
import gc
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # allow `python bench/bench_score_all.py` as well as `-m`
    sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, select, text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from bench import cpu as cpu_meter  # noqa: E402
from service.core import clock  # noqa: E402
from service.core.db import make_engine, make_sessionmaker  # noqa: E402
from service.core.migrate import upgrade  # noqa: E402
from service.jobs.load_population import (  # noqa: E402
    CHUNK_PEOPLE,
    load_population,
    load_population_in_chunks,
)
from service.jobs.score_all import BATCH_PURPOSE, DEFAULT_CHUNK, score_all  # noqa: E402
from service.modelling import population  # noqa: E402
from service.principals.models import Subject  # noqa: E402
from service.scoring.engine.scorecard import (  # noqa: E402
    CURRENT_VERSION,
    SCORECARDS_DIR,
    load_model,
)
from service.scoring.models import ScoreReceipt  # noqa: E402
from service.scoring.receipts import recompute  # noqa: E402

#: Issue 15, item 2: ``score --all`` over a population on PostgreSQL.
TARGET_SUBJECTS_PER_SECOND = 20_000
TEST_MODEL = ROOT / "tests" / "unit" / "data" / "test-model.json"
#: Receipts recomputed one by one after the run, to check them.
SAMPLE = 500


def default_model_path() -> Path:
    shipped = SCORECARDS_DIR / f"{CURRENT_VERSION}.json"
    return shipped if shipped.exists() else TEST_MODEL


@contextmanager
def temporary_sqlite() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="clearfile-bench-") as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.db'}"


def load_temporary(factory: sessionmaker[Session], args: argparse.Namespace) -> datetime:
    """Generate and load the population into the new database; the moment to score at."""
    today = population.REFERENCE_DAY
    now = datetime.combine(today, clock_time(18, 0), tzinfo=UTC)
    start = time.perf_counter()
    people = population.generate(args.n, seed=args.seed, today=today)
    generated = time.perf_counter() - start
    start = time.perf_counter()
    with factory() as session, session.begin():
        loaded = load_population(session, people, now)
    print(
        f"population n={args.n:,} seed={args.seed} as of {today}: "
        f"{loaded.accounts:,} accounts, {loaded.inquiries:,} inquiries, "
        f"{loaded.public_records:,} bankruptcies"
    )
    print(f"generate {generated:.1f} s, load {time.perf_counter() - start:.1f} s (not counted)")
    del people  # the generator's objects are not part of the run
    return now


def reuse_or_load(factory: sessionmaker[Session], args: argparse.Namespace) -> datetime:
    """The population already in the database (loaded first when it has no subject), and
    the moment to score at: its sandbox clock's."""
    with factory() as session, session.begin():
        now = clock.now(session)
        subjects = session.scalar(select(func.count()).select_from(Subject)) or 0
    if subjects:
        print(f"reusing the {subjects:,} subjects in the database (--n ignored)")
        return now
    start = time.perf_counter()
    loaded = load_population_in_chunks(
        factory,
        population.stream(args.n, seed=args.seed, today=now.date(), chunk=CHUNK_PEOPLE),
        now,
    )
    print(
        f"loaded population n={args.n:,} seed={args.seed} as of {now.date()}: "
        f"{loaded.accounts:,} accounts, {loaded.inquiries:,} inquiries, "
        f"{loaded.public_records:,} bankruptcies in {time.perf_counter() - start:.1f} s "
        "(not counted)"
    )
    return now


def this_run(now: datetime) -> tuple[object, ...]:
    """The receipts a run at ``now`` writes."""
    return (ScoreReceipt.computed_at == now, ScoreReceipt.purpose == BATCH_PURPOSE)


def delete_receipts(factory: sessionmaker[Session], now: datetime) -> int:
    with factory() as session, session.begin():
        result = session.execute(delete(ScoreReceipt).where(*this_run(now)))
        return int(getattr(result, "rowcount", 0) or 0)


def vacuum(factory: sessionmaker[Session]) -> None:
    """PostgreSQL: reclaim the deleted receipts' space, so the next run starts the same."""
    engine = factory.kw["bind"]
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE score_receipts"))


def database_size(factory: sessionmaker[Session], url: str) -> float:
    """The database's size in MiB."""
    engine = factory.kw["bind"]
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            return float(conn.scalar(text("SELECT pg_database_size(current_database())"))) / 2**20
    return Path(url.removeprefix("sqlite:///")).stat().st_size / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--chunk", type=int, default=DEFAULT_CHUNK)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument(
        "--database-url",
        default=None,
        help="score the population in this database (loaded first if it has no subject)",
    )
    parser.add_argument(
        "--keep-receipts", action="store_true", help="keep the run's receipts (with --database-url)"
    )
    parser.add_argument("--profile", action="store_true", help="print the top of a profile")
    args = parser.parse_args()

    model = load_model(args.model or default_model_path())
    given = args.database_url
    with temporary_sqlite() as scratch:
        url = given or scratch
        upgrade(url)
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        now = reuse_or_load(factory, args) if given else load_temporary(factory, args)
        if given:
            with factory() as session:
                before = session.scalar(select(func.count()).select_from(ScoreReceipt)) or 0
            print(f"{before:,} receipts in the database before the run")
        print(f"model {model.version}; {engine.dialect.name}; scored as of {now.isoformat()}")
        gc.collect()

        profiler = cProfile.Profile() if args.profile else None
        # Where the machine's CPU went: this process's, PostgreSQL's (its backends do the
        # reads and take the receipts), the machine's.
        meter = cpu_meter.CpuMeter(os.getpid()) if cpu_meter.available() else None
        if meter is not None:
            meter.start()
        start, cpu = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        result = score_all(factory, now=now, model=model, chunk=args.chunk)
        if profiler is not None:
            profiler.disable()
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        share = meter.stop() if meter is not None else None
        rate = result.subjects / seconds
        print(
            f"score --all: {result.subjects:,} subjects ({result.scored:,} scored, "
            f"{result.no_score:,} too thin) in {result.chunks} chunks of {args.chunk:,}"
        )
        print(
            f"end to end: {seconds:.2f} s wall, {cpu:.2f} s CPU of this process -> "
            f"{rate:,.0f} subjects/s ({result.subjects / cpu:,.0f} per CPU second of this "
            "process)",
            flush=True,
        )
        if share is not None:
            print(f"  {share.describe('this process')}", flush=True)

        with factory() as session:
            receipts = session.scalar(
                select(func.count()).select_from(ScoreReceipt).where(*this_run(now))
            )
            sample = session.scalars(
                select(ScoreReceipt)
                .where(*this_run(now))
                .order_by(ScoreReceipt.subject_id)
                .limit(SAMPLE)
            ).all()
            same = all(recompute(r.inputs, r.scored_on, model).score == r.score for r in sample)
        size = database_size(factory, url)
        if given and not args.keep_receipts:
            delete_receipts(factory, now)
            vacuum(factory)
        engine.dispose()

    print(f"database {size:,.0f} MiB after the run")
    print(f"receipts stored: {receipts:,}; {len(sample)} recomputed one by one, same: {same}")
    print(
        f"{engine.dialect.name}: {rate:,.0f} subjects/s; target >= "
        f"{TARGET_SUBJECTS_PER_SECOND:,} subjects/s: "
        f"{'met' if rate >= TARGET_SUBJECTS_PER_SECOND else 'NOT met'}"
    )
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    return 0 if same and receipts == result.subjects else 1


if __name__ == "__main__":
    raise SystemExit(main())
