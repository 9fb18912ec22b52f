"""Validation of a fitted scorecard on the held-out rows, scored with its integer points:
AUC, KS, Gini and Brier score, bad rate by score band, calibration by decile of predicted
risk, and the score distribution."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: Width of the score bands of the validation report.
SCORE_BAND_WIDTH = 50
CALIBRATION_GROUPS = 10


def rounded(x: float, digits: int = 4) -> float:
    """A figure as the model and the report publish it."""
    return round(float(x), digits)


def auc(score: NDArray[np.float64], y: NDArray[np.int8]) -> float:
    """Area under the ROC curve of ``score`` ranking bads (y = 1) above goods; ties count
    half (Mann-Whitney)."""
    n_bad = int(y.sum())
    n_good = y.size - n_bad
    if n_bad == 0 or n_good == 0:
        return math.nan
    _, inverse, counts = np.unique(score, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    avg_rank = ends - (counts - 1) / 2.0  # 1-based average rank of each distinct value
    rank_sum = float(avg_rank[inverse][y == 1].sum())
    return (rank_sum - n_bad * (n_bad + 1) / 2) / (n_bad * n_good)


def ks(score: NDArray[np.float64], y: NDArray[np.int8]) -> float:
    """Kolmogorov-Smirnov: the largest gap between the score distributions of bads and
    goods."""
    values = np.unique(score)
    bad_cdf = np.searchsorted(np.sort(score[y == 1]), values, side="right") / max(1, y.sum())
    good_cdf = np.searchsorted(np.sort(score[y == 0]), values, side="right") / max(
        1, (y == 0).sum()
    )
    return float(np.max(np.abs(bad_cdf - good_cdf)))


def rank_correlation(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    """Spearman's rank correlation (ties share a rank)."""
    ra = np.unique(a, return_inverse=True)[1].astype(np.float64)
    rb = np.unique(b, return_inverse=True)[1].astype(np.float64)
    return float(np.corrcoef(ra, rb)[0, 1])


def metrics(
    *,
    scores_test: NDArray[np.float64],
    y_test: NDArray[np.int8],
    scores_train: NDArray[np.float64],
    y_train: NDArray[np.int8],
    predicted: NDArray[np.float64],
) -> dict[str, float]:
    """AUC, KS and Gini on the held-out rows, AUC on the training rows, and the Brier score
    of the P(bad) the held-out scores stand for (``predicted``)."""
    # A higher score means safer: rank bads by the negated score.
    result = {
        "auc": rounded(auc(-scores_test, y_test)),
        "ks": rounded(ks(scores_test, y_test)),
        "gini": rounded(2 * auc(-scores_test, y_test) - 1),
        "auc_train": rounded(auc(-scores_train, y_train)),
    }
    result["brier"] = rounded(float(np.mean((predicted - y_test) ** 2)), 5)
    return result


def against_truth(
    scores: NDArray[np.float64], y: NDArray[np.int8], truth: NDArray[np.float64], model_auc: float
) -> dict[str, float]:
    """How the held-out scores compare with the true P(bad) of the same rows, when known."""
    return {
        "auc_of_true_probability": rounded(auc(truth, y)),
        "auc_share_of_ceiling": rounded(model_auc / auc(truth, y)),
        "rank_correlation_score_vs_true_probability": rounded(rank_correlation(-scores, truth)),
        "mean_true_probability": rounded(float(truth.mean())),
    }


def bands(
    scores: NDArray[np.float64], y: NDArray[np.int8], score_min: int, score_max: int
) -> list[dict[str, Any]]:
    """Rows and bad rate per ``SCORE_BAND_WIDTH``-point band of the score range."""
    rows = []
    lo = score_min
    while lo < score_max:
        hi = lo + SCORE_BAND_WIDTH
        last = hi >= score_max
        inside = (scores >= lo) & ((scores <= score_max) if last else (scores < hi))
        n = int(inside.sum())
        rows.append(
            {
                "band": f"{lo}-{score_max if last else hi - 1}",
                "n": n,
                "share": rounded(n / max(1, scores.size)),
                "bads": int(y[inside].sum()),
                "bad_rate": rounded(float(y[inside].mean())) if n else None,
            }
        )
        lo = hi
    return rows


def calibration(
    scores: NDArray[np.float64],
    predicted: NDArray[np.float64],
    y: NDArray[np.int8],
    truth: NDArray[np.float64] | None,
) -> list[dict[str, Any]]:
    """Predicted and observed bad rate per decile of predicted risk, riskiest first."""
    order = np.argsort(-predicted, kind="stable")
    rows = []
    for k, part in enumerate(np.array_split(order, CALIBRATION_GROUPS), start=1):
        if part.size == 0:
            continue
        row: dict[str, Any] = {
            "decile": k,
            "n": int(part.size),
            "score_min": int(scores[part].min()),
            "score_max": int(scores[part].max()),
            "predicted_bad_rate": rounded(float(predicted[part].mean())),
            "observed_bad_rate": rounded(float(y[part].mean())),
        }
        if truth is not None:
            row["true_bad_probability"] = rounded(float(truth[part].mean()))
        rows.append(row)
    return rows


def distribution(
    scores: NDArray[np.float64], y: NDArray[np.int8], score_min: int, score_max: int
) -> dict[str, Any]:
    """Percentiles of the scores, and how many sit at the floor and at the ceiling."""
    return {
        "min": int(scores.min()),
        "p10": int(np.percentile(scores, 10)),
        "median": int(np.median(scores)),
        "mean": rounded(float(scores.mean()), 1),
        "p90": int(np.percentile(scores, 90)),
        "max": int(scores.max()),
        "median_good": int(np.median(scores[y == 0])),
        "median_bad": int(np.median(scores[y == 1])),
        "at_floor": int((scores <= score_min).sum()),
        "at_ceiling": int((scores >= score_max).sum()),
    }
