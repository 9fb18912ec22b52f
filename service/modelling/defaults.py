"""The defaults of the fit and of the population generator, in a module free of heavy
imports so that the command line can show them in ``--help`` without loading numpy."""

from datetime import date

#: Share of each class held out for validation.
TEST_SHARE = 0.3
#: Seed of the held-out split when none is given.
SPLIT_SEED = 7
#: Quantile pre-bins of a numeric characteristic before merging.
MAX_PREBINS = 20
#: The smallest bin, as a share of the training rows (the missing bin is exempt).
MIN_BIN_SHARE = 0.05
#: Siddiqi (2006), *Credit Risk Scorecards*: IV below 0.02 is "not predictive".
MIN_INFORMATION_VALUE = 0.02
#: Scaling: 700 points at odds of 30 goods to 1 bad, 65 points to double the odds. Chosen so
#: that the log-odds a file can reach here spread over most of the published 300-850 range.
BASE_SCORE, BASE_ODDS, PDO = 700.0, 30.0, 65.0
SCORE_MIN, SCORE_MAX = 300, 850
#: The day the shipped population is generated as of, when no other day is given.
REFERENCE_DAY = date(2026, 11, 26)
