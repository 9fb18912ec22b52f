"""The subject's right of access: report, access log, export."""

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from schemas.file import EXPORT_SCHEMA_VERSION
from tests.conftest import Actor
from tests.factories import account_body, furnish

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock(set_clock: Callable[[datetime], datetime]) -> None:
    set_clock(NOW)


def test_report_shows_accounts_with_sources_and_versions(
    client: TestClient, make_subject: Callable[..., Actor], make_furnisher: Callable[..., Actor]
) -> None:
    subject = make_subject()
    bank = make_furnisher("Fictional Card Bank")
    furnish(client, bank, "card-1", account_body(subject.id))
    furnish(client, bank, "card-1", account_body(subject.id, balance_cents=90_000), status=200)
    report = client.get("/v1/me/report", headers=subject.headers).json()
    (account,) = report["accounts"]
    assert account["account_ref"] == "card-1"
    assert account["furnisher"] == {"id": bank.id, "name": "Fictional Card Bank"}
    assert account["balance_cents"] == 90_000
    assert account["disputed"] is False
    assert account["compliance_condition_code"] is None
    assert [v["version"] for v in account["versions"]] == [1, 2]
    assert account["versions"][1]["changed"] == ["balance_cents"]
    assert account["versions"][1]["actor_name"] == "Fictional Card Bank"
    assert account["versions"][0]["fields"]["balance_cents"] == 125_000
    assert report["sources"] == [
        {
            "id": bank.id,
            "name": "Fictional Card Bank",
            "role": "furnisher",
            "supplied": ["accounts"],
        }
    ]


def test_another_subjects_accounts_are_not_in_my_report(
    client: TestClient, make_subject: Callable[..., Actor], make_furnisher: Callable[..., Actor]
) -> None:
    me, other = make_subject(), make_subject()
    bank = make_furnisher()
    furnish(client, bank, "theirs", account_body(other.id))
    report = client.get("/v1/me/report", headers=me.headers).json()
    assert report["accounts"] == []
    assert report["subject"]["id"] == me.id


def test_report_costs_the_same_queries_for_1_or_20_accounts(
    client: TestClient,
    make_subject: Callable[..., Actor],
    make_furnisher: Callable[..., Actor],
    count_queries: Callable[[], int],
    database_url: str,
) -> None:
    small, large = make_subject(), make_subject()
    banks = [make_furnisher() for _ in range(4)]
    furnish(client, banks[0], "s-1", account_body(small.id))
    for i in range(20):
        bank = banks[i % 4]
        ref = f"l-{i}"
        furnish(client, bank, ref, account_body(large.id))
        furnish(client, bank, ref, account_body(large.id, balance_cents=1000 + i), status=200)

    def cost(subject: Actor) -> int:
        before = count_queries()
        assert client.get("/v1/me/report", headers=subject.headers).status_code == 200
        return count_queries() - before

    first_small, first_large = cost(small), cost(large)  # cold: the file's items are read
    assert first_small == first_large
    assert cost(small) == cost(large)  # warm: the items come from the revision-keyed cache
    # The test harness adds a SAVEPOINT and its release to the request's transaction: one
    # on every database, the key being read first thing in the route's own transaction.
    harness = 2
    # On PostgreSQL the event is appended once the read has committed, by the group writer
    # (service.audit.group), in a transaction of its own: one more savepoint here; its lock
    # of the chain head goes straight to psycopg, with its BEGIN, unseen by SQLAlchemy.
    on_postgresql = database_url.startswith("postgresql")
    writer = harness - 1 if on_postgresql else 0
    # There the key's statement goes straight to psycopg too, unseen by SQLAlchemy.
    key = 0 if on_postgresql else 1
    # Cold: the key (with the clock, the subject and its file revision: a read-only unit
    # of work reads the caller's own row once), accounts, their versions, inquiries, public
    # records, consents, the last freeze, fraud alerts, the dispute flags, statements,
    # disputes, the audit chain head, the event.
    assert first_large == 12 + key + harness + writer
    # Warm, the file unchanged: the key (and subject), the chain head, the event.
    assert cost(large) == 2 + key + harness + writer


