"""``clearfile score --csv`` / ``--parquet`` through Arrow: the same scores and reasons as the
row-at-a-time path, every input column kept, bad files refused by row and column with no
output left behind."""

import csv
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from service import cli
from service.scoring import csv_dialect, tables
from service.scoring.engine.explain import factors_of, rank_reasons
from service.scoring.engine.scorecard import Scorecard, get_model
from tests.unit.scoring_factories import TEST_MODEL_PATH, load_test_model

runner = CliRunner()

#: Cells as a data team's export may hold them: numbers in several spellings, the missing
#: tokens in several cases and with blanks.
NUMBER_CELLS = ["0", "1", "2", "3", "7", " 4 ", "+2", "1e1", "2.5", "1_000", "-1", "12.0", "40"]
MISSING_CELLS = ["", " ", "NA", "nan", "NULL", "n/a", "None"]
MIX_CELLS = [
    "none",
    "revolving_only",
    " installment_only ",
    "revolving_and_installment",
    "unseen",
    "NA",
    "",
]


def _random_rows(
    model: Scorecard, n: int, seed: int, missing: list[str] | None = None
) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        row = {"id": f"r{i}", "note": rng.choice(["plain", 'with "quotes"', "a, comma", ""])}
        for c in model.characteristics:
            if c.kind == "categorical":
                row[c.name] = rng.choice(MIX_CELLS)
            elif rng.random() < 0.2:
                row[c.name] = rng.choice(missing or MISSING_CELLS)
            else:
                row[c.name] = rng.choice(NUMBER_CELLS + [f"{rng.uniform(0, 120):.3f}"])
        rows.append(row)
    return rows


