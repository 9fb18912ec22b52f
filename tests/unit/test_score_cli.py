"""``clearfile score``: a CSV of characteristics, and every subject of a database."""

import csv
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from service import cli
from service.modelling import population as pop
from service.scoring.engine.scorecard import CURRENT_VERSION, get_model
from service.scoring.engine.scorer import engine_for, score_rows_naive
from service.scoring.models import ScoreReceipt
from tests.unit.scoring_factories import TEST_MODEL_PATH

runner = CliRunner()


@pytest.fixture
def characteristics_csv(tmp_path: Path) -> Path:
    """Characteristics of 300 generated people, a row id first and the outcome last."""
    people = pop.generate(300, seed=11)
    rows = [{"row": i, **row} for i, row in enumerate(pop.characteristic_rows(people))]
    path = tmp_path / "in.csv"
    pop.write_csv(rows, path)
    return path


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_a_csv_gets_a_score_column_from_the_vectorised_engine(
    characteristics_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.csv"
    result = runner.invoke(
        cli.app,
        ["score", "--model", CURRENT_VERSION, "--csv", str(characteristics_csv), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "scored 300 rows" in result.output
    rows, before = read(out), read(characteristics_csv)
    assert [r["row"] for r in rows] == [r["row"] for r in before]
    assert list(rows[0]) == [*before[0], "score"]
    model = get_model()
    values = [
        {
            c.name: (
                (float(r[c.name]) if r[c.name] else None)
                if c.kind == "numeric"
                else r[c.name] or None
            )
            for c in model.characteristics
        }
        for r in before
    ]
    expected = score_rows_naive(model, values)
    assert [int(r["score"]) for r in rows] == expected
    assert engine_for(model).score(engine_for(model).encode_rows(values)).tolist() == expected


def test_a_model_file_can_score_and_a_score_column_is_replaced(
    characteristics_csv: Path, tmp_path: Path
) -> None:
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    args = ["score", "--model", str(TEST_MODEL_PATH), "--csv"]
    assert (
        runner.invoke(cli.app, [*args, str(characteristics_csv), "--out", str(first)]).exit_code
        == 0
    )
    assert runner.invoke(cli.app, [*args, str(first), "--out", str(second)]).exit_code == 0
    rows = read(second)
    assert list(rows[0]).count("score") == 1
    assert [r["score"] for r in rows] == [r["score"] for r in read(first)]
    assert {int(r["score"]) for r in rows} <= set(range(300, 851))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "either --all"),
        (["--all", "--csv", "x.csv", "--out", "y.csv"], "either --all"),
        (["--csv", "x.csv"], "--out"),
        (["--all", "--model", "cf-1999.01"], "no scoring model"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(cli.app, ["score", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_a_csv_without_a_characteristic_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("worst_delinquency_24m,credit_mix\n0,none\n", encoding="utf-8")
    result = runner.invoke(
        cli.app, ["score", "--csv", str(source), "--out", str(tmp_path / "out.csv")]
    )
    assert result.exit_code == 2
    assert "no column for" in result.output
    assert "revolving_utilisation_pct" in result.output


def test_a_cell_that_is_not_a_number_is_named(characteristics_csv: Path, tmp_path: Path) -> None:
    text = characteristics_csv.read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    cells = text[1].split(",")
    cells[header.index("hard_inquiries_12m")] = "many"
    source = tmp_path / "bad.csv"
    source.write_text("\n".join([text[0], ",".join(cells), *text[2:]]) + "\n", encoding="utf-8")
    result = runner.invoke(
        cli.app, ["score", "--csv", str(source), "--out", str(tmp_path / "out.csv")]
    )
    assert result.exit_code == 2
    assert "row 2, column 'hard_inquiries_12m'" in result.output


def test_score_all_scores_every_subject_of_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CLEARFILE_DATABASE_URL", url)
    loaded = runner.invoke(cli.app, ["population", "--n", "60", "--seed", "5", "--load"])
    assert loaded.exit_code == 0, loaded.output
    result = runner.invoke(cli.app, ["score", "--all", "--chunk", "25"])
    assert result.exit_code == 0, result.output
    assert "60 subjects scored with" in result.output
    assert "60 receipts stored" in result.output
    engine = create_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(ScoreReceipt)).scalar_one()
    engine.dispose()
    assert stored == 60
