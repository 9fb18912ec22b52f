"""Fit a points scorecard from a CSV of characteristics: the steps, in order, each fitted on
the training rows only, each in a module of its own.

1. the data set (``dataset``): read the CSV, and split it into training and held-out rows,
   stratified and seeded;
2. weight-of-evidence binning of every characteristic (``binning``): the cut points with the
   largest information value under the minimum bin share and the trend (exact search), the
   trend of a Clearfile characteristic fixed by policy (``RISK_DIRECTION``), of any other
   column chosen from the data;
3. selection, each rule recorded with what it removed and why: information value below
   ``MIN_INFORMATION_VALUE``; WoE correlated above ``MAX_CORRELATION`` with a stronger
   characteristic; then
4. logistic regression of the bad flag on the WoE columns (``logistic``); a characteristic
   whose coefficient has the wrong sign (risk falling where its WoE says it rises, a symptom
   of collinearity) is left out and the model refitted;
5. PDO scaling to integer points (``scaling``; the agreed format, see docs/model-card.md);
6. steps 3-5 again with the cut points rounded to readable values (``binning.readable``);
   those are published when they cost at most ``MAX_ROUNDING_AUC_COST`` of held-out AUC;
7. validation on the held-out rows, scored with the integer points (``validation``), and the
   report that shows it (``report``), with what the rounding cost.

Only financial columns: a column or target that names a prohibited data category
(service/core/prohibited.py) is refused here too, however the data was read.

The fit needs numpy only; the same data, options and seed give the same model, byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from service.modelling import validation
from service.modelling.binning import (
    WOE_SMOOTHING,
    Bin,
    Binning,
    Direction,
    fit_binning,
    readable,
)
from service.modelling.dataset import (
    Column,
    Dataset,
    FitError,
    Kind,
    check_financial_only,
    stratified_split,
)
from service.modelling.defaults import (
    BASE_ODDS,
    BASE_SCORE,
    MAX_CANDIDATES,
    MAX_CORRELATION,
    MAX_ROUNDING_AUC_COST,
    MIN_BIN_SHARE,
    MIN_INFORMATION_VALUE,
    PDO,
    SCORE_MAX,
    SCORE_MIN,
    SPLIT_SEED,
    TEST_SHARE,
)
from service.modelling.logistic import Logistic, fit_logistic
from service.modelling.scaling import Scaling
from service.modelling.validation import rounded

#: Policy for the Clearfile characteristics: which way risk may move as the value grows.
#: Points can then never reward a late payment, a higher utilisation or a new inquiry, which
#: the explanation and recourse depend on; if the data disagrees, the binning flattens the
#: characteristic and it is left out. Other columns take the direction of their correlation.
RISK_DIRECTION: dict[str, Direction] = {
    "worst_delinquency_24m": "ascending",
    "lates_30plus_24m": "ascending",
    "months_since_recent_delinquency": "descending",
    "derogatory_count": "ascending",
    "revolving_utilisation_pct": "ascending",
    "accounts_with_balance": "ascending",
    "oldest_account_months": "descending",
    "average_account_age_months": "descending",
    "hard_inquiries_12m": "ascending",
    "accounts_opened_12m": "ascending",
}

#: The reason code and statement of each Clearfile characteristic (Reg B: the principal
#: reasons are stated specifically). Each claims something adverse, so a reason shows it
#: only for a value in a bin the model marks adverse, before the value and the best band
#: (explain.py's ``statement``); elsewhere the reason states the value and the best band.
#: Titles, definitions and windows come from service/scoring/engine/characteristics.py.
REASONS: dict[str, tuple[str, str]] = {
    "worst_delinquency_24m": ("P01", "Serious delinquency on an account"),
    "lates_30plus_24m": ("P02", "Too many late payments"),
    "months_since_recent_delinquency": ("P03", "A recent late payment, collection or charge-off"),
    "derogatory_count": ("P04", "Derogatory items on the file"),
    "revolving_utilisation_pct": (
        "U01",
        "Balances on revolving accounts are high relative to their limits",
    ),
    "accounts_with_balance": ("U02", "Too many accounts carrying a balance"),
    "oldest_account_months": ("H01", "A short credit history"),
    "average_account_age_months": ("H02", "Young accounts on average"),
    "hard_inquiries_12m": ("C01", "Too many recent credit applications (hard inquiries)"),
    "accounts_opened_12m": ("C02", "Too many accounts opened recently"),
    "credit_mix": ("M01", "No mix of open revolving and installment accounts"),
}


@dataclass
class FitOptions:
    seed: int = SPLIT_SEED
    test_share: float = TEST_SHARE
    max_candidates: int = MAX_CANDIDATES
    min_bin_share: float = MIN_BIN_SHARE
    min_information_value: float = MIN_INFORMATION_VALUE
    max_correlation: float = MAX_CORRELATION
    max_rounding_auc_cost: float = MAX_ROUNDING_AUC_COST
    base_score: float = BASE_SCORE
    base_odds: float = BASE_ODDS
    pdo: float = PDO
    score_min: int = SCORE_MIN
    score_max: int = SCORE_MAX
    version: str = "model"
    name: str = "Clearfile generic risk score"
    description: str = ""
    target_description: str = ""
    directions: Mapping[str, Direction] = field(default_factory=lambda: dict(RISK_DIRECTION))


@dataclass
class FitResult:
    """The model JSON, the validation report, and the held-out scores behind them."""

    model: dict[str, Any]
    report: dict[str, Any]
    scores_test: NDArray[np.float64]
    y_test: NDArray[np.int8]


def fit(
    data: Dataset, options: FitOptions, *, truth: NDArray[np.float64] | None = None
) -> FitResult:
    """Fit, scale and validate a scorecard (see the module docstring). ``truth``, the true
    P(bad) of every row when it is known, only adds a comparison to the validation."""
    if options.pdo <= 0 or options.base_odds <= 0:
        raise FitError("the points to double the odds and the base odds must be positive")
    if not options.score_min < options.score_max:
        raise FitError("the score range must run from a lower to a higher score")
    # However the data was read, no prohibited column gets into a scorecard.
    check_financial_only(
        [c.name for c in data.columns], target=data.target, prohibited="refuse", where="the data"
    )
    train, test = stratified_split(data.y, test_share=options.test_share, seed=options.seed)
    y_train, y_test = data.y[train], data.y[test]
    train_columns = {c.name: Column(c.name, c.kind, c.values[train]) for c in data.columns}

    exact = {
        column.name: fit_binning(
            train_columns[column.name],
            y_train,
            direction=options.directions.get(column.name),
            max_candidates=options.max_candidates,
            min_bin_share=options.min_bin_share,
        )
        for column in data.columns
    }
    scaling = Scaling.of(
        base_score=options.base_score, base_odds=options.base_odds, pdo=options.pdo
    )
    exact_card = _card(data, exact, train, test, options, scaling)
    rounded_binnings = {
        name: readable(b, train_columns[name].values, y_train) if b.kind == "numeric" else b
        for name, b in exact.items()
    }
    card, readable_auc = exact_card, exact_card.auc_test
    if any(rounded_binnings[n] is not exact[n] for n in exact):
        readable_card = _card(data, rounded_binnings, train, test, options, scaling)
        readable_auc = readable_card.auc_test
        if exact_card.auc_test - readable_auc <= options.max_rounding_auc_cost:
            card = readable_card
    binnings, kept, logistic, points_of = card.binnings, card.kept, card.logistic, card.points_of
    iv = {name: b.information_value for name, b in binnings.items()}
    dropped = {rule.characteristic: rule.why for rule in card.removed}

    known = _definitions()
    characteristics = []
    for position, column in enumerate(kept, start=1):
        binning = binnings[column.name]
        points = points_of[column.name]
        characteristics.append(
            {
                "name": column.name,
                **_documentation(column.name, position, known),
                "kind": column.kind,
                "information_value": rounded(binning.information_value),
                "trend": binning.direction,
                "bins": [
                    _bin_json(b, p, binning.kind, adverse=b.woe < 0)
                    for b, p in zip(binning.bins, points, strict=True)
                ],
            }
        )

    scores_test = card.scores_test
    predicted = scaling.bad_probability(scores_test)
    metrics = validation.metrics(
        scores_test=scores_test,
        y_test=y_test,
        scores_train=card.score(train),
        y_train=y_train,
        predicted=predicted,
    )
    truth_section: dict[str, Any] | None = None
    if truth is not None:
        truth_section = validation.against_truth(scores_test, y_test, truth[test], metrics["auc"])

    rounding = {
        "published": "readable" if card is not exact_card else "exact",
        "auc_exact": rounded(exact_card.auc_test),
        "auc_readable": rounded(readable_auc),
        "cost": rounded(exact_card.auc_test - readable_auc),
        "max_cost": options.max_rounding_auc_cost,
    }
    selection = [
        {"rule": r.rule, "characteristic": r.characteristic, "why": r.why} for r in card.removed
    ]
    fit_section: dict[str, Any] = {
        "method": (
            "Weight-of-evidence binning on the training rows: for each numeric characteristic "
            "the cut points with the largest information value under the minimum bin share "
            "and the trend of the bad rate (exact search by dynamic programming over "
            "candidate cut points; the trend set by policy, or else chosen from the data: "
            "ascending, descending, or one peak or valley when clearly better), then rounded "
            "to readable values when that costs little held-out AUC; missing values in a bin "
            "of their own; categories ordered by bad rate, rare ones pooled, grouped by the "
            "same search. Selection by information value, correlation and coefficient sign; "
            "maximum-likelihood logistic regression on the WoE columns (IRLS); PDO scaling to "
            "integer points; validated on a stratified held-out split"
        ),
        "seed": options.seed,
        "data": {
            "file": data.source,
            "sha256": data.sha256,
            "rows": data.rows,
            "target": data.target,
            "bad_label": data.bad_label,
        },
        "left_out_prohibited": {column: category for column, category in data.dropped},
        "test_share": options.test_share,
        "n_train": int(train.size),
        "n_test": int(test.size),
        "bad_rate_train": rounded(float(y_train.mean())),
        "bad_rate_test": rounded(float(y_test.mean())),
        "binning": {
            "max_candidates": options.max_candidates,
            "min_bin_share": options.min_bin_share,
            "woe": f"ln(share of goods / share of bads), {WOE_SMOOTHING} added to each count",
        },
        "rounding": rounding,
        "min_information_value": options.min_information_value,
        "max_correlation": options.max_correlation,
        "metrics": metrics,
        "information_value": {name: rounded(v) for name, v in iv.items()},
        "intercept": rounded(logistic.intercept, 6),
        "coefficients": {
            c.name: rounded(b, 6) for c, b in zip(kept, logistic.coef.tolist(), strict=True)
        },
        "standard_errors": {
            c.name: rounded(s, 6) for c, s in zip(kept, logistic.stderr[1:].tolist(), strict=True)
        },
        "selection": selection,
        "dropped": dropped,
    }
    if truth_section is not None:
        fit_section["truth"] = truth_section
    model = {
        "version": options.version,
        "name": options.name,
        "description": options.description,
        "score_range": {"min": options.score_min, "max": options.score_max},
        "scaling": {
            "base_score": options.base_score,
            "base_odds": options.base_odds,
            "pdo": options.pdo,
        },
        "target": options.target_description
        or f"{data.target} = {data.bad_label} (the bad outcome)",
        "characteristics": characteristics,
        "fit": fit_section,
    }
    report = {
        "version": options.version,
        "metrics": metrics,
        "truth": truth_section,
        "n_train": int(train.size),
        "n_test": int(test.size),
        "bad_rate_test": rounded(float(y_test.mean())),
        "left_out_prohibited": fit_section["left_out_prohibited"],
        "rounding": rounding,
        "selection": selection,
        "information_value": [
            {
                "characteristic": k,
                "information_value": rounded(v),
                "trend": binnings[k].direction,
                "kept": k not in dropped,
            }
            for k, v in sorted(iv.items(), key=lambda item: -item[1])
        ],
        "dropped": dropped,
        "score_bands": validation.bands(scores_test, y_test, options.score_min, options.score_max),
        "calibration": validation.calibration(
            scores_test, predicted, y_test, None if truth is None else truth[test]
        ),
        "score_distribution": validation.distribution(
            scores_test, y_test, options.score_min, options.score_max
        ),
    }
    return FitResult(model=model, report=report, scores_test=scores_test, y_test=y_test)


@dataclass(frozen=True)
class Removal:
    """A characteristic a selection rule left out, and why."""

    rule: str
    characteristic: str
    why: str


@dataclass
class _Card:
    """One candidate scorecard: its binnings, the characteristics kept, the regression, the
    integer points, and its held-out AUC."""

    data: Dataset
    binnings: Mapping[str, Binning]
    kept: list[Column]
    logistic: Logistic
    points_of: dict[str, list[int]]
    removed: list[Removal]
    score_min: int
    score_max: int
    scores_test: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    auc_test: float = 0.0

    def score(self, rows: NDArray[np.int64]) -> NDArray[np.float64]:
        total = np.zeros(rows.size, dtype=np.int64)
        for column in self.kept:
            values = Column(column.name, column.kind, column.values[rows])
            idx = self.binnings[column.name].index(values)
            total += np.array(self.points_of[column.name], dtype=np.int64)[idx]
        return np.clip(total, self.score_min, self.score_max).astype(np.float64)


def _card(
    data: Dataset,
    binnings: Mapping[str, Binning],
    train: NDArray[np.int64],
    test: NDArray[np.int64],
    options: FitOptions,
    scaling: Scaling,
) -> _Card:
    """Select, regress and scale on the training rows; score the held-out rows."""
    y_train = data.y[train]
    removed: list[Removal] = []
    kept = _screen(data.columns, binnings, options.min_information_value, removed)
    woe_train = {
        c.name: binnings[c.name].woe(Column(c.name, c.kind, c.values[train])) for c in kept
    }
    kept = _decorrelate(kept, binnings, woe_train, options.max_correlation, removed)
    logistic = _regress(kept, woe_train, y_train, removed)
    points_of = {
        column.name: [
            scaling.points(b.woe, beta=beta, intercept=logistic.intercept, n=len(kept))
            for b in binnings[column.name].bins
        ]
        for column, beta in zip(kept, logistic.coef.tolist(), strict=True)
    }
    card = _Card(
        data, binnings, kept, logistic, points_of, removed, options.score_min, options.score_max
    )
    card.scores_test = card.score(test)
    card.auc_test = validation.auc(-card.scores_test, data.y[test])
    return card


def _screen(
    columns: tuple[Column, ...],
    binnings: Mapping[str, Binning],
    min_information_value: float,
    removed: list[Removal],
) -> list[Column]:
    """The characteristics with information enough to enter the regression; the others go
    into ``removed`` with the reason (rule "information value")."""
    kept = []
    for column in columns:
        value = binnings[column.name].information_value
        if len(binnings[column.name].bins) < 2:
            why = "a single bin: no information"
        elif value < min_information_value:
            why = f"information value {value:.4f} below {min_information_value}"
        else:
            kept.append(column)
            continue
        removed.append(Removal("information value", column.name, why))
    return kept


def _decorrelate(
    kept: list[Column],
    binnings: Mapping[str, Binning],
    woe_train: Mapping[str, NDArray[np.float64]],
    max_correlation: float,
    removed: list[Removal],
) -> list[Column]:
    """Strongest first, each characteristic whose training WoE correlates above
    ``max_correlation`` with one already kept is left out (rule "correlation")."""
    order = sorted(kept, key=lambda c: -binnings[c.name].information_value)
    chosen: list[Column] = []
    for column in order:
        x = woe_train[column.name]
        worst = None
        for other in chosen:
            r = float(np.corrcoef(x, woe_train[other.name])[0, 1])
            if abs(r) > max_correlation and (worst is None or abs(r) > abs(worst[1])):
                worst = (other.name, r)
        if worst is None:
            chosen.append(column)
        else:
            removed.append(
                Removal(
                    "correlation",
                    column.name,
                    f"its WoE correlates {worst[1]:+.2f} with {worst[0]} (stronger), above "
                    f"{max_correlation}",
                )
            )
    return [c for c in kept if c in chosen]


def _regress(
    kept: list[Column],
    woe_train: Mapping[str, NDArray[np.float64]],
    y_train: NDArray[np.int8],
    removed: list[Removal],
) -> Logistic:
    """The regression on the WoE columns of ``kept``; while a coefficient has the wrong sign,
    the worst of them is left out (removed from ``kept``, rule "sign") and the model
    refitted."""
    while True:
        if not kept:
            raise FitError("no characteristic is predictive enough to build a scorecard")
        x = np.column_stack([woe_train[c.name] for c in kept])
        logistic = fit_logistic(x, y_train)
        wrong = [c for c, b in zip(kept, logistic.coef.tolist(), strict=True) if b >= 0]
        if not wrong:
            return logistic
        worst = max(wrong, key=lambda c: float(logistic.coef[kept.index(c)]))
        removed.append(
            Removal(
                "sign",
                worst.name,
                "its coefficient had the wrong sign next to the others "
                f"({float(logistic.coef[kept.index(worst)]):+.3f}); left out and refitted",
            )
        )
        kept.remove(worst)


def _definitions() -> dict[str, Any]:
    """Titles, definitions and windows of the Clearfile characteristics."""
    from service.scoring.engine.characteristics import BY_NAME

    return dict(BY_NAME)


def _documentation(name: str, position: int, known: Mapping[str, Any]) -> dict[str, str]:
    definition = known.get(name)
    code, text = REASONS.get(
        name, (f"X{position:02d}", f"The value of {name} is associated with higher risk")
    )
    if definition is None:
        return {
            "title": name.replace("_", " ").capitalize(),
            "definition": f"Column {name!r} of the data the model was fitted on",
            "window": "as in the data",
            "reason_code": code,
            "reason_text": text,
        }
    return {
        "title": definition.title,
        "definition": definition.definition,
        "window": definition.window,
        "reason_code": code,
        "reason_text": text,
    }


def _bin_json(b: Bin, points: int, kind: Kind, *, adverse: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"label": b.label}
    if b.missing:
        out["missing"] = True
    elif kind == "numeric":
        out["lower"] = b.lower
        out["upper"] = b.upper
    else:
        out["values"] = list(b.values)
    out["points"] = points
    out["woe"] = rounded(b.woe)
    out["n_train"] = b.n
    out["bad_rate_train"] = rounded(b.bad_rate)
    # Riskier than the training population as a whole: the band the model card documents as
    # adverse, the only one a reason statement may call high, many or recent.
    out["adverse"] = adverse
    return out
