"""``clearfile score``: score every subject in the database, or a CSV of characteristics.

``clearfile score --all`` runs ``service.jobs.score_all.score_all`` on ``CLEARFILE_DATABASE_URL``
with a progress bar: one receipt per subject, as of the sandbox clock.

``clearfile score --model MODEL --csv IN --out OUT`` reads a CSV with a column per
characteristic of the model (by name; other columns are kept as they are), scores every row
with the vectorised engine, and writes the CSV again with a ``score`` column. The CSV is read
in the dialect of service/scoring/csv_dialect.py, as ``model fit`` reads it. ``MODEL`` is a
published version or a model JSON file.

Heavy imports happen when a command runs, so that ``clearfile --help`` answers at once.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from service.scoring import csv_dialect

if TYPE_CHECKING:
    from service.scoring.engine.scorecard import Scorecard
    from service.scoring.engine.scorer import Engine

#: Rows scored at a time when scoring a CSV.
CSV_BLOCK_ROWS = 100_000
SCORE_COLUMN = "score"
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
    out: Annotated[
        Path | None, typer.Option("--out", help="Where to write the CSV with a score column")
    ] = None,
    chunk: Annotated[int, typer.Option("--chunk", min=1, help="Subjects per chunk")] = 5000,
) -> None:
    """Score every subject (--all), or a CSV of characteristics (--csv IN --out OUT)."""
    if all_subjects == (csv_in is not None):
        raise _fail("give either --all, or --csv IN with --out OUT")
    scorecard = resolve_model(model)
    if csv_in is not None:
        if out is None:
            raise _fail("--csv needs --out")
        rows, seconds = score_csv(scorecard, csv_in, out)
        typer.echo(f"scored {rows:,} rows with {scorecard.version} in {seconds:.2f} s; wrote {out}")
        return
    _score_everyone(scorecard, chunk)


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


def _blocks(reader: Iterator[list[str]], size: int) -> Iterator[list[list[str]]]:
    while block := list(islice(reader, size)):
        yield block


def _numbers(name: str, cells: Sequence[str], first_row: int) -> Any:
    try:
        return csv_dialect.numbers(cells)
    except csv_dialect.NotANumber as exc:
        where = f"row {first_row + exc.index}, column {name!r}"
        raise _fail(f"{where}: {exc.cell!r} is not a number") from exc


def read_columns(
    scorecard: Scorecard, header: Sequence[str], block: list[list[str]], first_row: int
) -> dict[str, Any]:
    """The model's characteristics in a block of CSV rows, by name: a float array (NaN when
    missing) for a numeric one, a list of values (None when missing) for a categorical one."""
    columns: dict[str, Any] = {}
    for c in scorecard.characteristics:
        j = header.index(c.name)
        cells = [row[j] if j < len(row) else "" for row in block]
        if c.kind == "numeric":
            columns[c.name] = _numbers(c.name, cells, first_row)
        else:
            columns[c.name] = csv_dialect.categories(cells)
    return columns


def _score_block(
    engine: Engine, header: Sequence[str], block: list[list[str]], first_row: int
) -> list[int]:
    columns = read_columns(engine.model, header, block, first_row)
    scores: list[int] = engine.score(engine.encode_columns(columns)).tolist()
    return scores


def score_csv(scorecard: Scorecard, source: Path, target: Path) -> tuple[int, float]:
    """Score every row of ``source`` into ``target`` (a ``score`` column added, or replaced);
    returns the number of rows and the seconds taken."""
    from service.scoring.engine.scorer import engine_for

    engine = engine_for(scorecard)
    started = time.perf_counter()
    rows = 0
    try:
        with (
            csv_dialect.open_text(source) as src,
            target.open("w", newline="", encoding="utf-8") as dst,
        ):
            reader = csv_dialect.rows(src)
            first = next(reader, None)
            if first is None:
                raise _fail(f"{source} is empty")
            header = csv_dialect.header(first)
            missing = [name for name in scorecard.names if name not in header]
            if missing:
                raise _fail(f"{source} has no column for: {', '.join(missing)}")
            keep = [i for i, name in enumerate(header) if name != SCORE_COLUMN]
            writer = csv.writer(dst, delimiter=csv_dialect.DELIMITER)
            writer.writerow([header[i] for i in keep] + [SCORE_COLUMN])
            for block in _blocks(reader, CSV_BLOCK_ROWS):
                scores = _score_block(engine, header, block, first_row=rows + 2)
                writer.writerows(
                    [row[i] for i in keep if i < len(row)] + [score]
                    for row, score in zip(block, scores, strict=True)
                )
                rows += len(block)
    except OSError as exc:
        raise _fail(str(exc)) from exc
    return rows, time.perf_counter() - started
