"""The published scorecard: one versioned JSON file per model, loaded and validated here.

The format (agreed with the model-fitting pipeline) is one file
``service/scoring/scorecards/<version>.json``: the version, the score range, the PDO scaling, and
per characteristic its documentation, its reason code and statement, and its bins with their
points. Numeric bins are half-open ``[lower, upper)`` (null = infinite), sorted, contiguous and
covering the real line, with at most one ``missing`` bin; a missing value without a missing bin
takes the lowest-points bin. Categorical bins list their values; a missing or unseen value takes
the missing bin, or else the lowest-points bin. Points are integers that already include the
intercept and the scaling; the score is their sum clipped to the score range.

Unknown keys are kept (a fitted model may carry more documentation, such as per-bin counts),
so the published model is the file as written; the structural checks below still catch a
misspelt bound or a bin that belongs nowhere.
"""

import functools
import json
import math
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, model_validator

from service.core.errors import NotFound
from service.scoring.engine.characteristics import Value

SCORECARDS_DIR: Final = Path(__file__).resolve().parents[1] / "scorecards"
#: The model that scores files unless a version is named.
CURRENT_VERSION: Final = "cf-2026.12"


class ScorecardError(ValueError):
    """A model file that is not a valid scorecard."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")


class Bin(_Frozen):
    label: str = Field(min_length=1)
    points: StrictInt
    missing: bool = False
    lower: float | None = None
    upper: float | None = None
    values: tuple[str, ...] | None = None
    #: The model documents this bin as adverse (riskier than the population it was fitted
    #: on): only here may a reason statement claim "high", "too many" or "recent".
    adverse: bool = False

    def contains(self, value: float) -> bool:
        """Whether a (non-missing) number falls in this numeric bin's ``[lower, upper)``."""
        return (self.lower is None or value >= self.lower) and (
            self.upper is None or value < self.upper
        )


class Characteristic(_Frozen):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    definition: str
    window: str
    kind: Literal["numeric", "categorical"]
    reason_code: str = Field(min_length=1)
    reason_text: str = Field(min_length=1)
    bins: tuple[Bin, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_bins(self) -> "Characteristic":
        where = f"characteristic {self.name!r}"
        labels = [b.label for b in self.bins]
        if len(set(labels)) != len(labels):
            raise ValueError(f"{where}: bin labels must be unique")
        missing = [b for b in self.bins if b.missing]
        if len(missing) > 1:
            raise ValueError(f"{where}: at most one bin may be the missing bin")
        if self.kind == "numeric":
            self._check_numeric(where)
        else:
            self._check_categorical(where)
        return self

    def _check_numeric(self, where: str) -> None:
        for b in self.bins:
            if b.values is not None:
                raise ValueError(f"{where}: numeric bin {b.label!r} may not list values")
            if b.missing and (b.lower is not None or b.upper is not None):
                raise ValueError(f"{where}: the missing bin {b.label!r} takes no bounds")
            for bound in (b.lower, b.upper):
                if bound is not None and not math.isfinite(bound):
                    raise ValueError(f"{where}: bin {b.label!r} has a non-finite bound")
        ranged = [b for b in self.bins if not b.missing]
        if not ranged:
            raise ValueError(f"{where}: a numeric characteristic needs at least one range bin")
        if ranged[0].lower is not None or ranged[-1].upper is not None:
            raise ValueError(
                f"{where}: the bins must cover the real line (first lower and last upper null)"
            )
        for before, after in zip(ranged, ranged[1:], strict=False):
            if before.upper is None or after.lower is None or before.upper != after.lower:
                raise ValueError(
                    f"{where}: bins {before.label!r} and {after.label!r} are not contiguous"
                )
        for b in ranged:
            if b.lower is not None and b.upper is not None and not b.lower < b.upper:
                raise ValueError(f"{where}: bin {b.label!r} is empty (lower >= upper)")

    def _check_categorical(self, where: str) -> None:
        seen: set[str] = set()
        for b in self.bins:
            if b.lower is not None or b.upper is not None:
                raise ValueError(f"{where}: categorical bin {b.label!r} takes no bounds")
            if not b.missing and not b.values:
                raise ValueError(f"{where}: bin {b.label!r} lists no values")
            for v in b.values or ():
                if v in seen:
                    raise ValueError(f"{where}: value {v!r} is in more than one bin")
                seen.add(v)

    @property
    def max_points(self) -> int:
        return max(b.points for b in self.bins)

    @property
    def min_points(self) -> int:
        return min(b.points for b in self.bins)

    @property
    def fallback_index(self) -> int:
        """The bin of a missing (or, if categorical, unseen) value: the missing bin, or else
        the lowest-points bin (the first of equals)."""
        for i, b in enumerate(self.bins):
            if b.missing:
                return i
        lowest = self.min_points
        return next(i for i, b in enumerate(self.bins) if b.points == lowest)

    def bin_index(self, value: Value) -> int:
        """Index in ``bins`` of the bin ``value`` falls into (the reference, per value)."""
        if self.kind == "numeric":
            if value is None or (isinstance(value, float) and math.isnan(value)):
                return self.fallback_index
            if isinstance(value, str):
                raise ValueError(f"{self.name}: a number is expected, not {value!r}")
            for i, b in enumerate(self.bins):
                if not b.missing and b.contains(value):
                    return i
            raise AssertionError("unreachable: the bins cover the real line")  # pragma: no cover
        if isinstance(value, str):
            for i, b in enumerate(self.bins):
                if b.values and value in b.values:
                    return i
        return self.fallback_index

    def bin_for(self, value: Value) -> Bin:
        return self.bins[self.bin_index(value)]


class ScoreRange(_Frozen):
    min: StrictInt
    max: StrictInt

    @model_validator(mode="after")
    def _ordered(self) -> "ScoreRange":
        if not self.min < self.max:
            raise ValueError("score_range: min must be below max")
        return self


class Scaling(_Frozen):
    base_score: float
    base_odds: float = Field(gt=0)
    pdo: float = Field(gt=0)


class Scorecard(_Frozen):
    version: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=64)
    name: str
    description: str = ""
    score_range: ScoreRange
    scaling: Scaling
    target: str = ""
    characteristics: tuple[Characteristic, ...] = Field(min_length=1)
    fit: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _unique(self) -> "Scorecard":
        names = [c.name for c in self.characteristics]
        if len(set(names)) != len(names):
            raise ValueError("characteristic names must be unique")
        codes = [c.reason_code for c in self.characteristics]
        if len(set(codes)) != len(codes):
            raise ValueError("reason codes must be unique")
        return self

    def __hash__(self) -> int:  # equal models have equal versions; lets models key caches
        return hash(self.version)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.characteristics)

    def characteristic(self, name: str) -> Characteristic:
        for c in self.characteristics:
            if c.name == name:
                return c
        raise KeyError(name)

    def clip(self, total: int) -> int:
        return min(max(total, self.score_range.min), self.score_range.max)

    def score_values(self, values: Mapping[str, Value]) -> int:
        """The score of one row of characteristic values (missing keys count as missing)."""
        return self.clip(sum(c.bin_for(values.get(c.name)).points for c in self.characteristics))


