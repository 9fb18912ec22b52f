"""Due process for a contested item (FCRA 611, 605B; GDPR 16, 18), with each rule's figure
next to its citation.

Pure functions of their arguments; no database, no clock.
"""

import functools
import re
from datetime import UTC, date, datetime, time, timedelta

import holidays

from service.furnishing.rules import FURNISHED_FIELDS

#: FCRA 611(a)(1)(A): the reinvestigation ends within 30 days of the dispute.
REINVESTIGATION_DAYS = 30
#: FCRA 611(a)(1)(B): 45 days when the subject adds information during the first 30.
EXTENDED_REINVESTIGATION_DAYS = 45
#: FCRA 611(a)(2)(A): the furnisher is told within 5 business days of the dispute.
FURNISHER_NOTICE_BUSINESS_DAYS = 5
#: FCRA 611(a)(6)(A): the subject is told the result within 5 business days of its end.
RESULT_NOTICE_BUSINESS_DAYS = 5
#: FCRA 611(a)(5)(B)(ii): a reinserted item is notified within 5 business days.
REINSERTION_NOTICE_BUSINESS_DAYS = 5
#: FCRA 605B(a): an item the subject shows came from identity theft is blocked within 4
#: business days of the subject's report and statement.
IDENTITY_THEFT_BLOCK_BUSINESS_DAYS = 4
#: FCRA 611(b)-(c): the subject's statement of dispute; the bureau may limit it to 100 words.
STATEMENT_MAX_WORDS = 100
#: The most characters a dispute's description or added information may hold.
DESCRIPTION_MAX_CHARS = 2000

#: The reasons a subject may give (API.md), and the one that asks for a 605B block.
REASONS = (
    "not_mine",
    "identity_theft",
    "wrong_balance",
    "wrong_status",
    "paid",
    "duplicate",
    "obsolete",
    "other",
)
IDENTITY_THEFT = "identity_theft"

#: The account fields a dispute may name: the furnished fields, less the date they are as of.
ACCOUNT_FIELDS = tuple(name for name in FURNISHED_FIELDS if name != "as_of")
#: The identity fields a dispute may name.
IDENTITY_FIELDS = ("given_name", "family_name", "date_of_birth", "national_id", "addresses")


@functools.cache
def _us_federal_holidays(year: int) -> holidays.HolidayBase:
    """US federal holidays (observed days included) from the maintained ``holidays``
    calendar: the days 'business day' skips besides weekends."""
    return holidays.country_holidays("US", years=year)


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _us_federal_holidays(day.year)


def add_business_days(day: date, days: int) -> date:
    """The business day ``days`` business days after ``day`` (weekends and US federal
    holidays skipped)."""
    current = day
    left = days
    while left > 0:
        current += timedelta(days=1)
        if is_business_day(current):
            left -= 1
    return current


def end_of(day: date) -> datetime:
    """The last moment of a day, in UTC: a deadline 'within N days' ends then."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC) - timedelta(
        microseconds=1
    )


def reinvestigation_due(filed_at: datetime, *, extended: bool) -> datetime:
    """When an unanswered dispute resolves for the subject: 30 (or 45) days after filing."""
    days = EXTENDED_REINVESTIGATION_DAYS if extended else REINVESTIGATION_DAYS
    return filed_at + timedelta(days=days)


def may_extend(filed_at: datetime, now: datetime) -> bool:
    """Information added during the first 30 days extends the deadline to 45."""
    return now < filed_at + timedelta(days=REINVESTIGATION_DAYS)


def block_due(filed_at: datetime) -> datetime:
    """When an identity-theft block must be in place: the end of the 4th business day."""
    return end_of(add_business_days(filed_at.date(), IDENTITY_THEFT_BLOCK_BUSINESS_DAYS))


def word_count(text: str) -> int:
    return len(re.findall(r"\S+", text))


def normalised(text: str) -> str:
    """Text compared for 'no new information': case and spacing do not count."""
    return " ".join(text.lower().split())
