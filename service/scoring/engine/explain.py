"""How a score was made, and why: factors, ranked reasons, and the no-score path.

For every characteristic: its value, the bin it fell in, the points of that bin and the most
points it could have earned. The reasons are the characteristics that earned fewer than their
maximum, ranked by the points they fell short by (ties in the model's order): at most 4, and a
5th when hard inquiries fell short and are not already among the 4 (``rules``, FCRA 609(f)).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from service.scoring.engine import characteristics as chars
from service.scoring.engine.characteristics import Value
from service.scoring.engine.inputs import FileInput
from service.scoring.engine.scorecard import Scorecard, ScorecardError
from service.scoring.rules import (
    INQUIRY_CHARACTERISTIC,
    MAX_KEY_FACTORS,
    NoScoreReason,
)


@dataclass(frozen=True, slots=True)
class Factor:
    characteristic: str
    title: str
    value: Value
    bin_label: str
    points: int
    max_points: int

    @property
    def points_below_max(self) -> int:
        return self.max_points - self.points


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    text: str
    characteristic: str
    points_below_max: int


@dataclass(frozen=True, slots=True)
class Explanation:
    """A score (or the absence of one) with everything needed to see how it was made.

    ``characteristics`` are the inputs of the score (what a receipt stores); ``total_points``
    is the sum of the factors' points before clipping to the score range.
    """

    model_version: str
    score: int | None
    total_points: int | None
    factors: tuple[Factor, ...]
    reasons: tuple[Reason, ...]
    no_score_reasons: tuple[NoScoreReason, ...]
    characteristics: Mapping[str, Value] = field(default_factory=dict)


def factors_of(model: Scorecard, values: Mapping[str, Value]) -> tuple[Factor, ...]:
    """Every characteristic's value, bin, points and maximum, in the model's order."""
    out = []
    for c in model.characteristics:
        value = values.get(c.name)
        b = c.bin_for(value)
        out.append(Factor(c.name, c.title, value, b.label, b.points, c.max_points))
    return tuple(out)


def rank_reasons(model: Scorecard, factors: tuple[Factor, ...]) -> tuple[Reason, ...]:
    """The key factors: points below maximum, largest first, ties in model order; at most
    ``MAX_KEY_FACTORS``, plus hard inquiries as one more when they fell short and are not
    already among them."""
    order = {name: i for i, name in enumerate(model.names)}
    short = sorted(
        (f for f in factors if f.points < f.max_points),
        key=lambda f: (-f.points_below_max, order[f.characteristic]),
    )
    chosen = short[:MAX_KEY_FACTORS]
    chosen += [f for f in short[MAX_KEY_FACTORS:] if f.characteristic == INQUIRY_CHARACTERISTIC]
    reasons = []
    for f in chosen:
        c = model.characteristic(f.characteristic)
        reasons.append(Reason(c.reason_code, c.reason_text, c.name, f.points_below_max))
    return tuple(reasons)


def explain_values(model: Scorecard, values: Mapping[str, Value]) -> Explanation:
    """Score and explain one row of characteristic values."""
    factors = factors_of(model, values)
    total = sum(f.points for f in factors)
    return Explanation(
        model_version=model.version,
        score=model.clip(total),
        total_points=total,
        factors=factors,
        reasons=rank_reasons(model, factors),
        no_score_reasons=(),
        characteristics=dict(values),
    )


def check_scores_files(model: Scorecard) -> None:
    """A model can score a file only if the file yields every characteristic it uses."""
    unknown = [name for name in model.names if name not in chars.BY_NAME]
    if unknown:
        raise ScorecardError(
            f"model {model.version!r} uses characteristics a file does not have: "
            + ", ".join(unknown)
        )
    for c in model.characteristics:
        if c.kind != chars.BY_NAME[c.name].kind:
            raise ScorecardError(
                f"model {model.version!r}: {c.name} is {chars.BY_NAME[c.name].kind}, not {c.kind}"
            )


def explain_file(file: FileInput, today: date, model: Scorecard) -> Explanation:
    """The score of ``file`` on ``today`` under ``model``, explained; no score (with the
    reasons) when the file does not meet the minimum scoring criteria."""
    check_scores_files(model)
    values, thin = chars.evaluate(file, today)
    if thin:
        return Explanation(
            model_version=model.version,
            score=None,
            total_points=None,
            factors=(),
            reasons=(),
            no_score_reasons=thin,
            characteristics=values,
        )
    return explain_values(model, values)


def score_file(file: FileInput, today: date, model: Scorecard) -> int | None:
    """Just the score of ``file`` (None when it cannot be scored)."""
    return explain_file(file, today, model).score
