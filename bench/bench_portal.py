"""Load benchmark: the portal's "My file" page for the 20-account persona versus
GET /v1/me/report for the same persona, in the same run on the same server.

Signs in through the portal's form once (the page's form token and the sign-in cookie, as a
browser sends them), then drives each endpoint with keep-alive connections for a fixed time,
and prints requests per second, p50 and p99 for both and the ratio. The time is cut into
rounds that alternate which endpoint goes first (report-page, page-report, ...), so that a
neighbour's load on a shared machine falls on both alike; each round's ratio is printed too.

    python -m bench.bench_portal [--seconds 15] [--rounds 4] [--connections 32]

Target: the page at >= 0.5 of the report's rate.
"""

import argparse
import http.client
import re
import urllib.parse

from bench.loadgen import LoadResult, load_row, run_load
from bench.server import HOST, TWENTY_ACCOUNT_KEY, sandbox_server


def _portal_cookie(port: int) -> str:
    """Sign in as the 20-account persona through the form; the portal session's cookie."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    conn.request("GET", "/portal/sign-in")
    page = conn.getresponse()
    html = page.read().decode()
    sign_in_cookie = page.getheader("set-cookie", "").split(";", 1)[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token, "no form token on the sign-in page"
    body = urllib.parse.urlencode({"key": TWENTY_ACCOUNT_KEY, "csrf_token": token.group(1)})
    conn.request(
        "POST",
        "/portal/sign-in",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": sign_in_cookie},
    )
    answer = conn.getresponse()
    answer.read()
    assert answer.status == 303, answer.status
    cookie = next(v.split(";", 1)[0] for k, v in answer.getheaders() if k.lower() == "set-cookie")
    conn.close()
    return cookie


def _merged(parts: list[LoadResult]) -> LoadResult:
    return LoadResult(
        requests=sum(p.requests for p in parts),
        errors=sum(p.errors for p in parts),
        seconds=sum(p.seconds for p in parts),
        latencies_ms=[ms for p in parts for ms in p.latencies_ms],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="per endpoint, in all")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args()

    rounds = max(args.rounds, 1)
    reports: list[LoadResult] = []
    pages: list[LoadResult] = []
    with sandbox_server() as (port, _server):
        targets = {
            "report": ("/v1/me/report", {"Authorization": f"Bearer {TWENTY_ACCOUNT_KEY}"}),
            "page": ("/portal/file", {"Cookie": _portal_cookie(port)}),
        }
        for path, headers in targets.values():
            run_load(host=HOST, port=port, path=path, headers=headers, seconds=args.warmup)
        for i in range(rounds):
            order = ("report", "page") if i % 2 == 0 else ("page", "report")
            for name in order:
                path, headers = targets[name]
                result = run_load(
                    host=HOST,
                    port=port,
                    path=path,
                    headers=headers,
                    connections=args.connections,
                    seconds=args.seconds / rounds,
                )
                (reports if name == "report" else pages).append(result)

    print(
        f"{args.connections} connections, {args.seconds:.0f} s per endpoint in {rounds} "
        "alternating rounds, SQLite, 1 server process"
    )
    report, portal = _merged(reports), _merged(pages)
    print(load_row("GET /v1/me/report (20 acc.)", report))
    print(load_row("GET /portal/file (20 acc.)", portal))
    each = [p.rps / r.rps if r.rps else 0.0 for r, p in zip(reports, pages, strict=True)]
    print("rounds' ratios: " + ", ".join(f"{x:.2f}" for x in each))
    ratio = portal.rps / report.rps if report.rps else 0.0
    print(f"My file page / report rate: {ratio:.2f}  (target >= 0.5)")
    return 0 if portal.errors == 0 and report.errors == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
