"""Metro 2 check and import over a generated 100,000-account file, next to the JSON API's
sequential furnishing rate (one client, keep-alive PUTs to a sandbox server), same run.

Targets: check >= 50,000 records/s; import >= 10x the JSON API's PUT rate.

    .venv/bin/python -m bench.bench_metro2 [--accounts 100000] [--runs 3] [--puts 1000]
        [--check-only]

``check`` is timed as ``service.metro2.validator.check`` (read the bytes, check every
record), which is what ``clearfile metro2 check`` and ``POST /v1/furnisher/metro2/check``
run; the machine's load shows in the wall-clock rate, less in the rate per CPU second.
"""

import argparse
import http.client
import json
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import insert

from bench.server import HOST, sandbox_server
from schemas.common import Role
from service.core import clock
from service.core.db import make_engine, make_sessionmaker
from service.core.migrate import upgrade
from service.core.security import Principal
from service.metro2.service import import_file
from service.metro2.validator import check
from service.metro2.writer import BaseOut, render_file
from service.principals.models import Principal as PrincipalRow
from service.principals.models import Subject

ACCOUNTS_PER_SUBJECT = 5
NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
HEADER = {
    "activityDate": date(2026, 11, 1),
    "dateCreated": date(2026, 11, 2),
    "reporterName": "BENCH CARD CO (FICTIONAL)",
    "reporterAddress": "1 BENCH WAY",
}


def _base(i: int, balance: int) -> BaseOut:
    person = i // ACCOUNTS_PER_SUBJECT + 1  # national id 000-00-0000 means unknown
    return BaseOut(
        {
            "processingIndicator": 1,
            "identificationNumber": "FURBENCH01",
            "consumerAccountNumber": f"ACCT-{i:07d}",
            "portfolioType": "R",
            "accountType": "18",
            "dateOpened": date(2019, 1 + i % 12, 1 + i % 28),
            "creditLimit": 5000 + i % 1000,
            "termsDuration": "REV",
            "termsFrequency": "M",
            "accountStatus": "11",
            "paymentHistoryProfile": "000000000000BBBBBBBBBBBB",
            "currentBalance": balance + i % 977,
            "dateAccountInformation": date(2026, 11, 1),
            "surname": f"BENCHER{person}",
            "firstName": "TESTA",
            "socialSecurityNumber": person,
            "dateBirth": date(1980 + person % 20, 1 + person % 12, 1 + person % 28),
            "ecoaCode": "1",
            "firstLineAddress": f"{person} SANDBOX WAY",
            "city": "EXAMPLETON",
            "state": "ZZ",
            "zipCode": "00001",
        }
    )


def make_file(accounts: int, balance: int) -> bytes:
    return render_file(HEADER, (_base(i, balance) for i in range(accounts)))


def _load_subjects(url: str, subjects: int) -> None:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session, session.begin():
        people = [
            {"id": f"sub_bench_{n:08d}", "role": "subject", "name": "x", "created_at": NOW}
            for n in range(1, subjects + 1)
        ]
        session.execute(insert(PrincipalRow), people)
        session.execute(
            insert(PrincipalRow),
            [{"id": "fur_bench", "role": "furnisher", "name": "Bench Card Co", "created_at": NOW}],
        )
        session.execute(
            insert(Subject),
            [
                {
                    "id": f"sub_bench_{n:08d}",
                    "given_name": "Testa",
                    "family_name": f"Bencher{n}",
                    "date_of_birth": date(1980 + n % 20, 1 + n % 12, 1 + n % 28),
                    "national_id": f"000-{n // 10000:02d}-{n % 10000:04d}",
                    "addresses": [],
                    "created_at": NOW,
                }
                for n in range(1, subjects + 1)
            ],
        )
        clock.set_now(session, NOW)
    engine.dispose()


def bench_import(url: str, data: bytes) -> tuple[float, float, dict[str, int]]:
    engine = make_engine(url)
    furnisher = Principal(id="fur_bench", role=Role.furnisher, name="Bench Card Co")
    wall, cpu = time.perf_counter(), time.process_time()
    with make_sessionmaker(engine)() as session, session.begin():
        result = import_file(session, furnisher=furnisher, data=data, now=NOW)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    engine.dispose()
    counts = {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "rejected": len(result.rejected),
    }
    return wall, cpu, counts


def json_put_rate(puts: int) -> float:
    """Sequential PUTs by one client over one keep-alive connection: accounts per second."""
    with sandbox_server() as (port, _):
        conn = http.client.HTTPConnection(HOST, port)
        headers = {
            "Authorization": "Bearer cf_furnisher_sandbox_card_co",
            "Content-Type": "application/json",
        }
        start = time.perf_counter()
        for i in range(puts):
            body = {
                "subject_id": "sub_sandbox_ada_testwell",
                "account_type": "revolving",
                "opened_on": "2020-01-05",
                "credit_limit_cents": 500000,
                "balance_cents": 10000 + i,
                "past_due_cents": 0,
                "status": "11",
                "payment_history": "000000000000BBBBBBBBBBBB",
                "as_of": "2026-11-01",
            }
            conn.request("PUT", f"/v1/furnisher/accounts/BENCH-{i}", json.dumps(body), headers)
            resp = conn.getresponse()
            resp.read()
            if resp.status != 201:
                raise RuntimeError(f"PUT answered {resp.status}")
        return puts / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--puts", type=int, default=1000)
    parser.add_argument("--check-only", action="store_true", help="time check, not import")
    args = parser.parse_args()
    data = make_file(args.accounts, 400)
    changed = make_file(args.accounts, 600)
    print(f"file: {args.accounts:,} accounts, {len(data):,} bytes")
    for run in range(args.runs):
        wall, cpu = time.perf_counter(), time.process_time()
        _, report = check(data)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        assert report.valid, report.problems[:5]
        print(
            f"check run {run + 1}: {args.accounts / wall:,.0f} records/s "
            f"({args.accounts / cpu:,.0f} per CPU second)"
        )
    if args.check_only:
        return
    put_rate = json_put_rate(args.puts)
    print(f"JSON API, {args.puts} sequential PUTs, one client: {put_rate:,.0f} accounts/s")
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            upgrade(url)
            _load_subjects(url, -(-args.accounts // ACCOUNTS_PER_SUBJECT))
            for label, body in (("new accounts", data), ("every balance changed", changed)):
                wall, cpu, counts = bench_import(url, body)
                rate = args.accounts / wall
                print(
                    f"import run {run + 1} ({label}): {rate:,.0f} records/s "
                    f"({args.accounts / cpu:,.0f} per CPU second), {counts}; "
                    f"{rate / put_rate:.1f}x the JSON API's PUT rate"
                )


if __name__ == "__main__":
    main()
