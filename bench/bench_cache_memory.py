"""Memory benchmark: the server's resident memory while one account gains versions.

Starts `clearfile serve --no-access-log` on a temporary SQLite database (migrations and the
fixture personas, as `bench_report_load` does) on a free loopback port, then runs rounds of
(furnisher ``PUT`` of a new version of one account + the subject's ``GET /v1/me/report``).
It reads the server's resident set size (``VmRSS`` in ``/proc/<pid>/status``) after the
first rounds and after the last, and prints both and their ratio. Every superseded view of
the account must be evictable, so memory follows the live file, not its history.

    python -m bench.bench_cache_memory [--rounds 1000] [--early-rounds 10]

Target (issue 8): memory after 1,000 rounds <= 1.5 x memory after 10 rounds.
"""

import argparse
import json
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.server import HOST, TWENTY_ACCOUNT_KEY, sandbox_server
from service.furnishing.rules import FURNISHED_FIELDS

#: The fixture persona whose account gains versions, its furnisher and the account.
SUBJECT_KEY = TWENTY_ACCOUNT_KEY
FURNISHER_KEY = "cf_furnisher_sandbox_card_co"
ACCOUNT_REF = "TESSA-CARD-01"
#: The fields a furnisher sends (``AccountPut``), copied from the account as read.
PUT_FIELDS = ("subject_id", *FURNISHED_FIELDS)
#: Target: resident memory after all rounds over resident memory after the early rounds.
TARGET_RATIO = 1.5


def _call(port: int, method: str, path: str, key: str, body: Any = None) -> bytes:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"http://{HOST}:{port}{path}",
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as resp:  # noqa: S310 - http to loopback
        payload: bytes = resp.read()
        return payload


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1000, help="rounds in all")
    parser.add_argument("--early-rounds", type=int, default=10, help="rounds before the base")
    args = parser.parse_args()
    if not 0 < args.early_rounds < args.rounds:
        parser.error("need 0 < --early-rounds < --rounds")

    with sandbox_server() as (port, server):
        path = f"/v1/furnisher/accounts/{ACCOUNT_REF}"
        account = json.loads(_call(port, "GET", path, FURNISHER_KEY))
        body = {name: account[name] for name in PUT_FIELDS if account.get(name) is not None}
        started = time.monotonic()
        early = report_bytes = 0
        for n in range(1, args.rounds + 1):
            body["balance_cents"] = account["balance_cents"] + n  # a new version each round
            _call(port, "PUT", path, FURNISHER_KEY, body)
            report_bytes = len(_call(port, "GET", "/v1/me/report", SUBJECT_KEY))
            if n == args.early_rounds:
                early = _rss_kib(server.pid)
        late = _rss_kib(server.pid)
        elapsed = time.monotonic() - started

    ratio = late / early
    print(f"{args.rounds} rounds of (PUT a new version of {ACCOUNT_REF} + GET /v1/me/report)")
    print(f"in {elapsed:.1f} s; last report {report_bytes / 1e6:.2f} MB")
    print(f"server RSS after {args.early_rounds:>5} rounds: {early / 1024:8.1f} MiB")
    print(f"server RSS after {args.rounds:>5} rounds: {late / 1024:8.1f} MiB")
    print(f"ratio: {ratio:.2f}  (target <= {TARGET_RATIO})")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
