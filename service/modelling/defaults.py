"""The defaults of the fit and of the population generator, in a module free of heavy
imports so that the command line can show them in ``--help`` without loading numpy."""

from datetime import date

#: Share of each class held out for validation.
TEST_SHARE = 0.3
#: Seed of the held-out split when none is given.
SPLIT_SEED = 7
#: Candidate cut points of a numeric characteristic for the exact search (equal-count
#: quantiles when it has more distinct values than this).
MAX_CANDIDATES = 100
#: A peak or valley in the bad rate replaces the best monotone trend only when its IV is
#: higher by this share of the monotone IV and by ``PEAK_MIN_IV_GAIN`` at least.
PEAK_MIN_GAIN = 0.1
PEAK_MIN_IV_GAIN = 0.02
#: Categories holding less than this share of the training rows are pooled before grouping.
RARE_CATEGORY_SHARE = 0.01
#: The smallest bin, as a share of the training rows (the missing bin is exempt). Below the
#: 5 % rule of thumb for pre-bins (Siddiqi 2006): the exact search keeps the bad rate on its
#: trend, so it cannot chase noise the way unconstrained splits do, and the finer bins rank
#: better on held-out rows (bench/bench_fit.py).
MIN_BIN_SHARE = 0.03
#: Readable cut points (4.4, 5, 2500, 24) are published when they cost at most this much
#: held-out AUC against the exact ones (issue 11); else the exact ones are.
MAX_ROUNDING_AUC_COST = 0.002
#: Two characteristics whose training WoE columns correlate above this carry much the same
#: information, and their coefficients become unstable (Siddiqi 2006, ch. 6, on
#: multicollinearity): the one with the lower IV is left out.
MAX_CORRELATION = 0.95
#: Siddiqi (2006), *Credit Risk Scorecards*: IV below 0.02 is "not predictive".
MIN_INFORMATION_VALUE = 0.02
#: Scaling: 700 points at odds of 30 goods to 1 bad, 65 points to double the odds. Chosen so
#: that the log-odds a file can reach here spread over most of the published 300-850 range.
BASE_SCORE, BASE_ODDS, PDO = 700.0, 30.0, 65.0
SCORE_MIN, SCORE_MAX = 300, 850
#: The day the shipped population is generated as of, when no other day is given.
REFERENCE_DAY = date(2026, 11, 26)
