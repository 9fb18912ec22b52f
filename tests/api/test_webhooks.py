"""Events and webhooks: who is told what, signatures, retries by the sandbox clock, disable
and re-enable, replay, rotation, SSRF refusals. Deliveries go to a real HTTP receiver on
loopback; the worker's pass is run directly (``deliver_once``), never waited for."""

import http.server
import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from service.core.config import Settings
from service.core.pagination import encode_cursor
from service.webhooks import worker
from tests.conftest import ADMIN_HEADERS, Actor
from tests.factories import account_body

NOW = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)


class Receiver:
    """A loopback HTTP server recording each request; answers ``status`` (settable)."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 204
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers["content-length"]))
                outer.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(outer.status)
                # A 204 has no body (RFC 9110): one here would corrupt the next answer on
                # the kept-alive connection.
                body = b"" if outer.status == 204 else b"ok"
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(b) for _, b in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def deliver(app: FastAPI, settings: Settings) -> Callable[[], int]:
    return lambda: worker.deliver_once(app.state.sessionmaker, settings)


def _register(
    client: TestClient, actor_headers: dict[str, str], url: str, types: list[str]
) -> dict[str, Any]:
    resp = client.post(
        "/v1/webhooks/endpoints", json={"url": url, "event_types": types}, headers=actor_headers
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


def _events(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    resp = client.get("/v1/events", params=params, headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


def _advance(client: TestClient, days: int) -> None:
    resp = client.post("/v1/sandbox/clock", json={"advance_days": days}, headers=ADMIN_HEADERS)
    assert resp.status_code == 200, resp.text


def _advance_hours(client: TestClient, hours: int) -> None:
    now = datetime.fromisoformat(
        client.get("/v1/sandbox/clock", headers=ADMIN_HEADERS).json()["now"]
    )
    later = (now + timedelta(hours=hours)).isoformat()
    resp = client.post("/v1/sandbox/clock", json={"now": later}, headers=ADMIN_HEADERS)
    assert resp.status_code == 200, resp.text


@pytest.fixture
def people(
    client: TestClient,
    set_clock: Callable[[datetime], datetime],
    make_subject: Callable[..., Actor],
    make_furnisher: Callable[..., Actor],
    make_lender: Callable[..., Actor],
) -> dict[str, Any]:
    set_clock(NOW)
    subject, furnisher, other_furnisher = make_subject(), make_furnisher(), make_furnisher()
    lender, other_lender = make_lender(), make_lender()
    acct = client.put(
        "/v1/furnisher/accounts/A-1", json=account_body(subject.id), headers=furnisher.headers
    )
    assert acct.status_code == 201, acct.text
    return {
        "subject": subject,
        "furnisher": furnisher,
        "other_furnisher": other_furnisher,
        "lender": lender,
        "other_lender": other_lender,
        "account_id": acct.json()["id"],
    }


def test_each_change_is_told_once_to_whom_may_see_it(
    client: TestClient, people: dict[str, Any]
) -> None:
    s, f, f2 = people["subject"], people["furnisher"], people["other_furnisher"]
    lender, lender2 = people["lender"], people["other_lender"]
    assert [e["type"] for e in _events(client, f.headers)] == ["account.created"]
    assert [e["type"] for e in _events(client, s.headers)] == ["account.created"]
    assert _events(client, f2.headers) == []
    # a soft inquiry (account review): the subject learns of it, the lender never does
    consent = client.post(
        "/v1/me/consents",
        json={
            "lender_id": lender.id,
            "purpose": "account_review",
            "scope": ["report"],
            "expires_on": "2027-01-01",
        },
        headers=s.headers,
    ).json()["id"]
    assert (
        client.post(
            "/v1/lender/reports", json={"consent_id": consent}, headers=lender.headers
        ).status_code
        == 200
    )
    inquiries = _events(client, s.headers, type="inquiry.recorded")
    assert [e["data"]["kind"] for e in inquiries] == ["soft"]
    assert _events(client, lender.headers, type="inquiry.recorded") == []
    assert [e["type"] for e in _events(client, lender.headers)] == ["consent.granted"]
    assert _events(client, lender2.headers) == []
    # a dispute of f's account: f is told, the other furnisher is not
    dispute = client.post(
        "/v1/me/disputes",
        json={
            "item_type": "account",
            "item_id": people["account_id"],
            "reason_code": "wrong_balance",
            "description": "Wrong.",
        },
        headers=s.headers,
    ).json()["id"]
    opened = _events(client, f.headers, type="dispute.opened")
    assert [e["data"]["dispute_id"] for e in opened] == [dispute]
    assert "description" not in opened[0]["data"]
    assert _events(client, f2.headers) == []
    answered = client.post(
        f"/v1/furnisher/disputes/{dispute}/response", json={"outcome": "deleted"}, headers=f.headers
    )
    assert answered.status_code == 200, answered.text
    for who in (s, f):
        types = [e["type"] for e in _events(client, who.headers)]
        for kind in ("dispute.opened", "dispute.answered", "dispute.resolved", "item.suppressed"):
            assert types.count(kind) == 1, (kind, types)
    assert "notice.created" in [e["type"] for e in _events(client, s.headers)]
    assert "notice.created" not in [e["type"] for e in _events(client, f.headers)]
    # freeze, revoke: the subject; the revocation also the lender
    assert client.put("/v1/me/freeze", headers=s.headers).status_code == 201
    assert client.delete(f"/v1/me/consents/{consent}", headers=s.headers).status_code == 200
    assert [e["type"] for e in _events(client, s.headers, type="freeze.placed")] == [
        "freeze.placed"
    ]
    assert [e["type"] for e in _events(client, lender.headers, type="consent.revoked")] == [
        "consent.revoked"
    ]
    assert _events(client, lender.headers, type="freeze.placed") == []


def test_unanswered_dispute_is_overdue_and_clock_and_expiry_are_told(
    client: TestClient, people: dict[str, Any]
) -> None:
    s, f, lender = people["subject"], people["furnisher"], people["lender"]
    _advance(client, 0)  # starts the consent-expiry watermark
    client.post(
        "/v1/me/consents",
        json={
            "lender_id": lender.id,
            "purpose": "account_review",
            "scope": ["report"],
            "expires_on": "2026-11-20",
        },
        headers=s.headers,
    )
    client.post(
        "/v1/me/disputes",
        json={
            "item_type": "account",
            "item_id": people["account_id"],
            "reason_code": "paid",
            "description": "Paid.",
        },
        headers=s.headers,
    )
    _advance(client, 31)
    types = [e["type"] for e in _events(client, f.headers)]
    assert types.count("dispute.overdue") == 1
    assert types.count("dispute.resolved") == 1
    assert [e["type"] for e in _events(client, lender.headers, type="consent.expired")] == [
        "consent.expired"
    ]
    assert len(_events(client, ADMIN_HEADERS, type="clock.advanced")) == 2
    assert _events(client, s.headers, type="clock.advanced") == []


def test_feed_pages_with_a_cursor(client: TestClient, people: dict[str, Any]) -> None:
    f = people["furnisher"]
    for n in range(3):
        client.put(
            f"/v1/furnisher/accounts/P-{n}",
            json=account_body(people["subject"].id),
            headers=f.headers,
        )
    first = client.get("/v1/events", params={"limit": 2}, headers=f.headers).json()
    rest = client.get(
        "/v1/events", params={"limit": 10, "cursor": first["next_cursor"]}, headers=f.headers
    ).json()
    ids = [e["id"] for e in first["items"] + rest["items"]]
    assert len(ids) == 4 == len(set(ids))
    assert rest["next_cursor"] is None
    # A cursor of before the feed took its transaction order (a bare seq) still reads: as
    # the seq of events written then; every later event sorts after it.
    everything = _events(client, f.headers, limit=10)
    assert [e["id"] for e in everything] == ids
    assert _events(client, f.headers, cursor=encode_cursor(0)) == everything
    for bad in (encode_cursor([1]), encode_cursor(["a", 1]), encode_cursor(True)):
        resp = client.get("/v1/events", params={"cursor": bad}, headers=f.headers)
        assert resp.status_code == 422, resp.text


def test_signed_delivery_verifies_and_a_tampered_body_does_not(
    client: TestClient, people: dict[str, Any], receiver: Receiver, deliver: Callable[[], int]
) -> None:
    f = people["furnisher"]
    endpoint = _register(client, f.headers, receiver.url, ["account.updated"])
    body = account_body(people["subject"].id, balance_cents=777)
    assert client.put("/v1/furnisher/accounts/A-1", json=body, headers=f.headers).status_code == 200
    assert deliver() == 1
    ((headers, raw),) = receiver.received
    wh = Webhook(endpoint["secret"])
    payload = wh.verify(raw, headers)
    assert payload["type"] == "account.updated"
    assert payload["data"]["account_id"] == people["account_id"]
    with pytest.raises(WebhookVerificationError):
        wh.verify(raw.replace(b"777", b"778") if b"777" in raw else raw + b" ", headers)
    log = client.get(f"/v1/webhooks/endpoints/{endpoint['id']}/deliveries", headers=f.headers)
    (delivery,) = log.json()["items"]
    assert delivery["status"] == "delivered"
    assert delivery["attempts"][0]["status_code"] == 204
    assert deliver() == 0  # delivered once


def test_retries_follow_the_sandbox_clock_then_disable_and_reenable(
    client: TestClient, people: dict[str, Any], receiver: Receiver, deliver: Callable[[], int]
) -> None:
    s = people["subject"]
    endpoint = _register(client, s.headers, receiver.url, ["freeze.placed"])
    receiver.status = 503
    client.put("/v1/me/freeze", headers=s.headers)
    assert deliver() == 1
    assert deliver() == 0  # the retry is not due yet
    attempts = 1
    for _ in range(60):
        _advance_hours(client, 6)
        attempts += deliver()
        state = client.get(f"/v1/webhooks/endpoints/{endpoint['id']}", headers=s.headers).json()
        if not state["enabled"]:
            break
    assert not state["enabled"]
    assert "failed" in state["disabled_reason"]
    assert 3 <= attempts <= 30
    log = client.get(f"/v1/webhooks/endpoints/{endpoint['id']}/deliveries", headers=s.headers)
    (delivery,) = log.json()["items"]
    at = [datetime.fromisoformat(a["at"]) for a in delivery["attempts"]]
    assert at[-1] - at[0] >= timedelta(days=3) - timedelta(hours=6)
    kinds = [n["kind"] for n in client.get("/v1/me/notices", headers=s.headers).json()["items"]]
    assert "webhook_endpoint_disabled" in kinds
    # re-enabled, a replay of the event arrives
    receiver.status = 200
    patched = client.patch(
        f"/v1/webhooks/endpoints/{endpoint['id']}", json={"enabled": True}, headers=s.headers
    )
    assert patched.json()["enabled"] is True
    event_id = _events(client, s.headers, type="freeze.placed")[0]["id"]
    replay = client.post(
        f"/v1/webhooks/endpoints/{endpoint['id']}/replay",
        json={"event_id": event_id},
        headers=s.headers,
    )
    assert replay.status_code == 202
    assert replay.json() == {"replayed": 1}
    before = len(receiver.received)
    assert deliver() == 1
    assert len(receiver.received) == before + 1
    assert receiver.received[-1][0]["webhook-id"] == event_id


def test_410_stops_and_disables(
    client: TestClient, people: dict[str, Any], receiver: Receiver, deliver: Callable[[], int]
) -> None:
    s = people["subject"]
    endpoint = _register(client, s.headers, receiver.url, ["freeze.placed", "freeze.lifted"])
    receiver.status = 410
    client.put("/v1/me/freeze", headers=s.headers)
    assert deliver() == 1
    _advance(client, 1)
    client.delete("/v1/me/freeze", headers=s.headers)
    assert deliver() == 0
    state = client.get(f"/v1/webhooks/endpoints/{endpoint['id']}", headers=s.headers).json()
    assert state["enabled"] is False
    assert "410" in state["disabled_reason"]


def test_test_event_and_rotation_overlap(
    client: TestClient, people: dict[str, Any], receiver: Receiver, deliver: Callable[[], int]
) -> None:
    lender = people["lender"]
    endpoint = _register(client, lender.headers, receiver.url, ["consent.granted"])
    rotated = client.post(
        f"/v1/webhooks/endpoints/{endpoint['id']}/rotate-secret", headers=lender.headers
    ).json()
    assert (
        client.post(
            f"/v1/webhooks/endpoints/{endpoint['id']}/test", headers=lender.headers
        ).status_code
        == 202
    )
    assert deliver() == 1
    headers, raw = receiver.received[-1]
    for secret in (endpoint["secret"], rotated["secret"]):
        assert Webhook(secret).verify(raw, headers)["type"] == "webhook.test"
    _advance(client, 2)  # past the overlap: only the new secret signs
    client.post(f"/v1/webhooks/endpoints/{endpoint['id']}/test", headers=lender.headers)
    assert deliver() == 1
    headers, raw = receiver.received[-1]
    assert Webhook(rotated["secret"]).verify(raw, headers)["type"] == "webhook.test"
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(raw, headers)


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:10.0.0.1]/x",
        "ftp://127.0.0.1/x",
        "http://user:pw@127.0.0.1/x",
        "http://no-such-host.invalid/x",
    ],
)
def test_urls_outside_the_allowed_networks_are_refused(
    client: TestClient, people: dict[str, Any], url: str
) -> None:
    resp = client.post(
        "/v1/webhooks/endpoints",
        json={"url": url, "event_types": ["account.created"]},
        headers=people["furnisher"].headers,
    )
    assert resp.status_code == 422, resp.text
    assert resp.json()["type"].endswith(("/url-not-allowed", "/validation-error"))


def test_another_principals_endpoint_is_404(
    client: TestClient, people: dict[str, Any], receiver: Receiver
) -> None:
    endpoint = _register(client, people["furnisher"].headers, receiver.url, ["account.created"])
    for method in ("GET", "DELETE"):
        resp = client.request(
            method,
            f"/v1/webhooks/endpoints/{endpoint['id']}",
            headers=people["other_furnisher"].headers,
        )
        assert resp.status_code == 404
