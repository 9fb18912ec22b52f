"""Fit a points scorecard from a CSV of characteristics: the steps, in order, each fitted on
the training rows only, each in a module of its own.

1. the data set (``dataset``): read the CSV, and split it into training and held-out rows,
   stratified and seeded;
2. weight-of-evidence binning of every characteristic (``binning``), the direction of a
   Clearfile characteristic fixed by policy (``RISK_DIRECTION``);
3. information value per characteristic; those below ``MIN_INFORMATION_VALUE`` are left out;
4. logistic regression of the bad flag on the WoE columns (``logistic``); a characteristic
   whose coefficient has the wrong sign (risk falling where its WoE says it rises, a symptom
   of collinearity) is left out and the model refitted;
5. PDO scaling to integer points (``scaling``; the agreed format, see docs/model-card.md);
6. validation on the held-out rows, scored with the integer points (``validation``), and the
   report that shows it (``report``).

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
)
from service.modelling.dataset import (
    Column,
    Dataset,
    FitError,
    Kind,
    stratified_split,
)
from service.modelling.defaults import (
    BASE_ODDS,
    BASE_SCORE,
    MAX_PREBINS,
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
#: reasons are stated specifically). Titles, definitions and windows come from
#: service/scoring/engine/characteristics.py.
REASONS: dict[str, tuple[str, str]] = {
    "worst_delinquency_24m": (
        "P01",
        "Serious delinquency, collection or charge-off on an account in the last 24 months",
    ),
    "lates_30plus_24m": ("P02", "Number of payments 30 or more days late in the last 24 months"),
    "months_since_recent_delinquency": (
        "P03",
        "Too little time since the most recent late payment, collection or charge-off",
    ),
    "derogatory_count": ("P04", "Collections, charge-offs or bankruptcies on the file"),
    "revolving_utilisation_pct": (
        "U01",
        "Balances on revolving accounts are high relative to their limits",
    ),
    "accounts_with_balance": ("U02", "Number of accounts carrying a balance"),
    "oldest_account_months": ("H01", "Length of credit history: the oldest account is recent"),
    "average_account_age_months": ("H02", "Average age of the accounts is low"),
    "hard_inquiries_12m": (
        "C01",
        "Number of credit applications (hard inquiries) in the last 12 months",
    ),
    "accounts_opened_12m": ("C02", "Number of accounts opened in the last 12 months"),
    "credit_mix": ("M01", "No mix of open revolving and installment accounts"),
}


@dataclass
class FitOptions:
    seed: int = SPLIT_SEED
    test_share: float = TEST_SHARE
    max_prebins: int = MAX_PREBINS
    min_bin_share: float = MIN_BIN_SHARE
    min_information_value: float = MIN_INFORMATION_VALUE
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
    train, test = stratified_split(data.y, test_share=options.test_share, seed=options.seed)
    y_train, y_test = data.y[train], data.y[test]

    binnings = {
        column.name: fit_binning(
            Column(column.name, column.kind, column.values[train]),
            y_train,
            direction=options.directions.get(column.name),
            max_prebins=options.max_prebins,
            min_bin_share=options.min_bin_share,
        )
        for column in data.columns
    }
    iv = {name: b.information_value for name, b in binnings.items()}
    dropped: dict[str, str] = {}
    kept = _screen(data.columns, binnings, options.min_information_value, dropped)
    logistic = _regress(kept, binnings, train, y_train, dropped)

    scaling = Scaling.of(
        base_score=options.base_score, base_odds=options.base_odds, pdo=options.pdo
    )
    known = _definitions()
    characteristics = []
    points_of: dict[str, list[int]] = {}
    for position, (column, beta) in enumerate(
        zip(kept, logistic.coef.tolist(), strict=True), start=1
    ):
        binning = binnings[column.name]
        points = [
            scaling.points(b.woe, beta=beta, intercept=logistic.intercept, n=len(kept))
            for b in binning.bins
        ]
        points_of[column.name] = points
        characteristics.append(
            {
                "name": column.name,
                **_documentation(column.name, position, known),
                "kind": column.kind,
                "information_value": rounded(binning.information_value),
                "bins": [
                    _bin_json(b, p, binning.kind) for b, p in zip(binning.bins, points, strict=True)
                ],
            }
        )

    def score(rows: NDArray[np.int64]) -> NDArray[np.float64]:
        total = np.zeros(rows.size, dtype=np.int64)
        for column in kept:
            idx = binnings[column.name].index(Column(column.name, column.kind, column.values[rows]))
            total += np.array(points_of[column.name], dtype=np.int64)[idx]
        return np.clip(total, options.score_min, options.score_max).astype(np.float64)

    scores_test = score(test)
    predicted = scaling.bad_probability(scores_test)
    metrics = validation.metrics(
        scores_test=scores_test,
        y_test=y_test,
        scores_train=score(train),
        y_train=y_train,
        predicted=predicted,
    )
    truth_section: dict[str, Any] | None = None
    if truth is not None:
        truth_section = validation.against_truth(scores_test, y_test, truth[test], metrics["auc"])

    fit_section: dict[str, Any] = {
        "method": (
            "Weight-of-evidence binning on the training rows (quantile pre-bins, pooled "
            "adjacent violators for a monotone bad rate, minimum bin share, missing values in "
            "a bin of their own; categories grouped by bad rate), information value screen, "
            "maximum-likelihood logistic regression on the WoE columns (IRLS), PDO scaling "
            "to integer points; validated on a stratified held-out split"
        ),
        "seed": options.seed,
        "data": {
            "file": data.source,
            "sha256": data.sha256,
            "rows": data.rows,
            "target": data.target,
            "bad_label": data.bad_label,
        },
        "test_share": options.test_share,
        "n_train": int(train.size),
        "n_test": int(test.size),
        "bad_rate_train": rounded(float(y_train.mean())),
        "bad_rate_test": rounded(float(y_test.mean())),
        "binning": {
            "max_prebins": options.max_prebins,
            "min_bin_share": options.min_bin_share,
            "woe": f"ln(share of goods / share of bads), {WOE_SMOOTHING} added to each count",
        },
        "min_information_value": options.min_information_value,
        "metrics": metrics,
        "information_value": {name: rounded(v) for name, v in iv.items()},
        "intercept": rounded(logistic.intercept, 6),
        "coefficients": {
            c.name: rounded(b, 6) for c, b in zip(kept, logistic.coef.tolist(), strict=True)
        },
        "standard_errors": {
            c.name: rounded(s, 6) for c, s in zip(kept, logistic.stderr[1:].tolist(), strict=True)
        },
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
        "information_value": [
            {"characteristic": k, "information_value": rounded(v), "kept": k not in dropped}
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


def _screen(
    columns: tuple[Column, ...],
    binnings: Mapping[str, Binning],
    min_information_value: float,
    dropped: dict[str, str],
) -> list[Column]:
    """The characteristics with information enough to enter the regression; the others go
    into ``dropped`` with the reason."""
    kept = []
    for column in columns:
        value = binnings[column.name].information_value
        if len(binnings[column.name].bins) < 2:
            dropped[column.name] = "a single bin: no information"
        elif value < min_information_value:
            dropped[column.name] = f"information value {value:.4f} below {min_information_value}"
        else:
            kept.append(column)
    return kept


def _regress(
    kept: list[Column],
    binnings: Mapping[str, Binning],
    train: NDArray[np.int64],
    y_train: NDArray[np.int8],
    dropped: dict[str, str],
) -> Logistic:
    """The regression on the WoE columns of ``kept``; while a coefficient has the wrong sign,
    the worst of them is left out (removed from ``kept``, added to ``dropped``) and the
    model refitted."""
    woe_train = {
        c.name: binnings[c.name].woe(Column(c.name, c.kind, c.values[train])) for c in kept
    }
    while True:
        if not kept:
            raise FitError("no characteristic is predictive enough to build a scorecard")
        x = np.column_stack([woe_train[c.name] for c in kept])
        logistic = fit_logistic(x, y_train)
        wrong = [c for c, b in zip(kept, logistic.coef.tolist(), strict=True) if b >= 0]
        if not wrong:
            return logistic
        worst = max(wrong, key=lambda c: float(logistic.coef[kept.index(c)]))
        dropped[worst.name] = (
            "its coefficient had the wrong sign next to the others "
            f"({float(logistic.coef[kept.index(worst)]):+.3f}); left out and refitted"
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


def _bin_json(b: Bin, points: int, kind: Kind) -> dict[str, Any]:
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
    return out