def test_access_log_shows_who_read_and_wrote(
    client: TestClient, make_subject: Callable[..., Actor], make_furnisher: Callable[..., Actor]
) -> None:
    subject = make_subject()
    bank = make_furnisher("Fictional Card Bank")
    furnish(client, bank, "card-1", account_body(subject.id))
    client.get("/v1/me/report", headers=subject.headers)
    log = client.get("/v1/me/access-log", headers=subject.headers).json()
    entries = [(e["action"], e["actor_role"], e["actor_name"]) for e in log["items"]]
    assert entries == [
        ("report.read", "subject", subject.body["name"]),
        ("account.created", "furnisher", "Fictional Card Bank"),
        ("file.opened", "admin", "Sandbox operator"),
    ]
    assert all(e["at"].endswith(("Z", "+00:00")) for e in log["items"])
    purposes = {e["action"]: e["purpose"] for e in log["items"]}
    assert purposes["report.read"] == "subject_access"
    assert purposes["account.created"] == "furnishing"


def test_access_log_pages_newest_first(
    client: TestClient, make_subject: Callable[..., Actor]
) -> None:
    subject = make_subject()
    for _ in range(3):
        client.get("/v1/me/report", headers=subject.headers)
    first = client.get("/v1/me/access-log", params={"limit": 2}, headers=subject.headers).json()
    assert len(first["items"]) == 2
    assert first["items"][0]["id"] > first["items"][1]["id"]
    rest = client.get(
        "/v1/me/access-log",
        params={"limit": 10, "cursor": first["next_cursor"]},
        headers=subject.headers,
    ).json()
    assert rest["next_cursor"] is None
    assert rest["items"][-1]["action"] == "file.opened"
    assert rest["items"][0]["id"] < first["items"][-1]["id"]


def test_export_holds_everything_and_is_versioned(
    client: TestClient, make_subject: Callable[..., Actor], make_furnisher: Callable[..., Actor]
) -> None:
    subject = make_subject()
    bank = make_furnisher()
    furnish(client, bank, "card-1", account_body(subject.id))
    export = client.get("/v1/me/export", headers=subject.headers).json()
    assert export["schema_version"] == EXPORT_SCHEMA_VERSION
    assert export["report"]["subject"]["national_id"] == subject.body["national_id"]
    assert len(export["report"]["accounts"]) == 1
    actions = [e["action"] for e in export["access_log"]]
    assert actions == ["file.opened", "account.created", "file.exported"]


def test_obsolete_collection_leaves_the_report_and_is_purged_when_the_clock_moves(
    client: TestClient,
    make_subject: Callable[..., Actor],
    make_furnisher: Callable[..., Actor],
    admin_headers: dict[str, str],
) -> None:
    subject = make_subject()
    agency = make_furnisher("Fictional Collections")
    # FCRA 605(c): 2019-05-29 + 180 days = 2019-11-25, + 7 years = 2026-11-25 (NOW + 10 days).
    body = account_body(
        subject.id,
        account_type="collection",
        opened_on="2020-01-15",
        credit_limit_cents=None,
        original_amount_cents=80_000,
        balance_cents=80_000,
        past_due_cents=80_000,
        status="93",
        payment_history="G" * 24,
        date_of_first_delinquency="2019-05-29",
    )
    created = furnish(client, agency, "coll-1", body)
    assert created["obsolete_on"] == "2026-11-25"
    report = client.get("/v1/me/report", headers=subject.headers).json()
    assert [a["account_ref"] for a in report["accounts"]] == ["coll-1"]

    moved = client.post("/v1/sandbox/clock", json={"advance_days": 10}, headers=admin_headers)
    assert moved.status_code == 200, moved.text
    report = client.get("/v1/me/report", headers=subject.headers).json()
    assert report["accounts"] == []
    log = client.get("/v1/me/access-log", headers=subject.headers).json()
    purge = [e for e in log["items"] if e["action"] == "account.purged_obsolete"]
    assert len(purge) == 1
    assert purge[0]["purpose"] == "fcra_605"
    export = client.get("/v1/me/export", headers=subject.headers).json()
    assert export["report"]["accounts"] == []


def test_clock_cannot_move_back(client: TestClient, admin_headers: dict[str, str]) -> None:
    resp = client.post(
        "/v1/sandbox/clock", json={"now": "2020-01-01T00:00:00Z"}, headers=admin_headers
    )
    assert resp.status_code == 409
    assert resp.json()["errors"][0]["field"] == "now"
    now = client.get("/v1/sandbox/clock", headers=admin_headers).json()["now"]
    assert now.startswith("2026-11-15")
