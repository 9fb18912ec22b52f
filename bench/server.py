"""A sandbox server for a benchmark: `clearfile serve --no-access-log` on a free loopback
port, over a fresh database with the personas loaded (a temporary SQLite file, or a
PostgreSQL database created for the run and dropped after it), stopped on exit."""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HOST = "127.0.0.1"
#: The fixture persona with exactly 20 accounts (fixtures/personas.yaml).
TWENTY_ACCOUNT_KEY = "cf_subject_sandbox_tessa_twentyfold"

#: Where a PostgreSQL benchmark creates its database (``CLEARFILE_BENCH_PG_URL``): a server
#: on this machine, as the user that may create databases.
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


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


def pg_admin_url() -> str:
    return os.environ.get("CLEARFILE_BENCH_PG_URL", DEFAULT_PG_URL)


@contextmanager
def fresh_database(database: str) -> Iterator[str]:
    """The SQLAlchemy URL of an empty database of the kind named (``sqlite`` or
    ``postgresql``), removed on exit."""
    if database == "sqlite":
        with tempfile.TemporaryDirectory(prefix="clearfile-bench-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    if database != "postgresql":
        raise ValueError(f"unknown database {database!r}")
    import psycopg

    admin = pg_admin_url()
    base, _, _ = admin.rpartition("/")
    name = f"clearfile_bench_{uuid.uuid4().hex[:12]}"
    dsn = admin.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def sandbox_server(
    workers: int = 1, *, database: str = "sqlite", env: dict[str, str] | None = None
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """The port and process of a running sandbox server (the default admin key)."""
    with fresh_database(database) as url:
        port = _free_port()
        environment = dict(os.environ)
        environment["CLEARFILE_DATABASE_URL"] = url
        environment.pop("CLEARFILE_ADMIN_KEY", None)
        environment.update(env or {})
        command = [sys.executable, "-m", "service.cli", "serve", "--host", HOST]
        command += ["--port", str(port), "--workers", str(workers), "--no-access-log"]
        server = subprocess.Popen(
            command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            _wait_until_up(port)
            yield port, server
        finally:
            server.terminate()
            server.wait(timeout=30)
