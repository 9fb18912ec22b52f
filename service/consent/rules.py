"""Who may read a file, with the figures and citations of each rule.

Pure functions of their arguments; no database, no clock.
"""

from datetime import UTC, date, datetime, time

from schemas.common import Purpose
from schemas.consent import ConsentScope, ConsentState
from service.file.rules import add_months, add_years

#: GDPR 7 and the bureau's policy: a consent is time-limited; it may run at most 12 months.
MAX_CONSENT_MONTHS = 12

#: FCRA 605A(a)(1): an initial fraud alert stays on the file for 1 year.
INITIAL_FRAUD_ALERT_YEARS = 1
#: FCRA 605A(b)(1): an extended fraud alert stays on the file for 7 years.
EXTENDED_FRAUD_ALERT_YEARS = 7

#: FCRA 605A(i)(4): a security freeze refuses reports for new credit. These are the purposes
#: it refuses; account review, tenant screening, insurance and employment are exempt.
FREEZE_REFUSES: tuple[Purpose, ...] = (Purpose.credit_application, Purpose.prequalification)

#: FCRA 604(b)(2): a report for employment needs the consumer's written authorisation.
EXPLICIT_CONFIRMATION_REQUIRED: frozenset[Purpose] = frozenset({Purpose.employment})

#: The permissible purpose (FCRA 604(a)) each consent relies on, and what it means.
PURPOSE_BASIS: dict[Purpose, tuple[str, str]] = {
    Purpose.credit_application: (
        "FCRA 604(a)(3)(A): a credit transaction the consumer applied for",
        "Deciding on an application for credit",
    ),
    Purpose.account_review: (
        "FCRA 604(a)(3)(A): review of an existing account",
        "Reviewing an account the consumer already holds",
    ),
    Purpose.prequalification: (
        "FCRA 604(a)(2): the consumer's written instructions",
        "Telling the consumer what credit they might qualify for (no application)",
    ),
    Purpose.tenant_screening: (
        "FCRA 604(a)(3)(F)(i): a business transaction the consumer initiated (a tenancy)",
        "Screening a tenancy application",
    ),
    Purpose.insurance: (
        "FCRA 604(a)(3)(C): underwriting insurance the consumer applied for",
        "Underwriting an insurance application",
    ),
    Purpose.employment: (
        "FCRA 604(a)(3)(B) and 604(b)(2): employment, with written authorisation",
        "Evaluating the consumer for employment",
    ),
}

#: GDPR 6(1)(a) and 7: every read rests on the consumer's consent as well as its purpose.
CONSENT_BASIS = "GDPR 6(1)(a) and 7: the data subject's consent, withdrawable at any time"

#: The data categories each scope discloses (GDPR 13(1)(e), 15(1)(b)).
SCOPE_CATEGORIES: dict[ConsentScope, tuple[str, ...]] = {
    ConsentScope.report: (
        "identity (name, date of birth, addresses, last four digits of the national id)",
        "accounts as furnished, with their compliance condition codes",
        "hard inquiries",
        "public records (bankruptcies)",
        "fraud alerts",
    ),
    ConsentScope.score: (
        "credit score, its model version and range",
        "the score's factors and key reasons",
    ),
}


def start_of(day: date) -> datetime:
    """The moment a day begins, in UTC: when a consent or an alert that ends on it ends."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def latest_consent_expiry(today: date) -> date:
    return add_months(today, MAX_CONSENT_MONTHS)


def consent_state(*, expires_on: date, revoked_at: datetime | None, now: datetime) -> ConsentState:
    """Revoked wins over expired: a consent revoked before it ran out says so."""
    if revoked_at is not None:
        return ConsentState.revoked
    if now >= start_of(expires_on):
        return ConsentState.expired
    return ConsentState.active


def fraud_alert_expires_on(kind: str, placed_on: date) -> date:
    years = INITIAL_FRAUD_ALERT_YEARS if kind == "initial" else EXTENDED_FRAUD_ALERT_YEARS
    return add_years(placed_on, years)


def fraud_alert_active(*, expires_on: date, removed_at: datetime | None, now: datetime) -> bool:
    return removed_at is None and now < start_of(expires_on)


def freeze_refuses(purpose: Purpose) -> bool:
    return purpose in FREEZE_REFUSES
