"""Between a Metro 2 base segment and Clearfile's furnished account fields.

Money: Metro 2 holds whole dollars, Clearfile cents. Writing truncates the cents; reading
keeps the stored amount when the file's dollars are that amount truncated, so a file that
only loses the cents changes nothing. A zero amount is Metro 2's "not applicable": a zero
credit limit or original amount reads as none (unless the stored one truncates to zero).
"""

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from schemas.furnishing import AccountStatus, AccountType
from service.metro2 import rules

CENTS_PER_DOLLAR = 100

#: Clearfile's account type as Metro 2 (Portfolio Type, Account Type): a credit card, an
#: unsecured loan, a conventional mortgage, a flexible spending (charge) card, and a
#: collection agency's account.
METRO2_TYPE: dict[AccountType, tuple[str, str]] = {
    AccountType.revolving: ("R", "18"),
    AccountType.installment: ("I", "01"),
    AccountType.mortgage: ("M", "26"),
    AccountType.open: ("O", "0G"),
    AccountType.collection: ("O", "48"),
}
#: Metro 2 Account Types that are collections whatever their portfolio (collection
#: agency or attorney, debt buyer).
COLLECTION_ACCOUNT_TYPES = frozenset({"48", "0C"})
#: Clearfile's account type for each Metro 2 Portfolio Type (a line of credit revolves).
TYPE_OF_PORTFOLIO: dict[str, AccountType] = {
    "R": AccountType.revolving,
    "C": AccountType.revolving,
    "I": AccountType.installment,
    "M": AccountType.mortgage,
    "O": AccountType.open,
}
#: Terms Duration and Frequency written for each type: Clearfile keeps no terms, so a
#: loan's duration is written as unknown (000).
TERMS: dict[AccountType, tuple[str, str]] = {
    AccountType.revolving: ("REV", "M"),
    AccountType.installment: ("000", "M"),
    AccountType.mortgage: ("000", "M"),
    AccountType.open: ("001", "P"),
    AccountType.collection: ("001", "P"),
}
#: Clearfile's statuses and payment history characters (a subset of Metro 2's).
CLEARFILE_STATUSES = frozenset(s.value for s in AccountStatus)
CLEARFILE_HISTORY = frozenset("0123456BDEGL")

#: Address fields written when the subject's file holds no address (the layout requires
#: them): sandbox placeholders, and the state code of a region that is not a USPS one.
NO_ADDRESS = {"firstLineAddress": "NO ADDRESS ON FILE", "city": "UNKNOWN", "zipCode": "00000"}
NO_STATE = "ZZ"


def account_type_of(portfolio: str, account_type: str) -> AccountType | None:
    if account_type in COLLECTION_ACCOUNT_TYPES:
        return AccountType.collection
    return TYPE_OF_PORTFOLIO.get(portfolio)


def cents(dollars: int, stored: int | None, *, optional: bool) -> int | None:
    """The file's whole dollars as cents; the stored amount when it truncates to them."""
    if stored is not None and stored // CENTS_PER_DOLLAR == dollars:
        return stored
    if optional and dollars == 0:
        return None
    return dollars * CENTS_PER_DOLLAR


def dollars(amount: int | None) -> int:
    return 0 if amount is None else amount // CENTS_PER_DOLLAR


def payment_rating(status: str, history: str) -> str:
    """The Payment Rating a status needs, read from the newest month of the history."""
    if status not in rules.RATING_REQUIRED_STATUSES:
        return ""
    first = history[:1]
    return first if first in rules.PAYMENT_RATINGS else "0"


def name_field(value: str, length: int) -> str:
    return value.upper()[:length]


def base_values(account: Mapping[str, Any], furnisher_id: str) -> dict[str, Any]:
    """A base segment's values for an account row joined with its subject's identity."""
    kind = AccountType(account["account_type"])
    portfolio, metro2_type = METRO2_TYPE[kind]
    terms, frequency = TERMS[kind]
    addresses = account.get("addresses") or []
    address = addresses[0] if addresses else None
    region = (address or {}).get("region") or ""
    state = region.upper() if len(region) == 2 and region.isalpha() else NO_STATE
    updated: datetime = account["updated_at"]
    values: dict[str, Any] = {
        "processingIndicator": 1,
        "timeStamp": updated.replace(tzinfo=None, microsecond=0),
        "correctionIndicator": 0,
        "identificationNumber": furnisher_id[:20],
        "consumerAccountNumber": account["account_ref"],
        "portfolioType": portfolio,
        "accountType": metro2_type,
        "dateOpened": account["opened_on"],
        "creditLimit": dollars(account["credit_limit_cents"]),
        "highestCredit": dollars(account["original_amount_cents"]),
        "termsDuration": terms,
        "termsFrequency": frequency,
        "accountStatus": account["status"],
        "paymentRating": payment_rating(account["status"], account["payment_history"]),
        "paymentHistoryProfile": account["payment_history"],
        "complianceConditionCode": account["compliance_condition_code"] or "",
        "currentBalance": dollars(account["balance_cents"]),
        "amountPastDue": dollars(account["past_due_cents"]),
        "dateAccountInformation": account["as_of"],
        "dateFirstDelinquency": account["date_of_first_delinquency"],
        "dateClosed": account["closed_on"],
        "surname": name_field(account["family_name"], 25),
        "firstName": name_field(account["given_name"], 20),
        "socialSecurityNumber": rules.ssn_of(account["national_id"]),
        "dateBirth": account["date_of_birth"],
        "ecoaCode": "1",
        "countryCode": ((address or {}).get("country") or "US")[:2],
        "state": state,
    }
    if address:
        values.update(
            firstLineAddress=str(address.get("line1", "")).upper()[:32],
            secondLineAddress=str(address.get("line2") or "").upper()[:32],
            city=str(address.get("city", "")).upper()[:20],
            zipCode=str(address.get("postal_code", "")).upper()[:9],
        )
    else:
        values.update(NO_ADDRESS)
    return values


def header_values(*, name: str, as_of: date, created: date) -> dict[str, Any]:
    return {
        "activityDate": as_of,
        "dateCreated": created,
        "reporterName": name.upper()[:40],
        "reporterAddress": "CLEARFILE SANDBOX (FICTIONAL)",
        "softwareVendorName": "CLEARFILE",
        "softwareVersionNumber": "1.0",
    }
