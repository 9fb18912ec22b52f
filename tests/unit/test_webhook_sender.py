"""The sender against receivers that answer in each way HTTP/1.1 allows: a body by length,
chunked, or ending with the connection; a kept-alive connection closed between batches; no
answer at all; an address outside the allowed networks. Each answer goes to its own request."""

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from service.webhooks import rules
from service.webhooks.sender import SENDERS, Answer, Outgoing, Sender

Respond = Callable[[bytes, bytes], tuple[bytes, bool]]


class RawReceiver:
    """A loopback server: each request (head, body) is answered with the bytes ``respond``
    gives, the connection closed afterwards when it says so; connections are counted."""

    def __init__(self, respond: Respond) -> None:
        self.respond = respond
        self.connections = 0
        self.sockets: list[socket.socket] = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/hooks"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            self.sockets.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buffer = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    try:
                        chunk = conn.recv(65536)
                    except OSError:
                        return
                    if not chunk:
                        return
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                body, buffer = buffer[:length], buffer[length:]
                answer, close = self.respond(head, body)
                try:
                    conn.sendall(answer)
                except OSError:
                    return
                if close:
                    return

    def drop_connections(self) -> None:
        """Close every connection from this side, as a receiver ending idle ones does."""
        for conn in self.sockets:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()
        self.sockets.clear()

    def close(self) -> None:
        self.server.close()
        self.drop_connections()


@pytest.fixture
def make_receiver() -> Iterator[Callable[[Respond], RawReceiver]]:
    made: list[RawReceiver] = []

    def make(respond: Respond) -> RawReceiver:
        made.append(RawReceiver(respond))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


def _id_of(head: bytes) -> bytes:
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"webhook-id:"):
            return line.split(b":", 1)[1].strip()
    return b""


def _send(
    url: str,
    count: int,
    *,
    timeout: float = 5.0,
    batches: int = 1,
    between: Callable[[], None] | None = None,
) -> list[Answer]:
    """``batches`` batches of ``count`` requests by one sender; ``between`` runs between
    batches."""

    async def main() -> list[Answer]:
        sender = Sender(rules.parse_networks("127.0.0.0/8"), timeout)
        answers: list[Answer] = []
        try:
            for b in range(batches):
                out = [
                    Outgoing(url, {"webhook-id": f"evt_{b}_{n}"}, b'{"n":%d}' % n)
                    for n in range(count)
                ]
                answers += await sender.send_all(out)
                if between is not None:
                    between()
                    await asyncio.sleep(0.05)  # the sender's side sees the closing
        finally:
            sender.close()
        return answers

    return asyncio.run(main())


def test_each_answer_goes_to_its_request_over_kept_alive_connections(
    make_receiver: Callable[[Respond], RawReceiver],
) -> None:
    def by_length(head: bytes, body: bytes) -> tuple[bytes, bool]:
        text = _id_of(head) + b" " + body
        return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(text), text), False

    receiver = make_receiver(by_length)
    answers = _send(receiver.url, 40, batches=2)
    expected = [f'evt_{b}_{n} {{"n":{n}}}' for b in range(2) for n in range(40)]
    assert [a.excerpt for a in answers] == expected
    assert {a.status_code for a in answers} == {200}
    assert receiver.connections <= min(40, SENDERS)  # kept alive across requests and batches


def test_a_chunked_answer_and_one_that_ends_with_the_connection(
    make_receiver: Callable[[Respond], RawReceiver],
) -> None:
    def chunked(head: bytes, body: bytes) -> tuple[bytes, bool]:
        return (
            b"HTTP/1.1 202 Accepted\r\ntransfer-encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
            False,
        )

    def until_close(head: bytes, body: bytes) -> tuple[bytes, bool]:
        return b"HTTP/1.1 500 Oops\r\nconnection: close\r\n\r\nbroken " + _id_of(head), True

    answers = _send(make_receiver(chunked).url, 3, batches=2)
    assert [(a.status_code, a.excerpt) for a in answers] == [(202, "hello world")] * 6
    closing = make_receiver(until_close)
    answers = _send(closing.url, 3)
    assert [(a.status_code, a.excerpt) for a in answers] == [
        (500, f"broken evt_0_{n}") for n in range(3)
    ]
    assert closing.connections == 3  # none reused after the receiver closed it


def test_the_excerpt_keeps_the_start_of_a_long_answer(
    make_receiver: Callable[[Respond], RawReceiver],
) -> None:
    text = b"x" * 100_000

    def long(head: bytes, body: bytes) -> tuple[bytes, bool]:
        return b"HTTP/1.1 400 Bad\r\ncontent-length: %d\r\n\r\n%s" % (len(text), text), False

    receiver = make_receiver(long)
    answers = _send(receiver.url, 2, batches=2)
    assert [(a.status_code, a.excerpt) for a in answers] == [
        (400, "x" * rules.RESPONSE_EXCERPT_CHARS)
    ] * 4
    assert receiver.connections <= 2  # the rest of each body was read, the connection kept


def test_a_connection_the_receiver_closed_between_batches_is_replaced(
    make_receiver: Callable[[Respond], RawReceiver],
) -> None:
    def empty(head: bytes, body: bytes) -> tuple[bytes, bool]:
        return b"HTTP/1.1 204 No Content\r\n\r\n", False

    receiver = make_receiver(empty)
    answers = _send(receiver.url, 4, batches=2, between=receiver.drop_connections)
    assert [(a.status_code, a.error) for a in answers] == [(204, None)] * 8


def test_no_answer_is_a_timeout_and_a_forbidden_address_is_refused(
    make_receiver: Callable[[Respond], RawReceiver],
) -> None:
    silent = make_receiver(lambda head, body: (b"", False))
    answers = _send(silent.url, 2, timeout=0.3)
    assert [a.status_code for a in answers] == [None, None]
    assert all((a.error or "").startswith("timeout") for a in answers)
    outside = silent.url.replace("127.0.0.1", "[::1]")
    answer = _send(outside, 1)[0]
    assert answer.status_code is None
    assert (answer.error or "").startswith("refused: it resolves to ::1")
