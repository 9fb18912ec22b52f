"""``clearfile population`` and ``clearfile model fit`` through Typer's test runner."""

import csv
import json
import struct
from datetime import date
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from service.modelling.cli import model_app, population_command
from service.scoring.engine.scorecard import get_model

TODAY = date(2026, 11, 26)


def _write(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(model_app, name="model")
    app.command("population")(population_command)
    return app


def test_population_and_model_fit_commands_write_a_publishable_model(tmp_path: Path) -> None:
    runner = CliRunner()
    csv_path, truth = tmp_path / "population.csv", tmp_path / "truth.csv"
    result = runner.invoke(
        _cli(),
        [
            "population",
            "--n",
            "3000",
            "--seed",
            "4",
            "--out",
            str(csv_path),
            "--truth-out",
            str(truth),
            "--today",
            TODAY.isoformat(),
        ],
    )
    assert result.exit_code == 0, result.output
    out, reports = tmp_path / "models" / "cf-test.1.json", tmp_path / "validation"
    result = runner.invoke(
        _cli(),
        [
            "model",
            "fit",
            "--data",
            str(csv_path),
            "--target",
            "bad",
            "--out",
            str(out),
            "--seed",
            "3",
            "--report-dir",
            str(reports),
            "--truth",
            str(truth),
        ],
    )
    assert result.exit_code == 0, result.output
    model = get_model("cf-test.1", out.parent)
    assert model.version == "cf-test.1"
    assert model.score_range.min == 300
    assert model.score_range.max == 850
    written = json.loads(out.read_text())
    assert written["fit"]["command"].startswith("clearfile model fit --data population.csv")
    assert (reports / "cf-test.1-validation.json").is_file()
    markdown = (reports / "cf-test.1-validation.md").read_text()
    assert "Calibration" in markdown
    assert "Bad rate by score band" in markdown
    _assert_a_plot(reports / "cf-test.1-score-distribution.png")


#: The eight bytes every PNG file starts with (PNG specification, 5.2).
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _assert_a_plot(path: Path) -> None:
    """``path`` is a PNG whose header (the IHDR chunk, first after the signature) gives the
    size of a readable two-panel figure, and whose content is more than a blank image."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", data[16:24])
    assert 600 <= width <= 4000
    assert 250 <= height <= 3000
    assert width > height  # two panels side by side
    assert len(data) > 20_000
    assert data[-8:-4] == b"IEND"


def test_fit_command_reports_bad_input_without_a_traceback(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", ["x", "target"], [[1, "yes"], [2, "no"]])
    result = CliRunner().invoke(
        _cli(),
        [
            "model",
            "fit",
            "--data",
            str(path),
            "--target",
            "target",
            "--out",
            str(tmp_path / "m.json"),
        ],
    )
    assert result.exit_code == 2
    assert "--bad" in result.output
    assert not (tmp_path / "m.json").exists()
