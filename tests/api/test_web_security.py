"""The web front's security: a portal session sees and touches only its own subject's file;
the console refuses every session but the operator's; a form without the session's token,
or sent from another site, is refused; the pages carry a CSP with no inline script."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ADMIN_KEY, Actor

ORIGIN = "http://testserver"


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


def sign_in(client: TestClient, area: str, key: str) -> str:
    """Sign in through the form as a browser does; the session's form token."""
    page = client.get(f"/{area}/sign-in")
    assert page.status_code == 200
    answer = client.post(
        f"/{area}/sign-in",
        data={"key": key, "csrf_token": _token(page.text)},
        headers={"Origin": ORIGIN},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    landing = client.get(answer.headers["location"])
    assert landing.status_code == 200
    return _token(landing.text)


@pytest.fixture
def two_people(make_subject: Callable[..., Actor]) -> tuple[Actor, Actor]:
    return make_subject(given_name="Wren"), make_subject(given_name="Otto")


def test_the_session_cookie_is_httponly_and_strict(
    client: TestClient, two_people: tuple[Actor, Actor]
) -> None:
    page = client.get("/portal/sign-in")
    answer = client.post(
        "/portal/sign-in",
        data={"key": two_people[0].api_key, "csrf_token": _token(page.text)},
        follow_redirects=False,
    )
    cookie = answer.headers["set-cookie"].lower()
    assert "cf_portal=" in cookie
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/portal" in cookie


def test_the_portal_shows_only_the_signed_in_subjects_file(
    client: TestClient, two_people: tuple[Actor, Actor], admin_headers: dict[str, str]
) -> None:
    wren, otto = two_people
    sign_in(client, "portal", wren.api_key)
    mine = client.get("/portal/file")
    assert "Wren" in mine.text
    assert otto.id not in mine.text
    assert "Otto" not in mine.text
    # The access log names the subject herself, never the operator.
    log = client.get("/v1/me/access-log", headers={"Authorization": f"Bearer {wren.api_key}"})
    assert {e["actor_id"] for e in log.json()["items"] if e["action"] == "report.read"} == {wren.id}


def test_the_portal_accepts_no_other_subjects_items(
    client: TestClient, two_people: tuple[Actor, Actor]
) -> None:
    wren, otto = two_people
    token = sign_in(client, "portal", wren.api_key)
    otto_headers = {"Authorization": f"Bearer {otto.api_key}"}
    consent = client.post(
        "/v1/me/consents",
        headers=otto_headers,
        json={
            "lender_id": "x",
            "purpose": "credit_application",
            "scope": ["report"],
            "expires_on": "2999-01-01",
        },
    )
    # Another subject's identity item: refused as not in her file.
    disputed = client.post(
        "/portal/disputes",
        data={
            "csrf_token": token,
            "item_type": "identity",
            "item_id": otto.id,
            "field": "given_name",
            "reason_code": "other",
            "description": "not me",
        },
    )
    assert disputed.status_code in {404, 422}
    assert client.get("/v1/me/disputes", headers=otto_headers).json()["items"] == []
    # Another subject's consent, notice or receipt: not found, never shown.
    assert client.get("/portal/notices/ntc_not_hers").status_code == 404
    revoke = client.post("/portal/consents/cns_not_hers/revoke", data={"csrf_token": token})
    assert revoke.status_code == 404
    assert consent.status_code in {201, 404, 422}


def test_the_console_refuses_every_session_but_the_operators(
    client: TestClient, two_people: tuple[Actor, Actor], make_lender: Callable[..., Actor]
) -> None:
    wren, _ = two_people
    for key in (wren.api_key, make_lender().api_key, "cf_admin_wrong"):
        page = client.get("/console/sign-in")
        refused = client.post(
            "/console/sign-in",
            data={"key": key, "csrf_token": _token(page.text)},
            follow_redirects=False,
        )
        assert refused.status_code == 401
        assert 'id="key-error"' in refused.text
    # A portal session opens no console page, and posts nothing there.
    token = sign_in(client, "portal", wren.api_key)
    assert client.get("/console/", follow_redirects=False).headers["location"] == (
        "/console/sign-in"
    )
    moved = client.post(
        "/console/clock", data={"csrf_token": token, "advance_days": "30"}, follow_redirects=False
    )
    assert moved.status_code in {303, 403}
    assert moved.headers.get("location", "/console/sign-in") == "/console/sign-in"
    clock = client.get("/v1/sandbox/clock", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert clock.status_code == 200
    # The operator's session works.
    sign_in(client, "console", ADMIN_KEY)
    assert "Sandbox console" in client.get("/console/").text


def test_a_form_without_its_token_or_from_another_site_is_refused(
    client: TestClient, two_people: tuple[Actor, Actor]
) -> None:
    wren, _ = two_people
    token = sign_in(client, "portal", wren.api_key)
    headers = {"Authorization": f"Bearer {wren.api_key}"}
    before = client.get("/v1/me/freeze", headers=headers).json()["frozen"]
    no_token = client.post("/portal/freeze", data={"action": "place"})
    wrong_token = client.post("/portal/freeze", data={"action": "place", "csrf_token": "x"})
    cross_site = client.post(
        "/portal/freeze",
        data={"action": "place", "csrf_token": token},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    for answer in (no_token, wrong_token, cross_site):
        assert answer.status_code == 403
    assert client.get("/v1/me/freeze", headers=headers).json()["frozen"] == before
    # With the token, from this site, it works.
    placed = client.post(
        "/portal/freeze",
        data={"action": "place", "csrf_token": token},
        headers={"Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    assert placed.status_code == 303
    assert client.get("/v1/me/freeze", headers=headers).json()["frozen"] is True


def test_a_stolen_cookie_without_the_form_token_posts_nothing(
    client: TestClient, app: Any, two_people: tuple[Actor, Actor]
) -> None:
    wren, _ = two_people
    sign_in(client, "portal", wren.api_key)
    stolen = client.cookies.get("cf_portal")
    with TestClient(app) as other:
        other.cookies.set("cf_portal", stolen or "", path="/portal")
        answer = other.post(
            "/portal/statements",
            data={"text": "forged"},
            headers={"Origin": "https://evil.example"},
        )
    assert answer.status_code == 403


def test_sign_out_ends_the_session(client: TestClient, two_people: tuple[Actor, Actor]) -> None:
    token = sign_in(client, "portal", two_people[0].api_key)
    out = client.post("/portal/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/portal/file", follow_redirects=False).status_code == 303


def test_pages_carry_a_csp_without_inline_script(
    client: TestClient, two_people: tuple[Actor, Actor]
) -> None:
    sign_in(client, "portal", two_people[0].api_key)
    for path in ("/portal/sign-in", "/portal/file", "/console/sign-in", "/web-static/style.css"):
        policy = client.get(path).headers["content-security-policy"]
        scripts = next(p for p in policy.split("; ") if p.startswith(("script-src", "default")))
        assert "unsafe-inline" not in policy
        assert "script-src 'self'" in policy, scripts
        assert "frame-ancestors 'none'" in policy
    assert "<script>" not in client.get("/portal/file").text
