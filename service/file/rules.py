"""What is on the file: deletion by the furnisher, and obsolescence (FCRA 605).

Pure functions of the item and ``today``; no database, no clock.
"""

from datetime import date, datetime, timedelta

#: FCRA 605(a)(4)-(5): adverse items are reported for 7 years.
ADVERSE_ITEM_YEARS = 7
#: FCRA 605(c)(1): for collections and charge-offs the 7 years run from the end of the
#: 180-day period that begins on the date of first delinquency.
COLLECTION_CHARGE_OFF_DELAY = timedelta(days=180)
#: FCRA 605(a)(1): a bankruptcy is reported for 10 years from the order for relief.
BANKRUPTCY_YEARS = 10
#: Industry practice (not statute): a completed (discharged) Chapter 13 leaves after 7 years.
COMPLETED_CHAPTER_13_YEARS = 7
#: Industry practice: an inquiry is shown for 24 months (FCRA 609(a)(3) requires the last
#: 12, and 24 for an employment purpose).
INQUIRY_SHOWN_MONTHS = 24

#: FCRA 604 and industry practice: a read for a credit application is a hard inquiry (shown to
#: lenders and scored); a read for any other permissible purpose is soft (shown only to the
#: subject).
HARD_INQUIRY_PURPOSES = frozenset({"credit_application"})

#: Metro 2 compliance condition codes the bureau shows on a contested account: XB while it is
#: disputed (GDPR 18, FCRA 623(a)(3)), XC when the consumer disagrees after the investigation
#: (a statement of dispute, FCRA 611(b)).
DISPUTED_CODE = "XB"
DISAGREES_CODE = "XC"
#: The flags a dispute puts on an item: contested now, or taken off the file.
DISPUTED = "disputed"
SUPPRESSED = "suppressed"

#: Metro 2 status DA: the furnisher deleted the account; it is no longer on the file.
DELETED_STATUS = "DA"
#: Metro 2 status codes of a collection or a charge-off.
COLLECTION_OR_CHARGE_OFF_STATUSES = frozenset({"93", "97"})


def add_years(day: date, years: int) -> date:
    """``day`` plus whole years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def account_obsolete_on(
    *, status: str, account_type: str, date_of_first_delinquency: date | None
) -> date | None:
    """The day an adverse account leaves the file, or None if it carries no adverse item."""
    if date_of_first_delinquency is None:
        return None
    if status in COLLECTION_OR_CHARGE_OFF_STATUSES or account_type == "collection":
        start = date_of_first_delinquency + COLLECTION_CHARGE_OFF_DELAY
    else:
        start = date_of_first_delinquency
    return add_years(start, ADVERSE_ITEM_YEARS)


def bankruptcy_obsolete_on(*, chapter: int, status: str, filed_on: date) -> date:
    if chapter == 13 and status == "discharged":
        return add_years(filed_on, COMPLETED_CHAPTER_13_YEARS)
    return add_years(filed_on, BANKRUPTCY_YEARS)


def inquiry_obsolete_on(at: datetime) -> date:
    return add_months(at.date(), INQUIRY_SHOWN_MONTHS)


def inquiry_kind(purpose: str) -> str:
    """``hard`` for a credit application, ``soft`` for any other purpose."""
    return "hard" if purpose in HARD_INQUIRY_PURPOSES else "soft"


def is_obsolete(obsolete_on: date | None, today: date) -> bool:
    return obsolete_on is not None and today >= obsolete_on


def latest_obsolete_inquiry_day(today: date) -> date:
    """Any inquiry made after this day cannot be obsolete yet (a SQL pre-filter).

    ``today`` less the months shown, plus one day: an inquiry of 29 February leaves on
    28 February, so on that day inquiries of the 29th are due as well as those of the 28th."""
    return add_months(today, -INQUIRY_SHOWN_MONTHS) + timedelta(days=1)


def earliest_possible_obsolete_cutoff(today: date) -> date:
    """Any adverse item dated after this day cannot be obsolete yet (a SQL pre-filter)."""
    return add_years(today, -ADVERSE_ITEM_YEARS)


# --- on the file: the one filter of what a report shows and a score reads ------------------


def account_on_file(
    *, status: str, account_type: str, date_of_first_delinquency: date | None, today: date
) -> bool:
    """An account is on the file unless its furnisher deleted it or it is obsolete."""
    return status != DELETED_STATUS and not is_obsolete(
        account_obsolete_on(
            status=status,
            account_type=account_type,
            date_of_first_delinquency=date_of_first_delinquency,
        ),
        today,
    )


def inquiry_on_file(*, at: datetime, today: date) -> bool:
    """An inquiry is on the file while it is shown (``INQUIRY_SHOWN_MONTHS``)."""
    return not is_obsolete(inquiry_obsolete_on(at), today)


def public_record_on_file(*, chapter: int, status: str, filed_on: date, today: date) -> bool:
    """A bankruptcy is on the file until it is obsolete."""
    return not is_obsolete(
        bankruptcy_obsolete_on(chapter=chapter, status=status, filed_on=filed_on), today
    )
