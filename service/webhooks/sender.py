"""Sending deliveries over HTTP/1.1, on the event loop: to an address the operator allows,
checked when a batch is sent (a host that resolved to loopback at registration may resolve
elsewhere now), connected to the very address that was checked (no second lookup to rebind).

Each connection is an asyncio protocol whose answers are parsed by httptools (the C parser
uvicorn uses), kept alive per receiver address between batches. No thread sends: a thread
per request would contend for the interpreter with the server's own requests."""

import asyncio
import contextlib
import ipaddress
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httptools

from service.webhooks import rules

#: Requests in flight at once (each on a kept-alive connection to its receiver). The
#: answers are read on the server's event loop, which a busy server turns only so often: a
#: batch takes about (its size / this) turns, so this many go out at each.
SENDERS = 32
#: The most of an answer's body read for the delivery log's excerpt (UTF-8 takes at most 4
#: bytes a character); the rest of the body is read and dropped.
EXCERPT_BYTES = rules.RESPONSE_EXCERPT_CHARS * 4


@dataclass(frozen=True, slots=True)
class Outgoing:
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Answer:
    status_code: int | None
    latency_ms: int
    error: str | None
    excerpt: str | None


class _Closed(ConnectionError):
    """The connection ended before any answer began."""


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: a request at a time, its answer parsed as it arrives."""

    _transport: asyncio.Transport  # set as the connection is made, before it is handed out

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self._status: int | None = None
        self._body = bytearray()
        self.closed = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(exc)
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._status is not None:  # an answer whose body ends with the connection
            self._answered()
        else:
            self._fail(_Closed(str(exc) if exc else "the receiver closed the connection"))

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._status = None
        self._body.clear()

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        self._status = status if status >= 200 else None  # 1xx: the answer is still to come

    def on_body(self, body: bytes) -> None:
        if len(self._body) < EXCERPT_BYTES:
            self._body += body[: EXCERPT_BYTES - len(self._body)]

    def on_message_complete(self) -> None:
        if self._status is None:
            return
        if not self._parser.should_keep_alive():
            self.close()
        self._answered()

    def _answered(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done() and self._status is not None:
            waiter.set_result((self._status, bytes(self._body)))
        self._status = None

    def _fail(self, exc: BaseException) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        """Send a request; its answer's status and the start of its body."""
        waiter: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
        self._waiter = waiter
        self._transport.write(request)
        return await waiter

    def close(self) -> None:
        self.closed = True
        self._transport.close()


def resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def _resolve(host: str, port: int) -> list[str]:
    """``resolve`` without blocking the event loop (an address needs no lookup)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return await asyncio.get_running_loop().run_in_executor(None, resolve, host, port)
    return [host]


def check_url(url: str, networks: Sequence[rules.Network]) -> str:
    """The address to connect to for ``url``, or ``rules.UrlProblem`` saying why not."""
    _, host, port = rules.url_parts(url)
    return rules.allowed_address(resolve(host, port), networks)


@dataclass(frozen=True, slots=True)
class _Target:
    """Where a URL's requests go, and the start of each request."""

    scheme: str
    host: str
    port: int
    address: str
    head: bytes

    @property
    def key(self) -> tuple[str, str, int, str]:
        return (self.scheme, self.host, self.port, self.address)


def _head(scheme: str, host: str, port: int, url: str) -> bytes:
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if any(c <= " " or c == "\x7f" for c in path):
        raise rules.UrlProblem("the URL's path holds spaces or control characters")
    name = f"[{host}]" if ":" in host else host
    default = 443 if scheme == "https" else 80
    authority = name if port == default else f"{name}:{port}"
    return f"POST {path} HTTP/1.1\r\nhost: {authority}\r\n".encode("ascii")


def _request(target: _Target, out: Outgoing) -> bytes:
    fields = "".join(f"{name}: {value}\r\n" for name, value in out.headers.items())
    return b"".join(
        (
            target.head,
            f"content-length: {len(out.body)}\r\n{fields}\r\n".encode("latin-1"),
            out.body,
        )
    )


