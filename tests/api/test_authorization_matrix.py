"""The authorisation matrix: every endpoint x every role x own vs another's resource.

Each cell asserts the exact status. A route missing from the matrix fails the suite, so a new
endpoint cannot ship without saying who may call it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.scoring.engine.scorecard import CURRENT_VERSION
from tests.conftest import ADMIN_HEADERS, Actor
from tests.factories import account_body
from tests.metro2_files import metro2_file

ROLES = ("anonymous", "admin", "subject", "furnisher", "lender", "auditor")
NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


@dataclass
class World:
    """Two of each principal, and a resource owned by the first furnisher."""

    actors: dict[str, Actor]
    others: dict[str, Actor]
    subject: Actor
    own_ref: str = "acct-own"
    other_ref: str = "acct-other"
    extra: dict[str, Any] = field(default_factory=dict)

    def headers(self, role: str) -> dict[str, str]:
        if role == "anonymous":
            return {}
        if role == "admin":
            return dict(ADMIN_HEADERS)
        return self.actors[role].headers


@dataclass(frozen=True)
class Cell:
    method: str
    path: str
    allowed: tuple[str, ...]
    ok: int = 200
    body: Callable[[World], Any] | None = None


def _put_body(w: World) -> dict[str, Any]:
    return account_body(w.subject.id, as_of="2026-11-01")


def _subject_body(_: World) -> dict[str, Any]:
    return {"given_name": "Matrix", "family_name": "Cellworth", "date_of_birth": "1991-02-03"}


def _org_body(_: World) -> dict[str, Any]:
    return {"name": "Fictional Matrix Org"}


def _simulation_body(_: World) -> dict[str, Any]:
    return {"changes": [{"kind": "months_pass", "months": 1}]}


def _consent_body(w: World) -> dict[str, Any]:
    return {
        "lender_id": w.actors["lender"].id,
        "purpose": "account_review",
        "scope": ["report", "score"],
        "expires_on": "2027-01-01",
    }


def _dispute_body(w: World) -> dict[str, Any]:
    return {
        "item_type": "account",
        "item_id": w.extra["other_account_id"],
        "reason_code": "wrong_balance",
        "description": "The balance is wrong.",
    }


def _pull_body(w: World) -> dict[str, Any]:
    return {"consent_id": w.extra["consent"]}


def _decision_body(w: World) -> dict[str, Any]:
    return {
        "consent_id": w.extra["consent"],
        "receipt_id": w.extra["lender_receipt"],
        "outcome": "declined",
    }


#: A Metro 2 file with no accounts (header and trailer): what the Metro 2 cells send.
EMPTY_METRO2 = metro2_file([])


def _metro2_body(_: World) -> bytes:
    return EMPTY_METRO2


#: Every role that holds a key.
ANY_ROLE = ("admin", "subject", "furnisher", "lender", "auditor")


def _endpoint_body() -> dict[str, Any]:
    return {"url": "http://127.0.0.1:9/hooks", "event_types": ["account.created"]}


MATRIX: list[Cell] = [
    Cell("GET", "/healthz", ROLES),
    Cell("POST", "/v1/sandbox/subjects", ("admin",), 201, _subject_body),
    Cell("POST", "/v1/sandbox/furnishers", ("admin",), 201, _org_body),
    Cell("POST", "/v1/sandbox/lenders", ("admin",), 201, _org_body),
    Cell("POST", "/v1/sandbox/auditors", ("admin",), 201, _org_body),
    Cell("GET", "/v1/sandbox/clock", ("admin",)),
    Cell("POST", "/v1/sandbox/clock", ("admin",), 200, lambda w: {"advance_days": 1}),
    Cell("GET", "/v1/sandbox/personas", ("admin",)),
    Cell("POST", "/v1/sandbox/reset", ("admin",)),
    Cell("PUT", "/v1/furnisher/accounts/{account_ref}", ("furnisher",), 201, _put_body),
    Cell("GET", "/v1/furnisher/accounts", ("furnisher",)),
    Cell("GET", "/v1/furnisher/accounts/{account_ref}", ("furnisher",)),
    Cell("POST", "/v1/furnisher/metro2/check", ("furnisher",), 200, _metro2_body),
    Cell("POST", "/v1/furnisher/metro2", ("furnisher",), 201, _metro2_body),
    Cell("GET", "/v1/furnisher/metro2", ("furnisher",)),
    Cell("GET", "/v1/furnisher/metro2/imports/{import_id}", ("furnisher",)),
    Cell("GET", "/v1/me/report", ("subject",)),
    Cell("GET", "/v1/me/access-log", ("subject",)),
    Cell("GET", "/v1/me/export", ("subject",)),
    Cell("GET", "/v1/me/score", ("subject",)),
    Cell("POST", "/v1/me/score/simulate", ("subject",), 200, _simulation_body),
    Cell("GET", "/v1/me/score/history", ("subject",)),
    Cell("GET", "/v1/me/score/receipts/{receipt_id}", ("subject",)),
    Cell("POST", "/v1/me/consents", ("subject",), 201, _consent_body),
    Cell("GET", "/v1/me/consents", ("subject",)),
    Cell("GET", "/v1/me/consents/{consent_id}", ("subject",)),
    Cell("DELETE", "/v1/me/consents/{consent_id}", ("subject",)),
    Cell("GET", "/v1/me/consents/{consent_id}/receipt", ("subject",)),
    Cell("GET", "/v1/me/freeze", ("subject",)),
    Cell("PUT", "/v1/me/freeze", ("subject",)),
    Cell("DELETE", "/v1/me/freeze", ("subject",)),
    Cell("POST", "/v1/me/fraud-alerts", ("subject",), 201, lambda w: {"kind": "extended"}),
    Cell("GET", "/v1/me/fraud-alerts", ("subject",)),
    Cell("DELETE", "/v1/me/fraud-alerts/{alert_id}", ("subject",)),
    Cell("GET", "/v1/me/notices", ("subject",)),
    Cell("GET", "/v1/me/notices/{notice_id}", ("subject",)),
    Cell("GET", "/v1/lender/consents", ("lender",)),
    Cell("POST", "/v1/lender/reports", ("lender",), 200, _pull_body),
    Cell("POST", "/v1/lender/scores", ("lender",), 200, _pull_body),
    Cell("POST", "/v1/lender/decisions", ("lender",), 201, _decision_body),
    Cell("POST", "/v1/me/disputes", ("subject",), 201, _dispute_body),
    Cell("GET", "/v1/me/disputes", ("subject",)),
    Cell("GET", "/v1/me/disputes/{dispute_id}", ("subject",)),
    Cell(
        "POST",
        "/v1/me/disputes/{dispute_id}/information",
        ("subject",),
        200,
        lambda w: {"text": "More."},
    ),
    Cell("POST", "/v1/me/statements", ("subject",), 201, lambda w: {"text": "I disagree."}),
    Cell("GET", "/v1/furnisher/disputes", ("furnisher",)),
    Cell(
        "POST",
        "/v1/furnisher/disputes/{dispute_id}/response",
        ("furnisher",),
        200,
        lambda w: {"outcome": "verified"},
    ),
    Cell(
        "POST",
        "/v1/furnisher/disputes/{dispute_id}/reinsertion",
        ("furnisher",),
        200,
        lambda w: {"certified": True, "certification": "Checked against our ledger."},
    ),
    Cell("GET", "/v1/audit/disputes", ("auditor",)),
    Cell("GET", "/v1/models", ROLES),
    Cell("GET", "/v1/models/{version}", ROLES),
    Cell("GET", "/v1/audit/events", ("auditor",)),
    Cell("GET", "/v1/audit/verify", ("auditor",)),
    # Events and webhooks: any role, each its own.
    Cell("GET", "/v1/events", ANY_ROLE),
    Cell("POST", "/v1/webhooks/endpoints", ANY_ROLE, 201, lambda w: _endpoint_body()),
    Cell("GET", "/v1/webhooks/endpoints", ANY_ROLE),
    Cell("GET", "/v1/webhooks/endpoints/{endpoint_id}", ANY_ROLE),
    Cell(
        "PATCH",
        "/v1/webhooks/endpoints/{endpoint_id}",
        ANY_ROLE,
        200,
        lambda w: {"description": "x"},
    ),
    Cell("DELETE", "/v1/webhooks/endpoints/{endpoint_id}", ANY_ROLE),
    Cell("GET", "/v1/webhooks/endpoints/{endpoint_id}/deliveries", ANY_ROLE),
    Cell(
        "POST",
        "/v1/webhooks/endpoints/{endpoint_id}/replay",
        ANY_ROLE,
        202,
        lambda w: {"since": "2026-01-01T00:00:00Z"},
    ),
    Cell("POST", "/v1/webhooks/endpoints/{endpoint_id}/rotate-secret", ANY_ROLE),
    Cell("POST", "/v1/webhooks/endpoints/{endpoint_id}/test", ANY_ROLE, 202),
]

#: Endpoints whose path names a resource that belongs to someone: another's is 404.
OWNED: dict[tuple[str, str], str] = {
    ("GET", "/v1/furnisher/accounts/{account_ref}"): "furnisher",
    ("GET", "/v1/furnisher/metro2/imports/{import_id}"): "furnisher",
    ("GET", "/v1/me/score/receipts/{receipt_id}"): "subject",
    ("GET", "/v1/me/consents/{consent_id}"): "subject",
    ("DELETE", "/v1/me/consents/{consent_id}"): "subject",
    ("GET", "/v1/me/consents/{consent_id}/receipt"): "subject",
    ("DELETE", "/v1/me/fraud-alerts/{alert_id}"): "subject",
    ("GET", "/v1/me/notices/{notice_id}"): "subject",
    ("GET", "/v1/me/disputes/{dispute_id}"): "subject",
    ("POST", "/v1/me/disputes/{dispute_id}/information"): "subject",
    ("POST", "/v1/furnisher/disputes/{dispute_id}/response"): "furnisher",
    ("POST", "/v1/furnisher/disputes/{dispute_id}/reinsertion"): "furnisher",
    **{(c.method, c.path): "furnisher" for c in MATRIX if "{endpoint_id}" in c.path},
}
#: What an unknown id looks like in each kind of path.
UNKNOWN = {
    "{account_ref}": "no-such-ref",
    "{import_id}": "m2i_00000000000000000000",
    "{receipt_id}": "rcp_00000000000000000000",
    "{consent_id}": "cns_00000000000000000000",
    "{alert_id}": "fra_00000000000000000000",
    "{notice_id}": "ntc_00000000000000000000",
    "{dispute_id}": "dsp_00000000000000000000",
    "{endpoint_id}": "whe_00000000000000000000",
}


@dataclass(frozen=True)
class Owned:
    """What each subject of the world owns: a consent to the lender, a fraud alert, a
    notice (from the lender's decline of a score pulled under that consent), a freeze."""

    consent: str
    alert: str
    notice: str
    receipt: str


def _owned(client: TestClient, w: World, subject: Actor) -> Owned:
    lender = w.actors["lender"]
    consent = client.post("/v1/me/consents", json=_consent_body(w), headers=subject.headers)
    assert consent.status_code == 201, consent.text
    consent_id = consent.json()["id"]
    alert = client.post("/v1/me/fraud-alerts", json={"kind": "initial"}, headers=subject.headers)
    assert alert.status_code == 201, alert.text
    assert client.put("/v1/me/freeze", headers=subject.headers).status_code == 201
    scores = [
        client.post("/v1/lender/scores", json={"consent_id": consent_id}, headers=lender.headers)
        for _ in range(2)
    ]
    assert all(s.status_code == 200 for s in scores), scores[0].text
    declined = client.post(
        "/v1/lender/decisions",
        json={
            "consent_id": consent_id,
            "receipt_id": scores[0].json()["receipt_id"],
            "outcome": "declined",
        },
        headers=lender.headers,
    )
    assert declined.status_code == 201, declined.text
    return Owned(
        consent=consent_id,
        alert=alert.json()["id"],
        notice=declined.json()["notice_id"],
        receipt=scores[1].json()["receipt_id"],
    )


def test_every_route_is_in_the_matrix(app: FastAPI) -> None:
    routes = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    assert routes == {(c.method, c.path) for c in MATRIX}


@pytest.fixture
def world(
    client: TestClient,
    set_clock: Callable[[datetime], datetime],
    make_subject: Callable[..., Actor],
    make_furnisher: Callable[..., Actor],
    make_lender: Callable[..., Actor],
    make_auditor: Callable[..., Actor],
) -> World:
    set_clock(NOW)
    subject, other_subject = make_subject(), make_subject()
    furnisher, other_furnisher = make_furnisher(), make_furnisher()
    w = World(
        actors={
            "subject": subject,
            "furnisher": furnisher,
            "lender": make_lender(),
            "auditor": make_auditor(),
        },
        others={"subject": other_subject, "furnisher": other_furnisher},
        subject=subject,
    )
    for owner, ref in ((furnisher, w.own_ref), (other_furnisher, w.other_ref)):
        resp = client.put(
            f"/v1/furnisher/accounts/{ref}",
            json=account_body(subject.id),
            headers=owner.headers,
        )
        assert resp.status_code == 201, resp.text
    return w


def _receipt(client: TestClient, w: World, owner: Actor) -> str:
    """A score receipt of ``owner`` (made once per test, by scoring the owner's file)."""
    receipts: dict[str, str] = w.extra.setdefault("receipts", {})
    if owner.id not in receipts:
        resp = client.get("/v1/me/score", headers=owner.headers)
        assert resp.status_code == 200, resp.text
        receipts[owner.id] = resp.json()["receipt_id"]
    return receipts[owner.id]


@dataclass(frozen=True)
class Disputed:
    """Each subject's disputes: one open, one whose item was deleted (suppressed), and one
    verified (so a statement may be added), on accounts of the owner's furnisher."""

    open: str
    suppressed: str


def _disputed(client: TestClient, w: World, subject: Actor) -> Disputed:
    furnisher = w.actors["furnisher"] if subject is w.subject else w.others["furnisher"]
    ids = []
    for n, answer in enumerate((None, "deleted", "verified")):
        account = client.put(
            f"/v1/furnisher/accounts/disputed-{n}",
            json=account_body(subject.id),
            headers=furnisher.headers,
        )
        assert account.status_code == 201, account.text
        dispute = client.post(
            "/v1/me/disputes",
            json={
                "item_type": "account",
                "item_id": account.json()["id"],
                "reason_code": "other",
                "description": f"Dispute {n}.",
            },
            headers=subject.headers,
        )
        assert dispute.status_code == 201, dispute.text
        ids.append(dispute.json()["id"])
        if answer is not None:
            answered = client.post(
                f"/v1/furnisher/disputes/{ids[-1]}/response",
                json={"outcome": answer},
                headers=furnisher.headers,
            )
            assert answered.status_code == 200, answered.text
    return Disputed(open=ids[0], suppressed=ids[1])


def _disputed_by(client: TestClient, w: World, owner: Actor) -> Disputed:
    disputed: dict[str, Disputed] = w.extra.setdefault("disputed", {})
    if owner.id not in disputed:
        disputed[owner.id] = _disputed(client, w, owner)
    return disputed[owner.id]


def _owned_by(client: TestClient, w: World, owner: Actor) -> Owned:
    owned: dict[str, Owned] = w.extra.setdefault("owned", {})
    if owner.id not in owned:
        owned[owner.id] = _owned(client, w, owner)
    return owned[owner.id]


def _prepare(cell: Cell, w: World, client: TestClient) -> None:
    """What the cell's body refers to: the subject's consent, the lender's receipt, an
    account to dispute, a verified dispute to make a statement about."""
    if cell.path.startswith("/v1/lender/") and cell.method == "POST":
        owned = _owned_by(client, w, w.subject)
        w.extra["consent"], w.extra["lender_receipt"] = owned.consent, owned.receipt
    if cell.path == "/v1/me/disputes" and cell.method == "POST":
        report = client.get("/v1/me/report", headers=w.subject.headers).json()
        (other,) = [a for a in report["accounts"] if a["account_ref"] == w.other_ref]
        w.extra["other_account_id"] = other["id"]
    if cell.path == "/v1/me/statements":
        _disputed_by(client, w, w.subject)


def _url(
    cell: Cell, w: World, client: TestClient, *, own: bool = True, role: str = "furnisher"
) -> str:
    ref = w.own_ref if own else w.other_ref
    if cell.method == "PUT":
        ref = "acct-new"
    url = cell.path.replace("{account_ref}", ref).replace("{version}", CURRENT_VERSION)
    owner = w.subject if own else w.others["subject"]
    if "{receipt_id}" in url:
        url = url.replace("{receipt_id}", _receipt(client, w, owner))
    if "{dispute_id}" in url:
        disputed = _disputed_by(client, w, owner)
        chosen = disputed.suppressed if url.endswith("/reinsertion") else disputed.open
        url = url.replace("{dispute_id}", chosen)
    for placeholder, attribute in (
        ("{consent_id}", "consent"),
        ("{alert_id}", "alert"),
        ("{notice_id}", "notice"),
    ):
        if placeholder in url:
            url = url.replace(placeholder, getattr(_owned_by(client, w, owner), attribute))
    if "{import_id}" in url:
        furnisher = w.actors["furnisher"] if own else w.others["furnisher"]
        made = client.post("/v1/furnisher/metro2", content=EMPTY_METRO2, headers=furnisher.headers)
        assert made.status_code == 201, made.text
        url = url.replace("{import_id}", made.json()["import_id"])
    if "{endpoint_id}" in url:
        owner_role = role if role != "anonymous" else "subject"
        headers = w.headers(owner_role) if own else w.others[owner_role].headers
        made = client.post("/v1/webhooks/endpoints", json=_endpoint_body(), headers=headers)
        assert made.status_code == 201, made.text
        url = url.replace("{endpoint_id}", made.json()["id"])
    if cell.method in ("PUT", "DELETE") and url == "/v1/me/freeze":
        _owned_by(client, w, w.subject)  # a freeze to lift
    return url


def _unknown_url(cell: Cell) -> str:
    url = cell.path
    for placeholder, unknown in UNKNOWN.items():
        url = url.replace(placeholder, unknown)
    return url


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("cell", MATRIX, ids=lambda c: f"{c.method} {c.path}")
def test_matrix_cell(client: TestClient, world: World, cell: Cell, role: str) -> None:
    _prepare(cell, world, client)
    body = cell.body(world) if cell.body else None
    url = _url(cell, world, client, role=role)
    if isinstance(body, bytes):
        resp = client.request(cell.method, url, content=body, headers=world.headers(role))
    else:
        resp = client.request(cell.method, url, json=body, headers=world.headers(role))
    if role in cell.allowed:
        expected = cell.ok
    elif role == "anonymous":
        expected = 401
    else:
        expected = 403
    assert resp.status_code == expected, f"{role} {cell.method} {cell.path}: {resp.text}"
    if expected >= 400:
        assert resp.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("method", "path"), sorted(OWNED))
def test_anothers_resource_is_404_never_403(
    client: TestClient, world: World, method: str, path: str
) -> None:
    role = OWNED[(method, path)]
    cell = next(c for c in MATRIX if (c.method, c.path) == (method, path))
    _prepare(cell, world, client)
    body = cell.body(world) if cell.body else None
    url = _url(cell, world, client, own=False)
    resp = client.request(method, url, json=body, headers=world.headers(role))
    assert resp.status_code == 404, resp.text
    unknown = client.request(method, _unknown_url(cell), json=body, headers=world.headers(role))
    assert unknown.status_code == 404
    assert resp.json()["type"] == unknown.json()["type"]
