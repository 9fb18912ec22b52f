"""A small closed-loop HTTP/1.1 load generator on asyncio (keep-alive, N connections).

It sends only to a server this benchmark started on the loopback interface, for a bounded
number of seconds, and stops by itself.
"""

import asyncio
import statistics
import time
from dataclasses import dataclass


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
        return ordered[k]

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.latencies_ms) if self.latencies_ms else float("nan")


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        lname = name.strip().lower()
        if lname == b"content-length":
            length = int(value.strip())
        elif lname == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.strip().split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def _worker(
    host: str, port: int, request: bytes, deadline: float, result: LoadResult
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            writer.write(request)
            await writer.drain()
            status = await _read_response(reader)
            elapsed = (time.perf_counter() - start) * 1000
            if status == 200:
                result.requests += 1
                result.latencies_ms.append(elapsed)
            else:
                result.errors += 1
    finally:
        writer.close()


async def _run(
    host: str,
    port: int,
    path: str,
    headers: dict[str, str],
    connections: int,
    seconds: float,
    method: str = "GET",
    body: bytes = b"",
) -> LoadResult:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    result = LoadResult(requests=0, errors=0, seconds=seconds, latencies_ms=[])
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(
        *(_worker(host, port, request, deadline, result) for _ in range(connections))
    )
    result.seconds = time.perf_counter() - start
    return result


def load_row(name: str, r: LoadResult) -> str:
    """One printed line of a load result."""
    return (
        f"{name:<28} {r.rps:>10.0f} req/s   p50 {r.p50:>7.2f} ms   p99 {r.p99:>7.2f} ms"
        f"   ({r.requests} ok, {r.errors} errors)"
    )


def run_load(
    *,
    host: str,
    port: int,
    path: str,
    headers: dict[str, str] | None = None,
    connections: int = 32,
    seconds: float = 10.0,
    method: str = "GET",
    body: bytes = b"",
) -> LoadResult:
    if host not in {"127.0.0.1", "localhost", "::1"}:
        raise ValueError("the load generator only targets a server on this machine")
    try:  # uvloop (installed with uvicorn[standard]) keeps the client's own cost low
        import uvloop

        return uvloop.run(_run(host, port, path, headers or {}, connections, seconds, method, body))
    except ImportError:
        return asyncio.run(
            _run(host, port, path, headers or {}, connections, seconds, method, body)
        )
