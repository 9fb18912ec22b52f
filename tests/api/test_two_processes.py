"""Two server processes on one database: whatever one process changes, the other's next
answer shows, whatever it had cached. Every in-process cache (a report's items and
disputes by file revision, account views by their stored row) and the sandbox clock (an
offset kept in the database) must hold across processes, as with ``serve --workers 2``.

Runs on the suite's database kind: a temporary SQLite file, or, when
``CLEARFILE_TEST_DATABASE_URL`` names PostgreSQL, a database created on that server for the
test and dropped after it (the suite's own database holds only rolled-back transactions,
which another process cannot see)."""

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.databases import fresh_postgres_database

HOST = "127.0.0.1"
ADMIN = {"Authorization": "Bearer cf_admin_sandbox_default"}
ADA = {"Authorization": "Bearer cf_subject_sandbox_ada_testwell"}
ADA_ID = "sub_sandbox_ada_testwell"
CARD_CO = {"Authorization": "Bearer cf_furnisher_sandbox_card_co"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def _start(url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = dict(os.environ)
    env.update(
        CLEARFILE_DATABASE_URL=url,
        CLEARFILE_DUE_WORK_INTERVAL_SECONDS="0",
        CLEARFILE_WEBHOOK_WORKER="false",
    )
    env.pop("CLEARFILE_ADMIN_KEY", None)
    command = [sys.executable, "-m", "service.cli", "serve", "--host", HOST, "--port", str(port)]
    command.append("--no-access-log")
    process = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("the sandbox server did not start")
        time.sleep(0.2)


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    url = os.environ.get("CLEARFILE_TEST_DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'shared.db'}"
        return
    with fresh_postgres_database(url, "clearfile_procs") as own:
        yield own


@pytest.fixture
def two_servers(database_url: str) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    first, a = _start(database_url)  # migrates and loads the personas
    try:
        second, b = _start(database_url)
        try:
            with httpx.Client(base_url=a) as one, httpx.Client(base_url=b) as other:
                yield one, other
        finally:
            second.terminate()
            second.wait(timeout=30)
    finally:
        first.terminate()
        first.wait(timeout=30)


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _account(report: dict[str, Any], ref: str) -> dict[str, Any] | None:
    return next((a for a in report["accounts"] if a["account_ref"] == ref), None)


def test_what_one_process_changes_the_other_shows_at_once(
    two_servers: tuple[httpx.Client, httpx.Client],
) -> None:
    one, other = two_servers
    # The other process builds and caches Ada's report (items, views, disputes) and reads
    # the clock.
    before = _ok(other.get("/v1/me/report", headers=ADA))
    assert _account(before, "TWO-PROC-1") is None
    assert _ok(other.get("/v1/me/report", headers=ADA)) is not None  # served from its cache
    clock = datetime.fromisoformat(_ok(other.get("/v1/sandbox/clock", headers=ADMIN))["now"])

    # One process moves the clock: the other reads the new moment.
    _ok(one.post("/v1/sandbox/clock", headers=ADMIN, json={"advance_days": 30}))
    moved = datetime.fromisoformat(_ok(other.get("/v1/sandbox/clock", headers=ADMIN))["now"])
    assert moved - clock >= timedelta(days=30)
    report = _ok(other.get("/v1/me/report", headers=ADA))
    assert datetime.fromisoformat(report["generated_at"]) - clock >= timedelta(days=30)
    today = moved.date()

    # One process furnishes a new account, then a new balance: the other shows each.
    body = {
        "subject_id": ADA_ID,
        "account_type": "revolving",
        "opened_on": (today - timedelta(days=400)).isoformat(),
        "credit_limit_cents": 300000,
        "balance_cents": 45000,
        "past_due_cents": 0,
        "status": "11",
        "payment_history": "000000000000BBBBBBBBBBBB",
        "as_of": today.isoformat(),
    }
    _ok(one.put("/v1/furnisher/accounts/TWO-PROC-1", headers=CARD_CO, json=body), 201)
    shown = _account(_ok(other.get("/v1/me/report", headers=ADA)), "TWO-PROC-1")
    assert shown is not None
    assert shown["balance_cents"] == 45000
    _ok(
        one.put(
            "/v1/furnisher/accounts/TWO-PROC-1",
            headers=CARD_CO,
            json={**body, "balance_cents": 1000},
        )
    )
    shown = _account(_ok(other.get("/v1/me/report", headers=ADA)), "TWO-PROC-1")
    assert shown is not None
    assert shown["balance_cents"] == 1000

    # One process takes a consent and then its revocation: the other's lender pull follows.
    lender = _ok(
        one.post("/v1/sandbox/lenders", headers=ADMIN, json={"name": "Two Process Lending"}), 201
    )
    lender_key = {"Authorization": f"Bearer {lender['api_key']}"}
    consent = _ok(
        one.post(
            "/v1/me/consents",
            headers=ADA,
            json={
                "lender_id": lender["id"],
                "purpose": "credit_application",
                "scope": ["score"],
                "expires_on": (today + timedelta(days=90)).isoformat(),
            },
        ),
        201,
    )
    assert any(
        c["id"] == consent["id"] for c in _ok(other.get("/v1/me/report", headers=ADA))["consents"]
    )
    pulled = other.post("/v1/lender/scores", headers=lender_key, json={"consent_id": consent["id"]})
    assert pulled.status_code in (200, 201), pulled.text
    _ok(one.delete(f"/v1/me/consents/{consent['id']}", headers=ADA), 200)
    refused = other.post(
        "/v1/lender/scores", headers=lender_key, json={"consent_id": consent["id"]}
    )
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("consent-revoked")

    # One process files a dispute and a freeze: the other's report shows both.
    account_id = shown["id"]
    _ok(
        one.post(
            "/v1/me/disputes",
            headers=ADA,
            json={
                "item_type": "account",
                "item_id": account_id,
                "reason_code": "not_mine",
                "description": "This card is not mine.",
            },
        ),
        201,
    )
    _ok(one.put("/v1/me/freeze", headers=ADA), 201)
    report = _ok(other.get("/v1/me/report", headers=ADA))
    assert any(d["item_id"] == account_id for d in report["disputes"])
    assert report["freeze"] is not None
    assert date.fromisoformat(report["generated_at"][:10]) >= today


AUDITOR = {"Authorization": "Bearer cf_auditor_sandbox_compliance"}


def _reads_of(client: httpx.Client, subject_id: str) -> list[dict[str, Any]]:
    """The subject's ``report.read`` events, as the auditor lists them (oldest first)."""
    events: list[dict[str, Any]] = []
    params: dict[str, Any] = {"subject_id": subject_id, "limit": 200}
    while True:
        page = _ok(client.get("/v1/audit/events", headers=AUDITOR, params=params))
        events += [e for e in page["items"] if e["action"] == "report.read"]
        if page["next_cursor"] is None:
            return events
        params["cursor"] = page["next_cursor"]


def test_concurrent_reads_of_one_file_through_both_processes_are_all_chained(
    two_servers: tuple[httpx.Client, httpx.Client],
) -> None:
    """Sixteen clients read one subject's report at once, half through each process: every
    read is answered and audited, and the log verifies (on PostgreSQL the appends take
    stripes of the subject's chain instead of queueing on its head; on SQLite they queue)."""
    one, other = two_servers
    before = len(_reads_of(one, ADA_ID))
    errors: list[BaseException] = []
    start = threading.Barrier(16, timeout=60)

    def reads(base: str) -> None:
        try:
            with httpx.Client(base_url=base, timeout=60) as client:
                start.wait()
                for _ in range(8):
                    _ok(client.get("/v1/me/report", headers=ADA))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    bases = [str(one.base_url), str(other.base_url)] * 8
    threads = [threading.Thread(target=reads, args=(b,)) for b in bases]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    read = _reads_of(other, ADA_ID)
    assert len(read) == before + 16 * 8
    assert all(e["chain"].split(":")[0] == ADA_ID for e in read)
    verified = _ok(one.get("/v1/audit/verify", headers=AUDITOR))
    assert verified["valid"] is True, verified
