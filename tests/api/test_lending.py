"""Lender pulls under consents, their refusals, and decisions with adverse action notices."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, event, func, select, update
from sqlalchemy.orm import Session

from service.audit.models import AuditEvent
from service.consent.models import Consent
from service.file.models import Inquiry
from tests.conftest import ADMIN_HEADERS, Actor
from tests.factories import account_body, furnish

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
PROBLEMS = "https://clearfile.example/problems/"


@dataclass
class World:
    subject: Actor
    lender: Actor
    other_lender: Actor
    furnisher: Actor


@pytest.fixture
def world(
    client: TestClient,
    set_clock: Callable[[datetime], datetime],
    make_subject: Callable[..., Actor],
    make_lender: Callable[..., Actor],
    make_furnisher: Callable[..., Actor],
) -> World:
    set_clock(NOW)
    w = World(
        subject=make_subject(),
        lender=make_lender("Fictional Pull Bank"),
        other_lender=make_lender("Fictional Other Bank"),
        furnisher=make_furnisher("Fictional Card Issuer"),
    )
    furnish(client, w.furnisher, "card-1", account_body(w.subject.id, as_of="2026-11-01"))
    furnish(
        client,
        w.furnisher,
        "card-2",
        account_body(w.subject.id, as_of="2026-11-01", balance_cents=480_000),
    )
    return w


def consent(
    client: TestClient,
    w: World,
    *,
    purpose: str = "credit_application",
    scope: tuple[str, ...] = ("report", "score"),
    lender: Actor | None = None,
    expires_on: str = "2027-02-15",
    **extra: Any,
) -> str:
    resp = client.post(
        "/v1/me/consents",
        json={
            "lender_id": (lender or w.lender).id,
            "purpose": purpose,
            "scope": list(scope),
            "expires_on": expires_on,
            **extra,
        },
        headers=w.subject.headers,
    )
    assert resp.status_code == 201, resp.text
    consent_id: str = resp.json()["id"]
    return consent_id


def pull(
    client: TestClient,
    w: World,
    kind: str,
    consent_id: str,
    status: int = 200,
    lender: Actor | None = None,
    **extra: Any,
) -> dict[str, Any]:
    resp = client.post(
        f"/v1/lender/{kind}",
        json={"consent_id": consent_id, **extra},
        headers=(lender or w.lender).headers,
    )
    assert resp.status_code == status, resp.text
    data: dict[str, Any] = resp.json()
    return data


def advance(client: TestClient, **body: Any) -> None:
    resp = client.post("/v1/sandbox/clock", json=body, headers=ADMIN_HEADERS)
    assert resp.status_code == 200, resp.text


def counts(session: Session) -> tuple[int, int]:
    inquiries = session.scalar(select(func.count()).select_from(Inquiry))
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    return int(inquiries or 0), int(events or 0)


# --- allowed pulls --------------------------------------------------------------------------


def test_a_report_pull_records_a_hard_inquiry_and_an_audit_event(
    client: TestClient, world: World
) -> None:
    consent_id = consent(client, world)
    report = pull(client, world, "reports", consent_id)
    assert report["subject_id"] == world.subject.id
    assert report["consent_id"] == consent_id
    assert report["purpose"] == "credit_application"
    assert report["inquiry_kind"] == "hard"
    assert report["subject"]["family_name"] == world.subject.body["family_name"]
    assert report["subject"]["national_id_last4"] == world.subject.body["national_id"][-4:]
    assert "national_id" not in report["subject"]
    assert sorted(a["account_ref"] for a in report["accounts"]) == ["card-1", "card-2"]
    assert all("compliance_condition_code" in a for a in report["accounts"])
    assert all("versions" not in a for a in report["accounts"])
    assert report["verify_identity"] is False
    assert report["fraud_alert"] is None
    mine = client.get("/v1/me/report", headers=world.subject.headers).json()
    (inquiry,) = mine["inquiries"]
    assert inquiry["id"] == report["inquiry_id"]
    assert inquiry["lender_id"] == world.lender.id
    assert inquiry["kind"] == "hard"
    log = client.get("/v1/me/access-log", headers=world.subject.headers).json()["items"]
    pulled = [e for e in log if e["action"] == "report.pulled"]
    assert len(pulled) == 1
    assert pulled[0]["actor_id"] == world.lender.id
    assert pulled[0]["actor_role"] == "lender"
    assert pulled[0]["purpose"] == "credit_application"


def test_soft_inquiries_are_seen_only_by_the_subject(client: TestClient, world: World) -> None:
    soft = consent(client, world, purpose="prequalification")
    hard = consent(client, world, purpose="credit_application")
    prequal = pull(client, world, "reports", soft)
    assert prequal["inquiry_kind"] == "soft"
    application = pull(client, world, "reports", hard)
    # The report a lender sees is read before its own inquiry is recorded: the soft one is
    # on the file, but not shown to a lender.
    assert application["inquiries"] == []
    later = pull(client, world, "reports", hard)
    assert [i["id"] for i in later["inquiries"]] == [application["inquiry_id"]]
    other = pull(
        client,
        world,
        "reports",
        consent(client, world, lender=world.other_lender),
        lender=world.other_lender,
    )
    assert {i["kind"] for i in other["inquiries"]} == {"hard"}
    assert prequal["inquiry_id"] not in {i["id"] for i in other["inquiries"]}
    mine = client.get("/v1/me/report", headers=world.subject.headers).json()
    assert {i["kind"] for i in mine["inquiries"]} == {"hard", "soft"}
    assert prequal["inquiry_id"] in {i["id"] for i in mine["inquiries"]}


def test_a_lenders_report_leaves_out_obsolete_inquiries(client: TestClient, world: World) -> None:
    first = pull(client, world, "reports", consent(client, world))
    advance(client, now="2028-11-14T12:00:00Z")  # 24 months less a day later
    shown = pull(client, world, "reports", consent(client, world, expires_on="2029-01-01"))
    assert first["inquiry_id"] in {i["id"] for i in shown["inquiries"]}
    advance(client, now="2028-11-15T12:00:00Z")  # the first inquiry is 24 months old
    gone = pull(client, world, "reports", consent(client, world, expires_on="2029-01-01"))
    assert first["inquiry_id"] not in {i["id"] for i in gone["inquiries"]}
    assert shown["inquiry_id"] in {i["id"] for i in gone["inquiries"]}


def test_a_score_pull_gives_a_receipt_the_subject_sees(client: TestClient, world: World) -> None:
    consent_id = consent(client, world, purpose="account_review")
    score = pull(client, world, "scores", consent_id)
    assert score["receipt_id"].startswith("rcp_")
    assert isinstance(score["score"], int)
    assert score["inquiry_kind"] == "soft"
    assert score["reasons"]
    assert score["factors"]
    assert "actions" not in score  # what would raise it is the subject's to see
    history = client.get("/v1/me/score/history", headers=world.subject.headers).json()["items"]
    (receipt,) = history
    assert receipt["id"] == score["receipt_id"]
    assert receipt["requested_by"] == world.lender.id
    assert receipt["purpose"] == "account_review"
    mine = client.get(
        f"/v1/me/score/receipts/{score['receipt_id']}", headers=world.subject.headers
    ).json()
    assert mine["score"] == score["score"]
    assert mine["reproducible"] is True


def test_an_active_fraud_alert_is_flagged_to_lenders(client: TestClient, world: World) -> None:
    consent_id = consent(client, world, purpose="account_review")
    resp = client.post(
        "/v1/me/fraud-alerts", json={"kind": "initial"}, headers=world.subject.headers
    )
    alert = resp.json()
    report = pull(client, world, "reports", consent_id)
    assert report["verify_identity"] is True
    assert report["fraud_alert"]["kind"] == "initial"
    assert report["fraud_alert"]["action"] == "verify identity"
    assert pull(client, world, "scores", consent_id)["verify_identity"] is True
    client.delete(f"/v1/me/fraud-alerts/{alert['id']}", headers=world.subject.headers)
    assert pull(client, world, "reports", consent_id)["verify_identity"] is False


def test_a_fraud_alert_stops_being_flagged_when_it_expires(
    client: TestClient, world: World
) -> None:
    client.post("/v1/me/fraud-alerts", json={"kind": "initial"}, headers=world.subject.headers)
    advance(client, now="2027-11-14T12:00:00Z")
    late = consent(client, world, expires_on="2028-01-01")
    assert pull(client, world, "reports", late)["verify_identity"] is True
    advance(client, now="2027-11-15T00:00:00Z")
    assert pull(client, world, "reports", late)["verify_identity"] is False


# --- refusals: each its own problem, and nothing written ------------------------------------


def refused(
    client: TestClient,
    session: Session,
    w: World,
    kind: str,
    consent_id: str,
    status: int,
    slug: str,
    lender: Actor | None = None,
    **extra: Any,
) -> dict[str, Any]:
    before = counts(session)
    problem = pull(client, w, kind, consent_id, status, lender=lender, **extra)
    assert problem["type"] == PROBLEMS + slug
    assert problem["status"] == status
    assert counts(session) == before, "a refused pull wrote something"
    return problem


@pytest.mark.parametrize("kind", ["reports", "scores"])
def test_no_such_consent_for_this_lender(
    client: TestClient, session: Session, world: World, kind: str
) -> None:
    theirs = consent(client, world, lender=world.other_lender)
    anothers = refused(client, session, world, kind, theirs, 404, "consent-not-found")
    unknown = refused(
        client, session, world, kind, "cns_00000000000000000000", 404, "consent-not-found"
    )
    assert anothers["title"] == unknown["title"]
    assert theirs in anothers["detail"]


@pytest.mark.parametrize("kind", ["reports", "scores"])
def test_a_revoked_consent_is_refused(
    client: TestClient, session: Session, world: World, kind: str
) -> None:
    consent_id = consent(client, world)
    pull(client, world, kind, consent_id)
    client.delete(f"/v1/me/consents/{consent_id}", headers=world.subject.headers)
    problem = refused(client, session, world, kind, consent_id, 403, "consent-revoked")
    assert "revoked" in problem["detail"]
    assert problem["consent_id"] == consent_id


@pytest.mark.parametrize("kind", ["reports", "scores"])
def test_an_expired_consent_is_refused(
    client: TestClient, session: Session, world: World, kind: str
) -> None:
    consent_id = consent(client, world, expires_on="2026-11-17")
    advance(client, now="2026-11-16T23:59:00Z")
    pull(client, world, kind, consent_id)
    advance(client, now="2026-11-17T00:00:00Z")
    problem = refused(client, session, world, kind, consent_id, 403, "consent-expired")
    assert "2026-11-17" in problem["detail"]


def test_a_revoked_consent_that_also_expired_says_revoked(
    client: TestClient, session: Session, world: World
) -> None:
    consent_id = consent(client, world, expires_on="2026-11-17")
    client.delete(f"/v1/me/consents/{consent_id}", headers=world.subject.headers)
    advance(client, advance_days=10)
    refused(client, session, world, "reports", consent_id, 403, "consent-revoked")


def test_a_purpose_the_consent_does_not_cover_is_refused(
    client: TestClient, session: Session, world: World
) -> None:
    consent_id = consent(client, world, purpose="account_review")
    problem = refused(
        client,
        session,
        world,
        "reports",
        consent_id,
        403,
        "purpose-not-covered",
        purpose="credit_application",
    )
    assert "account_review" in problem["detail"]
    assert pull(client, world, "reports", consent_id, purpose="account_review")["purpose"] == (
        "account_review"
    )


def test_a_scope_the_consent_does_not_cover_is_refused(
    client: TestClient, session: Session, world: World
) -> None:
    score_only = consent(client, world, scope=("score",))
    report_only = consent(client, world, scope=("report",))
    refused(client, session, world, "reports", score_only, 403, "scope-not-covered")
    refused(client, session, world, "scores", report_only, 403, "scope-not-covered")
    pull(client, world, "scores", score_only)
    pull(client, world, "reports", report_only)


@pytest.mark.parametrize("purpose", ["credit_application", "prequalification"])
def test_a_freeze_refuses_new_credit_pulls(
    client: TestClient, session: Session, world: World, purpose: str
) -> None:
    consent_id = consent(client, world, purpose=purpose)
    client.put("/v1/me/freeze", headers=world.subject.headers)
    for kind in ("reports", "scores"):
        problem = refused(client, session, world, kind, consent_id, 403, "file-frozen")
        assert "605A(i)" in problem["detail"]
    client.delete("/v1/me/freeze", headers=world.subject.headers)
    pull(client, world, "reports", consent_id)


@pytest.mark.parametrize(
    ("purpose", "extra"),
    [
        ("account_review", {}),
        ("tenant_screening", {}),
        ("insurance", {}),
        ("employment", {"explicit_confirmation": True}),
    ],
)
def test_a_freeze_lets_exempt_purposes_through(
    client: TestClient, world: World, purpose: str, extra: dict[str, Any]
) -> None:
    consent_id = consent(client, world, purpose=purpose, **extra)
    client.put("/v1/me/freeze", headers=world.subject.headers)
    assert pull(client, world, "reports", consent_id)["inquiry_kind"] == "soft"
    assert pull(client, world, "scores", consent_id)["purpose"] == purpose


def test_a_malformed_pull_is_refused_and_writes_nothing(
    client: TestClient, session: Session, world: World
) -> None:
    before = counts(session)
    for body in (
        {},
        {"consent_id": ""},
        {"consent_id": "x" * 41},
        {"consent_id": "a\x00b"},
        {"consent_id": "cns_x", "purpose": "marketing"},
        {"consent_id": 7},
        {"consent_id": "cns_x", "subject_id": world.subject.id},
    ):
        resp = client.post("/v1/lender/reports", json=body, headers=world.lender.headers)
        assert resp.status_code == 422, body
    assert counts(session) == before


# --- decisions and adverse action notices ---------------------------------------------------


def decide(
    client: TestClient, w: World, consent_id: str, receipt_id: str, outcome: str, status: int = 201
) -> dict[str, Any]:
    resp = client.post(
        "/v1/lender/decisions",
        json={"consent_id": consent_id, "receipt_id": receipt_id, "outcome": outcome},
        headers=w.lender.headers,
    )
    assert resp.status_code == status, resp.text
    data: dict[str, Any] = resp.json()
    return data


def test_an_approval_sends_no_notice(client: TestClient, world: World) -> None:
    consent_id = consent(client, world)
    score = pull(client, world, "scores", consent_id)
    decision = decide(client, world, consent_id, score["receipt_id"], "approved")
    assert decision["outcome"] == "approved"
    assert decision["notice_id"] is None
    assert client.get("/v1/me/notices", headers=world.subject.headers).json()["items"] == []


@pytest.mark.parametrize("outcome", ["declined", "counteroffer"])
def test_an_adverse_decision_sends_a_notice_stating_the_receipt(
    client: TestClient, world: World, outcome: str
) -> None:
    consent_id = consent(client, world)
    score = pull(client, world, "scores", consent_id)
    advance(client, now="2026-11-20T09:00:00Z")
    decision = decide(client, world, consent_id, score["receipt_id"], outcome)
    notices = client.get("/v1/me/notices", headers=world.subject.headers).json()["items"]
    (notice,) = notices
    assert notice["id"] == decision["notice_id"]
    assert notice["kind"] == "adverse_action"
    assert notice["at"].startswith("2026-11-20T09:00")
    assert notice["decision_id"] == decision["id"]
    assert notice["outcome"] == outcome
    assert notice["lender_id"] == world.lender.id
    assert notice["lender_name"] == "Fictional Pull Bank"
    receipt = client.get(
        f"/v1/me/score/receipts/{score['receipt_id']}", headers=world.subject.headers
    ).json()
    assert notice["receipt_id"] == score["receipt_id"]
    assert notice["score"] == receipt["score"] == score["score"]
    assert notice["score_range"] == {"min": 300, "max": 850}
    assert notice["key_factors"] == receipt["reasons"]
    assert 1 <= len(notice["key_factors"]) <= 5
    assert notice["bureau"]["name"] == "Clearfile sandbox bureau (fictional)"
    assert notice["bureau"]["phone"].startswith("1-800-")
    assert notice["bureau"]["address"]
    assert "did not make this decision" in notice["bureau_statement"]
    rights = {r["right"]: r for r in notice["rights"]}
    assert rights["free_report"]["until"] == "2027-01-19"  # 60 days after the notice
    assert "60 days" in rights["free_report"]["text"]
    assert "dispute" in rights
    one = client.get(f"/v1/me/notices/{notice['id']}", headers=world.subject.headers)
    assert one.json() == notice


def test_a_notice_cites_up_to_four_factors_and_a_fifth_for_inquiries(
    client: TestClient, world: World, make_subject: Callable[..., Actor]
) -> None:
    # A file short on most counts (a new, maxed-out card paid late six months running) and
    # one application: inquiries are a factor, but a smaller one than four others.
    thin = make_subject()
    furnish(
        client,
        world.furnisher,
        "maxed",
        account_body(
            thin.id,
            opened_on="2026-05-01",
            balance_cents=500_000,
            status="71",
            past_due_cents=20_000,
            payment_history="111111" + "B" * 18,
            date_of_first_delinquency="2026-05-20",
            as_of="2026-11-01",
        ),
    )
    w = World(thin, world.lender, world.other_lender, world.furnisher)
    consent_id = consent(client, w)
    pull(client, w, "reports", consent_id)  # one hard inquiry
    score = pull(client, w, "scores", consent_id)
    notice_id = decide(client, w, consent_id, score["receipt_id"], "declined")["notice_id"]
    notice = client.get(f"/v1/me/notices/{notice_id}", headers=thin.headers).json()
    codes = [f["code"] for f in notice["key_factors"]]
    assert codes == [r["code"] for r in score["reasons"]]
    assert len(codes) == 5
    assert codes[4] == "C01"  # hard inquiries, added as a 5th key factor
    assert "C01" not in codes[:4]
    below = [f["points_below_max"] for f in notice["key_factors"][:4]]
    assert below == sorted(below, reverse=True)


def test_one_decision_per_score(client: TestClient, world: World) -> None:
    consent_id = consent(client, world)
    score = pull(client, world, "scores", consent_id)
    first = decide(client, world, consent_id, score["receipt_id"], "declined")
    second = decide(client, world, consent_id, score["receipt_id"], "approved", status=409)
    assert first["id"] in second["detail"]
    notices = client.get("/v1/me/notices", headers=world.subject.headers).json()["items"]
    assert len(notices) == 1


def test_a_decision_cites_only_a_score_this_lender_obtained_under_that_consent(
    client: TestClient, world: World
) -> None:
    consent_id = consent(client, world)
    other_consent = consent(client, world)
    own_score = client.get("/v1/me/score", headers=world.subject.headers).json()["receipt_id"]
    decide(client, world, consent_id, own_score, "declined", status=404)
    theirs = consent(client, world, lender=world.other_lender)
    their_score = pull(client, world, "scores", theirs, lender=world.other_lender)["receipt_id"]
    decide(client, world, consent_id, their_score, "declined", status=404)
    decide(client, world, theirs, their_score, "declined", status=404)
    mine = pull(client, world, "scores", consent_id)["receipt_id"]
    decide(client, world, other_consent, mine, "declined", status=404)
    decide(client, world, consent_id, "rcp_00000000000000000000", "declined", status=404)
    assert client.get("/v1/me/notices", headers=world.subject.headers).json()["items"] == []


def test_a_decision_stands_after_the_consent_is_revoked(client: TestClient, world: World) -> None:
    consent_id = consent(client, world)
    score = pull(client, world, "scores", consent_id)
    client.delete(f"/v1/me/consents/{consent_id}", headers=world.subject.headers)
    decision = decide(client, world, consent_id, score["receipt_id"], "declined")
    assert decision["notice_id"] is not None


def test_another_subjects_notice_is_not_found(
    client: TestClient, world: World, make_subject: Callable[..., Actor]
) -> None:
    consent_id = consent(client, world)
    score = pull(client, world, "scores", consent_id)
    notice_id = decide(client, world, consent_id, score["receipt_id"], "declined")["notice_id"]
    other = make_subject()
    assert client.get(f"/v1/me/notices/{notice_id}", headers=other.headers).status_code == 404
    assert client.get("/v1/me/notices", headers=other.headers).json()["items"] == []


def test_the_lender_lists_the_consents_that_name_it(client: TestClient, world: World) -> None:
    mine = consent(client, world)
    consent(client, world, lender=world.other_lender)
    listed = client.get("/v1/lender/consents", headers=world.lender.headers).json()["items"]
    assert [c["id"] for c in listed] == [mine]
    assert listed[0]["subject_id"] == world.subject.id


# --- the whole flow, as the README tells it -------------------------------------------------


def test_the_lender_flow_end_to_end(client: TestClient, world: World) -> None:
    consent_id = consent(client, world, scope=("score",))
    score = pull(client, world, "scores", consent_id)
    declined = decide(client, world, consent_id, score["receipt_id"], "declined")
    notice = client.get(
        f"/v1/me/notices/{declined['notice_id']}", headers=world.subject.headers
    ).json()
    assert notice["score"] == score["score"]
    assert [f["code"] for f in notice["key_factors"]] == [r["code"] for r in score["reasons"]]
    revoked = client.delete(f"/v1/me/consents/{consent_id}", headers=world.subject.headers)
    assert revoked.json()["state"] == "revoked"
    problem = pull(client, world, "scores", consent_id, status=403)
    assert problem["type"] == PROBLEMS + "consent-revoked"
    assert "revoked" in problem["detail"]


# --- the file's items, kept across a pull's own inquiry -------------------------------------


def _without_clock(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in {"generated_at", "inquiry_id"}}


def test_the_items_a_pull_keeps_are_those_a_fresh_read_builds(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.core.cache import LruCache
    from service.file import service as file_service

    monkeypatch.setattr(file_service, "_ITEMS_CACHE", LruCache(100))
    hard = consent(client, world)
    soft = consent(client, world, purpose="prequalification")
    other = consent(client, world, lender=world.other_lender)
    # The first pull by each lender adds it to the file's sources; the later ones extend the
    # items this process holds instead of reading the file again.
    pull(client, world, "reports", hard)
    pull(client, world, "reports", other, lender=world.other_lender)
    for consent_id in (hard, soft, hard, soft):
        pull(client, world, "reports", consent_id)
    pull(client, world, "scores", hard)
    kept = client.get("/v1/me/report", headers=world.subject.headers)
    file_service._ITEMS_CACHE.clear()
    fresh = client.get("/v1/me/report", headers=world.subject.headers)
    assert _without_clock(kept.json()) == _without_clock(fresh.json())
    assert len(fresh.json()["inquiries"]) == 7
    # The lender's view, made from held items and then extended, against one made fresh.
    pull(client, world, "reports", hard)
    lender_kept = pull(client, world, "reports", hard)
    file_service._ITEMS_CACHE.clear()
    lender_fresh = pull(client, world, "reports", hard)
    assert lender_fresh["inquiries"][1:] == lender_kept["inquiries"]
    assert lender_fresh["inquiries"][0]["id"] == lender_kept["inquiry_id"]
    assert [i["kind"] for i in lender_fresh["inquiries"]] == ["hard"] * 7
    assert _without_clock(lender_fresh) | {"inquiries": []} == _without_clock(lender_kept) | {
        "inquiries": []
    }


def test_items_kept_across_many_pulls_are_those_a_fresh_read_builds(
    client: TestClient,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    set_clock: Callable[[datetime], datetime],
) -> None:
    """Pulls a second apart each extend the items held: more of them than are kept apart
    from the rest (``RECENT_INQUIRIES_MAX``, made small here), so they are merged into it,
    and the report and the lender's view made from them are those a fresh read makes."""
    from service.core.cache import LruCache
    from service.file import service as file_service

    monkeypatch.setattr(file_service, "_ITEMS_CACHE", LruCache(100))
    monkeypatch.setattr(file_service, "RECENT_INQUIRIES_MAX", 2)
    hard = consent(client, world)
    soft = consent(client, world, purpose="prequalification")
    pull(client, world, "reports", hard)  # the lender joins the file's sources
    lender_views = []
    for n, consent_id in enumerate((hard, soft, hard, hard, soft, hard, hard, hard), start=1):
        set_clock(NOW + timedelta(seconds=n))
        lender_views.append(pull(client, world, "reports", consent_id))
    held = file_service._ITEMS_CACHE.get(world.subject.id)
    assert held is not None
    assert held[2].earlier  # merged into the rest ...
    assert held[2].recent  # ... then added to again
    # The lender view's hard inquiries: the one it was built with, then runs of three made
    # as they were added, not the whole list joined again each time.
    assert [p.count(b'"id"') for p in held[2].lender_view.hard_inquiries_json] == [3, 3, 1]
    set_clock(NOW + timedelta(seconds=10))
    lender_kept = pull(client, world, "reports", hard)
    kept = client.get("/v1/me/report", headers=world.subject.headers).json()
    file_service._ITEMS_CACHE.clear()
    fresh = client.get("/v1/me/report", headers=world.subject.headers).json()
    assert _without_clock(kept) == _without_clock(fresh)
    assert len(fresh["inquiries"]) == 10
    assert [i["kind"] for i in fresh["inquiries"]].count("soft") == 2
    set_clock(NOW + timedelta(seconds=11))
    lender_fresh = pull(client, world, "reports", hard)
    assert lender_fresh["inquiries"][1:] == lender_kept["inquiries"]
    assert [i["kind"] for i in lender_kept["inquiries"]] == ["hard"] * 7
    # Each pull showed every hard inquiry before its own, newest first.
    assert [len(v["inquiries"]) for v in lender_views] == [1, 2, 2, 3, 4, 4, 5, 6]
    assert [i["at"] for i in lender_kept["inquiries"]] == sorted(
        (i["at"] for i in lender_kept["inquiries"]), reverse=True
    )


