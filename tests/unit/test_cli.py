"""The ``clearfile`` command line, through Typer's test runner (no server is started)."""

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import uvicorn
import yaml
from sqlalchemy import create_engine, inspect
from typer.testing import CliRunner

from service import cli
from service.core import migrate, serving
from service.core.config import DEFAULT_ADMIN_KEY
from service.core.middleware import is_loopback
from service.sandbox.fixtures import personas

runner = CliRunner()
#: Every IPv4 interface: the address serve must refuse while the admin key is the default.
ALL_INTERFACES = "0.0.0.0"  # noqa: S104


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A fresh SQLite file and the default admin key, whatever the caller's environment."""
    for name in (
        "CLEARFILE_ADMIN_KEY",
        "CLEARFILE_LOAD_FIXTURES",
        "CLEARFILE_DATABASE_URL",
        "CLEARFILE_ALLOW_PUBLIC_BIND",
        "CLEARFILE_MAX_BODY_BYTES",
    ):
        monkeypatch.delenv(name, raising=False)
    return {"CLEARFILE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record the servers started (uvicorn's one process, or processes on sockets of their
    own) instead of starting them."""
    calls: list[dict[str, Any]] = []

    def fake_run(app: str, **kwargs: Any) -> None:
        calls.append({"app": app, **kwargs})

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.setattr(serving, "serve_on_own_sockets", fake_run)
    return calls


def test_several_workers_listen_on_sockets_of_their_own_where_the_kernel_spreads_connections(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Linux ``serve --workers 2`` runs its processes on sockets of their own
    (``service.core.serving``); elsewhere, and with one process, uvicorn serves."""
    calls: list[tuple[str, int]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(("uvicorn", kw["workers"])))
    monkeypatch.setattr(
        serving, "serve_on_own_sockets", lambda app, **kw: calls.append(("own", kw["workers"]))
    )
    for spreads in (True, False):
        monkeypatch.setattr(serving, "spreads_connections", lambda spreads=spreads: spreads)
        for workers in ("1", "2"):
            result = runner.invoke(cli.app, ["serve", "--workers", workers], env=env)
            assert result.exit_code == 0, result.output
    assert calls == [("uvicorn", 1), ("own", 2), ("uvicorn", 1), ("uvicorn", 2)]


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("localhost", True),
        ("LocalHost", True),
        ("::1", True),
        ("[::1]", True),
        (ALL_INTERFACES, False),
        ("::", False),
        ("128.0.0.1", False),
        ("192.168.1.20", False),
        ("10.0.0.1", False),
        ("sandbox.example", False),
        ("", False),
    ],
)
def test_loopback_means_only_this_machine(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("host", [ALL_INTERFACES, "::", "192.168.1.20", "sandbox.example"])
def test_serve_refuses_a_public_address_with_the_default_admin_key(
    env: dict[str, str],
    served: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    host: str,
) -> None:
    upgrades: list[str] = []
    monkeypatch.setattr(migrate, "upgrade", lambda url, revision="head": upgrades.append(url))

    result = runner.invoke(cli.app, ["serve", "--host", host], env=env)

    assert result.exit_code == 2
    message = flat(result.output)
    assert f"Refusing to listen on {host}" in message
    assert "CLEARFILE_ADMIN_KEY" in message
    assert served == []
    assert upgrades == []  # refused before touching the database


def test_serve_on_loopback_migrates_loads_the_personas_and_prints_their_keys(
    env: dict[str, str], served: list[dict[str, Any]]
) -> None:
    result = runner.invoke(cli.app, ["serve", "--port", "8123"], env=env)

    assert result.exit_code == 0, result.output
    out = flat(result.output)
    assert "Loaded 24 fixture personas" in out
    assert "http://127.0.0.1:8123" in out
    assert "http://127.0.0.1:8123/docs" in out
    for persona in personas():
        assert persona.api_key in out
    assert served == [
        {
            "app": "service.app:create_app",
            "factory": True,
            "host": "127.0.0.1",
            "port": 8123,
            "workers": 1,
            "access_log": True,
            "loop": "asyncio",
            "server_header": False,
        }
    ]
    # A second start finds the personas there and loads nothing.
    again = runner.invoke(cli.app, ["serve", "--host", "::1", "--workers", "2"], env=env)
    assert again.exit_code == 0, again.output
    assert "Loaded" not in again.output
    assert "http://[::1]:8000/docs" in flat(again.output)
    assert served[-1]["workers"] == 2


def test_serve_listens_publicly_with_an_own_admin_key_and_never_prints_it(
    env: dict[str, str], served: list[dict[str, Any]]
) -> None:
    own_key = "cf_admin_a-long-secret-of-the-operator"
    result = runner.invoke(
        cli.app,
        ["serve", "--host", ALL_INTERFACES],
        env={**env, "CLEARFILE_ADMIN_KEY": own_key, "CLEARFILE_LOAD_FIXTURES": "false"},
    )
    assert result.exit_code == 0, result.output
    assert served[0]["host"] == ALL_INTERFACES
    assert own_key not in result.output
    assert DEFAULT_ADMIN_KEY not in result.output
    assert "Loaded" not in result.output


#: 31 and 32 characters: one short of the shortest admin key served to the network, and it.
KEY_31 = "cf_admin_0123456789abcdefghijkl"
KEY_32 = "cf_admin_0123456789abcdefghijklm"


@pytest.mark.parametrize(
    ("extra_env", "why"),
    [
        (
            {"CLEARFILE_ADMIN_KEY": "x", "CLEARFILE_LOAD_FIXTURES": "false"},
            "the admin key is shorter than 32 characters",
        ),
        (
            {"CLEARFILE_ADMIN_KEY": KEY_31, "CLEARFILE_LOAD_FIXTURES": "false"},
            "the admin key is shorter than 32 characters",
        ),
        ({"CLEARFILE_ADMIN_KEY": KEY_32}, "the fixture personas, whose keys are published"),
        ({"CLEARFILE_LOAD_FIXTURES": "false"}, "the admin key is the documented sandbox default"),
    ],
    ids=["one-character-key", "31-character-key", "personas-loaded", "default-key"],
)
def test_serve_refuses_a_public_address_and_says_why(
    env: dict[str, str], served: list[dict[str, Any]], extra_env: dict[str, str], why: str
) -> None:
    result = runner.invoke(cli.app, ["serve", "--host", ALL_INTERFACES], env={**env, **extra_env})

    assert result.exit_code == 2
    message = flat(result.output)
    assert f"Refusing to listen on {ALL_INTERFACES}" in message
    assert why in message
    assert "CLEARFILE_ALLOW_PUBLIC_BIND" in message
    assert served == []


def test_serve_on_a_public_address_with_a_32_character_key_and_no_personas(
    env: dict[str, str], served: list[dict[str, Any]]
) -> None:
    result = runner.invoke(
        cli.app,
        ["serve", "--host", "192.168.1.20"],
        env={**env, "CLEARFILE_ADMIN_KEY": KEY_32, "CLEARFILE_LOAD_FIXTURES": "false"},
    )
    assert result.exit_code == 0, result.output
    assert served[0]["host"] == "192.168.1.20"
    assert served[0]["server_header"] is False


def test_the_operator_may_accept_the_risk_explicitly(
    env: dict[str, str], served: list[dict[str, Any]]
) -> None:
    result = runner.invoke(
        cli.app,
        ["serve", "--host", ALL_INTERFACES, "--workers", "2"],
        env={**env, "CLEARFILE_ALLOW_PUBLIC_BIND": "true"},
    )
    assert result.exit_code == 0, result.output
    assert served[0]["host"] == ALL_INTERFACES
    assert served[0]["workers"] == 2


def test_fixtures_load_only_into_an_empty_database(env: dict[str, str]) -> None:
    first = runner.invoke(cli.app, ["fixtures", "load"], env=env)
    assert first.exit_code == 0, first.output
    assert "Loaded 24 fixture personas" in first.output
    second = runner.invoke(cli.app, ["fixtures", "load"], env=env)
    assert second.exit_code == 1
    assert "empty" in flat(second.output)


def test_fixtures_list_shows_every_id_and_key(env: dict[str, str]) -> None:
    result = runner.invoke(cli.app, ["fixtures", "list"], env={**env, "COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    for persona in personas():
        assert persona.id in result.output
        assert persona.api_key in result.output


def test_db_downgrade_and_upgrade(env: dict[str, str]) -> None:
    url = env["CLEARFILE_DATABASE_URL"]

    def tables() -> set[str]:
        engine = create_engine(url)
        try:
            return set(inspect(engine).get_table_names())
        finally:
            engine.dispose()

    assert runner.invoke(cli.app, ["db", "upgrade"], env=env).exit_code == 0
    assert {"principals", "accounts", "audit_events"} <= tables()
    down = runner.invoke(cli.app, ["db", "downgrade", "base"], env=env)
    assert down.exit_code == 0, down.output
    assert tables() <= {"alembic_version"}
    assert runner.invoke(cli.app, ["db", "upgrade"], env=env).exit_code == 0
    assert "principals" in tables()


def test_openapi_writes_yaml_that_parses_in_a_stable_order(
    env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "openapi.yaml"
    result = runner.invoke(cli.app, ["openapi", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output

    text = out.read_text(encoding="utf-8")
    schema = yaml.safe_load(text)
    assert schema["openapi"].startswith("3.")
    assert list(schema)[:3] == ["openapi", "info", "paths"]  # the app's order, not sorted
    assert schema["paths"]["/v1/sandbox/reset"]["post"]["operationId"] == "resetSandbox"
    assert schema["paths"]["/v1/sandbox/personas"]["get"]["operationId"] == "listPersonas"

    again = runner.invoke(cli.app, ["openapi", "--out", "-"], env=env)
    assert again.exit_code == 0
    assert again.output == text


def test_no_command_shows_the_help() -> None:
    result = runner.invoke(cli.app, [])
    for command in ("serve", "db", "fixtures", "openapi"):
        assert command in result.output


def test_serve_can_turn_the_access_log_off(
    env: dict[str, str], served: list[dict[str, Any]]
) -> None:
    result = runner.invoke(cli.app, ["serve", "--no-access-log"], env=env)
    assert result.exit_code == 0, result.output
    assert served[0]["access_log"] is False


def test_importing_the_command_line_loads_no_heavy_module() -> None:
    """``clearfile --help`` answers without numpy, the ORM or the web framework: the command
    modules import those when a command runs."""
    heavy = ["numpy", "sqlalchemy", "fastapi", "service.core.db", "service.app"]
    code = f"import sys, service.cli; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(  # noqa: S603 (this interpreter, fixed code)
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == ""
