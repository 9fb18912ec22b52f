"""PDO scaling: from the logistic regression's log-odds to integer points per bin.

A score ``s`` stands for the odds (good:bad) ``base_odds * 2 ** ((s - base_score) / pdo)``:
``base_score`` points at ``base_odds``, and every ``pdo`` points more double the odds. With
``factor = pdo / ln 2`` and ``offset = base_score - factor * ln(base_odds)``, the points of a
bin of one of ``n`` characteristics are
``round(-(woe * beta + intercept / n) * factor + offset / n)``, so that the points of a file
add up to its scaled log-odds. The defaults (``BASE_SCORE``, ``BASE_ODDS``, ``PDO`` and the
score range) are in service/modelling/defaults.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Scaling:
    """``factor`` and ``offset`` of the PDO scaling (see the module docstring)."""

    factor: float
    offset: float

    @classmethod
    def of(cls, *, base_score: float, base_odds: float, pdo: float) -> Scaling:
        factor = pdo / math.log(2)
        return cls(factor=factor, offset=base_score - factor * math.log(base_odds))

    def points(self, woe: float, *, beta: float, intercept: float, n: int) -> int:
        """The integer points of a bin with ``woe``, in a model of ``n`` characteristics."""
        return round(-(woe * beta + intercept / n) * self.factor + self.offset / n)

    def bad_probability(self, scores: NDArray[np.float64]) -> NDArray[np.float64]:
        """The P(bad) a score stands for (the inverse of the scaling)."""
        result: NDArray[np.float64] = 1.0 / (1.0 + np.exp((scores - self.offset) / self.factor))
        return result
