"""Scoring rules with their figures: minimum scoring criteria and the key-factor limits.

Pure: no database, no clock. The criteria are evaluated with the characteristics
(``engine.characteristics.CRITERIA``).
"""

from dataclasses import dataclass
from datetime import date

#: The industry's minimum scoring criteria (not statute): a file is
#: scored only when at least one account was opened this many months ago or more ...
MIN_OLDEST_ACCOUNT_MONTHS = 6
#: ... and at least one account was reported (its ``as_of``) within this many months.
MAX_MONTHS_SINCE_REPORTED = 6

#: FCRA 609(f)(1)(C) and (f)(2)(B), disclosed in the FCRA 615(a) adverse action notice (and
#: Reg B 12 CFR 1002.9(b)(2), reasons chosen by points below maximum): up to 4 key factors that
#: adversely affected the score, in order of their effect on it ...
MAX_KEY_FACTORS = 4
#: ... and FCRA 609(f)(9): a 5th when the number of inquiries was a key factor but was not
#: already among the 4.
INQUIRY_CHARACTERISTIC = "hard_inquiries_12m"

#: The payment-history profile holds 24 months (Metro 2), newest month first.
HISTORY_MONTHS = 24


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end`` (0 when ``end`` is not after ``start``).

    A month is complete on the same day of the month: 15 March to 15 September is 6 months,
    to 14 September 5. The same definition serves every window and every age below, so a
    day is "within the last N months" exactly when ``months_between(day, today) < N``.
    """
    months = (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)
    return months if months > 0 else 0


def calendar_months_between(start: date, end: date) -> int:
    """Calendar months from ``start``'s month to ``end``'s month (0 when not after).

    Payment-history profiles are monthly buckets, so they are aligned by calendar month.
    """
    months = (end.year - start.year) * 12 + end.month - start.month
    return months if months > 0 else 0


@dataclass(frozen=True, slots=True)
class NoScoreReason:
    code: str
    text: str


NO_ACCOUNT_OLD_ENOUGH = NoScoreReason(
    "NS01",
    f"No account on the file was opened {MIN_OLDEST_ACCOUNT_MONTHS} months ago or more",
)
NO_RECENT_REPORT = NoScoreReason(
    "NS02",
    f"No account on the file was reported in the last {MAX_MONTHS_SINCE_REPORTED} months",
)
