"""Several server processes, each accepting connections from a listening socket of its own.

``uvicorn.run(..., workers=N)`` binds one socket and shares it among its N processes. Each
process's event loop accepts every connection waiting when it wakes up (asyncio accepts up
to the backlog in one go), so a client that opens its connections at once, and keeps them
(HTTP keep-alive: a browser, a connection pool, ``wrk``), often has all of them served by one
process while the other idles: 32 connections from ``wrk`` landed 28/4, 32/0 and 0/32 on
two workers in three tries (issue 15: ``serve --workers 2`` gave no gain).

On Linux each process here listens on a socket of its own, all bound to one address with
``SO_REUSEPORT``, and the kernel spreads new connections over the sockets by a hash of the
connection's addresses and ports (socket(7), ``SO_REUSEPORT``; Linux 3.9 and later). Only
processes of the same user may bind such a socket beside them. The parent binds the
sockets, so a port in use is refused before any process starts, and keeps them: a process
that dies is replaced on its own socket, and the connections waiting there are not lost.
Elsewhere (macOS and the BSDs, where ``SO_REUSEPORT`` does not spread connections) uvicorn's
own workers serve.
"""

import multiprocessing
import signal
import socket
import sys
import threading
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

#: The listen backlog of each socket: uvicorn's default.
BACKLOG = 2048

#: How often the parent looks for a process that died (seconds).
WATCH_INTERVAL_SECONDS = 0.5


def spreads_connections() -> bool:
    """Whether the kernel spreads connections over sockets bound with ``SO_REUSEPORT``."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def run(app: str, *, host: str, port: int, workers: int, **options: Any) -> None:
    """Serve ``app`` (uvicorn's arguments) in ``workers`` processes; with more than one,
    on sockets of their own where the kernel spreads connections over them."""
    if workers == 1 or not spreads_connections():
        uvicorn.run(app, host=host, port=port, workers=workers, **options)
        return
    serve_on_own_sockets(app, host=host, port=port, workers=workers, **options)


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Named TCP (``IPPROTO_TCP``, not 0): asyncio turns Nagle's algorithm off
    # (``TCP_NODELAY``) only on the connections of a socket it knows is TCP. Left on, each
    # response written in two parts waited for the client's delayed acknowledgement, about
    # 40 ms: two processes served 700 requests a second where one served 2,000 (issue 15).
    # uvicorn's own ``Config.bind_socket`` has the same flaw (Kludex/uvicorn issue 3149).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def _serve(app: str, options: dict[str, Any], sock: socket.socket) -> None:
    """One server process, on its own socket (the target of a spawned process)."""
    config = uvicorn.Config(app, backlog=BACKLOG, **options)
    uvicorn.Server(config).run(sockets=[sock])


def serve_on_own_sockets(app: str, *, host: str, port: int, workers: int, **options: Any) -> None:
    """Run ``workers`` server processes, each on its own ``SO_REUSEPORT`` socket, until
    SIGINT or SIGTERM (passed on to each, which finishes its requests), replacing one
    that dies; stop them all if one fails to start (exit status 3, as uvicorn does)."""
    try:
        sockets = [_listening_socket(host, port) for _ in range(workers)]
    except OSError as exc:
        print(f"Cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        sys.exit(STARTUP_FAILURE)
    context = multiprocessing.get_context("spawn")
    options = {**options, "host": host, "port": port}

    def start(sock: socket.socket) -> BaseProcess:
        process = context.Process(target=_serve, args=(app, options, sock))
        process.start()
        return process

    stop = threading.Event()
    previous: dict[signal.Signals, Callable[..., Any] | int | None] = {}
    for received in (signal.SIGINT, signal.SIGTERM):
        previous[received] = signal.signal(received, lambda *_: stop.set())
    processes = [start(sock) for sock in sockets]
    failed = False
    try:
        while not stop.wait(WATCH_INTERVAL_SECONDS):
            for k, process in enumerate(processes):
                if process.is_alive():
                    continue
                process.join()
                if process.exitcode == STARTUP_FAILURE:
                    failed = True
                    stop.set()
                    break
                processes[k] = start(sockets[k])
    finally:
        for process in processes:
            if process.is_alive() and process.pid is not None:
                process.terminate()  # SIGTERM: uvicorn finishes what it serves, then exits
        for process in processes:
            process.join()
        for sock in sockets:
            sock.close()
        for received, handler in previous.items():
            signal.signal(received, handler)
    if failed:
        sys.exit(STARTUP_FAILURE)
