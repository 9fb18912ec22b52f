"""Disputes: filing, answering, deadlines by the clock, suppression, reinsertion, statements,
identity theft, and the auditor's view."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ADMIN_HEADERS, Actor
from tests.factories import account_body, furnish

#: A Monday, so that business days are easy to count.
NOW = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)
PROBLEMS = "https://clearfile.example/problems/"


@dataclass
class World:
    subject: Actor
    furnisher: Actor
    other_furnisher: Actor
    lender: Actor
    account: dict[str, Any]
    other_account: dict[str, Any]


@pytest.fixture
def world(
    client: TestClient,
    set_clock: Callable[[datetime], datetime],
    make_subject: Callable[..., Actor],
    make_furnisher: Callable[..., Actor],
    make_lender: Callable[..., Actor],
) -> World:
    set_clock(NOW)
    subject = make_subject()
    furnisher = make_furnisher("Fictional Card Issuer")
    other = make_furnisher("Fictional Auto Lender")
    account = furnish(client, furnisher, "card-1", account_body(subject.id, as_of="2026-11-01"))
    other_account = furnish(
        client,
        other,
        "auto-1",
        account_body(
            subject.id,
            account_type="installment",
            credit_limit_cents=None,
            original_amount_cents=2_000_000,
            balance_cents=1_500_000,
            opened_on="2021-05-01",
            as_of="2026-11-01",
        ),
    )
    return World(subject, furnisher, other, make_lender("Fictional Bank"), account, other_account)


def file(client: TestClient, w: World, status: int = 201, **body: Any) -> dict[str, Any]:
    payload = {
        "item_type": "account",
        "item_id": w.account["id"],
        "reason_code": "wrong_balance",
        "description": "I paid this card down in October.",
        **body,
    }
    resp = client.post("/v1/me/disputes", json=payload, headers=w.subject.headers)
    assert resp.status_code == status, resp.text
    data: dict[str, Any] = resp.json()
    return data


def answer(
    client: TestClient, w: World, dispute_id: str, status: int = 200, **body: Any
) -> dict[str, Any]:
    resp = client.post(
        f"/v1/furnisher/disputes/{dispute_id}/response",
        json=body,
        headers=w.furnisher.headers,
    )
    assert resp.status_code == status, resp.text
    data: dict[str, Any] = resp.json()
    return data


def advance(client: TestClient, **body: Any) -> None:
    resp = client.post("/v1/sandbox/clock", json=body, headers=ADMIN_HEADERS)
    assert resp.status_code == 200, resp.text


def report(client: TestClient, w: World) -> dict[str, Any]:
    resp = client.get("/v1/me/report", headers=w.subject.headers)
    assert resp.status_code == 200, resp.text
    data: dict[str, Any] = resp.json()
    return data


def account_in(report_body: dict[str, Any], account_id: str) -> dict[str, Any] | None:
    return next((a for a in report_body["accounts"] if a["id"] == account_id), None)


def notices(client: TestClient, w: World) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get("/v1/me/notices", headers=w.subject.headers).json()[
        "items"
    ]
    return items


def lender_report(client: TestClient, w: World) -> dict[str, Any]:
    today = datetime.fromisoformat(report(client, w)["generated_at"]).date()
    consent = client.post(
        "/v1/me/consents",
        json={
            "lender_id": w.lender.id,
            "purpose": "account_review",
            "scope": ["report"],
            "expires_on": (today + timedelta(days=60)).isoformat(),
        },
        headers=w.subject.headers,
    ).json()
    resp = client.post(
        "/v1/lender/reports", json={"consent_id": consent["id"]}, headers=w.lender.headers
    )
    assert resp.status_code == 200, resp.text
    data: dict[str, Any] = resp.json()
    return data


# --- filing ----------------------------------------------------------------------------------


def test_days_left_count_a_part_of_a_day_as_a_day(client: TestClient, world: World) -> None:
    """Filed a moment ago: 30 days left, not 29; an hour before the deadline: 1; at it: 0."""
    dispute = file(client, world, field="balance_cents")
    assert dispute["due_at"].startswith("2026-12-16T12:00")

    def left() -> int:
        resp = client.get(f"/v1/me/disputes/{dispute['id']}", headers=world.subject.headers)
        assert resp.status_code == 200, resp.text
        return int(resp.json()["days_left"])

    due = datetime.fromisoformat(dispute["due_at"])

    def at(moment: datetime) -> None:
        advance(client, now=moment.isoformat())

    at(due - timedelta(days=30) + timedelta(minutes=1))
    assert left() == 30
    at(due - timedelta(days=1))
    assert left() == 1
    at(due - timedelta(hours=1))
    assert left() == 1


def test_a_disputed_account_is_marked_everywhere_at_once(client: TestClient, world: World) -> None:
    dispute = file(client, world, field="balance_cents")
    assert dispute["status"] == "open"
    assert dispute["due_at"].startswith("2026-12-16T12:00")  # 30 days
    assert dispute["days_left"] == 30
    assert dispute["furnisher_id"] == world.furnisher.id
    assert dispute["furnisher_notice_due_on"] == "2026-11-23"  # 5 business days
    mine = report(client, world)
    shown = account_in(mine, world.account["id"])
    assert shown is not None
    assert (shown["compliance_condition_code"], shown["disputed"]) == ("XB", True)
    other = account_in(mine, world.other_account["id"])
    assert other is not None
    assert other["compliance_condition_code"] is None
    assert [d["id"] for d in mine["disputes"]] == [dispute["id"]]
    export = client.get("/v1/me/export", headers=world.subject.headers).json()
    exported = account_in(export["report"], world.account["id"])
    assert exported is not None
    assert exported["compliance_condition_code"] == "XB"
    seen = account_in(lender_report(client, world), world.account["id"])
    assert seen is not None
    assert seen["compliance_condition_code"] == "XB"
    theirs = client.get(
        "/v1/furnisher/disputes?status=open", headers=world.furnisher.headers
    ).json()["items"]
    assert [(d["id"], d["account_ref"]) for d in theirs] == [(dispute["id"], "card-1")]
    other_furnisher = client.get(
        "/v1/furnisher/disputes", headers=world.other_furnisher.headers
    ).json()["items"]
    assert other_furnisher == []


def test_only_an_item_on_my_file_can_be_disputed(
    client: TestClient, world: World, make_subject: Callable[..., Actor]
) -> None:
    stranger = make_subject()
    theirs = furnish(client, world.furnisher, "card-x", account_body(stranger.id))
    for body in (
        {"item_id": theirs["id"]},
        {"item_id": "acc_00000000000000000000"},
        {"item_type": "inquiry", "item_id": world.account["id"]},
        {"item_type": "identity", "item_id": stranger.id, "field": "addresses"},
    ):
        problem = file(client, world, status=422, **body)
        assert problem["errors"][0]["field"] in {"item_id", "field"}
    assert file(client, world, status=422, field="ethnicity")["errors"][0]["field"] == "field"
    assert (
        file(client, world, status=422, item_type="identity", item_id=world.subject.id)["errors"][
            0
        ]["field"]
        == "field"
    )
    assert file(client, world, status=422, reason_code="dislike")
    assert file(client, world, status=422, description="")
    assert report(client, world)["disputes"] == []


def test_a_second_open_dispute_on_the_same_item_is_a_conflict(
    client: TestClient, world: World
) -> None:
    first = file(client, world)
    problem = file(client, world, status=409, field="status", reason_code="wrong_status")
    assert first["id"] in problem["detail"]


# --- answers ---------------------------------------------------------------------------------


def test_verified_keeps_the_item_and_lets_the_subject_add_a_statement(
    client: TestClient, world: World
) -> None:
    dispute = file(client, world)
    answered = answer(client, world, dispute["id"], outcome="verified")
    assert (answered["status"], answered["outcome"]) == ("resolved", "verified")
    (notice,) = notices(client, world)
    assert notice["kind"] == "dispute_result"
    assert notice["dispute_outcome"] == "verified"
    assert notice["receipt_id"] is None  # the file did not change
    shown = account_in(report(client, world), world.account["id"])
    assert shown is not None
    assert shown["compliance_condition_code"] is None  # no longer disputed
    text = "I paid in October; the issuer's records are late. " * 2
    resp = client.post("/v1/me/statements", json={"text": text}, headers=world.subject.headers)
    assert resp.status_code == 201, resp.text
    assert resp.json()["dispute_id"] == dispute["id"]
    mine = report(client, world)
    assert [s["text"] for s in mine["statements"]] == [text.strip()]
    shown = account_in(mine, world.account["id"])
    assert shown is not None
    assert shown["compliance_condition_code"] == "XC"
    lender = lender_report(client, world)
    assert [s["text"] for s in lender["statements"]] == [text.strip()]
    seen = account_in(lender, world.account["id"])
    assert seen is not None
    assert seen["compliance_condition_code"] == "XC"
    again = client.post("/v1/me/statements", json={"text": "x"}, headers=world.subject.headers)
    assert again.status_code == 409


def test_a_statement_holds_at_most_100_words(client: TestClient, world: World) -> None:
    dispute = file(client, world)
    answer(client, world, dispute["id"], outcome="verified")
    long = client.post(
        "/v1/me/statements", json={"text": "word " * 101}, headers=world.subject.headers
    )
    assert long.status_code == 422
    assert "101 words" in long.json()["errors"][0]["detail"]
    ok = client.post(
        "/v1/me/statements", json={"text": "word " * 100}, headers=world.subject.headers
    )
    assert ok.status_code == 201


def test_no_statement_without_a_verified_dispute(client: TestClient, world: World) -> None:
    resp = client.post("/v1/me/statements", json={"text": "No."}, headers=world.subject.headers)
    assert resp.status_code == 409
    open_one = file(client, world)
    resp = client.post(
        "/v1/me/statements",
        json={"text": "No.", "dispute_id": open_one["id"]},
        headers=world.subject.headers,
    )
    assert resp.status_code == 409


def test_modified_writes_a_new_version_and_sends_the_new_score(
    client: TestClient, world: World
) -> None:
    dispute = file(client, world)
    before = client.get("/v1/me/score", headers=world.subject.headers).json()
    answer(client, world, dispute["id"], outcome="modified", corrections={"balance_cents": 1000})
    shown = account_in(report(client, world), world.account["id"])
    assert shown is not None
    assert shown["balance_cents"] == 1000
    assert shown["version"] == 2
    assert shown["versions"][-1]["actor_id"] == world.furnisher.id
    (notice,) = notices(client, world)
    assert notice["dispute_outcome"] == "modified"
    assert notice["receipt_id"].startswith("rcp_")
    receipt = client.get(
        f"/v1/me/score/receipts/{notice['receipt_id']}", headers=world.subject.headers
    ).json()
    assert receipt["score"] == notice["score"]
    assert notice["score"] > before["score"]  # the balance fell from 1,250 to 10 dollars


def test_corrections_are_validated_like_any_furnishing(client: TestClient, world: World) -> None:
    dispute = file(client, world)
    bad = answer(
        client,
        world,
        dispute["id"],
        status=422,
        outcome="modified",
        corrections={"status": "71"},  # late, with no date of first delinquency
    )
    assert bad["errors"]
    prohibited = answer(
        client, world, dispute["id"], status=422, outcome="modified", corrections={"race": "x"}
    )
    assert prohibited["type"] == PROBLEMS + "prohibited-data-category"
    answer(client, world, dispute["id"], status=422, outcome="modified")
    answer(
        client,
        world,
        dispute["id"],
        status=422,
        outcome="verified",
        corrections={"balance_cents": 1},
    )
    still = client.get(f"/v1/me/disputes/{dispute['id']}", headers=world.subject.headers).json()
    assert still["status"] == "open"
    shown = account_in(report(client, world), world.account["id"])
    assert shown is not None
    assert shown["version"] == 1


def test_deleted_takes_the_item_off_the_file_and_the_score(
    client: TestClient, world: World
) -> None:
    dispute = file(client, world, reason_code="not_mine")
    answer(client, world, dispute["id"], outcome="deleted")
    mine = report(client, world)
    assert account_in(mine, world.account["id"]) is None
    (notice,) = notices(client, world)
    receipt = client.get(
        f"/v1/me/score/receipts/{notice['receipt_id']}", headers=world.subject.headers
    ).json()
    assert len(receipt["inputs"]["accounts"]) == 1


def test_only_the_accounts_furnisher_answers(client: TestClient, world: World) -> None:
    dispute = file(client, world)
    resp = client.post(
        f"/v1/furnisher/disputes/{dispute['id']}/response",
        json={"outcome": "deleted"},
        headers=world.other_furnisher.headers,
    )
    assert resp.status_code == 404
    assert (
        client.get(f"/v1/me/disputes/{dispute['id']}", headers=world.subject.headers).json()[
            "status"
        ]
        == "open"
    )


# --- deadlines by the clock ----------------------------------------------------------------


def test_unanswered_at_30_days_the_item_is_suppressed(client: TestClient, world: World) -> None:
    dispute = file(client, world)
    advance(client, now="2026-12-16T11:59:59Z")
    assert (
        client.get(f"/v1/me/disputes/{dispute['id']}", headers=world.subject.headers).json()[
            "status"
        ]
        == "open"
    )
    advance(client, now="2026-12-16T12:00:01Z")
    resolved = client.get(f"/v1/me/disputes/{dispute['id']}", headers=world.subject.headers).json()
    assert (resolved["status"], resolved["outcome"]) == ("resolved", "unverified")
    assert account_in(report(client, world), world.account["id"]) is None
    assert account_in(lender_report(client, world), world.account["id"]) is None
    (notice,) = notices(client, world)
    assert notice["dispute_outcome"] == "unverified"
    assert notice["receipt_id"].startswith("rcp_")
    late = answer(client, world, dispute["id"], status=409, outcome="verified")
    assert "unverified" in late["detail"]
    # furnishing it again does not bring it back: only a certified reinsertion does
    furnish(
        client,
        world.furnisher,
        "card-1",
        account_body(world.subject.id, as_of="2026-12-01", balance_cents=99_000),
        status=200,
    )
    assert account_in(report(client, world), world.account["id"]) is None


def test_information_in_the_first_30_days_extends_the_deadline_to_45(
    client: TestClient, world: World
) -> None:
    dispute = file(client, world)
    advance(client, advance_days=29)
    resp = client.post(
        f"/v1/me/disputes/{dispute['id']}/information",
        json={"text": "My October statement shows the payment."},
        headers=world.subject.headers,
    )
    assert resp.status_code == 200
    assert resp.json()["due_at"].startswith("2026-12-31T12:00")  # 45 days from filing
    advance(client, advance_days=2)  # day 31
    assert (
        client.get(f"/v1/me/disputes/{dispute['id']}", headers=world.subject.headers).json()[
            "status"
        ]
        == "open"
    )
    advance(client, advance_days=15)  # day 46
    assert (
        client.get(f"/v1/me/disputes/{dispute['id']}", headers=world.subject.headers).json()[
            "outcome"
        ]
        == "unverified"
    )


def test_information_after_the_first_30_days_extends_nothing(
    client: TestClient, world: World
) -> None:
    dispute = file(client, world)
    url = f"/v1/me/disputes/{dispute['id']}/information"
    advance(client, advance_days=10)
    first = client.post(url, json={"text": "A receipt."}, headers=world.subject.headers)
    assert first.json()["due_at"].startswith("2026-12-31T12:00")
    advance(client, advance_days=25)  # day 35: past the first 30 days
    second = client.post(url, json={"text": "Another."}, headers=world.subject.headers)
    assert second.status_code == 200
    assert second.json()["due_at"].startswith("2026-12-31T12:00")  # still 45 days
    assert [i["text"] for i in second.json()["information"]] == ["A receipt.", "Another."]
    advance(client, advance_days=11)  # day 46
    late = client.post(url, json={"text": "Too late."}, headers=world.subject.headers)
    assert late.status_code == 409  # resolved at its deadline by the clock move


def test_reinsertion_needs_a_certification_and_tells_the_subject(
    client: TestClient, world: World
) -> None:
    dispute = file(client, world)
    advance(client, advance_days=31)
    url = f"/v1/furnisher/disputes/{dispute['id']}/reinsertion"
    refused = client.post(
        url,
        json={"certified": False, "certification": "checked"},
        headers=world.furnisher.headers,
    )
    assert refused.status_code == 422
    assert account_in(report(client, world), world.account["id"]) is None
    other = client.post(
        url,
        json={"certified": True, "certification": "Our ledger shows the balance."},
        headers=world.other_furnisher.headers,
    )
    assert other.status_code == 404
    back = client.post(
        url,
        json={"certified": True, "certification": "Our ledger shows the balance."},
        headers=world.furnisher.headers,
    )
    assert back.status_code == 200, back.text
    assert account_in(report(client, world), world.account["id"]) is not None
    kinds = [n["kind"] for n in notices(client, world)]
    assert kinds == ["reinsertion", "dispute_result"]
    twice = client.post(
        url, json={"certified": True, "certification": "again"}, headers=world.furnisher.headers
    )
    assert twice.status_code == 409


def test_a_repeat_with_no_new_information_is_frivolous(client: TestClient, world: World) -> None:
    first = file(client, world)
    answer(client, world, first["id"], outcome="verified")
    repeat = file(client, world, description="  i paid this card DOWN in october.  ")
    assert repeat["status"] == "frivolous"
    assert repeat["repeats"] == first["id"]
    assert "no new information" in repeat["resolution"]
    shown = account_in(report(client, world), world.account["id"])
    assert shown is not None
    assert shown["disputed"] is False
    kinds = [n["kind"] for n in notices(client, world)]
    assert kinds[0] == "dispute_frivolous"
    with_news = file(client, world, description="My bank statement of 3 October shows it.")
    assert with_news["status"] == "open"


# --- identity theft (FCRA 605B) ------------------------------------------------------------


def test_identity_theft_blocks_the_item_after_four_business_days_across_a_holiday(
    client: TestClient, world: World, set_clock: Callable[[datetime], datetime]
) -> None:
    # Filed on Wednesday 25 November 2026: Thursday 26 is Thanksgiving (a federal holiday),
    # so the 4 business days are Fri 27, Mon 30, Tue 1 and Wed 2 December.
    set_clock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    dispute = file(
        client,
        world,
        item_id=world.other_account["id"],
        reason_code="identity_theft",
        description="I never opened this loan; someone used my identity.",
    )
    assert dispute["block_due_at"].startswith("2026-12-02T23:59:59")
    assert dispute["furnisher_notice_due_on"] == "2026-12-03"
    theirs = client.get("/v1/furnisher/disputes", headers=world.other_furnisher.headers).json()
    assert [d["reason_code"] for d in theirs["items"]] == ["identity_theft"]
    advance(client, now="2026-12-02T23:00:00Z")
    assert account_in(report(client, world), world.other_account["id"]) is not None
    advance(client, now="2026-12-03T00:00:00Z")
    assert account_in(report(client, world), world.other_account["id"]) is None
    blocked = client.get(f"/v1/me/disputes/{dispute['id']}", headers=world.subject.headers).json()
    assert blocked["outcome"] == "blocked"
    told = client.get("/v1/furnisher/disputes", headers=world.other_furnisher.headers).json()
    assert told["items"][0]["outcome"] == "blocked"
    assert notices(client, world)[0]["kind"] == "identity_theft_block"


def test_an_inquiry_can_be_disputed_and_goes_when_unverified(
    client: TestClient, world: World
) -> None:
    pulled = lender_report(client, world)
    dispute = file(
        client,
        world,
        item_type="inquiry",
        item_id=pulled["inquiry_id"],
        reason_code="not_mine",
        description="I never applied.",
    )
    (shown,) = report(client, world)["inquiries"]
    assert shown["disputed"] is True
    advance(client, advance_days=31)
    assert report(client, world)["inquiries"] == []
    assert (
        client.get(f"/v1/me/disputes/{dispute['id']}", headers=world.subject.headers).json()[
            "outcome"
        ]
        == "unverified"
    )


# --- the auditor's view ------------------------------------------------------------------


def test_the_auditor_counts_disputes(
    client: TestClient, world: World, make_auditor: Callable[..., Actor]
) -> None:
    auditor = make_auditor()
    verified = file(client, world)
    answer(client, world, verified["id"], outcome="verified")
    file(client, world, item_id=world.other_account["id"])
    stats = client.get("/v1/audit/disputes", headers=auditor.headers).json()
    assert stats["open"] >= 1
    assert stats["resolved"]["verified"] >= 1
    assert stats["overdue"] == 0
    assert stats["median_days_to_resolve"] is not None
    advance(client, advance_days=31)
    after = client.get("/v1/audit/disputes", headers=auditor.headers).json()
    assert after["overdue"] == 0
    assert after["resolved"]["unverified"] >= 1


def test_a_deadline_passed_in_one_clock_move_takes_effect_when_it_fell_due(
    client: TestClient, world: World, make_auditor: Callable[..., Actor]
) -> None:
    dispute = file(client, world)
    advance(client, advance_days=90)
    resolved = client.get(f"/v1/me/disputes/{dispute['id']}", headers=world.subject.headers)
    assert resolved.json()["resolved_at"].startswith("2026-12-16T12:00")  # day 30, not 90
    (notice,) = notices(client, world)
    assert notice["at"].startswith("2027-02-14T12:00")  # sent by the run, at the clock move
    stats = client.get("/v1/audit/disputes", headers=make_auditor().headers).json()
    assert stats["median_days_to_resolve"] == 30.0


def test_an_identity_field_dispute_resolves_but_the_identity_stays(
    client: TestClient, world: World
) -> None:
    dispute = file(
        client,
        world,
        item_type="identity",
        item_id=world.subject.id,
        field="addresses",
        reason_code="other",
        description="I moved in 2024.",
    )
    advance(client, advance_days=31)
    resolved = client.get(f"/v1/me/disputes/{dispute['id']}", headers=world.subject.headers)
    assert resolved.json()["outcome"] == "unverified"
    assert "addresses" in resolved.json()["resolution"]
    mine = report(client, world)
    assert mine["subject"]["id"] == world.subject.id
    assert len(mine["accounts"]) == 2
    (notice,) = notices(client, world)
    assert notice["dispute_outcome"] == "unverified"
    assert notice["receipt_id"] is None  # nothing left the file: no new score
