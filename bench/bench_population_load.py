"""``clearfile population --load`` in bulk, against the raw driver's bulk rate for the same
rows in the same run, on SQLite and PostgreSQL; then ``score --all`` over the population.

For each database: a fresh, migrated database (a temporary SQLite file, or a PostgreSQL
database created for the run and dropped after: ``CLEARFILE_BENCH_PG_URL``) takes the seeded
population through ``load_population_in_chunks`` (what the command runs: COPY on PostgreSQL,
one executemany per table on SQLite, 50,000 people per transaction), streamed part by part
from ``population.stream`` as the command does; the load is timed from the first part to the
last commit, less the time spent generating parts (not counted: generation is not loading),
and the process's peak memory is printed. The rows it wrote (principals, subjects, accounts,
their versions, inquiries, bankruptcies) are then read back, ``RAW_BATCH`` at a time (not
timed), and the raw driver writes the very same rows into a second fresh, migrated database
(the same tables, indexes, constraints and triggers: "the same shape"; the raw writes fire
the per-row file-revision triggers, which the load skips for the files it opens), timed:
``sqlite3`` ``executemany`` in one transaction, or psycopg ``COPY`` (a JSON value as its
text) in one transaction. The load's rate is printed as a fraction of the raw one, and so is
its CPU time (on SQLite the database's work is in the process too; on PostgreSQL it is not).
The audit events (one per 50,000 people) are not copied. The load average is printed at the
start and the end: the figures mean little on a busy machine.

With ``--score``, ``score --all`` (``service.jobs.score_all``) then runs over the loaded
population on each database, and its subjects per second are printed.

    python -m bench.bench_population_load [--database sqlite|postgresql|both] [--n 200000]
        [--seed S] [--score]

Targets: the load >= 0.5 of the raw driver's rate on each database; score --all on
PostgreSQL >= 20,000 subjects/s.
"""

import argparse
import gc
import json
import os
import resource
import sqlite3
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from datetime import time as clock_time

from bench.server import fresh_database
from service.core.db import make_engine, make_sessionmaker
from service.core.migrate import upgrade
from service.jobs.load_population import CHUNK_PEOPLE, load_population_in_chunks
from service.jobs.score_all import score_all
from service.modelling import population
from service.scoring.engine.scorecard import CURRENT_VERSION, SCORECARDS_DIR, load_model

TARGET_LOAD_VS_RAW = 0.5
TARGET_SCORE_ALL_PG = 20_000
#: The tables a population load writes, parents first.
TABLES = (
    "principals",
    "subjects",
    "accounts",
    "account_refs",
    "account_versions",
    "inquiries",
    "public_records",
)


#: Rows the raw side reads back at a time (not timed) before writing them (timed), so that
#: memory holds one batch, whatever the population's size.
RAW_BATCH = 100_000


def _raw_sqlite(path: str, reference: str) -> tuple[int, float, float]:
    """Rows, and seconds (wall, and CPU of this process) the raw driver took to write them
    into ``reference``: ``sqlite3`` ``executemany`` of every row the load wrote, in one
    transaction."""
    source = sqlite3.connect(path)
    conn = sqlite3.connect(reference, isolation_level=None)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    count, seconds, cpu = 0, 0.0, 0.0
    conn.execute("BEGIN IMMEDIATE")
    for table in TABLES:
        cursor = source.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed names
        columns = [d[0] for d in cursor.description]
        marks = ", ".join("?" for _ in columns)
        statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
        while batch := cursor.fetchmany(RAW_BATCH):
            count += len(batch)
            start, used = time.perf_counter(), time.process_time()
            conn.executemany(statement, batch)
            seconds += time.perf_counter() - start
            cpu += time.process_time() - used
    start, used = time.perf_counter(), time.process_time()
    conn.execute("COMMIT")
    seconds += time.perf_counter() - start
    cpu += time.process_time() - used
    conn.close()
    source.close()
    return count, seconds, cpu


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _raw_pg(url: str, reference: str) -> tuple[int, float, float]:
    """Rows, and seconds the raw driver took to write them into ``reference``: psycopg
    ``COPY`` of every row the load wrote (a JSON value as its text), in one transaction
    (``synchronous_commit`` off), a ``COPY`` per batch read."""
    import psycopg

    count, seconds, cpu = 0, 0.0, 0.0
    with (
        psycopg.connect(_dsn(url)) as source,
        psycopg.connect(_dsn(reference), options="-c synchronous_commit=off") as conn,
    ):
        with conn.transaction(), conn.cursor() as target:
            for table in TABLES:
                with source.cursor(name=f"read_{table}") as cursor:
                    cursor.itersize = RAW_BATCH
                    cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed names
                    columns: list[str] | None = None
                    while batch := cursor.fetchmany(RAW_BATCH):
                        assert cursor.description is not None
                        columns = columns or [d.name for d in cursor.description]
                        rows = [
                            tuple(json.dumps(v) if isinstance(v, dict | list) else v for v in row)
                            for row in batch
                        ]
                        count += len(rows)
                        copy = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                        start, used = time.perf_counter(), time.process_time()
                        with target.copy(copy) as writer:  # type: ignore[arg-type]
                            for row in rows:
                                writer.write_row(row)
                        seconds += time.perf_counter() - start
                        cpu += time.process_time() - used
            start = time.perf_counter()
        seconds += time.perf_counter() - start  # the commit
    return count, seconds, cpu


