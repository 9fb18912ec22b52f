"""The scorecard file format, and the vectorised engine against the naive reference."""

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.core.errors import NotFound
from service.scoring.engine.characteristics import Value
from service.scoring.engine.explain import check_scores_files
from service.scoring.engine.scorecard import (
    ScorecardError,
    get_model,
    list_models,
    load_model,
    parse_model,
    to_json,
)
from service.scoring.engine.scorer import Engine, engine_for, score_rows_naive
from tests.unit.scoring_factories import TEST_MODEL_PATH, load_test_model


def _raw() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(TEST_MODEL_PATH.read_text())
    return data


def _tiny(**changes: Any) -> dict[str, Any]:
    """A two-characteristic model: x numeric with a missing bin, c categorical without."""
    model: dict[str, Any] = {
        "version": "tiny-1",
        "name": "tiny",
        "score_range": {"min": 300, "max": 850},
        "scaling": {"base_score": 600, "base_odds": 30.0, "pdo": 40.0},
        "characteristics": [
            {
                "name": "x",
                "title": "x",
                "definition": "x",
                "window": "current",
                "kind": "numeric",
                "reason_code": "X1",
                "reason_text": "x is high",
                "bins": [
                    {"label": "missing", "missing": True, "points": 350},
                    {"label": "low", "lower": None, "upper": 10, "points": 500},
                    {"label": "mid", "lower": 10, "upper": 20.5, "points": 400},
                    {"label": "high", "lower": 20.5, "upper": None, "points": 100},
                ],
            },
            {
                "name": "c",
                "title": "c",
                "definition": "c",
                "window": "current",
                "kind": "categorical",
                "reason_code": "C1",
                "reason_text": "c is bad",
                "bins": [
                    {"label": "good", "values": ["a", "b"], "points": 400},
                    {"label": "bad", "values": ["z"], "points": 50},
                    {"label": "so-so", "values": ["m"], "points": 200},
                ],
            },
        ],
    }
    model.update(changes)
    return model


# -- the file format -----------------------------------------------------------------------


def test_test_model_loads_with_its_documentation() -> None:
    model = load_test_model()
    assert model.version == "test-model"
    assert model.score_range.min == 300
    assert model.score_range.max == 850
    util = model.characteristic("revolving_utilisation_pct")
    assert util.reason_code == "U01"
    assert util.max_points == 95
    assert util.bin_for(None).label == "missing"
    check_scores_files(model)


def test_published_json_is_the_file() -> None:
    assert to_json(load_test_model()) == _raw()


def test_extra_documentation_is_kept() -> None:
    raw = _tiny()
    raw["characteristics"][0]["bins"][1]["count"] = 1234
    raw["characteristics"][0]["information_value"] = 0.31
    model = parse_model(raw)
    assert to_json(model)["characteristics"][0]["bins"][1]["count"] == 1234


def _broken(path: list[Any], value: Any) -> dict[str, Any]:
    raw = _tiny()
    target: Any = raw
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return raw


_DELETE = object()
_X_BINS = ["characteristics", 0, "bins"]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ([*_X_BINS, 2, "lower"], 11),  # gap between low and mid
        ([*_X_BINS, 1, "lower"], 0),  # first range bin does not start at -inf
        ([*_X_BINS, 3, "upper"], 99),  # last range bin does not reach +inf
        ([*_X_BINS, 2, "upper"], 10),  # empty bin, and out of order
        ([*_X_BINS, 1, "points"], 72.5),  # points are integers
        ([*_X_BINS, 1, "points"], "72"),
        ([*_X_BINS, 1, "values"], ["a"]),  # numeric bins list no values
        ([*_X_BINS, 0, "lower"], 3),  # the missing bin takes no bounds
        ([*_X_BINS, 1, "label"], "mid"),  # labels are unique
        ([*_X_BINS, 1, "missing"], True),  # two missing bins
        ([*_X_BINS], []),
        (["characteristics", 1, "bins", 1, "values"], ["a"]),  # a value in two bins
        (["characteristics", 1, "bins", 1, "values"], []),  # a bin that holds nothing
        (["characteristics", 1, "bins", 1, "lower"], 0),
        (["characteristics", 1, "name"], "x"),  # duplicate names
        (["characteristics", 1, "reason_code"], "X1"),  # duplicate reason codes
        (["characteristics", 1, "kind"], "ordinal"),
        (["characteristics", 1, "reason_text"], _DELETE),
        (["score_range", "min"], 850),
        (["scaling", "pdo"], 0),
        (["version"], "../etc/passwd"),
        (["characteristics"], []),
    ],
)
def test_invalid_models_are_refused(path: list[Any], value: Any) -> None:
    with pytest.raises(ScorecardError):
        parse_model(_broken(path, value))


