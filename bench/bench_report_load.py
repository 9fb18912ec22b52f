"""Load benchmark: GET /v1/me/report for a 20-account subject versus a bare endpoint.

Starts the server with `clearfile serve --no-access-log` (migrations, fixtures into an empty
SQLite database, uvicorn; the audit events are still written, only uvicorn's per-request
terminal line is off) on a free loopback port, then drives each endpoint with 32
keep-alive connections for a fixed time, and prints requests per second, p50 and p99 for
both and the ratio. Audit events are written for every report read, as in production.

    python -m bench.bench_report_load [--seconds 15] [--connections 32]

Targets: the report at >= 15 % of the bare endpoint's rate, p99 <= 100 ms.
"""

import argparse
import sys
import urllib.request

from bench.loadgen import LoadResult, run_load
from bench.server import HOST, sandbox_server

#: The fixture persona with exactly 20 accounts (fixtures/personas.yaml).
TWENTY_ACCOUNT_KEY = "cf_subject_sandbox_tessa_twentyfold"


def _row(name: str, r: LoadResult) -> str:
    return (
        f"{name:<28} {r.rps:>10.0f} req/s   p50 {r.p50:>7.2f} ms   p99 {r.p99:>7.2f} ms"
        f"   ({r.requests} ok, {r.errors} errors)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=1, help="server processes (serve --workers)")
    args = parser.parse_args()

    with sandbox_server(args.workers) as (port, _server):
        auth = {"Authorization": f"Bearer {TWENTY_ACCOUNT_KEY}"}
        with urllib.request.urlopen(
            urllib.request.Request(f"http://{HOST}:{port}/v1/me/report", headers=auth)
        ) as resp:
            body = resp.read()
        accounts = body.count(b'"account_ref"')
        print(f"report of the 20-account persona: {len(body)} bytes, {accounts} accounts")
        run_load(host=HOST, port=port, path="/healthz", seconds=args.warmup)
        run_load(host=HOST, port=port, path="/v1/me/report", headers=auth, seconds=args.warmup)
        bare = run_load(
            host=HOST,
            port=port,
            path="/healthz",
            connections=args.connections,
            seconds=args.seconds,
        )
        report = run_load(
            host=HOST,
            port=port,
            path="/v1/me/report",
            headers=auth,
            connections=args.connections,
            seconds=args.seconds,
        )

    print(
        f"{args.connections} connections, {args.seconds:.0f} s each, SQLite, "
        f"{args.workers} server process(es)"
    )
    print(_row("GET /healthz (bare)", bare))
    print(_row("GET /v1/me/report (20 acc.)", report))
    ratio = report.rps / bare.rps if bare.rps else 0.0
    print(
        f"report / bare rate: {ratio:.1%}  (target >= 15 %);  report p99 {report.p99:.1f} ms "
        "(target <= 100 ms)"
    )
    return 0 if report.errors == 0 and bare.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