def _peak_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(database: str, n: int, seed: int, now: datetime, score: bool) -> float:
    with fresh_database(database) as url, fresh_database(database) as reference:
        upgrade(url)
        upgrade(reference)
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        # Generation is not timed: the population is streamed into the load, each part
        # generated while the clock is stopped.
        parts = population.stream(n, seed=seed, today=now.date(), chunk=CHUNK_PEOPLE)
        generate_seconds = 0.0

        generate_cpu = 0.0

        def timed_parts() -> Iterator[population.Population]:
            nonlocal generate_seconds, generate_cpu
            while True:
                start, used = time.perf_counter(), time.process_time()
                part = next(parts, None)
                generate_seconds += time.perf_counter() - start
                generate_cpu += time.process_time() - used
                if part is None:
                    return
                yield part

        gc.collect()
        start, used = time.perf_counter(), time.process_time()
        loaded = load_population_in_chunks(factory, timed_parts(), now)
        load_seconds = time.perf_counter() - start - generate_seconds
        load_cpu = time.process_time() - used - generate_cpu
        peak = _peak_mb()
        count, raw_seconds, raw_cpu = (
            _raw_sqlite(url.removeprefix("sqlite:///"), reference.removeprefix("sqlite:///"))
            if database == "sqlite"
            else _raw_pg(url, reference)
        )
        ratio = (count / load_seconds) / (count / raw_seconds)
        print(
            f"{database}: {loaded.subjects:,} subjects, {count:,} rows "
            f"({', '.join(f'{t}' for t in TABLES)}); generating them took "
            f"{generate_seconds:.1f} s (not counted)"
        )
        print(
            f"  clearfile load {load_seconds:6.1f} s = {count / load_seconds:>9,.0f} rows/s "
            f"({loaded.subjects / load_seconds:,.0f} subjects/s); {load_cpu:.1f} s of CPU "
            f"of this process; its peak memory {peak:,.0f} MB"
        )
        print(
            f"  raw driver     {raw_seconds:6.1f} s = {count / raw_seconds:>9,.0f} rows/s; "
            f"{raw_cpu:.1f} s of CPU of this process"
        )
        print(
            f"  load / raw: {ratio:.2f}  (target >= {TARGET_LOAD_VS_RAW}); in CPU time of this "
            f"process (SQLite's work included, PostgreSQL's not): {raw_cpu / load_cpu:.2f}",
            flush=True,
        )
        if score:
            model = load_model(SCORECARDS_DIR / f"{CURRENT_VERSION}.json")
            start, cpu = time.perf_counter(), time.process_time()
            result = score_all(factory, now=now, model=model)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            target = f"  (target >= {TARGET_SCORE_ALL_PG:,})" if database == "postgresql" else ""
            print(
                f"  score --all: {result.subjects:,} subjects in {seconds:.1f} s = "
                f"{result.subjects / seconds:,.0f} subjects/s "
                f"({result.subjects / cpu:,.0f} per CPU second of this process){target}",
                flush=True,
            )
        engine.dispose()
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--score", action="store_true", help="also score --all after the load")
    args = parser.parse_args()

    today = population.REFERENCE_DAY
    now = datetime.combine(today, clock_time(18, 0), tzinfo=UTC)
    print(f"load average {os.getloadavg()[0]:.2f} at the start", flush=True)
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    ratios = [run(db, args.n, args.seed, now, args.score) for db in databases]
    print(f"load average {os.getloadavg()[0]:.2f} at the end", flush=True)
    return 0 if all(r >= TARGET_LOAD_VS_RAW for r in ratios) else 1


if __name__ == "__main__":
    sys.exit(main())
