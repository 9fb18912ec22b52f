"""Security headers on every answer, errors included; no server banner; the docs pages
get a policy of their own that still lets them load."""

import base64
import hashlib
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.types import Receive, Scope, Send

from service.app import create_app
from service.core.config import Settings
from service.core.middleware import SecurityHeaders
from tests.conftest import ADMIN_HEADERS, Actor

API_CSP = "default-src 'none'; frame-ancestors 'none'"


def assert_guarded(resp: Any) -> None:
    assert resp.headers["cache-control"] == "no-store"
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["referrer-policy"] == "no-referrer"
    assert "server" not in resp.headers


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/healthz", {}, 200),
        ("GET", "/openapi.json", {}, 200),
        ("GET", "/v1/models", {}, 200),
        ("GET", "/v1/sandbox/clock", {"headers": ADMIN_HEADERS}, 200),
        ("GET", "/v1/me/report", {}, 401),
        ("GET", "/v1/me/report", {"headers": {"Authorization": "Bearer wrong"}}, 401),
        ("GET", "/v1/no/such/route", {}, 404),
        ("POST", "/v1/sandbox/clock", {"headers": ADMIN_HEADERS, "json": {}}, 422),
        (
            "POST",
            "/v1/sandbox/subjects",
            {"headers": ADMIN_HEADERS, "content": b"{" + b" " * (1024 * 1024 + 1) + b"}"},
            413,
        ),
        ("DELETE", "/healthz", {}, 405),
    ],
    ids=["health", "schema", "models", "admin", "401", "401-bad-key", "404", "422", "413", "405"],
)
def test_api_answers_carry_the_security_headers(
    client: TestClient, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    resp = client.request(method, path, **kwargs)

    assert resp.status_code == status, resp.text
    assert_guarded(resp)
    assert resp.headers["content-security-policy"] == API_CSP


def test_a_subjects_report_is_never_stored(
    client: TestClient, make_subject: Callable[..., Actor]
) -> None:
    subject = make_subject()
    resp = client.get("/v1/me/report", headers=subject.headers)
    assert resp.status_code == 200
    assert_guarded(resp)
    issued = client.post("/v1/sandbox/lenders", json={"name": "L"}, headers=ADMIN_HEADERS)
    assert issued.status_code == 201
    assert "api_key" in issued.json()
    assert_guarded(issued)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_docs_pages_have_their_own_policy_that_runs_only_their_scripts(
    client: TestClient, path: str
) -> None:
    resp = client.get(path)
    assert resp.status_code == 200
    assert_guarded(resp)
    policy = dict(
        (d.split(" ", 1) + [""])[:2] for d in resp.headers["content-security-policy"].split("; ")
    )
    assert policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "cdn.jsdelivr.net" in policy["script-src"]
    assert policy["connect-src"] == "'self'"  # the page fetches /openapi.json
    for script in re.findall(rb"<script>(.*?)</script>", resp.content, re.DOTALL):
        digest = base64.b64encode(hashlib.sha256(script).digest()).decode()
        assert f"'sha256-{digest}'" in policy["script-src"]


def test_a_server_banner_set_inside_the_app_is_dropped() -> None:
    async def banner_app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"server", b"uvicorn"), (b"Server", b"x"), (b"x-other", b"kept")],
            }
        )
        await send({"type": "http.response.body", "body": b"{}"})

    resp = TestClient(SecurityHeaders(banner_app)).get("/v1/anything")

    assert "server" not in resp.headers
    assert resp.headers["x-other"] == "kept"
    assert_guarded(resp)


@pytest.mark.parametrize(
    ("size", "chunked", "status"),
    [(64, False, 422), (65, False, 413), (64, True, 422), (65, True, 413)],
    ids=["at-limit", "one-over", "chunked-at-limit", "chunked-one-over"],
)
def test_the_body_limit_is_the_configured_setting(
    settings: Settings, engine: Engine, size: int, chunked: bool, status: int
) -> None:
    """With CLEARFILE_MAX_BODY_BYTES=64, a body of 64 bytes is read (and found invalid),
    one of 65 is refused unread."""
    app = create_app(settings.model_copy(update={"max_body_bytes": 64}))
    body = b"[" + b" " * (size - 2) + b"]"
    content: Any = iter([body[:10], body[10:]]) if chunked else body
    try:
        with TestClient(app) as client:
            resp = client.post(
                "/v1/sandbox/clock",
                content=content,
                headers={**ADMIN_HEADERS, "Content-Type": "application/json"},
            )
    finally:
        app.state.engine.dispose()
    assert resp.status_code == status, resp.text
    assert_guarded(resp)
