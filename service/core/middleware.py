"""Pure ASGI middleware that guards every request before any route sees it: the exposure
check of the listening address, the body size limit, and the security headers.

Pure ASGI (no ``BaseHTTPMiddleware``): each is a function call per message, and a request
without a body costs a look at its headers and nothing more.
"""

import base64
import hashlib
import ipaddress
import json
import re
from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.core.config import Settings
from service.core.errors import PROBLEM_BASE, DomainError, PayloadTooLarge, UnsafeExposure

PROBLEM_MEDIA_TYPE = b"application/problem+json"


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1 (also as ::ffff:127.x.y.z): addresses no other
    machine can reach."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _problem(kind: type[DomainError], detail: str, path: str) -> bytes:
    return json.dumps(
        {
            "type": PROBLEM_BASE + kind.slug,
            "title": kind.title,
            "status": kind.status,
            "detail": detail,
            "instance": path,
        }
    ).encode()


async def _send_problem(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# --- exposure ------------------------------------------------------------------------------


class ExposureGuard:
    """Answers every request with 503 ``unsafe-exposure`` when the server listens on an
    address other machines can reach (the ASGI scope's ``server``) while the settings make
    that unsafe (``Settings.exposure_risks``), unless ``CLEARFILE_ALLOW_PUBLIC_BIND`` is set.

    ``clearfile serve`` refuses to start in that case; this guard covers every other way
    to run the app (``uvicorn service.app:create_app --factory``, any ASGI server). The
    answer is decided once per listening address. A ``server`` that is a name rather than
    an address (a test client's ``testserver``) or absent (a Unix socket) is not a network
    address, and is served.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        risks = [] if settings.allow_public_bind else settings.exposure_risks()
        self.reason = (
            "This server listens on an address other machines can reach, and "
            + "; ".join(risks)
            + ". Listen on 127.0.0.1, fix the settings, or set "
            "CLEARFILE_ALLOW_PUBLIC_BIND=true to accept the risk."
            if risks
            else None
        )
        self._refused: dict[str, bool] = {}

    def _refuses(self, host: str) -> bool:
        refused = self._refused.get(host)
        if refused is None:
            try:
                ipaddress.ip_address(host.strip("[]"))
            except ValueError:
                refused = False
            else:
                refused = not is_loopback(host)
            if len(self._refused) < 64:
                self._refused[host] = refused
        return refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server = scope.get("server")
        if self.reason is not None and scope["type"] == "http" and server:
            if self._refuses(str(server[0])):
                body = _problem(UnsafeExposure, self.reason, scope.get("path", ""))
                await _send_problem(send, UnsafeExposure.status, body)
                return
        await self.app(scope, receive, send)


# --- body size -----------------------------------------------------------------------------


class BodySizeLimit:
    """Refuses a request body larger than ``limit`` bytes with 413 ``payload-too-large``:
    from its ``Content-Length`` before a byte is read, or, for a body without one (chunked),
    as soon as the bytes received pass the limit, before the app sees any of them.

    ``overrides`` gives some paths a limit of their own (path -> (limit, the setting that
    sets it)): the file uploads, whose bodies are files, not JSON documents."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        overrides: Mapping[str, tuple[int, str]] | None = None,
    ) -> None:
        self.app = app
        self.limit = limit
        self.overrides = dict(overrides or {})

    def _limit(self, scope: Scope) -> tuple[int, str]:
        return self.overrides.get(scope.get("path", ""), (self.limit, "CLEARFILE_MAX_BODY_BYTES"))

    def _too_large(self, scope: Scope) -> bytes:
        limit, setting = self._limit(scope)
        return _problem(
            PayloadTooLarge,
            f"Request bodies are limited to {limit} bytes here (the server's {setting}).",
            scope.get("path", ""),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in {"GET", "HEAD", "OPTIONS"}:
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)[0] if self.overrides else self.limit
        length: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
                break
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = limit + 1
            if declared > limit:
                await _send_problem(send, PayloadTooLarge.status, self._too_large(scope))
                return
            # The server delivers no more than Content-Length bytes.
            await self.app(scope, receive, send)
            return
        # No Content-Length (chunked): read the body here, up to the limit, then replay it.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay(message, receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _send_problem(send, PayloadTooLarge.status, self._too_large(scope))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay(body, receive), send)


