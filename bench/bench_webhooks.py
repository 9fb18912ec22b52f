"""Webhook delivery benchmark (issue 14, item 5): SQLite, one server process
(``clearfile serve --no-access-log``, its delivery worker inside), a receiver on loopback in
a process of its own answering 204 at once.

(a) **Burst**: 10,000 ``account.updated`` events for a furnisher with one endpoint are
    committed in one transaction; prints the delivery rate until the receiver has them all.
    Target >= 1,000 deliveries/s. Reference in the same run: the same sender (on an event
    loop, kept-alive connections, signed bodies) posting 10,000 requests straight to the
    receiver, with no database, so the ratio is what the outbox path costs next to the bare
    HTTP.
(b) **Steady**: furnishing PUTs at 200/s (open loop, each at its scheduled moment) for 30 s;
    prints the p50/p99 from each PUT's sending (its commit comes before its answer) to its
    event's receipt. Target p99 <= 1 s. Reference: the PUTs' own latency p50/p99.
(c) **Cost**: the furnishing PUT rate, closed loop, without an endpoint (events are written
    and marked fanned out to no one) and with one (each event delivered), in rounds whose
    order alternates (without, with; with, without; ...): the PUT rate drifts down as the
    database grows through a run, and a fixed order would charge the drift to the later of
    the two. Target: with >= 0.9 x without.

    python -m bench.bench_webhooks [--runs 3] [--burst 10000] [--rate 200] [--steady 30]
                                   [--seconds 10] [--rounds 4] [--connections 8]
"""

import argparse
import asyncio
import json
import multiprocessing
import multiprocessing.connection
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.server import HOST, _free_port, _wait_until_up

FURNISHER_KEY = "cf_furnisher_sandbox_card_co"
FURNISHER_ID = "fur_sandbox_card_co"
SUBJECT_ID = "sub_sandbox_ada_testwell"
#: The furnishing PUTs spread over this many accounts (a furnisher updates many).
ACCOUNTS = 200
TARGET_RATE = 1000.0
TARGET_P99_S = 1.0
TARGET_COST = 0.10


# --- the receiver: its own process, asyncio, HTTP/1.1 keep-alive ------------------------------


class _Receive(asyncio.Protocol):
    def __init__(self, log: list[tuple[float, bytes]]) -> None:
        self.log = log
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].lower()
            at = head.find(b"content-length:")
            length = int(head[at + 15 : head.find(b"\r\n", at)]) if at >= 0 else 0
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            self.log.append((time.monotonic(), body))
            self.transport.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")


def _receiver_main(port: int, pipe: multiprocessing.connection.Connection) -> None:
    log: list[tuple[float, bytes]] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _Receive(log), HOST, port, backlog=512)
        pipe.send("up")
        while True:
            if not await loop.run_in_executor(None, pipe.poll, 0.05):
                continue
            command = pipe.recv()
            if command == "count":
                pipe.send(len(log))
            elif command == "take":
                pipe.send(list(log))
                log.clear()
            elif command == "stop":
                server.close()
                return

    asyncio.run(main())


