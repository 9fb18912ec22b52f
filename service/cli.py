"""``clearfile``: run the sandbox server, migrate the database, load fixtures, write the schema.

Settings come from the environment (``CLEARFILE_DATABASE_URL``, ``CLEARFILE_ADMIN_KEY``,
``CLEARFILE_LOAD_FIXTURES``, ``CLEARFILE_MAX_BODY_BYTES``, ``CLEARFILE_ALLOW_PUBLIC_BIND``).
More command groups (model, population, score) join the one Typer ``app`` with
``app.add_typer(...)`` or ``app.command()``. Commands import the server and the database
layer when they run, so that ``clearfile --help`` answers at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from service.metro2.cli import metro2_app
from service.modelling.cli import model_app, population_command
from service.scoring.score_cli import score_command

if TYPE_CHECKING:
    from service.core.config import Settings

app = typer.Typer(
    name="clearfile",
    help="Clearfile: a consented, financial-only credit-reporting sandbox.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Apply or revert the database migrations.", no_args_is_help=True)
fixtures_app = typer.Typer(help="The fictional fixture personas.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(fixtures_app, name="fixtures")
app.add_typer(model_app, name="model")
app.add_typer(metro2_app, name="metro2")
app.command("population")(population_command)
app.command("score")(score_command)

console = Console()
errors = Console(stderr=True)

#: Exit code of a refused command (the same as a usage error).
REFUSED = 2


def settings() -> Settings:
    """Fresh settings from the environment on every command (no process-wide cache)."""
    from service.core.config import Settings

    return Settings()


def _persona_table(*, with_ids: bool = False) -> Table:
    from service.sandbox.fixtures import personas

    people = personas()
    table = Table(title="Sandbox personas (fictional; fixed test-mode keys)", box=box.SIMPLE)
    table.add_column("role")
    table.add_column("name")
    # Never shortened: ids and keys are what the reader copies.
    if with_ids:
        table.add_column("id", no_wrap=True, min_width=max(len(p.id) for p in people))
    table.add_column("api key", no_wrap=True, min_width=max(len(p.api_key) for p in people))
    for p in people:
        table.add_row(p.role.value, p.name, *([p.id] if with_ids else []), p.api_key)
    return table


def _load_into_empty(s: Settings) -> int | None:
    """Load the personas if the database holds no principal: how many, or None if not empty."""
    from service.core import clock
    from service.core.db import make_engine, make_sessionmaker
    from service.core.errors import Conflict
    from service.sandbox.fixtures import load_fixtures

    engine = make_engine(s.database_url)
    try:
        with make_sessionmaker(engine)() as session, session.begin():
            return len(load_fixtures(session, now=clock.now(session)))
    except Conflict:
        return None
    finally:
        engine.dispose()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Server processes (on Linux each listens on a socket of its own, and the "
            "kernel spreads connections over them)",
        ),
    ] = 1,
    access_log: Annotated[
        bool,
        typer.Option(
            help="Print a line per HTTP request (every read and write of a file is in the "
            "audit log either way)"
        ),
    ] = True,
    loop: Annotated[
        str,
        typer.Option(
            help="Event loop: asyncio (default; it serves many concurrent clients more fairly "
            "than uvloop, see the README's benchmarks), uvloop or auto"
        ),
    ] = "asyncio",
) -> None:
    """Migrate the database, load the personas into an empty one, and serve the API.

    On an address other machines can reach, refuses to start while the admin key is the
    default or shorter than 32 characters, or while the personas (published keys) load,
    unless CLEARFILE_ALLOW_PUBLIC_BIND=true."""
    from service.core.config import MIN_PUBLIC_ADMIN_KEY_LENGTH
    from service.core.middleware import is_loopback

    s = settings()
    risks = s.exposure_risks()
    if not is_loopback(host) and risks and not s.allow_public_bind:
        errors.print(
            f"[bold red]Refusing to listen on {host}:[/] anyone who can reach this address "
            f"could use the sandbox as its operator or as a persona, because "
            f"{'; '.join(risks)}. Set CLEARFILE_ADMIN_KEY to a secret of your own "
            f"({MIN_PUBLIC_ADMIN_KEY_LENGTH} characters or more) and "
            "CLEARFILE_LOAD_FIXTURES=false, or listen on 127.0.0.1, or set "
            "CLEARFILE_ALLOW_PUBLIC_BIND=true to accept the risk."
        )
        raise typer.Exit(REFUSED)
    from service.core.migrate import upgrade

    upgrade(s.database_url)
    if s.load_fixtures:
        loaded = _load_into_empty(s)
        if loaded is not None:
            console.print(f"Loaded {loaded} fixture personas into the empty database.")
    shown = f"[{host}]" if ":" in host else host
    console.print(f"Clearfile at [bold]http://{shown}:{port}[/]")
    console.print(f"API docs at [bold]http://{shown}:{port}/docs[/]")
    if s.uses_default_admin_key:
        console.print(f"Admin key: [bold]{s.admin_key}[/] (the sandbox default)")
    console.print(_persona_table())

    from service.core import serving

    serving.run(
        "service.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        loop=loop,
        server_header=False,
    )


@app.command()
def deliver() -> None:
    """Deliver webhooks from the outbox in a process of its own, until interrupted (any
    number of these and of servers may run on one PostgreSQL)."""
    from service.core.db import make_engine, make_sessionmaker
    from service.core.migrate import upgrade
    from service.webhooks.worker import run_forever

    s = settings()
    upgrade(s.database_url)
    console.print("Delivering webhooks (Ctrl-C stops).")
    try:
        run_forever(make_sessionmaker(make_engine(s.database_url)), s)
    except KeyboardInterrupt:
        console.print("Stopped.")


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision")] = "head",
) -> None:
    """Apply the migrations up to REVISION (default: head)."""
    from service.core.migrate import upgrade

    upgrade(settings().database_url, revision)
    console.print(f"Database upgraded to {revision}.")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. base or -1")],
) -> None:
    """Revert the migrations down to REVISION."""
    from service.core.migrate import downgrade

    downgrade(settings().database_url, revision)
    console.print(f"Database downgraded to {revision}.")


@fixtures_app.command("load")
def fixtures_load() -> None:
    """Migrate, then load the personas; refused unless the database is empty."""
    from service.core.migrate import upgrade

    s = settings()
    upgrade(s.database_url)
    loaded = _load_into_empty(s)
    if loaded is None:
        errors.print(
            "[bold red]Not loaded:[/] the database already holds principals, and the fixtures "
            "load only into an empty one (POST /v1/sandbox/reset empties a running sandbox)."
        )
        raise typer.Exit(1)
    console.print(f"Loaded {loaded} fixture personas.")
    console.print(_persona_table())


@fixtures_app.command("list")
def fixtures_list() -> None:
    """Show the personas with their fixed ids and keys."""
    console.print(_persona_table(with_ids=True))


@app.command()
def openapi(
    out: Annotated[
        Path, typer.Option(help="Where to write the YAML; '-' for standard output")
    ] = Path("openapi.yaml"),
) -> None:
    """Write the app's OpenAPI description as YAML (stable key order, for diffing)."""
    from service.app import create_app
    from service.openapi import render_openapi_yaml

    application = create_app(settings())
    text = render_openapi_yaml(application)
    application.state.engine.dispose()
    if str(out) == "-":
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    console.print(f"Wrote {out}.")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