def parse_model(data: Mapping[str, Any] | str | bytes) -> Scorecard:
    """Validate a scorecard from its JSON text or its decoded mapping."""
    try:
        if isinstance(data, str | bytes):
            return Scorecard.model_validate_json(data)
        return Scorecard.model_validate(data)
    except ValidationError as exc:
        raise ScorecardError(f"not a valid scorecard: {exc}") from exc


def load_model(path: Path) -> Scorecard:
    """Load and validate one model file (cached while the file is unchanged: by its absolute
    path, not resolved, since every score asks for the current model and resolving the links
    of its path took most of the time of a cached load)."""
    stat = path.stat()
    return _load_cached(str(path.absolute()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _load_cached(path: str, mtime_ns: int, size: int) -> Scorecard:
    try:
        model = parse_model(Path(path).read_bytes())
    except ScorecardError as exc:
        raise ScorecardError(f"{path}: {exc}") from exc
    if Path(path).stem != model.version:
        raise ScorecardError(f"{path}: the file name must be the version {model.version!r}")
    return model


def model_paths(directory: Path = SCORECARDS_DIR) -> dict[str, Path]:
    """The model files of ``directory`` by version (file name without ``.json``)."""
    if not directory.is_dir():
        return {}
    return {p.stem: p for p in sorted(directory.glob("*.json")) if p.is_file()}


def list_models(directory: Path = SCORECARDS_DIR) -> tuple[Scorecard, ...]:
    """Every published model, ordered by version."""
    return tuple(load_model(p) for _, p in sorted(model_paths(directory).items()))


@functools.lru_cache(maxsize=8)
def _listed(directory: Path) -> Mapping[str, Path]:
    """``model_paths`` as it was when last listed (``get_model`` lists again on a miss)."""
    return MappingProxyType(model_paths(directory))


def get_model(version: str = CURRENT_VERSION, directory: Path = SCORECARDS_DIR) -> Scorecard:
    """The published model ``version``; NotFound if there is none.

    The version is looked up among the files present, never turned into a path. They are
    listed again only when the version is not among those last listed or its file has gone
    since: every score asks for the current model, and listing the directory each time was
    5 % of a score request's time under 32 clients.
    """
    path = _listed(directory).get(version)
    if path is not None:
        try:
            return load_model(path)
        except FileNotFoundError:
            pass
    _listed.cache_clear()
    path = _listed(directory).get(version)
    if path is None:
        raise NotFound(f"There is no scoring model with version {version!r}.")
    return load_model(path)


def to_json(model: Scorecard) -> dict[str, Any]:
    """The model as published (what the file holds, extra keys included)."""
    dumped: dict[str, Any] = json.loads(model.model_dump_json(exclude_unset=True))
    return dumped