class Receiver:
    """Moments are ``time.monotonic()``: one clock for every process of this machine (Linux
    CLOCK_MONOTONIC), so a receipt compares with a sending made in another process."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://{HOST}:{self.port}/hooks"
        self._pipe, child = multiprocessing.Pipe()
        self._process = multiprocessing.Process(
            target=_receiver_main, args=(self.port, child), daemon=True
        )
        self._process.start()
        assert self._pipe.recv() == "up"

    def count(self) -> int:
        self._pipe.send("count")
        n: int = self._pipe.recv()
        return n

    def take(self) -> list[tuple[float, bytes]]:
        self._pipe.send("take")
        log: list[tuple[float, bytes]] = self._pipe.recv()
        return log

    def wait_for(self, n: int, timeout: float) -> list[tuple[float, bytes]]:
        """Wait until ``n`` requests arrived; take them (moment of receipt, body)."""
        deadline = time.monotonic() + timeout
        while self.count() < n:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the receiver got {self.count()} of {n}")
            time.sleep(0.01)
        return self.take()

    def close(self) -> None:
        self._pipe.send("stop")
        self._process.join(10)


# --- the server --------------------------------------------------------------------------------


@contextmanager
def _server(database_url: str) -> Iterator[int]:
    port = _free_port()
    env = dict(os.environ)
    env["CLEARFILE_DATABASE_URL"] = database_url
    env.pop("CLEARFILE_ADMIN_KEY", None)
    command = [sys.executable, "-m", "service.cli", "serve", "--host", HOST]
    command += ["--port", str(port), "--no-access-log"]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )  # noqa: S603
    try:
        _wait_until_up(port)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def _call(port: int, method: str, path: str, body: object = None) -> Any:
    request = urllib.request.Request(
        f"http://{HOST}:{port}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Authorization": f"Bearer {FURNISHER_KEY}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as resp:  # noqa: S310 (http to our own server)
        raw = resp.read()
        return json.loads(raw) if raw else None


def _register(port: int, url: str) -> str:
    body = {"url": url, "event_types": ["account.updated", "account.created"]}
    endpoint_id: str = _call(port, "POST", "/v1/webhooks/endpoints", body)["id"]
    return endpoint_id


def _account(balance: int) -> dict[str, Any]:
    return {
        "subject_id": SUBJECT_ID,
        "account_type": "revolving",
        "opened_on": "2019-03-01",
        "credit_limit_cents": 5_000_000,
        "balance_cents": balance,
        "past_due_cents": 0,
        "status": "11",
        "payment_history": "0" * 24,
        "as_of": "2026-10-31",
    }


# --- furnishing PUTs: open loop at a rate, or closed loop for a time --------------------------


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """An HTTP/1.1 answer with a content-length (the sandbox's): status and body."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return status, await reader.readexactly(length) if length else b""


def _put_request(port: int, n: int) -> tuple[str, bytes]:
    ref = f"BENCH-{n % ACCOUNTS}"
    body = json.dumps(_account(100_000 + n)).encode()
    head = (
        f"PUT /v1/furnisher/accounts/{ref} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Authorization: Bearer {FURNISHER_KEY}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return ref, head.encode() + body


async def _open_loop(
    port: int, rate: float, seconds: float, connections: int, first: int
) -> tuple[dict[tuple[str, int], tuple[float, float]], list[float], int]:
    """PUTs at ``rate``/s, each sent at its moment on a free connection (more are opened
    when all are busy). The send moment (time.monotonic()) of each (account ref, version), the
    PUT latencies (s), the errors."""
    free: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        free.put_nowait(await asyncio.open_connection(HOST, port))
    sent: dict[tuple[str, int], tuple[float, float]] = {}
    latencies: list[float] = []
    errors = 0

    async def one(n: int) -> None:
        nonlocal errors
        reader, writer = await free.get()
        ref, request = _put_request(port, n)
        sent_at, start = time.monotonic(), time.perf_counter()
        writer.write(request)
        status, body = await _answer(reader)
        latencies.append(time.perf_counter() - start)
        if status == 200:
            sent[(ref, json.loads(body)["version"])] = (sent_at, time.monotonic())
        else:
            errors += 1
        free.put_nowait((reader, writer))

    loop = asyncio.get_running_loop()
    begin = loop.time()
    tasks = []
    total = int(rate * seconds)
    for i in range(total):
        delay = begin + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(first + i)))
    await asyncio.gather(*tasks)
    while not free.empty():
        _, writer = free.get_nowait()
        writer.close()
    return sent, latencies, errors


async def _closed_loop(
    port: int, seconds: float, connections: int, first: int
) -> tuple[int, int, float]:
    """As many PUTs as ``connections`` connections make in ``seconds``: (ok, errors, seconds)."""
    ok = errors = 0
    counter = iter(range(first, first + 10_000_000))
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal ok, errors
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            while time.perf_counter() < deadline:
                _, request = _put_request(port, next(counter))
                writer.write(request)
                if (await _answer(reader))[0] == 200:
                    ok += 1
                else:
                    errors += 1
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return ok, errors, time.perf_counter() - start