def _write(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header or list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _row_at_a_time(model: Scorecard, row: dict[str, str]) -> tuple[int, list[str]]:
    """The score and reason codes of one CSV row, read cell by cell in the dialect and
    scored by the per-row reference (``Scorecard.score_values``, ``explain.rank_reasons``)."""
    values: dict[str, Any] = {}
    for c in model.characteristics:
        cell = row[c.name]
        if c.kind == "numeric":
            values[c.name] = (
                None if csv_dialect.is_missing(cell, numeric=True) else csv_dialect.number(cell)
            )
        else:
            values[c.name] = None if csv_dialect.is_missing(cell) else cell.strip()
    reasons = [r.code for r in rank_reasons(model, factors_of(model, values))]
    return model.score_values(values), reasons


def _score(*args: str) -> Any:
    return runner.invoke(cli.app, ["score", *args])


@pytest.mark.parametrize(
    ("model_arg", "missing"),
    [
        (None, None),
        (str(TEST_MODEL_PATH), None),
        # Numbers written plainly, missing ones empty: Arrow's own reading, no fallback.
        (None, [""]),
    ],
)
def test_a_csv_scores_as_the_row_at_a_time_path_and_keeps_every_column(
    tmp_path: Path,
    model_arg: str | None,
    missing: list[str] | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = get_model() if model_arg is None else load_test_model()
    rows = _random_rows(model, 3000, seed=7, missing=missing)
    if missing:  # plain numbers only
        plain = {"1_000": "1000", " 4 ": "4"}
        rows = [{k: plain.get(v, v) for k, v in r.items()} for r in rows]
    source = _write(tmp_path / "in.csv", rows)
    out = tmp_path / "out.csv"
    monkeypatch.setattr(tables, "CSV_BLOCK_BYTES", 16 << 10)  # many batches
    extra = [] if model_arg is None else ["--model", model_arg]
    result = _score("--csv", str(source), "--out", str(out), "--reasons", *extra)
    assert result.exit_code == 0, result.output
    assert "scored 3,000 rows" in result.output
    written = _read(out)
    assert list(written[0]) == [*rows[0], "score", *tables.REASON_COLUMNS]
    for before, after in zip(rows, written, strict=True):
        assert {k: after[k] for k in before} == before
        score, reasons = _row_at_a_time(model, before)
        assert int(after["score"]) == score
        assert [after[c] for c in tables.REASON_COLUMNS if after[c]] == reasons
    assert any(len(_row_at_a_time(model, r)[1]) == 5 for r in rows)  # the inquiries' 5th


def test_without_reasons_only_a_score_is_added_and_an_old_score_is_replaced(
    tmp_path: Path,
) -> None:
    rows = [{**r, "score": "999"} for r in _random_rows(get_model(), 50, seed=3)]
    source = _write(tmp_path / "in.csv", rows)
    out = tmp_path / "out.csv"
    assert _score("--csv", str(source), "--out", str(out)).exit_code == 0
    written = _read(out)
    assert list(written[0]) == [k for k in rows[0] if k != "score"] + ["score"]
    assert [int(r["score"]) for r in written] == [_row_at_a_time(get_model(), r)[0] for r in rows]


def test_a_header_only_csv_gives_a_header_only_output(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(",".join(["id", *get_model().names]) + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = _score("--csv", str(source), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").splitlines() == [
        ",".join(f'"{n}"' for n in ["id", *get_model().names, "score"])
    ]


def _refused(tmp_path: Path, *args: str) -> str:
    """Run the command, expect a refusal, and check that nothing was written."""
    out = tmp_path / "out.csv"
    out.write_text("what was there before\n", encoding="utf-8")
    result = _score(*args, "--out", str(out))
    assert result.exit_code == 2, result.output
    assert out.read_text(encoding="utf-8") == "what was there before\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    return str(result.output)


@pytest.mark.parametrize(
    ("cell", "shown"),
    [("many", "'many'"), ("inf", "'inf'"), ("1e400", "'1e400'"), ("3,5", "'3,5'")],
)
def test_a_cell_that_is_not_a_finite_number_is_refused_by_row_and_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cell: str, shown: str
) -> None:
    rows = _random_rows(get_model(), 2000, seed=5)
    rows[1500]["hard_inquiries_12m"] = cell
    source = _write(tmp_path / "in.csv", rows)
    monkeypatch.setattr(tables, "CSV_BLOCK_BYTES", 16 << 10)  # the bad row is in a late batch
    output = _refused(tmp_path, "--csv", str(source))
    assert f"row 1502, column 'hard_inquiries_12m': {shown} is not a number" in output
    assert "cannot be scored" in output


def test_a_csv_without_a_characteristic_is_refused_by_column(tmp_path: Path) -> None:
    rows = [
        {k: v for k, v in r.items() if k != "credit_mix"} for r in _random_rows(get_model(), 5, 1)
    ]
    output = _refused(tmp_path, "--csv", str(_write(tmp_path / "in.csv", rows)))
    assert "no column for: credit_mix" in output


def test_a_row_with_a_cell_too_many_or_too_few_is_refused_by_row(tmp_path: Path) -> None:
    rows = _random_rows(get_model(), 20, seed=2)
    source = _write(tmp_path / "in.csv", rows)
    lines = source.read_text(encoding="utf-8").splitlines()
    lines[7] += ",surplus"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = _refused(tmp_path, "--csv", str(source))
    assert "row 8: 13 cells where the header has 12" in output


def _typed_table(model: Scorecard, n: int) -> pa.Table:
    rng = random.Random(11)
    columns: dict[str, Any] = {"id": pa.array([f"p{i}" for i in range(n)])}
    for c in model.characteristics:
        if c.kind == "categorical":
            columns[c.name] = pa.array([rng.choice([*MIX_CELLS, None]) for _ in range(n)])
        elif c.name in ("revolving_utilisation_pct", "average_account_age_months"):
            columns[c.name] = pa.array(
                [None if rng.random() < 0.2 else rng.uniform(0, 120) for _ in range(n)],
                type=pa.float64(),
            )
        else:
            columns[c.name] = pa.array(
                [None if rng.random() < 0.2 else rng.randint(0, 60) for _ in range(n)],
                type=pa.int32(),
            )
    columns["amount"] = pa.array([rng.randint(0, 10**9) for _ in range(n)], type=pa.int64())
    return pa.table(columns)


def test_parquet_round_trip_keeps_the_columns_and_types_and_scores_as_the_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = get_model()
    table = _typed_table(model, 2500)
    source = tmp_path / "in.parquet"
    pq.write_table(table, source)
    out = tmp_path / "out.parquet"
    monkeypatch.setattr(tables, "PARQUET_BATCH_ROWS", 700)
    result = _score("--parquet", str(source), "--out", str(out), "--reasons")
    assert result.exit_code == 0, result.output
    scored = pq.read_table(out)
    assert scored.select(table.column_names).equals(table)
    assert scored.schema.field("score").type == pa.int32()
    for row, after in zip(table.to_pylist(), scored.to_pylist(), strict=True):
        text = {k: "" if v is None else str(v) for k, v in row.items()}
        score, reasons = _row_at_a_time(model, text)
        assert after["score"] == score
        assert [after[c] for c in tables.REASON_COLUMNS if after[c]] == reasons


def test_a_parquet_value_that_is_not_finite_is_refused_by_row_and_column(
    tmp_path: Path,
) -> None:
    table = _typed_table(get_model(), 30)
    values = table.column("revolving_utilisation_pct").to_pylist()
    values[9] = float("inf")
    index = table.column_names.index("revolving_utilisation_pct")
    table = table.set_column(index, "revolving_utilisation_pct", pa.array(values))
    source = tmp_path / "in.parquet"
    pq.write_table(table, source)
    output = _refused(tmp_path, "--parquet", str(source))
    assert "row 10, column 'revolving_utilisation_pct'" in output


def test_a_parquet_category_that_is_not_text_is_refused_by_column(tmp_path: Path) -> None:
    table = _typed_table(get_model(), 5)
    index = table.column_names.index("credit_mix")
    table = table.set_column(index, "credit_mix", pa.array([1, 2, 3, 4, 5]))
    source = tmp_path / "in.parquet"
    pq.write_table(table, source)
    assert "column 'credit_mix'" in _refused(tmp_path, "--parquet", str(source))


def test_only_one_table_at_a_time(tmp_path: Path) -> None:
    result = _score("--csv", "a.csv", "--parquet", "b.parquet", "--out", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert "either --all" in result.output
