"""Load benchmark: GET /v1/me/report rotating over the subject personas, on SQLite and on
PostgreSQL side by side, with one and with several server processes, driven by ``wrk``.

Each configuration starts its own server with `clearfile serve --no-access-log` (migrations,
fixtures into a fresh, empty database: a temporary SQLite file, or a PostgreSQL database
created for it and dropped after; uvicorn; the audit events are still written, one per
report read, only uvicorn's per-request terminal line is off) on a free loopback port, warms
it up, then drives it with ``wrk`` (32 keep-alive connections; a Lua script gives each
request the next subject persona's key, over the first ``--subjects`` personas) and prints
requests per second, p50 and p99. With ``--hot`` it also drives one subject alone (every
connection reading one file, so every read appends to one audit chain). Configurations run
one after another, in rounds, so a noisy moment of the shared machine falls on all of them.
Under each report row, the CPU its run used (``bench.cpu``, Linux): the server's processes,
PostgreSQL's, and the whole machine, in percent of one core.

    python -m bench.bench_report_load [--database sqlite|postgresql] [--subjects 10]
        [--workers 1,2] [--seconds 15] [--connections 32] [--rounds 1] [--hot] [--bare]

``--database sqlite`` (the default) measures SQLite alone, and the bare endpoint
(``GET /healthz``) beside the report; ``--database postgresql`` measures SQLite and
PostgreSQL (``CLEARFILE_BENCH_PG_URL``, default the local server) in the same run.

Targets: the report at >= 15 % of the bare endpoint's rate, p99 <= 100 ms (SQLite, one
process); PostgreSQL's rate >= 0.8 of SQLite's with one process; two processes at least as
fast as one; one hot subject >= 0.8 of the rotating rate (reported only).
"""

import argparse
import statistics
import sys
from collections import defaultdict

from bench import cpu
from bench.server import HOST, sandbox_server
from bench.wrk import WrkResult, available, run_wrk

#: The ratios the issue sets (issue 15, item 3) and the earlier report targets.
TARGET_PG_VS_SQLITE = 0.8
TARGET_TWO_VS_ONE = 1.0
TARGET_HOT_VS_ROTATING = 0.8
TARGET_REPORT_VS_BARE = 0.15
TARGET_P99_MS = 100.0


def subject_keys(n: int) -> list[str]:
    """The API keys of the first ``n`` subject personas, in the fixtures' order."""
    from schemas.common import Role
    from service.sandbox.fixtures import personas

    keys = [p.api_key for p in personas() if p.role == Role.subject]
    if not 1 <= n <= len(keys):
        raise SystemExit(f"--subjects must be from 1 to {len(keys)}")
    return keys[:n]


def _row(name: str, r: WrkResult) -> str:
    return (
        f"{name:<34} {r.rps:>8.0f} req/s   p50 {r.p50_ms:>7.1f} ms   p99 {r.p99_ms:>7.1f} ms"
        f"   ({r.requests} ok, {r.errors} errors)"
    )


def _range(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{min(values):.2f}-{max(values):.2f} (median {statistics.median(values):.2f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--subjects", type=int, default=10, help="personas to rotate over")
    parser.add_argument("--workers", default=None, help="server processes, e.g. 1,2")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--hot", action="store_true", help="also one subject alone")
    parser.add_argument("--bare", action=argparse.BooleanOptionalAction, default=None)
    args = parser.parse_args()
    if not available():
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2

    keys = subject_keys(args.subjects)
    databases = ["sqlite"] if args.database == "sqlite" else ["sqlite", "postgresql"]
    default_workers = "1" if args.database == "sqlite" else "1,2"
    workers = [int(w) for w in (args.workers or default_workers).split(",")]
    bare_wanted = args.database == "sqlite" if args.bare is None else args.bare
    configs = [(db, w) for db in databases for w in workers]

    results: dict[tuple[str, int, str], list[WrkResult]] = defaultdict(list)
    errors = 0
    for rnd in range(1, args.rounds + 1):
        print(f"round {rnd}/{args.rounds}", flush=True)
        for db, w in configs:
            with sandbox_server(w, database=db) as (port, server):
                load = {"host": HOST, "port": port, "connections": args.connections}
                run_wrk(path="/v1/me/report", keys=keys, seconds=args.warmup, **load)
                meter = cpu.CpuMeter(server.pid) if cpu.available() else None
                if meter is not None:
                    meter.start()
                measured = {
                    "report": run_wrk(path="/v1/me/report", keys=keys, seconds=args.seconds, **load)
                }
                share = meter.stop() if meter is not None else None
                if args.hot:
                    hot = [keys[0]]
                    measured["hot"] = run_wrk(
                        path="/v1/me/report", keys=hot, seconds=args.seconds, **load
                    )
                if bare_wanted and w == workers[0]:
                    measured["bare"] = run_wrk(
                        path="/healthz", keys=[], seconds=args.seconds, **load
                    )
            for kind, r in measured.items():
                results[(db, w, kind)].append(r)
                errors += r.errors
                label = {
                    "report": f"report, {len(keys)} subjects",
                    "hot": "report, one subject",
                    "bare": "GET /healthz (bare)",
                }[kind]
                print("  " + _row(f"{db} x{w} {label}", r), flush=True)
                if kind == "report" and share is not None:
                    print(f"    {share}", flush=True)

    print(
        f"\n{args.connections} connections, {args.seconds:.0f} s each, wrk, "
        f"{args.rounds} round(s); GET /v1/me/report over {len(keys)} subject personas"
    )
    header = f"{'server processes':<18}" + "".join(f"{db:>26}" for db in databases)
    print(header)
    for w in workers:
        cells = []
        for db in databases:
            rs = results[(db, w, "report")]
            rates = [r.rps for r in rs]
            p99 = max(r.p99_ms for r in rs)
            cells.append(f"{statistics.median(rates):>8.0f} req/s p99 {p99:>6.0f} ms")
        print(f"{w:<18}" + "".join(f"{c:>26}" for c in cells))

    def per_round(db: str, w: int, kind: str = "report") -> list[float]:
        return [r.rps for r in results[(db, w, kind)]]

    first = workers[0]
    if "postgresql" in databases:
        ratios = [
            p / s
            for p, s in zip(per_round("postgresql", first), per_round("sqlite", first), strict=True)
        ]
        print(
            f"PostgreSQL / SQLite, {first} process: {_range(ratios)}  "
            f"(target >= {TARGET_PG_VS_SQLITE})"
        )
    for db in databases:
        for w in workers[1:]:
            ratios = [m / o for m, o in zip(per_round(db, w), per_round(db, first), strict=True)]
            print(
                f"{db}: {w} processes / {first}: {_range(ratios)}  (target >= {TARGET_TWO_VS_ONE})"
            )
    if args.hot:
        for db, w in configs:
            ratios = [h / r for h, r in zip(per_round(db, w, "hot"), per_round(db, w), strict=True)]
            print(
                f"{db} x{w}: one hot subject / {len(keys)} subjects: {_range(ratios)}  "
                f"(target >= {TARGET_HOT_VS_ROTATING}; reported only)"
            )
    if bare_wanted:
        for db in databases:
            ratios = [
                r / b
                for r, b in zip(per_round(db, first), per_round(db, first, "bare"), strict=True)
            ]
            p99 = max(r.p99_ms for r in results[(db, first, "report")])
            print(
                f"{db}: report / bare rate: {_range(ratios)}  (target >= {TARGET_REPORT_VS_BARE}); "
                f"report p99 {p99:.1f} ms (target <= {TARGET_P99_MS:.0f} ms)"
            )
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
