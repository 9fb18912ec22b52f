"""Load benchmark: the portal's "My file" page for the 20-account persona versus
GET /v1/me/report for the same persona, in the same run on the same server.

Signs in through the portal's form once (the page's form token and the sign-in cookie, as a
browser sends them), then drives each endpoint with keep-alive connections for a fixed time,
and prints requests per second, p50 and p99 for both and the ratio.

    python -m bench.bench_portal [--seconds 15] [--connections 32]

Target: the page at >= 0.5 of the report's rate.
"""

import argparse
import http.client
import re
import urllib.parse

from bench.bench_report_load import TWENTY_ACCOUNT_KEY, _row
from bench.loadgen import run_load
from bench.server import HOST, sandbox_server


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args()

    with sandbox_server() as (port, _server):
        auth = {"Authorization": f"Bearer {TWENTY_ACCOUNT_KEY}"}
        page = {"Cookie": _portal_cookie(port)}
        run_load(host=HOST, port=port, path="/v1/me/report", headers=auth, seconds=args.warmup)
        run_load(host=HOST, port=port, path="/portal/file", headers=page, seconds=args.warmup)
        report = run_load(
            host=HOST,
            port=port,
            path="/v1/me/report",
            headers=auth,
            connections=args.connections,
            seconds=args.seconds,
        )
        portal = run_load(
            host=HOST,
            port=port,
            path="/portal/file",
            headers=page,
            connections=args.connections,
            seconds=args.seconds,
        )

    print(f"{args.connections} connections, {args.seconds:.0f} s each, SQLite, 1 server process")
    print(_row("GET /v1/me/report (20 acc.)", report))
    print(_row("GET /portal/file (20 acc.)", portal))
    ratio = portal.rps / report.rps if report.rps else 0.0
    print(f"My file page / report rate: {ratio:.2f}  (target >= 0.5)")
    return 0 if portal.errors == 0 and report.errors == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
