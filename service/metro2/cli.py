"""``clearfile metro2``: check, import, export and edit Metro 2 files. Commands import the
database layer when they run, so that ``clearfile --help`` answers at once."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

metro2_app = typer.Typer(help="Metro 2 files: check, import, export, edit.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)

#: Exit codes: 1 the file has errors, 2 it could not be read or the command was refused.
HAS_ERRORS = 1
REFUSED = 2

FileArg = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The Metro 2 file")
]


def _print_problems(title: str, problems: list[dict[str, object]], style: str) -> None:
    console.print(f"[bold {style}]{title} ({len(problems)})[/]")
    for p in problems:
        where = f"record {p['record']} {p['segment']}"
        if p["field"]:
            where += f" {p['field']} (positions {p['positions']})"
        console.print(f"  {where}: {p['message']} [dim]\\[{p['rule']}][/]", highlight=False)


@metro2_app.command("check")
def check_command(
    file: FileArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Report every problem of FILE by record, field and positions, errors then warnings.
    Writes nothing. Exit 1 when there is an error, 2 when the file cannot be read."""
    from service.core.errors import DomainError
    from service.metro2.service import check_file

    try:
        report = check_file(file.read_bytes())
    except DomainError as exc:
        errors.print(f"[bold red]{exc.title}:[/] {exc.detail}")
        raise typer.Exit(REFUSED) from None
    data = report.model_dump(mode="json")
    if as_json:
        console.print_json(json.dumps(data))
    else:
        verdict = "[bold green]valid[/]" if report.valid else "[bold red]not valid[/]"
        console.print(
            f"{file}: {verdict}: {report.records} records ({report.base_records} base "
            f"segments), {len(report.errors)} errors, {len(report.warnings)} warnings"
        )
        if report.errors:
            _print_problems("Errors", data["errors"], "red")
        if report.warnings:
            _print_problems("Warnings", data["warnings"], "yellow")
    if not report.valid:
        raise typer.Exit(HAS_ERRORS)


def _furnisher(session: object, furnisher_id: str) -> object:
    from schemas.common import Role
    from service.principals.service import principal_in_role

    found = principal_in_role(session, furnisher_id, Role.furnisher)  # type: ignore[arg-type]
    if found is None:
        errors.print(f"[bold red]No furnisher has the id {furnisher_id}.[/]")
        raise typer.Exit(REFUSED)
    return found


@metro2_app.command("import")
def import_command(
    file: FileArg,
    furnisher: Annotated[str, typer.Option(help="The furnisher's id, e.g. fur_sandbox_card_co")],
    idempotency_key: Annotated[
        str | None, typer.Option(help="Import the same file once, however often it is run")
    ] = None,
) -> None:
    """Import FILE as FURNISHER's accounts, in one transaction: each valid base segment is
    a furnishing (a new account version when it changes something); print the result."""
    from service.core import clock
    from service.core.config import Settings
    from service.core.db import make_engine, make_sessionmaker
    from service.core.errors import DomainError
    from service.core.migrate import upgrade
    from service.metro2.service import import_file

    s = Settings()
    upgrade(s.database_url)
    engine = make_engine(s.database_url)
    try:
        with make_sessionmaker(engine)() as session, session.begin():
            principal = _furnisher(session, furnisher)
            try:
                result = import_file(
                    session,
                    furnisher=principal,  # type: ignore[arg-type]
                    data=file.read_bytes(),
                    now=clock.now(session),
                    idempotency_key=idempotency_key,
                )
            except DomainError as exc:
                errors.print(f"[bold red]{exc.title}:[/] {exc.detail}")
                for e in exc.errors:
                    errors.print(f"  {e.field}: {e.detail}", highlight=False)
                raise typer.Exit(REFUSED) from None
    finally:
        engine.dispose()
    console.print_json(result.model_dump_json())


@metro2_app.command("export")
def export_command(
    furnisher: Annotated[str, typer.Option(help="The furnisher's id, e.g. fur_sandbox_card_co")],
    out: Annotated[Path, typer.Option(help="Where to write the file")],
    as_of: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD: each account as it stood that day")
    ] = None,
) -> None:
    """Write FURNISHER's accounts as a Metro 2 character-format file."""
    from service.core import clock
    from service.core.config import Settings
    from service.core.db import make_engine, make_sessionmaker
    from service.core.migrate import upgrade
    from service.metro2.service import export_file

    s = Settings()
    upgrade(s.database_url)
    engine = make_engine(s.database_url)
    try:
        with make_sessionmaker(engine)() as session, session.begin():
            principal = _furnisher(session, furnisher)
            now = clock.now(session)
            day = date.fromisoformat(as_of) if as_of else now.date()
            data = export_file(session, furnisher=principal, as_of=day, now=now)  # type: ignore[arg-type]
    finally:
        engine.dispose()
    out.write_bytes(data)
    accounts = data.count(b"\n") - 2
    console.print(f"Wrote {accounts} accounts as of {day} to {out}.")


@metro2_app.command("edit")
def edit_command(
    file: FileArg,
    record: Annotated[int, typer.Option(help="The base segment's record number (header = 1)")],
    assignments: Annotated[
        list[str], typer.Argument(help="FIELD=VALUE, e.g. accountStatus=13 (names: check output)")
    ],
) -> None:
    """Set fields of one base segment of FILE by name, as the field table lays them out,
    and rewrite the trailer's totals to match. The file is rewritten in place."""
    from service.core.errors import DomainError
    from service.metro2.edit import edit_file

    try:
        data = edit_file(file.read_bytes(), record=record, assignments=assignments)
    except (DomainError, ValueError) as exc:
        errors.print(f"[bold red]Not edited:[/] {exc}")
        raise typer.Exit(REFUSED) from None
    file.write_bytes(data)
    console.print(f"Record {record} of {file}: set {', '.join(assignments)}; trailer recounted.")
