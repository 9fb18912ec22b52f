"""An app started by any ASGI server refuses to serve a network address with unsafe
settings: the ASGI scope's ``server`` is the address it listens on."""

import asyncio
import json
from typing import Any

import pytest

from service.app import create_app
from service.core.config import DEFAULT_ADMIN_KEY, Settings

KEY_31 = "cf_admin_0123456789abcdefghijkl"
KEY_32 = "cf_admin_0123456789abcdefghijklm"


def call(settings: Settings, server: Any, path: str = "/healthz") -> tuple[int, dict[str, Any]]:
    """One GET straight through the ASGI interface, as a server listening on ``server``
    would make it."""
    app = create_app(settings)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"sandbox.example")],
        "client": ("203.0.113.9", 40000),
        "server": server,
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    try:
        asyncio.run(app(scope, receive, send))
    finally:
        app.state.engine.dispose()
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body)


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": "sqlite://",
        "load_fixtures": False,
        "webhook_worker": False,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.mark.parametrize(
    ("overrides", "why"),
    [
        ({"admin_key": DEFAULT_ADMIN_KEY}, "the admin key is the documented sandbox default"),
        ({"admin_key": "x"}, "the admin key is shorter than 32 characters"),
        ({"admin_key": KEY_31}, "the admin key is shorter than 32 characters"),
        ({"admin_key": KEY_32, "load_fixtures": True}, "the fixture personas"),
    ],
    ids=["default-key", "one-character-key", "31-character-key", "personas"],
)
@pytest.mark.parametrize(
    "server",
    [("10.1.2.3", 8000), ("0.0.0.0", 8000), ("::", 8000), ("192.168.1.20", 80)],  # noqa: S104
)
def test_a_network_address_with_unsafe_settings_is_refused(
    overrides: dict[str, Any], why: str, server: tuple[str, int]
) -> None:
    status, problem = call(settings(**overrides), server)

    assert status == 503
    assert problem["type"] == "https://clearfile.example/problems/unsafe-exposure"
    assert why in problem["detail"]
    assert "CLEARFILE_ALLOW_PUBLIC_BIND" in problem["detail"]


def test_every_route_is_refused_not_only_the_admin_ones() -> None:
    status, _ = call(settings(admin_key="x"), ("10.1.2.3", 8000), "/v1/sandbox/personas")
    assert status == 503


@pytest.mark.parametrize("server", [("127.0.0.1", 8000), ("127.8.9.10", 8000), ("::1", 8000), None])
def test_loopback_is_served_with_any_settings(server: tuple[str, int] | None) -> None:
    status, body = call(settings(admin_key=DEFAULT_ADMIN_KEY, load_fixtures=True), server)
    assert (status, body) == (200, {"status": "ok"})


def test_a_network_address_is_served_with_a_strong_key_and_no_personas() -> None:
    status, _ = call(settings(admin_key=KEY_32), ("10.1.2.3", 8000))
    assert status == 200


def test_the_operator_may_accept_the_risk_explicitly() -> None:
    unsafe = settings(admin_key=DEFAULT_ADMIN_KEY, load_fixtures=True, allow_public_bind=True)
    status, _ = call(unsafe, ("10.1.2.3", 8000))
    assert status == 200
