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
                                      [--load wrk|python]

The load generator is ``wrk`` (Debian package ``wrk``) where it is installed, as for the
report load benchmark: a C client that costs the shared machine little CPU, so the server,
not the client reading megabytes of reports in Python, is what is measured; ``--load
python`` uses the project's asyncio client (``bench/loadgen.py``) for both instead.

Target: the pull at >= 0.7 of the subject report's rate.
"""

import argparse
import json
import os
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from bench import wrk
from bench.loadgen import run_load
from bench.server import HOST, TWENTY_ACCOUNT_KEY, sandbox_server

#: Fixture personas (fixtures/personas.yaml): the 20-account subject and a lender.
SUBJECT_KEY = TWENTY_ACCOUNT_KEY
LENDER_KEY = "cf_lender_sandbox_bank"
LENDER_ID = "len_sandbox_bank"
TARGET = 0.7


@dataclass(frozen=True)
class Load:
    """A load run's figures, from either load generator."""

    requests: int
    errors: int
    seconds: float
    p50: float
    p99: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def __add__(self, other: "Load") -> "Load":
        """Two runs of one request as one: rates add up; p50 weighted by requests; p99 the
        larger (an upper bound: the percentiles of the halves are all that is known)."""
        requests = self.requests + other.requests
        p50 = (self.p50 * self.requests + other.p50 * other.requests) / max(requests, 1)
        return Load(
            requests,
            self.errors + other.errors,
            self.seconds + other.seconds,
            p50,
            max(self.p99, other.p99),
        )


def _row(name: str, r: Load) -> str:
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
    pid: int, load: Callable[[float, int], Load], seconds: float, connections: int
) -> tuple[Load, float | None]:
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
    parser.add_argument(
        "--load",
        choices=("wrk", "python"),
        default="wrk" if wrk.available() else "python",
        help="the load generator, the same for both requests",
    )
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

        def drive(
            key: str, path: str, method: str, body: bytes | None, seconds: float, connections: int
        ) -> Load:
            if args.load == "wrk":
                w = wrk.run_wrk(
                    host=HOST,
                    port=port,
                    path=path,
                    keys=[key],
                    connections=connections,
                    seconds=seconds,
                    method=method,
                    body=body,
                )
                return Load(w.requests, w.errors, w.seconds, w.p50_ms, w.p99_ms)
            r = run_load(
                host=HOST,
                port=port,
                path=path,
                headers={"Authorization": f"Bearer {key}"},
                connections=connections,
                seconds=seconds,
                method=method,
                body=body or b"",
            )
            return Load(r.requests, r.errors, r.seconds, r.p50, r.p99)

        def report(seconds: float, connections: int) -> Load:
            return drive(SUBJECT_KEY, "/v1/me/report", "GET", None, seconds, connections)

        def pull(seconds: float, connections: int) -> Load:
            return drive(LENDER_KEY, "/v1/lender/reports", "POST", pull_body, seconds, connections)

        report(args.warmup, 4)
        pull(args.warmup, 4)
        print(
            f"{args.connections} connections, {args.seconds:.0f} s per run, SQLite, 1 server "
            f"process; Tessa's file: 20 accounts; load generator: {args.load}"
        )
        for n in range(1, args.rounds + 1):
            file = _call(port, "GET", "/v1/me/report", SUBJECT_KEY)
            inquiries = len(file["inquiries"])  # type: ignore[arg-type]
            before, cpu_before = _timed(server.pid, report, args.seconds / 2, args.connections)
            pulled, cpu_pulled = _timed(server.pid, pull, args.seconds, args.connections)
            after, cpu_after = _timed(server.pid, report, args.seconds / 2, args.connections)
            read = before + after
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
