"""Load benchmark: GET /v1/me/score against GET /v1/me/report for the 20-account persona.

Starts the sandbox server (`clearfile serve --no-access-log`, SQLite, personas loaded) and
drives both endpoints with `wrk` (one thread, keep-alive) at 1 and at 32 connections, the
report and the score alternately for ``--rounds`` rounds of ``--seconds`` each, and prints
requests per second, p50 and p99 for both and the score's rate as a fraction of the
report's in the same round; and the server process's CPU time per request of each (from
/proc), a figure the load of a shared machine disturbs less than the rates. Every score
stores its receipt and audits the disclosure, as in production; afterwards the benchmark
counts the receipts in the subject's score history and checks that there is one per score
served. It first prints the CPU time of one recourse search
for that file, in one batch and one candidate at a time (the reference), with no cache.

    python -m bench.bench_score_load [--seconds 10] [--rounds 2] [--connections 1 32]

Needs `wrk` (Debian package). Target: the score at >= 0.5 of the report's rate at 1 and at
32 connections.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.server import HOST, TWENTY_ACCOUNT_KEY, sandbox_server  # noqa: E402

#: The fixture persona with exactly 20 accounts (fixtures/personas.yaml).
TARGET_FRACTION = 0.5
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class WrkResult:
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    failed: int


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def wrk(port: int, path: str, connections: int, seconds: float) -> WrkResult:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    command += ["-H", f"Authorization: Bearer {TWENTY_ACCOUNT_KEY}", f"http://{HOST}:{port}{path}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = (int(bad.group(1)) if bad else 0) + (
        sum(int(g) for g in errors.groups()) if errors else 0
    )
    return WrkResult(requests, rps, p50, p99, failed)


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) the server process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _get(port: int, path: str) -> dict[str, object]:
    auth = {"Authorization": f"Bearer {TWENTY_ACCOUNT_KEY}"}
    with urllib.request.urlopen(
        urllib.request.Request(f"http://{HOST}:{port}{path}", headers=auth)
    ) as resp:
        body: dict[str, object] = json.loads(resp.read())
        return body


def receipts_in_history(port: int) -> int:
    count, cursor = 0, None
    while True:
        page = _get(
            port, "/v1/me/score/history?limit=200" + (f"&cursor={cursor}" if cursor else "")
        )
        items = page["items"]
        assert isinstance(items, list)
        count += len(items)
        cursor = page.get("next_cursor")
        if not cursor:
            return count


def search_times(repeat: int = 30) -> tuple[float, float]:
    """CPU milliseconds of one recourse search for the 20-account persona (no cache): the
    batch through the vectorised engine, and the one-by-one reference."""
    import tempfile
    import time

    from service.cli import _load_into_empty
    from service.core import clock
    from service.core.config import Settings
    from service.core.db import make_engine, make_sessionmaker
    from service.core.migrate import upgrade
    from service.scoring.engine.recourse import best_actions, best_actions_one_by_one
    from service.scoring.service import current_model, file_input

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{tmp}/search.db", load_fixtures=True)
        upgrade(settings.database_url)
        _load_into_empty(settings)
        engine = make_engine(settings.database_url)
        with make_sessionmaker(engine)() as session:
            now = clock.now(session)
            scoring = file_input(session, subject_id="sub_sandbox_tessa_twentyfold", now=now)
        engine.dispose()
    model, labels = current_model(), scoring.account_labels
    out = []
    for search in (best_actions, best_actions_one_by_one):
        search(scoring.file, now.date(), model, account_labels=labels)
        started = time.process_time()
        for _ in range(repeat):
            search(scoring.file, now.date(), model, account_labels=labels)
        out.append((time.process_time() - started) / repeat * 1000)
    return out[0], out[1]


def _row(name: str, r: WrkResult) -> str:
    return (
        f"{name:<8} {r.rps:>8.0f} req/s   p50 {r.p50_ms:>7.2f} ms   p99 {r.p99_ms:>7.2f} ms"
        f"   ({r.requests} requests, {r.failed} failed)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)")
        return 2

    batch, one_by_one = search_times()
    print(
        f"recourse search, 20 accounts, no cache: batch {batch:.2f} ms CPU vs one by one "
        f"{one_by_one:.2f} ms: {one_by_one / batch:.1f}x"
    )
    fractions: dict[int, list[float]] = {c: [] for c in args.connections}
    scores_served = 0
    cpu_fractions: dict[int, list[float]] = {c: [] for c in args.connections}
    with sandbox_server() as (port, server):

        def measured(path: str, c: int) -> tuple[WrkResult, float]:
            """The run and the server's CPU milliseconds per request during it."""
            before = server_cpu(server.pid)
            result = wrk(port, path, c, args.seconds)
            spent = server_cpu(server.pid) - before
            return result, 1000 * spent / max(result.requests, 1)

        first = _get(port, "/v1/me/score")
        actions = first.get("actions")
        print(
            f"score of the 20-account persona: {first['score']}, "
            f"{len(actions) if isinstance(actions, list) else 0} actions"
        )
        before = receipts_in_history(port)
        wrk(port, "/v1/me/report", 4, args.warmup)
        scores_served += wrk(port, "/v1/me/score", 4, args.warmup).requests
        for r in range(1, args.rounds + 1):
            for c in args.connections:
                report, report_cpu = measured("/v1/me/report", c)
                score, score_cpu = measured("/v1/me/score", c)
                scores_served += score.requests - score.failed
                fractions[c].append(score.rps / report.rps)
                cpu_fractions[c].append(report_cpu / score_cpu)
                print(f"round {r}, {c} connection{'s' if c > 1 else ''}:")
                print("  " + _row("report", report) + f"   server CPU {report_cpu:.2f} ms/request")
                print("  " + _row("score", score) + f"   server CPU {score_cpu:.2f} ms/request")
                print(
                    f"  score / report: {fractions[c][-1]:.2f} "
                    f"(by server CPU per request: {cpu_fractions[c][-1]:.2f})"
                )
        stored = receipts_in_history(port) - before
    ok = True
    for c, values in fractions.items():
        met = min(values) >= TARGET_FRACTION
        ok &= met
        print(
            f"{c} connection{'s' if c > 1 else ''}: score at {min(values):.2f}-{max(values):.2f} "
            f"of the report's rate (target >= {TARGET_FRACTION}): {'met' if met else 'NOT MET'}; "
            f"by server CPU per request {min(cpu_fractions[c]):.2f}-{max(cpu_fractions[c]):.2f}"
        )
    # wrk may count a request it had sent when its time ran out as not done: the server can
    # have served (and stored) a few more scores than wrk reports.
    receipts_ok = scores_served <= stored <= scores_served + 64 * (1 + len(fractions))
    print(
        f"receipts stored during the run: {stored} for {scores_served} scores served: "
        + ("every score kept its receipt" if receipts_ok else "MISMATCH")
    )
    return 0 if ok and receipts_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