def _replay(first: Message, receive: Receive) -> Receive:
    """A ``receive`` that gives ``first`` once, then defers to the server's."""
    given = [False]

    async def _receive() -> Message:
        if not given[0]:
            given[0] = True
            return first
        return await receive()

    return _receive


# --- security headers ----------------------------------------------------------------------

#: The API's responses are data, never a page: nothing may load from them, nothing may frame
#: them.
API_CSP = "default-src 'none'; frame-ancestors 'none'"

#: Paths that serve the documentation pages (FastAPI's Swagger UI and ReDoc).
PAGE_PATHS = frozenset({"/docs", "/redoc"})

_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def page_csp(html: bytes) -> str:
    """A documentation page's policy: its scripts and styles from the CDN FastAPI names,
    its own inline scripts by hash (so no other inline script runs), the schema from this
    origin, fonts and the favicon from their hosts, ReDoc's worker, and no framing."""
    hashes = sorted(
        {
            "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
            for script in _INLINE_SCRIPT.findall(html)
        }
    )
    return "; ".join(
        [
            "default-src 'none'",
            " ".join(["script-src https://cdn.jsdelivr.net", *hashes]),
            "style-src https://cdn.jsdelivr.net https://fonts.googleapis.com 'unsafe-inline'",
            "font-src https://fonts.gstatic.com",
            "img-src https://fastapi.tiangolo.com https://cdn.jsdelivr.net data:",
            "connect-src 'self'",
            "worker-src blob:",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


#: The web front's pages (``service.web``): scripts, styles and requests only from this origin
#: (no inline script or style at all), forms posted only here, no framing, no base URL.
WEB_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)

#: Path prefixes of the web front's pages and files.
WEB_PREFIXES = ("/portal/", "/console/", "/web-static/")

_COMMON = [
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
_API_HEADERS = [*_COMMON, (b"content-security-policy", API_CSP.encode())]
_WEB_HEADERS = [*_COMMON, (b"content-security-policy", WEB_CSP.encode())]
_REPLACED = frozenset(name for name, _ in _API_HEADERS) | {b"server"}


def _with_headers(message: Message, added: list[tuple[bytes, bytes]]) -> Message:
    headers: Any = message.get("headers", [])
    message["headers"] = [(n, v) for n, v in headers if n.lower() not in _REPLACED] + added
    return message


class SecurityHeaders:
    """Adds to every response ``Cache-Control: no-store`` (responses carry keys and credit
    files, and the public ones change with the sandbox), ``X-Content-Type-Options: nosniff``,
    ``Referrer-Policy: no-referrer`` and a Content-Security-Policy: ``API_CSP``, for the web
    front's pages ``WEB_CSP``, or for a documentation page its own (``page_csp``, made from
    the page it sends); and drops any ``Server`` header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] in PAGE_PATHS:
            await self._page(scope, receive, send)
            return

        path: str = scope["path"]
        added = (
            _WEB_HEADERS
            if path.startswith(WEB_PREFIXES) or path in ("/portal", "/console")
            else _API_HEADERS
        )

        async def _send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = _with_headers(message, added)
            await send(message)

        await self.app(scope, receive, _send)

    async def _page(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A page is small and sent whole: hold its start until its body is known."""
        held: list[Message] = []
        body: list[bytes] = []

        async def _send(message: Message) -> None:
            if held and message["type"] == "http.response.body":
                body.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                whole = b"".join(body)
                policy = (b"content-security-policy", page_csp(whole).encode())
                await send(_with_headers(held.pop(), [*_COMMON, policy]))
                await send({"type": "http.response.body", "body": whole})
                return
            if message["type"] == "http.response.start":
                held.append(message)
                return
            await send(message)

        await self.app(scope, receive, _send)
