"""``clearfile score``: score every subject in the database, or a CSV of characteristics.

``clearfile score --all`` runs ``service.jobs.score_all.score_all`` on ``CLEARFILE_DATABASE_URL``
with a progress bar: one receipt per subject, as of the sandbox clock.

``clearfile score --model MODEL --csv IN --out OUT [--reasons]`` reads a CSV with a column per
characteristic of the model (by name; other columns are kept as they are), scores every row
with the vectorised engine, and writes the CSV again with a ``score`` column (and the reason
codes), streamed through Apache Arrow (service/scoring/tables.py). The CSV is read in the
dialect of service/scoring/csv_dialect.py, as ``model fit`` reads it. ``--parquet IN`` does
the same for a Parquet file. ``MODEL`` is a published version or a model JSON file.

Heavy imports happen when a command runs, so that ``clearfile --help`` answers at once.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from service.scoring.engine.scorecard import Scorecard

#: The exit code of a usage error.
USAGE = 2


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(USAGE)


def resolve_model(model: str | None) -> Scorecard:
    """A model JSON file, or a published version (the current model when None)."""
    from service.scoring.engine.scorecard import (
        CURRENT_VERSION,
        ScorecardError,
        get_model,
        load_model,
    )

    try:
        if model is not None and (model.endswith(".json") or Path(model).is_file()):
            return load_model(Path(model))
        return get_model(model or CURRENT_VERSION)
    except (OSError, ScorecardError) as exc:
        raise _fail(str(exc)) from exc
    except Exception as exc:  # NotFound: an unknown version
        raise _fail(str(exc)) from exc


def score_command(
    all_subjects: Annotated[
        bool,
        typer.Option("--all", help="Score every subject in the database; store the receipts"),
    ] = False,
    model: Annotated[
        str | None,
        typer.Option("--model", help="A model version or model JSON file (default: current)"),
    ] = None,
    csv_in: Annotated[
        Path | None, typer.Option("--csv", help="A CSV with a column per characteristic")
    ] = None,
    parquet_in: Annotated[
        Path | None,
        typer.Option("--parquet", help="A Parquet file with a column per characteristic"),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write the table with a score column (same format)"),
    ] = None,
    reasons: Annotated[
        bool,
        typer.Option("--reasons", help="Add the reason codes (reason_1 ...) of every row"),
    ] = False,
    chunk: Annotated[int, typer.Option("--chunk", min=1, help="Subjects per chunk")] = 5000,
) -> None:
    """Score every subject (--all), or a table of characteristics (--csv or --parquet IN
    --out OUT)."""
    tables = [(p, fmt) for p, fmt in ((csv_in, "csv"), (parquet_in, "parquet")) if p is not None]
    if all_subjects == bool(tables) or len(tables) > 1:
        raise _fail("give either --all, or --csv IN (or --parquet IN) with --out OUT")
    scorecard = resolve_model(model)
    if tables:
        source, fmt = tables[0]
        if out is None:
            raise _fail(f"--{fmt} needs --out")
        rows, seconds = score_file_table(scorecard, source, out, fmt=fmt, reasons=reasons)
        typer.echo(f"scored {rows:,} rows with {scorecard.version} in {seconds:.2f} s; wrote {out}")
        return
    _score_everyone(scorecard, chunk)


def score_file_table(
    scorecard: Scorecard, source: Path, target: Path, *, fmt: str, reasons: bool = False
) -> tuple[int, float]:
    """Score a CSV or Parquet file (``tables.score_table``); a file that cannot be scored
    is a usage error naming the row and column, and leaves no output."""
    import pyarrow as pa

    from service.scoring.tables import TableError, score_table

    try:
        scored = score_table(
            scorecard, source, target, fmt="csv" if fmt == "csv" else "parquet", reasons=reasons
        )
    except TableError as exc:
        raise _fail(f"{exc.title}: {exc}") from exc
    except (OSError, pa.ArrowException) as exc:
        raise _fail(f"{TableError.title}: {exc}") from exc
    return scored.rows, scored.seconds


def score_csv(scorecard: Scorecard, source: Path, target: Path) -> tuple[int, float]:
    """Score every row of the CSV ``source`` into ``target`` (a ``score`` column added, or
    replaced); returns the number of rows and the seconds taken."""
    return score_file_table(scorecard, source, target, fmt="csv")


def _score_everyone(scorecard: Scorecard, chunk: int) -> None:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from service.core import clock
    from service.core.config import Settings
    from service.core.db import make_engine, make_sessionmaker
    from service.core.migrate import upgrade
    from service.jobs.score_all import score_all

    url = Settings().database_url
    upgrade(url)
    engine = make_engine(url)
    console = Console()
    try:
        factory = make_sessionmaker(engine)
        with factory() as session:
            now = clock.now(session)
        with Progress(
            TextColumn("scoring"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("subjects"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("score", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            started = time.perf_counter()
            result = score_all(factory, now=now, model=scorecard, chunk=chunk, progress=advance)
            seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    rate = result.subjects / seconds if seconds > 0 else 0.0
    console.print(
        f"{result.subjects:,} subjects scored with {result.model_version} as of "
        f"{result.scored_on}: {result.scored:,} scores, {result.no_score:,} too thin to score; "
        f"{result.subjects:,} receipts stored in {seconds:.2f} s ({rate:,.0f} subjects/s)"
    )