def test_a_misspelt_bound_is_caught() -> None:
    raw = _tiny()
    raw["characteristics"][0]["bins"][2]["uper"] = raw["characteristics"][0]["bins"][2].pop("upper")
    with pytest.raises(ScorecardError, match="contiguous"):
        parse_model(raw)


def test_non_finite_bounds_are_refused() -> None:
    with pytest.raises(ScorecardError, match="non-finite"):
        parse_model(_broken([*_X_BINS, 2, "upper"], math.inf))


def test_models_directory(tmp_path: Path) -> None:
    (tmp_path / "tiny-1.json").write_text(json.dumps(_tiny()))
    (tmp_path / "tiny-2.json").write_text(json.dumps(_tiny(version="tiny-2")))
    assert [m.version for m in list_models(tmp_path)] == ["tiny-1", "tiny-2"]
    assert get_model("tiny-2", tmp_path).version == "tiny-2"
    with pytest.raises(NotFound):
        get_model("tiny-3", tmp_path)
    with pytest.raises(NotFound):
        get_model("../tiny-1", tmp_path)
    assert list_models(tmp_path / "absent") == ()


def test_a_model_published_or_withdrawn_after_a_lookup_is_seen_by_the_next(
    tmp_path: Path,
) -> None:
    (tmp_path / "tiny-1.json").write_text(json.dumps(_tiny()))
    assert get_model("tiny-1", tmp_path).version == "tiny-1"
    (tmp_path / "tiny-2.json").write_text(json.dumps(_tiny(version="tiny-2")))
    assert get_model("tiny-2", tmp_path).version == "tiny-2"
    (tmp_path / "tiny-1.json").unlink()
    with pytest.raises(NotFound):
        get_model("tiny-1", tmp_path)
    assert get_model("tiny-2", tmp_path).version == "tiny-2"


def test_file_name_must_be_the_version(tmp_path: Path) -> None:
    (tmp_path / "other.json").write_text(json.dumps(_tiny()))
    with pytest.raises(ScorecardError, match="file name"):
        load_model(tmp_path / "other.json")


def test_published_models_score_files() -> None:
    models = list_models()
    if not models:
        pytest.skip("no model published in service/scoring/scorecards yet")
    for model in models:
        check_scores_files(model)


# -- binning semantics ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "label"),
    [
        (-math.inf, "low"),
        (-5, "low"),
        (9.999, "low"),
        (10, "mid"),  # half-open: a bound belongs to the bin above
        (20.4999, "mid"),
        (20.5, "high"),
        (math.inf, "high"),
        (None, "missing"),
        (math.nan, "missing"),
    ],
)
def test_numeric_bins_are_half_open(x: float | None, label: str) -> None:
    model = parse_model(_tiny())
    assert model.characteristic("x").bin_for(x).label == label
    engine = Engine(model)
    bins = engine.bin_indexes(engine.encode_rows([{"x": x, "c": "a"}]))
    assert model.characteristic("x").bins[bins[0, 0]].label == label


def test_missing_without_a_missing_bin_takes_the_lowest_points() -> None:
    raw = _tiny()
    del raw["characteristics"][0]["bins"][0]
    model = parse_model(raw)
    assert model.characteristic("x").bin_for(None).label == "high"
    assert model.characteristic("c").bin_for(None).label == "bad"
    assert model.characteristic("c").bin_for("never-seen").label == "bad"


def test_unseen_category_takes_the_missing_bin_when_there_is_one() -> None:
    raw = _tiny()
    raw["characteristics"][1]["bins"].append({"label": "unknown", "missing": True, "points": 150})
    model = parse_model(raw)
    assert model.characteristic("c").bin_for("never-seen").label == "unknown"
    engine = Engine(model)
    assert engine.score(engine.encode_rows([{"x": 1, "c": "q"}])).tolist() == [650]


def test_score_is_the_clipped_sum() -> None:
    engine = Engine(parse_model(_tiny()))
    rows: list[dict[str, Value]] = [
        {"x": 1, "c": "a"},  # 500 + 400 = 900 -> 850
        {"x": 15, "c": "m"},  # 400 + 200 = 600
        {"x": 30, "c": "z"},  # 100 + 50 = 150 -> 300
        {"x": None, "c": None},  # 350 + 50 = 400
        {},  # every characteristic missing
    ]
    assert engine.score(engine.encode_rows(rows)).tolist() == [850, 600, 300, 400, 400]
    assert score_rows_naive(engine.model, rows) == [850, 600, 300, 400, 400]
    assert engine.points(engine.encode_rows(rows))[0].tolist() == [500, 400]


