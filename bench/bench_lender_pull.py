"""Load benchmark: a lender's report pull next to the subject's own report read.

Starts the server (`clearfile serve --no-access-log`, SQLite, the personas loaded), has Tessa
(the 20-account persona) consent to Sandbox Bank for a credit application, then drives, with
the same load generator and 32 keep-alive connections, in alternating rounds:

- ``GET /v1/me/report`` with Tessa's key (reads the file, writes one audit event), and
- ``POST /v1/lender/reports {"consent_id": ...}`` with the bank's key (checks the consent and
  the freeze, reads the file, writes a hard inquiry and its audit event),

and prints each one's rate, p50 and p99, and the pull / report rate ratio of each round; and,
where /proc tells it, the server's CPU time per request of each (user and system, the delivery
worker's included), whose ratio is steadier than the rates' on a machine that other work
shares. Every
pull adds a hard inquiry, so Tessa's file grows through the run (printed per round), and a
report read grows with it. So that both are measured on the same file, each round reads the
report for half its time before the pulls and half after them, and compares the pulls with
both halves together.

    python -m bench.bench_lender_pull [--seconds 20] [--rounds 3] [--connections 32]

Target: the pull at >= 0.7 of the subject report's rate.
"""

import argparse
import json
import os
import urllib.request
from collections.abc import Callable

from bench.loadgen import LoadResult, run_load
from bench.server import HOST, TWENTY_ACCOUNT_KEY, sandbox_server

#: Fixture personas (fixtures/personas.yaml): the 20-account subject and a lender.
SUBJECT_KEY = TWENTY_ACCOUNT_KEY
LENDER_KEY = "cf_lender_sandbox_bank"
LENDER_ID = "len_sandbox_bank"
TARGET = 0.7


def _row(name: str, r: LoadResult) -> str:
    return (
        f"{name:<32} {r.rps:>8.0f} req/s   p50 {r.p50:>7.2f} ms   p99 {r.p99:>7.2f} ms"
        f"   ({r.requests} ok, {r.errors} errors)"
    )


def _cpu_seconds(pid: int) -> float | None:
    """The process's user and system CPU time so far (Linux's /proc), or None."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed(
    pid: int, load: Callable[[float, int], LoadResult], seconds: float, connections: int
) -> tuple[LoadResult, float | None]:
    """The load's result, and the server's CPU seconds spent while it ran."""
    before = _cpu_seconds(pid)
    result = load(seconds, connections)
    after = _cpu_seconds(pid)
    return result, None if before is None or after is None else after - before


def _call(port: int, method: str, path: str, key: str, body: object = None) -> dict[str, object]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"http://{HOST}:{port}{path}",
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as resp:  # noqa: S310 (http to our own server)
        result: dict[str, object] = json.loads(resp.read())
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args()

    failed = False
    ratios = []
    cpu_ratios = []
    with sandbox_server() as (port, server):
        # The consent runs to the 28th of next month (always within the 12-month limit).
        today = str(_call(port, "GET", "/v1/me/report", SUBJECT_KEY)["generated_at"])
        year, month = int(today[:4]), int(today[5:7])
        expires_on = f"{year + month // 12}-{month % 12 + 1:02d}-28"
        consent = _call(
            port,
            "POST",
            "/v1/me/consents",
            SUBJECT_KEY,
            {
                "lender_id": LENDER_ID,
                "purpose": "credit_application",
                "scope": ["report"],
                "expires_on": expires_on,
            },
        )
        pull_body = json.dumps({"consent_id": consent["id"]}).encode()
        subject = {"Authorization": f"Bearer {SUBJECT_KEY}"}
        lender = {"Authorization": f"Bearer {LENDER_KEY}"}

        def report(seconds: float, connections: int) -> LoadResult:
            return run_load(
                host=HOST,
                port=port,
                path="/v1/me/report",
                headers=subject,
                connections=connections,
                seconds=seconds,
            )

        def pull(seconds: float, connections: int) -> LoadResult:
            return run_load(
                host=HOST,
                port=port,
                path="/v1/lender/reports",
                headers=lender,
                connections=connections,
                seconds=seconds,
                method="POST",
                body=pull_body,
            )

        report(args.warmup, 4)
        pull(args.warmup, 4)
        print(
            f"{args.connections} connections, {args.seconds:.0f} s per run, SQLite, 1 server "
            "process; Tessa's file: 20 accounts"
        )
        for n in range(1, args.rounds + 1):
            file = _call(port, "GET", "/v1/me/report", SUBJECT_KEY)
            inquiries = len(file["inquiries"])  # type: ignore[arg-type]
            before, cpu_before = _timed(server.pid, report, args.seconds / 2, args.connections)
            pulled, cpu_pulled = _timed(server.pid, pull, args.seconds, args.connections)
            after, cpu_after = _timed(server.pid, report, args.seconds / 2, args.connections)
            read = LoadResult(
                requests=before.requests + after.requests,
                errors=before.errors + after.errors,
                seconds=before.seconds + after.seconds,
                latencies_ms=before.latencies_ms + after.latencies_ms,
            )
            ratio = pulled.rps / read.rps if read.rps else 0.0
            ratios.append(ratio)
            failed = failed or bool(read.errors or pulled.errors)
            print(f"round {n} (the file holds {inquiries} inquiries at its start)")
            print("  " + _row("GET /v1/me/report (subject)", read))
            print("  " + _row("POST /v1/lender/reports (pull)", pulled))
            print(f"  pull / report rate: {ratio:.2f}  (target >= {TARGET})")
            if cpu_before is not None and cpu_pulled is not None and cpu_after is not None:
                per_read = (cpu_before + cpu_after) * 1000 / max(read.requests, 1)
                per_pull = cpu_pulled * 1000 / max(pulled.requests, 1)
                cpu_ratio = per_read / per_pull if per_pull else 0.0
                cpu_ratios.append(cpu_ratio)
                print(
                    f"  server CPU per request: report {per_read:.2f} ms, pull {per_pull:.2f} ms;"
                    f" report / pull: {cpu_ratio:.2f}"
                )
    print("ratios: " + ", ".join(f"{r:.2f}" for r in ratios))
    if cpu_ratios:
        print(
            "CPU ratios (report / pull CPU per request): "
            + ", ".join(f"{r:.2f}" for r in cpu_ratios)
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