class Sender:
    """Sends batches on the running event loop; keeps connections alive between them. One
    event loop per sender (its connections belong to it)."""

    def __init__(self, networks: Sequence[rules.Network], timeout: float) -> None:
        self._networks = list(networks)
        self._timeout = timeout
        self._idle: dict[tuple[str, str, int, str], list[_Connection]] = {}
        self._tls: ssl.SSLContext | None = None

    def close(self) -> None:
        for conns in self._idle.values():
            for conn in conns:
                conn.close()
        self._idle.clear()

    async def send_all(self, outgoing: Sequence[Outgoing]) -> list[Answer]:
        """Send each request, ``SENDERS`` at a time: the answers in the same order. Each
        URL's host is resolved and checked once per batch."""
        targets: dict[str, _Target | rules.UrlProblem] = {}
        resolved: dict[tuple[str, int], list[str]] = {}
        for out in outgoing:
            if out.url in targets:
                continue
            try:
                scheme, host, port = rules.url_parts(out.url)
                if (host, port) not in resolved:
                    resolved[host, port] = await _resolve(host, port)
                address = rules.allowed_address(resolved[host, port], self._networks)
                targets[out.url] = _Target(
                    scheme, host, port, address, _head(scheme, host, port, out.url)
                )
            except rules.UrlProblem as exc:
                targets[out.url] = exc
        answers: list[Answer | None] = [None] * len(outgoing)
        todo = iter(range(len(outgoing)))

        async def lane() -> None:
            for i in todo:
                answers[i] = await self._send(targets[outgoing[i].url], outgoing[i])

        await asyncio.gather(*(lane() for _ in range(min(SENDERS, len(outgoing)))))
        return [a for a in answers if a is not None]

    async def _send(self, target: _Target | rules.UrlProblem, out: Outgoing) -> Answer:
        if isinstance(target, rules.UrlProblem):
            return Answer(None, 0, f"refused: {target}"[:200], None)
        started = time.perf_counter()
        request = _request(target, out)
        idle = self._idle.setdefault(target.key, [])
        conn: _Connection | None = None
        answer: tuple[int, bytes] | None = None
        try:
            async with asyncio.timeout(self._timeout):
                while idle and answer is None:  # kept alive, unless the receiver closed it
                    conn = idle.pop()
                    if not conn.closed:
                        with contextlib.suppress(_Closed):  # closed as the request went
                            answer = await conn.exchange(request)
                if answer is None:
                    conn = await self._connect(target)
                    answer = await conn.exchange(request)
        except (OSError, httptools.HttpParserError) as exc:
            return self._failed(started, exc)
        finally:
            if conn is not None:
                if answer is None or conn.closed:
                    conn.close()
                else:
                    idle.append(conn)
        latency = int((time.perf_counter() - started) * 1000)
        status, body = answer
        excerpt = body.decode("utf-8", "replace")[: rules.RESPONSE_EXCERPT_CHARS]
        return Answer(status, latency, None, excerpt or None)

    async def _connect(self, target: _Target) -> _Connection:
        loop = asyncio.get_running_loop()
        if target.scheme == "https":
            self._tls = self._tls or ssl.create_default_context()
            _, conn = await loop.create_connection(
                _Connection,
                target.address,
                target.port,
                ssl=self._tls,
                server_hostname=target.host,
            )
        else:
            _, conn = await loop.create_connection(_Connection, target.address, target.port)
        return conn

    @staticmethod
    def _failed(started: float, exc: BaseException) -> Answer:
        latency = int((time.perf_counter() - started) * 1000)
        kind = "timeout" if isinstance(exc, TimeoutError) else "connection error"
        return Answer(None, latency, f"{kind}: {type(exc).__name__} {exc}"[:200], None)
