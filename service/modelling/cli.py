"""``clearfile model fit`` and ``clearfile population``: the commands that earn the points.

``model_app`` (a Typer sub-app) and ``population_command`` are registered by service/cli.py.
The commands import numpy and the database layer when they run, so that ``clearfile --help``
loads neither.
"""

from __future__ import annotations

import shlex
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from service.modelling import defaults

if TYPE_CHECKING:
    from service.modelling.fit import FitOptions
    from service.modelling.population import Population

model_app = typer.Typer(help="Fit and inspect scoring models.", no_args_is_help=True)


@model_app.command("fit")
def fit_command(
    data: Annotated[Path, typer.Option("--data", help="CSV of characteristics and a target")],
    target: Annotated[str, typer.Option("--target", help="The target column (0/1 or 2 labels)")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the model JSON")],
    bad: Annotated[
        str | None, typer.Option("--bad", help="The bad label, when the target has two labels")
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the held-out split")
    ] = defaults.SPLIT_SEED,
    report_dir: Annotated[
        Path | None, typer.Option("--report-dir", help="Write the validation report here")
    ] = None,
    version: Annotated[
        str | None, typer.Option("--version", help="Model version (default: the --out file name)")
    ] = None,
    name: Annotated[str, typer.Option("--name")] = "Clearfile generic risk score",
    description: Annotated[str, typer.Option("--description")] = "",
    target_description: Annotated[
        str, typer.Option("--target-description", help="What the bad outcome means")
    ] = "",
    truth: Annotated[
        Path | None,
        typer.Option("--truth", help="CSV with the true P(bad) per row (column p_bad), to judge"),
    ] = None,
    ignore: Annotated[
        list[str] | None, typer.Option("--ignore", help="A column that is not a characteristic")
    ] = None,
    drop_prohibited: Annotated[
        bool,
        typer.Option(
            "--drop-prohibited",
            help="Leave out columns that name a prohibited data category (age, marital "
            "status, ...) instead of refusing the file; the report lists them",
        ),
    ] = False,
    test_share: Annotated[float, typer.Option("--test-share")] = defaults.TEST_SHARE,
    min_bin_share: Annotated[float, typer.Option("--min-bin-share")] = defaults.MIN_BIN_SHARE,
    min_iv: Annotated[float, typer.Option("--min-iv")] = defaults.MIN_INFORMATION_VALUE,
    base_score: Annotated[
        float, typer.Option("--base-score", help="Score at the base odds")
    ] = defaults.BASE_SCORE,
    base_odds: Annotated[
        float, typer.Option("--base-odds", help="Odds (good:bad) of the base score")
    ] = defaults.BASE_ODDS,
    pdo: Annotated[float, typer.Option("--pdo", help="Points to double the odds")] = defaults.PDO,
) -> None:
    """Fit a points scorecard from a CSV: WoE binning, logistic regression, PDO scaling,
    validation on a held-out split."""
    from service.modelling import dataset, report
    from service.modelling import fit as fitting

    try:
        rows = dataset.read_csv(
            data,
            target=target,
            bad=bad,
            ignore=ignore or (),
            prohibited="drop" if drop_prohibited else "refuse",
        )
        truth_values = dataset.read_truth(truth, rows.rows) if truth else None
        options = fitting.FitOptions(
            seed=seed,
            test_share=test_share,
            min_bin_share=min_bin_share,
            min_information_value=min_iv,
            base_score=base_score,
            base_odds=base_odds,
            pdo=pdo,
            version=version or out.stem,
            name=name,
            description=description,
            target_description=target_description,
        )
        result = fitting.fit(rows, options, truth=truth_values)
    except dataset.FitError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    result.model["fit"]["command"] = _fit_command_line(
        data=data,
        target=target,
        out=out,
        bad=bad,
        seed=seed,
        options=options,
        truth=truth,
        ignore=ignore or [],
        drop_prohibited=drop_prohibited,
    )
    report.write_model(result, out)
    metrics = result.model["fit"]["metrics"]
    typer.echo(
        f"{out}: {len(result.model['characteristics'])} characteristics, "
        f"AUC {metrics['auc']:.4f}, KS {metrics['ks']:.4f}, Gini {metrics['gini']:.4f} "
        f"on {result.model['fit']['n_test']} held-out rows"
    )
    for column, category in rows.dropped:
        typer.echo(f"  left out {column}: names a prohibited data category ({category})")
    for dropped, why in result.model["fit"]["dropped"].items():
        typer.echo(f"  left out {dropped}: {why}")
    if report_dir is not None:
        for path in report.write_report(result, report_dir):
            typer.echo(f"  wrote {path}")


def _fit_command_line(
    *,
    data: Path,
    target: str,
    out: Path,
    bad: str | None,
    seed: int,
    options: FitOptions,
    truth: Path | None,
    ignore: list[str],
    drop_prohibited: bool,
) -> str:
    """The command that reproduces this model (file paths by name only)."""
    from service.modelling.fit import FitOptions

    args = ["clearfile", "model", "fit", "--data", data.name, "--target", target]
    if bad is not None:
        args += ["--bad", bad]
    args += ["--out", out.name, "--seed", str(seed)]
    standard = FitOptions()
    if options.version != out.stem:
        args += ["--version", options.version]
    for flag, value, default in (
        ("--name", options.name, standard.name),
        ("--description", options.description, standard.description),
        ("--target-description", options.target_description, standard.target_description),
        ("--test-share", options.test_share, standard.test_share),
        ("--min-bin-share", options.min_bin_share, standard.min_bin_share),
        ("--min-iv", options.min_information_value, standard.min_information_value),
        ("--base-score", options.base_score, standard.base_score),
        ("--base-odds", options.base_odds, standard.base_odds),
        ("--pdo", options.pdo, standard.pdo),
    ):
        if value != default:
            args += [flag, str(value)]
    for column in ignore:
        args += ["--ignore", column]
    if drop_prohibited:
        args.append("--drop-prohibited")
    if truth is not None:
        args += ["--truth", truth.name]
    return shlex.join(args)


def population_command(
    n: Annotated[int, typer.Option("--n", min=1, help="How many people")],
    seed: Annotated[int, typer.Option("--seed")],
    out: Annotated[
        Path | None, typer.Option("--out", help="CSV of characteristics and the target 'bad'")
    ] = None,
    load: Annotated[
        bool, typer.Option("--load", help="Also load the people into CLEARFILE_DATABASE_URL")
    ] = False,
    today: Annotated[
        str | None,
        typer.Option(
            "--today",
            help="The day the files are as of (default: the sandbox clock's day with --load, "
            f"else {defaults.REFERENCE_DAY.isoformat()})",
        ),
    ] = None,
    truth_out: Annotated[
        Path | None,
        typer.Option("--truth-out", help="Also write each row's latent risk and true P(bad)"),
    ] = None,
) -> None:
    """Generate a seeded synthetic population whose defaults come from a known process."""
    if out is None and not load:
        typer.echo("error: give --out, --load or both", err=True)
        raise typer.Exit(2)
    day = date.fromisoformat(today) if today else None
    if load:
        _generate_and_load(n=n, seed=seed, day=day, out=out, truth_out=truth_out)
        return
    _generate(n=n, seed=seed, day=day or defaults.REFERENCE_DAY, out=out, truth_out=truth_out)


def _generate(
    *, n: int, seed: int, day: date, out: Path | None, truth_out: Path | None
) -> Population:
    from service.modelling import population as pop

    started = time.perf_counter()
    people = pop.generate(n, seed=seed, today=day)
    typer.echo(
        f"generated {n} people as of {day} in {time.perf_counter() - started:.1f}s "
        f"(bad rate {float(people.bad.mean()):.2%})"
    )
    if out is not None:
        rows = pop.write_csv(pop.characteristic_rows(people), out)
        typer.echo(f"wrote {rows} rows to {out}")
    if truth_out is not None:
        pop.write_truth_csv(people, truth_out)
        typer.echo(f"wrote the truth to {truth_out}")
    return people


def _generate_and_load(
    *, n: int, seed: int, day: date | None, out: Path | None, truth_out: Path | None
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from service.core import clock
    from service.core.config import get_settings
    from service.core.db import make_engine, make_sessionmaker
    from service.core.migrate import upgrade
    from service.jobs.load_population import CHUNK_PEOPLE, load_population_in_chunks
    from service.modelling import population as pop

    url = get_settings().database_url
    upgrade(url)
    engine = make_engine(url)
    try:
        factory = make_sessionmaker(engine)
        with factory() as session, session.begin():
            now = clock.now(session)
        if day is not None and day > now.date():
            typer.echo(f"error: --today {day} is after the sandbox clock's day", err=True)
            raise typer.Exit(2)
        day = day or now.date()
        if out is not None or truth_out is not None:
            _generate(n=n, seed=seed, day=day, out=out, truth_out=truth_out)
        started = time.perf_counter()
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            transient=True,
        ) as bar:
            task = bar.add_task("loading people", total=n)
            loaded = load_population_in_chunks(
                factory,
                pop.stream(n, seed=seed, today=day, chunk=CHUNK_PEOPLE),
                now,
                progress=lambda done, _total: bar.update(task, completed=done),
            )
        seconds = time.perf_counter() - started
        typer.echo(
            f"generated and loaded {loaded.subjects} subjects as of {day}, "
            f"{loaded.accounts} accounts, "
            f"{loaded.inquiries} inquiries, {loaded.public_records} bankruptcies in "
            f"{seconds:.1f}s ({loaded.subjects / seconds:,.0f} subjects/s)"
        )
    finally:
        engine.dispose()
