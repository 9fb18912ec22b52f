"""How a score was made, and why: factors, ranked reasons, and the no-score path.

For every characteristic: its value, the bin it fell in, the points of that bin and the most
points it could have earned. The reasons are the characteristics that earned fewer than their
maximum, ranked by the points they fell short by (ties in the model's order): at most 4, and a
5th when hard inquiries fell short and are not already among the 4 (``rules``, FCRA 609(f)).

A reason's text is a statement about this person (``statement``): the characteristic's value
and the band that earns the most points ("Revolving utilisation is 4.9 %; the most points go
to under 1.6 %"). It claims something adverse ("high", "too many", "recent": the
characteristic's ``reason_text``) only when the value is in a bin the model documents as
adverse (``"adverse": true``, a bad rate above the training population's); a model that
documents no bin as adverse gets the plain statement for every value. The statement depends
only on the model and the value, so a receipt, which stores the values, gives the same words
again, and so does an adverse action notice built from it.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from service.scoring.engine import characteristics as chars
from service.scoring.engine.characteristics import Value
from service.scoring.engine.columns import (
    Columns,
    FileColumns,
    characteristic_columns,
    columns_of_files,
)
from service.scoring.engine.inputs import FileInput
from service.scoring.engine.scorecard import Bin, Characteristic, Scorecard, ScorecardError
from service.scoring.engine.scorer import engine_for
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
        reasons.append(Reason(c.reason_code, statement(c, f.value), c.name, f.points_below_max))
    return tuple(reasons)


# --- reason statements -----------------------------------------------------------------------

_DELINQUENCY_WORDS = {
    0: "none",
    1: "30 days late",
    2: "60 days late",
    3: "90 days late",
    4: "120 days late",
    5: "150 days late",
    6: "180 or more days late",
    7: "a collection or charge-off",
}
_MIX_WORDS = {
    "none": "no open accounts",
    "revolving_only": "revolving accounts only",
    "installment_only": "installment accounts only",
    "revolving_and_installment": "both revolving and installment accounts",
}


@dataclass(frozen=True, slots=True)
class Wording:
    """How a statement names a characteristic and writes its values: ``subject`` is followed
    by " is " and the value; ``unit`` is "count" (whole numbers, 0 as "none"), "code"
    (``words`` by value), "percent", "months", "category" (``words`` by value) or "number";
    ``missing`` is what a missing value means, as a noun phrase ("no open revolving limit":
    "There is ..."), or "missing" (": ... is missing")."""

    subject: str
    unit: str
    missing: str = "missing"
    words: Mapping[Any, str] = field(default_factory=dict)


#: The wording of each Clearfile characteristic (others: their title, as numbers).
WORDINGS: dict[str, Wording] = {
    "worst_delinquency_24m": Wording(
        "The worst delinquency in the last 24 months", "code", words=_DELINQUENCY_WORDS
    ),
    "lates_30plus_24m": Wording(
        "The number of payments 30 or more days late in the last 24 months", "count"
    ),
    "months_since_recent_delinquency": Wording(
        "The time since the most recent delinquency", "months", missing="no delinquency"
    ),
    "derogatory_count": Wording(
        "The number of collections, charge-offs and bankruptcies on the file", "count"
    ),
    "revolving_utilisation_pct": Wording(
        "Revolving utilisation", "percent", missing="no open revolving limit"
    ),
    "accounts_with_balance": Wording("The number of accounts with a balance", "count"),
    "oldest_account_months": Wording(
        "The age of the oldest account", "months", missing="no account"
    ),
    "average_account_age_months": Wording(
        "The average age of the accounts", "months", missing="no account"
    ),
    "hard_inquiries_12m": Wording("The number of hard inquiries in the last 12 months", "count"),
    "accounts_opened_12m": Wording("The number of accounts opened in the last 12 months", "count"),
    "credit_mix": Wording(
        "The credit mix", "category", missing="no credit mix on file", words=_MIX_WORDS
    ),
}


def _wording(c: Characteristic) -> Wording:
    return WORDINGS.get(c.name) or Wording(
        c.title, "category" if c.kind == "categorical" else "number"
    )


def _number(x: float, unit: str, digits: int = 1) -> str:
    text = f"{round(x, digits):,.{digits}f}".rstrip("0").rstrip(".")
    if unit == "percent":
        return f"{text} %"
    if unit == "months":
        return f"{text} month" if text == "1" else f"{text} months"
    return text


def _value_text(w: Wording, value: Value, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return w.missing
    if isinstance(value, str):
        return w.words.get(value, value)
    if w.unit == "code" and float(value).is_integer():
        return w.words.get(int(value), _number(value, "number"))
    if w.unit == "count" and value == 0:
        return "none"
    return _number(value, w.unit, digits)


def _whole(w: Wording) -> bool:
    return w.unit in ("count", "code")


def band_text(c: Characteristic, b: Bin) -> str:
    """A bin in words: "under 1.6 %", "2 to 3", "60 months or more", "none"."""
    w = _wording(c)
    if b.missing:
        return w.missing
    if b.values is not None:
        return " or ".join(_value_text(w, v) for v in b.values)
    lo, hi = b.lower, b.upper
    if _whole(w):
        # Whole numbers: the bin [lo, hi) holds lo .. hi - 1.
        first = None if lo is None else math.ceil(lo)
        last = None if hi is None else math.ceil(hi) - 1
        if first is not None and last is not None:
            if first == last:
                return _value_text(w, first)
            return f"{_value_text(w, first)} to {_value_text(w, last)}"
        if last is not None:
            return _value_text(w, last) if last <= 0 else f"{_value_text(w, last)} or fewer"
        return f"{_value_text(w, first)} or more"
    if lo is None and hi is not None:
        return f"under {_number(hi, w.unit, 4)}"
    if hi is None and lo is not None:
        return f"{_number(lo, w.unit, 4)} or more"
    if lo is not None and hi is not None:
        return f"{_number(lo, w.unit, 4)} to under {_number(hi, w.unit, 4)}"
    return "any value"


def statement(c: Characteristic, value: Value) -> str:
    """The reason statement of characteristic ``c`` for a person whose value is ``value`` (see
    the module docstring): true of that value, and adverse only in a documented adverse bin."""
    w = _wording(c)
    own = c.bin_for(value)
    most = c.max_points
    tops = [b for b in c.bins if b.points == most]  # the best band (or bands)
    best_text = " or ".join(band_text(c, b) for b in tops)
    # Enough digits that the value is never written as if it were on an edge of the best
    # band, or inside it, when it is not.
    edges = {e for b in tops for e in (b.lower, b.upper) if e is not None}
    digits = 1
    while (
        digits < 4
        and isinstance(value, float)
        and value not in edges
        and any(round(value, digits) in edges or b.contains(round(value, digits)) for b in tops)
        and not any(b.contains(value) for b in tops)
    ):
        digits += 1
    shown = _value_text(w, value, digits)
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    if missing and w.missing != "missing":
        text = f"There is {w.missing}; the most points go to {best_text}"
    else:
        text = f"{w.subject} is {shown}; the most points go to {best_text}"
    if own.adverse:
        return f"{c.reason_text}: {text[0].lower()}{text[1:]}"
    return text


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


def encode_characteristics(model: Scorecard, columns: Columns) -> npt.NDArray[np.float64]:
    """The engine's encoded matrix of characteristics computed over columns (the batch
    scorer's and ``score_files``'s)."""
    engine = engine_for(model)
    x = np.empty((len(columns.credit_mix), len(engine.columns)), dtype=np.float64, order="F")
    for j, col in enumerate(engine.columns):
        if col.numeric:
            x[:, j] = columns.numeric[col.name]
        else:  # credit_mix, the one categorical characteristic
            codes = [col.vocabulary.get(v, col.missing_slot) for v in chars.CREDIT_MIX_VALUES]
            x[:, j] = np.array(codes, dtype=np.float64)[columns.credit_mix]
    return x


def score_files(
    files: Sequence[FileInput], days: Sequence[date], model: Scorecard
) -> list[int | None]:
    """``score_file`` of every file on its own day, evaluated as one batch through the
    vectorised engine (``columns.characteristic_columns``, ``Engine.score``)."""
    return score_columns(columns_of_files(files), days, model)


def score_columns(files: FileColumns, days: Sequence[date], model: Scorecard) -> list[int | None]:
    """``score_files`` of files already as columns."""
    check_scores_files(model)
    if not files.n:
        return []
    columns = characteristic_columns(files, days)
    encoded = encode_characteristics(model, columns)
    scores: list[int | None] = engine_for(model).score(encoded).tolist()
    thin = columns.no_account_old_enough | columns.no_recent_report
    for i in np.flatnonzero(thin).tolist():
        scores[i] = None
    return scores


def score_file(file: FileInput, today: date, model: Scorecard) -> int | None:
    """Just the score of ``file`` (None when it cannot be scored)."""
    return explain_file(file, today, model).score
