"""Logistic regression by IRLS, and the validation metrics on small cases."""

import numpy as np
import pytest

from service.modelling.logistic import fit_logistic
from service.modelling.validation import auc, ks


def test_logistic_regression_recovers_known_coefficients() -> None:
    rng = np.random.default_rng(11)
    x = rng.standard_normal((50_000, 2))
    p = 1 / (1 + np.exp(-(-2.0 + 1.2 * x[:, 0] - 0.7 * x[:, 1])))
    y = (rng.random(50_000) < p).astype(np.int8)
    model = fit_logistic(x, y)
    assert model.intercept == pytest.approx(-2.0, abs=0.06)
    assert model.coef.tolist() == pytest.approx([1.2, -0.7], abs=0.06)
    assert all(0 < s < 0.05 for s in model.stderr.tolist())


def test_auc_and_ks_on_small_cases() -> None:
    y = np.array([0, 0, 1, 1], dtype=np.int8)
    assert auc(np.array([1.0, 2.0, 3.0, 4.0]), y) == 1.0
    assert auc(np.array([4.0, 3.0, 2.0, 1.0]), y) == 0.0
    assert auc(np.array([1.0, 1.0, 1.0, 1.0]), y) == 0.5
    assert auc(np.array([1.0, 3.0, 2.0, 4.0]), y) == 0.75
    assert ks(np.array([1.0, 2.0, 3.0, 4.0]), y) == 1.0
    assert ks(np.array([1.0, 3.0, 2.0, 4.0]), y) == 0.5