def test_a_pull_extends_the_items_it_read_rather_than_rebuild_them(
    client: TestClient, world: World, engine: Engine
) -> None:
    consent_id = consent(client, world)
    pull(client, world, "reports", consent_id)  # the lender joins the file's sources
    pull(client, world, "reports", consent_id)  # the items of this revision are held
    statements: list[str] = []

    def _seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.lower())

    event.listen(engine, "before_cursor_execute", _seen)
    try:
        pull(client, world, "reports", consent_id)
        client.get("/v1/me/report", headers=world.subject.headers)
    finally:
        event.remove(engine, "before_cursor_execute", _seen)
    assert any("insert into inquiries" in s for s in statements)
    assert not any("from accounts" in s or "from inquiries" in s for s in statements)


# --- the consent check is made on the file's own consents, read with the file locked --------


PURPOSE = "credit_application"


@pytest.mark.parametrize(
    ("change", "problem_type"),
    [
        ({"revoked_at": NOW}, "consent-revoked"),
        ({"expires_on": NOW.date()}, "consent-expired"),
        ({"purpose": "account_review"}, "purpose-not-covered"),
        ({"scope": ["score"]}, "scope-not-covered"),
    ],
)
def test_a_consent_changed_behind_the_apis_back_rules_the_next_pull(
    client: TestClient,
    session: Session,
    world: World,
    change: dict[str, Any],
    problem_type: str,
) -> None:
    consent_id = consent(client, world)
    # Two pulls: the consent's subject is known, and the file's items (with its consents)
    # are held for the revision the second pull left.
    pull(client, world, "reports", consent_id, purpose=PURPOSE)
    pull(client, world, "reports", consent_id, purpose=PURPOSE)
    with session.begin_nested():
        session.execute(update(Consent).where(Consent.id == consent_id).values(**change))
    problem = refused(
        client,
        session,
        world,
        "reports",
        consent_id,
        403,
        problem_type,
        purpose="credit_application",
    )
    assert problem["consent_id"] == consent_id


def test_a_consent_gone_behind_the_apis_back_is_not_found(
    client: TestClient, session: Session, world: World
) -> None:
    consent_id = consent(client, world)
    pull(client, world, "reports", consent_id)
    pull(client, world, "reports", consent_id)
    with session.begin_nested():
        session.execute(delete(Consent).where(Consent.id == consent_id))
    refused(client, session, world, "reports", consent_id, 404, "consent-not-found")
    refused(client, session, world, "reports", consent_id, 404, "consent-not-found")


def test_another_lenders_pull_under_a_known_consent_is_not_found(
    client: TestClient, session: Session, world: World
) -> None:
    consent_id = consent(client, world)
    pull(client, world, "reports", consent_id)  # the consent's subject is known from here
    refused(
        client,
        session,
        world,
        "reports",
        consent_id,
        404,
        "consent-not-found",
        lender=world.other_lender,
    )
