"""Logistic regression of the bad flag on the WoE columns, by maximum likelihood."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Logistic:
    intercept: float
    coef: NDArray[np.float64]
    stderr: NDArray[np.float64]  # intercept first
    iterations: int


def fit_logistic(
    x: NDArray[np.float64], y: NDArray[np.int8], *, tol: float = 1e-10, max_iter: int = 100
) -> Logistic:
    """Maximum-likelihood logistic regression of ``y`` (1 bad) on ``x`` by Newton-Raphson
    (iteratively reweighted least squares)."""
    design = np.column_stack([np.ones(y.size), x])
    beta = np.zeros(design.shape[1])
    prior = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
    beta[0] = math.log(prior / (1 - prior))
    ridge = 1e-9 * np.eye(design.shape[1])
    hessian = ridge
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        w = p * (1 - p)
        hessian = (design * w[:, None]).T @ design + ridge
        step = np.linalg.solve(hessian, design.T @ (y - p))
        beta = beta + step
        if float(np.max(np.abs(step))) < tol:
            break
    stderr = np.sqrt(np.diag(np.linalg.inv(hessian)))
    return Logistic(float(beta[0]), beta[1:].copy(), stderr, iterations)