def test_a_number_is_required_for_a_numeric_characteristic() -> None:
    engine = Engine(parse_model(_tiny()))
    with pytest.raises(ScorecardError):
        engine.encode_rows([{"x": "12", "c": "a"}])
    with pytest.raises(ValueError, match="number"):
        engine.model.characteristic("x").bin_for("12")


def test_encode_columns_needs_every_characteristic_of_equal_length() -> None:
    engine = Engine(parse_model(_tiny()))
    with pytest.raises(ScorecardError, match="missing"):
        engine.encode_columns({"x": [1.0]})
    with pytest.raises(ScorecardError, match="length"):
        engine.encode_columns({"x": [1.0, 2.0], "c": ["a"]})


def test_matrix_shape_is_checked() -> None:
    engine = Engine(parse_model(_tiny()))
    with pytest.raises(ScorecardError, match="matrix"):
        engine.score(np.zeros((3, 5)))


def test_foreign_categorical_codes_count_as_unseen() -> None:
    engine = Engine(parse_model(_tiny()))
    # x = 1 (500 points); c codes: a=0, b=1, z=2, m=3, unseen=4 (the lowest bin, 50)
    encoded = np.array([[1.0, 2.0], [1.0, -1.0], [1.0, 99.0], [1.0, math.nan], [1.0, 0.0]])
    assert engine.score(encoded).tolist() == [550, 550, 550, 550, 850]


def test_many_categories_use_wide_slots() -> None:
    raw = _tiny()
    raw["characteristics"][1]["bins"] = [
        {"label": f"v{i}", "values": [f"v{i}"], "points": i} for i in range(300)
    ]
    model = parse_model(raw)
    engine = Engine(model)
    rows: list[dict[str, Value]] = [{"x": 15, "c": f"v{i}"} for i in range(0, 300, 7)]
    rows.append({"x": 15, "c": "nope"})
    assert engine.score(engine.encode_rows(rows)).tolist() == score_rows_naive(model, rows)


def test_engine_is_cached_per_model() -> None:
    assert engine_for(load_test_model()) is engine_for(load_test_model())


# -- vectorised == naive -------------------------------------------------------------------

_MODEL = load_test_model()
_EDGES = sorted({b.lower for c in _MODEL.characteristics for b in c.bins if b.lower is not None})
_numbers = st.one_of(
    st.none(),
    st.just(math.nan),
    st.sampled_from(_EDGES),  # exactly on a bound
    st.sampled_from(_EDGES).map(lambda e: math.nextafter(e, -math.inf)),  # just below
    st.floats(min_value=-50, max_value=200, allow_nan=False),
    st.floats(allow_nan=False),  # anything, including the infinities
    st.integers(-5, 150),
)
_mixes = st.one_of(
    st.none(),
    st.sampled_from(["none", "revolving_only", "installment_only", "revolving_and_installment"]),
    st.text(max_size=5),
)
_rows = st.fixed_dictionaries(
    {c.name: (_mixes if c.kind == "categorical" else _numbers) for c in _MODEL.characteristics}
)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(_rows, min_size=1, max_size=40), block=st.integers(1, 16))
def test_vectorised_scorer_agrees_with_the_naive_one(
    rows: list[dict[str, Value]], block: int
) -> None:
    engine = engine_for(_MODEL)
    encoded = engine.encode_rows(rows)
    expected = score_rows_naive(_MODEL, rows)
    assert engine.score(encoded).tolist() == expected
    assert engine.score(encoded, block_rows=block).tolist() == expected
    assert engine.score(np.ascontiguousarray(encoded)).tolist() == expected  # row-major too
    bins = engine.bin_indexes(encoded)
    points = engine.points(encoded)
    for i, row in enumerate(rows):
        for j, c in enumerate(_MODEL.characteristics):
            assert bins[i, j] == c.bin_index(row.get(c.name))
            assert points[i, j] == c.bins[bins[i, j]].points


@settings(max_examples=50, deadline=None)
@given(rows=st.lists(_rows, min_size=1, max_size=20))
def test_encoding_rows_and_columns_agree(rows: list[dict[str, Value]]) -> None:
    engine = engine_for(_MODEL)
    columns = {name: [row[name] for row in rows] for name in _MODEL.names}
    by_rows = engine.encode_rows(rows)
    by_columns = engine.encode_columns(columns)
    np.testing.assert_array_equal(by_rows, by_columns)
    numeric = {
        c.name: np.array([np.nan if row[c.name] is None else row[c.name] for row in rows])
        for c in _MODEL.characteristics
        if c.kind == "numeric"
    }
    arrays: dict[str, Any] = {**columns, **numeric}
    np.testing.assert_array_equal(engine.encode_columns(arrays), by_rows)
