"""A sandbox server for a benchmark: `clearfile serve --no-access-log` on a free loopback
port, over a fresh SQLite database with the personas loaded, stopped on exit."""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def _wait_until_up(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not come up")


@contextmanager
def sandbox_server(workers: int = 1) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """The port and process of a running sandbox server (the default admin key)."""
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        env = dict(os.environ)
        env["CLEARFILE_DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'bench.db'}"
        env.pop("CLEARFILE_ADMIN_KEY", None)
        command = [sys.executable, "-m", "service.cli", "serve", "--host", HOST]
        command += ["--port", str(port), "--workers", str(workers), "--no-access-log"]
        server = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            _wait_until_up(port)
            yield port, server
        finally:
            server.terminate()
            server.wait(timeout=30)
