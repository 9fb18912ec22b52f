"""``clearfile population --load`` in bulk, against the raw driver's bulk rate for the same
rows in the same run, on SQLite and PostgreSQL; then ``score --all`` over the population.

For each database: a fresh, migrated database (a temporary SQLite file, or a PostgreSQL
database created for the run and dropped after: ``CLEARFILE_BENCH_PG_URL``) takes the seeded
population through ``load_population_in_chunks`` (what the command runs: COPY on PostgreSQL,
one executemany per table on SQLite, 50,000 people per transaction), timed from the generated
population to the last commit. The rows it wrote (principals, subjects, accounts, their
versions, inquiries, bankruptcies) are then read back, and the raw driver writes the very
same rows into a second fresh, migrated database (the same tables, indexes, constraints and
triggers: "the same shape"), timed: ``sqlite3`` ``executemany`` per table in one transaction,
or psycopg ``COPY`` per table in one transaction. The load's rate is printed as a fraction of
the raw one. The audit events (one per 50,000 people) are not copied.

With ``--score``, ``score --all`` (``service.jobs.score_all``) then runs over the loaded
population on each database, and its subjects per second are printed.

    python -m bench.bench_population_load [--database sqlite|postgresql|both] [--n 200000]
        [--seed S] [--score]

Targets: the load >= 0.5 of the raw driver's rate on each database; score --all on
PostgreSQL >= 20,000 subjects/s.
"""

import argparse
import gc
import sqlite3
import sys
import time
from datetime import UTC, datetime
from datetime import time as clock_time
from typing import Any

from bench.server import fresh_database
from service.core.db import make_engine, make_sessionmaker
from service.core.migrate import upgrade
from service.jobs.load_population import load_population_in_chunks
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


def _read_back_sqlite(path: str) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    out = {}
    with sqlite3.connect(path) as conn:
        for table in TABLES:
            cursor = conn.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed names
            columns = [d[0] for d in cursor.description]
            out[table] = (columns, cursor.fetchall())
    return out


def _raw_sqlite(path: str, rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]]) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    start = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    for table in TABLES:
        columns, values = rows[table]
        marks = ", ".join("?" for _ in columns)
        conn.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
            values,
        )
    conn.execute("COMMIT")
    seconds = time.perf_counter() - start
    conn.close()
    return seconds


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _read_back_pg(url: str) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    import psycopg
    from psycopg.types.json import Json

    out = {}
    with psycopg.connect(_dsn(url)) as conn:
        for table in TABLES:
            cursor = conn.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed names
            assert cursor.description is not None
            columns = [d.name for d in cursor.description]
            values = [
                tuple(Json(v) if isinstance(v, dict | list) else v for v in row)
                for row in cursor.fetchall()
            ]
            out[table] = (columns, values)
    return out


def _raw_pg(url: str, rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]]) -> float:
    import psycopg

    with psycopg.connect(_dsn(url), options="-c synchronous_commit=off") as conn:
        start = time.perf_counter()
        with conn.transaction(), conn.cursor() as cursor:
            for table in TABLES:
                columns, values = rows[table]
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in values:
                        copy.write_row(row)
        return time.perf_counter() - start


def run(database: str, people: population.Population, now: datetime, score: bool) -> float:
    with fresh_database(database) as url, fresh_database(database) as reference:
        upgrade(url)
        upgrade(reference)
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        gc.collect()
        start = time.perf_counter()
        loaded = load_population_in_chunks(factory, people, now)
        load_seconds = time.perf_counter() - start
        rows = (
            _read_back_sqlite(url.removeprefix("sqlite:///"))
            if database == "sqlite"
            else _read_back_pg(url)
        )
        count = sum(len(v) for _, v in rows.values())
        raw_seconds = (
            _raw_sqlite(reference.removeprefix("sqlite:///"), rows)
            if database == "sqlite"
            else _raw_pg(reference, rows)
        )
        del rows
        ratio = (count / load_seconds) / (count / raw_seconds)
        print(
            f"{database}: {loaded.subjects:,} subjects, {count:,} rows "
            f"({', '.join(f'{t}' for t in TABLES)})"
        )
        print(
            f"  clearfile load {load_seconds:6.1f} s = {count / load_seconds:>9,.0f} rows/s "
            f"({loaded.subjects / load_seconds:,.0f} subjects/s)"
        )
        print(f"  raw driver     {raw_seconds:6.1f} s = {count / raw_seconds:>9,.0f} rows/s")
        print(f"  load / raw: {ratio:.2f}  (target >= {TARGET_LOAD_VS_RAW})", flush=True)
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
    start = time.perf_counter()
    people = population.generate(args.n, seed=args.seed, today=today)
    print(f"generated {args.n:,} people in {time.perf_counter() - start:.1f} s (not counted)")
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    ratios = [run(db, people, now, args.score) for db in databases]
    return 0 if all(r >= TARGET_LOAD_VS_RAW for r in ratios) else 1


if __name__ == "__main__":
    sys.exit(main())
