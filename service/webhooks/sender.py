"""Sending a delivery over HTTP: to an address the operator allows, checked when the
request is made (a host that resolved to loopback at registration may resolve elsewhere
now), connected to the very address that was checked (no second lookup to rebind)."""

import http.client
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

from service.webhooks import rules

#: Threads sending at once (each keeps its own connections alive per receiver).
SENDERS = 8


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


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_url(url: str, networks: Sequence[rules.Network]) -> str:
    """The address to connect to for ``url``, or ``rules.UrlProblem`` saying why not."""
    _, host, port = rules.url_parts(url)
    return rules.allowed_address(resolve(host, port), networks)


class Sender:
    def __init__(self, networks: Sequence[rules.Network], timeout: float) -> None:
        self._networks = list(networks)
        self._timeout = timeout
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(SENDERS, thread_name_prefix="webhook-send")

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def send_all(self, outgoing: Sequence[Outgoing]) -> list[Answer]:
        if len(outgoing) <= 1:
            return [self.send(o) for o in outgoing]
        return list(self._pool.map(self.send, outgoing))

    def _connections(self) -> dict[tuple[str, str, int, str], http.client.HTTPConnection]:
        conns = getattr(self._local, "conns", None)
        if conns is None:
            conns = self._local.conns = {}
        return conns

    def send(self, out: Outgoing) -> Answer:
        started = time.perf_counter()
        try:
            scheme, host, port = rules.url_parts(out.url)
            address = rules.allowed_address(resolve(host, port), self._networks)
        except rules.UrlProblem as exc:
            return Answer(None, 0, f"refused: {exc}"[:200], None)
        parts = urlsplit(out.url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        key = (scheme, host, port, address)
        conns = self._connections()
        for fresh in (False, True):
            conn = conns.get(key)
            reused = conn is not None and not fresh
            if conn is None or fresh:
                if conn is not None:
                    conn.close()
                kind = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
                conn = conns[key] = kind(host, port, address, self._timeout)
            try:
                conn.request("POST", path, body=out.body, headers=out.headers)
                response = conn.getresponse()
                text = response.read(rules.RESPONSE_EXCERPT_CHARS * 4)
                if response.will_close:
                    conn.close()
                    del conns[key]
                latency = int((time.perf_counter() - started) * 1000)
                excerpt = text.decode("utf-8", "replace")[: rules.RESPONSE_EXCERPT_CHARS]
                return Answer(response.status, latency, None, excerpt or None)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                conn.close()
                conns.pop(key, None)
                if reused:
                    continue  # a kept-alive connection the receiver had closed: once more
                return self._failed(started, exc)
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conns.pop(key, None)
                return self._failed(started, exc)
        return self._failed(started, ConnectionError("no connection"))  # pragma: no cover

    @staticmethod
    def _failed(started: float, exc: BaseException) -> Answer:
        latency = int((time.perf_counter() - started) * 1000)
        kind = "timeout" if isinstance(exc, TimeoutError | socket.timeout) else "connection error"
        return Answer(None, latency, f"{kind}: {type(exc).__name__} {exc}"[:200], None)
