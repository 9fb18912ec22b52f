"""Logistic regression of the bad flag on the WoE columns, by maximum likelihood."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

#: How often a Newton step that lowers the likelihood is halved before it is taken anyway.
MAX_STEP_HALVINGS = 30


@dataclass(frozen=True)
class Logistic:
    intercept: float
    coef: NDArray[np.float64]
    stderr: NDArray[np.float64]  # intercept first
    iterations: int


def _log_likelihood(
    design: NDArray[np.float64], y: NDArray[np.int8], beta: NDArray[np.float64]
) -> float:
    eta = design @ beta
    # log(1 + e^eta) without overflow
    return float(np.sum(y * eta - np.logaddexp(0.0, eta)))


def fit_logistic(
    x: NDArray[np.float64], y: NDArray[np.int8], *, tol: float = 1e-10, max_iter: int = 100
) -> Logistic:
    """Maximum-likelihood logistic regression of ``y`` (1 bad) on ``x`` by Newton-Raphson
    (iteratively reweighted least squares). A step that would lower the likelihood is halved
    until it does not (``MAX_STEP_HALVINGS`` times at most), so that the iteration cannot
    overshoot and diverge when a WoE column is large."""
    design = np.column_stack([np.ones(y.size), x])
    beta = np.zeros(design.shape[1])
    prior = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
    beta[0] = math.log(prior / (1 - prior))
    ridge = 1e-9 * np.eye(design.shape[1])
    hessian = ridge
    iterations = 0
    current = _log_likelihood(design, y, beta)
    while iterations < max_iter:
        iterations += 1
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ beta, -500, 500)))
        w = p * (1 - p)
        hessian = (design * w[:, None]).T @ design + ridge
        step = np.linalg.solve(hessian, design.T @ (y - p))
        for _ in range(MAX_STEP_HALVINGS):
            trial = _log_likelihood(design, y, beta + step)
            if trial >= current - 1e-12:
                break
            step = step / 2
        beta = beta + step
        current = _log_likelihood(design, y, beta)
        if float(np.max(np.abs(step))) < tol:
            break
    stderr = np.sqrt(np.diag(np.linalg.inv(hessian)))
    return Logistic(float(beta[0]), beta[1:].copy(), stderr, iterations)