# --- the three measurements ----------------------------------------------------------------


def _burst(database_url: str, count: int) -> float:
    """Commit ``count`` events for FURNISHER_ID in one transaction; the commit's moment."""
    from schemas.events import EventType
    from service.core import clock
    from service.core.db import make_engine, make_sessionmaker
    from service.events import service as events

    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as session:
        now = clock.now(session)
        told = [events.Told(FURNISHER_ID, {"n": 0})]
        for n in range(count):
            events.emit(
                session,
                type=EventType.account_updated,
                now=now,
                resource_type="account",
                resource_id=f"acc_burst_{n}",
                subject_id=SUBJECT_ID,
                to=told,
            )
        session.commit()
        committed = time.monotonic()
    engine.dispose()
    return committed


def _reference_send(receiver: Receiver, count: int) -> float:
    """The same sender posting ``count`` signed requests straight to the receiver: its rate."""
    from service.webhooks import rules
    from service.webhooks.sender import Outgoing, Sender

    secret = rules.new_secret()
    body = json.dumps({"type": "account.updated", "data": {"n": 0}}).encode()
    stamp = int(time.monotonic())
    out = [
        Outgoing(
            receiver.url,
            {
                "content-type": "application/json",
                "webhook-id": f"evt_ref_{n}",
                "webhook-timestamp": str(stamp),
                "webhook-signature": rules.signature_header([secret], f"evt_ref_{n}", stamp, body),
            },
            body,
        )
        for n in range(count)
    ]

    async def send() -> float:
        sender = Sender(rules.parse_networks("127.0.0.0/8"), 5.0)
        start = time.perf_counter()
        for i in range(0, count, 500):  # the worker's batch
            await sender.send_all(out[i : i + 500])
        elapsed = time.perf_counter() - start
        sender.close()
        return elapsed

    elapsed = asyncio.run(send())
    receiver.wait_for(count, 60)
    return count / elapsed


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _steady(port: int, receiver: Receiver, args: argparse.Namespace) -> float:
    """(b): PUTs at a steady rate; the p99 (s) from commit to receipt, bounded above by the
    time from the PUT's sending and below by the time from its answer (the commit comes
    between the two). Returns the upper bound."""
    start = time.monotonic()
    sent, put_latencies, errors = asyncio.run(
        _open_loop(port, args.rate, args.steady, args.connections, 1_000_000)
    )
    achieved = len(put_latencies) / (time.monotonic() - start)
    from_sent, from_answer = [], []
    for received_at, body in receiver.wait_for(len(sent), 120):
        data = json.loads(body)["data"]
        moments = sent.get((data.get("account_ref"), data.get("version")))
        if moments is not None:
            from_sent.append(received_at - moments[0])
            from_answer.append(received_at - moments[1])

    def ms(values: list[float], p: float) -> str:
        return f"{_pct(values, p) * 1000:5.0f}"

    print(
        f"  (b) {len(sent)} PUTs at {args.rate:.0f}/s for {args.steady:.0f} s ({errors} errors,"
        f" {len(from_sent)} events matched): commit -> receipt p99 <= {ms(from_sent, 99)} ms"
        f" (from the PUT's sending; p50 {ms(from_sent, 50)}), >= {ms(from_answer, 99)} ms"
        f" (from its answer; p50 {ms(from_answer, 50)}); target p99 <= {TARGET_P99_S * 1000:.0f}"
        f" ms. Reference, the PUT itself: p50 {ms(put_latencies, 50)} ms,"
        f" p99 {ms(put_latencies, 99)} ms; answered at {achieved:.0f}/s"
        + ("" if achieved >= 0.95 * args.rate else " (THE SERVER DID NOT KEEP UP: PUTs queued)")
    )
    return _pct(from_sent, 99)


def _cost(port: int, receiver: Receiver, args: argparse.Namespace, endpoint: str) -> float:
    """(c): rounds without and with an endpoint, in alternating order (ABBA: a drift of the
    rate through the run falls on both alike); the rate with / without, over the rounds."""
    rates: dict[bool, list[tuple[int, float]]] = {False: [], True: []}
    first = 2_000_000
    for _round in range(args.rounds):
        for with_endpoint in (False, True) if _round % 2 == 0 else (True, False):
            if with_endpoint:
                endpoint = _register(port, receiver.url)
            ok, errors, seconds = asyncio.run(
                _closed_loop(port, args.seconds, args.connections, first)
            )
            first += ok + errors
            drain = ""
            if with_endpoint:
                start = time.perf_counter()
                receiver.wait_for(ok, 300)
                drain = f", deliveries done {time.perf_counter() - start:4.1f} s after"
                _call(port, "DELETE", f"/v1/webhooks/endpoints/{endpoint}")
            rates[with_endpoint].append((ok, seconds))
            print(
                f"  (c) {'with' if with_endpoint else 'without':>7} an endpoint:"
                f" {ok / seconds:6.0f} PUT/s ({errors} errors{drain})"
            )
    without = sum(n for n, _ in rates[False]) / sum(t for _, t in rates[False])
    with_ = sum(n for n, _ in rates[True]) / sum(t for _, t in rates[True])
    ratio = with_ / without
    print(
        f"  (c) with / without: {with_:.0f} / {without:.0f} PUT/s = {ratio:.2f}"
        f"  (target >= {1 - TARGET_COST:.2f})"
    )
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--burst", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--steady", type=float, default=30.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--rounds", type=int, default=4, help="(c)'s rounds of each (even: ABBA order)"
    )
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()

    from service.core.migrate import upgrade

    results: dict[str, list[float]] = {"rate": [], "ratio": [], "p99": [], "cost": []}
    receiver = Receiver()
    try:
        for run in range(1, args.runs + 1):
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite:///{Path(tmp) / 'bench.db'}"
                upgrade(url)
                with _server(url) as port:
                    # The accounts the PUTs update, made before any endpoint exists.
                    for n in range(ACCOUNTS):
                        _call(port, "PUT", f"/v1/furnisher/accounts/BENCH-{n}", _account(1))
                    endpoint = _register(port, receiver.url)
                    print(f"run {run}: SQLite, 1 server process, its delivery worker inside")

                    reference = _reference_send(receiver, args.burst)
                    committed = _burst(url, args.burst)
                    last = max(t for t, _ in receiver.wait_for(args.burst, 300))
                    rate = args.burst / (last - committed)
                    results["rate"].append(rate)
                    results["ratio"].append(rate / reference)
                    print(
                        f"  (a) {args.burst} events committed at once: {rate:6.0f} deliveries/s"
                        f"  (target >= {TARGET_RATE:.0f}); the bare sender: {reference:6.0f}/s;"
                        f" ratio {rate / reference:.2f}"
                    )
                    results["p99"].append(_steady(port, receiver, args))
                    _call(port, "DELETE", f"/v1/webhooks/endpoints/{endpoint}")
                    results["cost"].append(_cost(port, receiver, args, endpoint))
    finally:
        receiver.close()
    print("summary over runs:")
    print("  (a) deliveries/s: " + ", ".join(f"{r:.0f}" for r in results["rate"]))
    print("      / bare sender: " + ", ".join(f"{r:.2f}" for r in results["ratio"]))
    print("  (b) p99 ms:        " + ", ".join(f"{r * 1000:.0f}" for r in results["p99"]))
    print("  (c) with/without:  " + ", ".join(f"{r:.2f}" for r in results["cost"]))
    print(
        f"  median (a) {statistics.median(results['rate']):.0f}/s, (b) "
        f"{statistics.median(results['p99']) * 1000:.0f} ms,"
        f" (c) {statistics.median(results['cost']):.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
