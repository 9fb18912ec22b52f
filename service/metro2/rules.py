"""The Metro 2 code tables and the figures of the validator's rules, each with its source.

Source for every table: CDIA, *Credit Reporting Resource Guide* (CRRG), Metro 2 Format,
Base Segment field descriptions and exhibits, as summarised in the repository's layout notes
(the code meanings are ours; confirm a code's exact use in the CRRG). Pure data and pure
functions: anyone may import this module.
"""

from datetime import date

# --- code tables ------------------------------------------------------------------------

#: Field 8, Portfolio Type: C line of credit, I installment, M mortgage, O open, R revolving.
PORTFOLIO_TYPES = frozenset("CIMOR")

#: Field 9, Account Type (CRRG exhibit of account type codes).
ACCOUNT_TYPES = frozenset(
    """00 01 02 03 04 05 06 07 08 0A 0C 0F 0G 10 11 12 13 15 17 18 19 20 25 26 29 2A 2C 37
    3A 43 47 48 4D 50 5A 5B 65 66 67 68 69 6A 6B 6D 70 71 72 73 74 75 77 7A 7B 89 8A 8B 90
    91 92 93 95 9A 9B""".split()
)

#: Field 17A, Account Status.
ACCOUNT_STATUSES = frozenset(
    "05 11 13 61 62 63 64 65 71 78 80 82 83 84 88 89 93 94 95 96 97 DA DF".split()
)

#: Field 17B, Payment Rating: 0 current, 1-6 30 to 180+ days past due, G collection,
#: L charge-off.
PAYMENT_RATINGS = frozenset("0123456GL")
#: Statuses that need a Payment Rating (how late the account was before it reached the
#: status); every other status leaves the field blank.
RATING_REQUIRED_STATUSES = frozenset("05 13 65 88 89 94 95".split())

#: Field 18, Payment History Profile characters.
HISTORY_CHARACTERS = frozenset("0123456BDEGHJKL")
#: ``B`` (no history before this month) may only run to the end of the profile.
NO_HISTORY = "B"

#: Field 19, Special Comment codes.
SPECIAL_COMMENTS = frozenset(
    """B C H I M O S V AB AC AH AI AM AN AO AP AS AT AU AV AW AX AZ BA BB BC BD BE BF BG BH BI
    BJ BK BL BN BO BP BS BT CH CI CJ CK CL CM CN CO CP CS DE""".split()
)

#: Field 20, Compliance Condition Codes. XB and XC mark an item disputed.
COMPLIANCE_CONDITIONS = frozenset("XA XB XC XD XE XF XG XH XJ XR".split())
#: The compliance code of an account in an open dispute, and of one whose dispute was
#: investigated while the consumer disagrees (left a statement).
DISPUTED = "XB"
DISPUTED_CONSUMER_DISAGREES = "XC"

#: Field 37 (and J1/J2), ECOA Code: 1 individual, 2 joint contractual, 3 authorised user,
#: 5 co-maker, 7 maker, T terminated, W business, X deceased, Z delete consumer.
ECOA_CODES = frozenset("12357TWXZ")
#: ECOA codes whose consumer need not carry a date of birth when the SSN is absent.
DOB_EXEMPT_ECOA = frozenset("25")

#: Field 14, Terms Frequency.
TERMS_FREQUENCIES = frozenset("DPWBEMLQTSY")
#: Field 13, Terms Duration: a number of months or years, or one of these.
TERMS_WORDS = frozenset({"LOC", "REV"})
#: Field 28, Interest Type Indicator; field 33, Generation Code; field 45, Address
#: Indicator; field 46, Residence Code; field 4, Correction Indicator.
INTEREST_TYPES = frozenset("FV")
GENERATION_CODES = frozenset("JS23456789")
ADDRESS_INDICATORS = frozenset("CYNMSBUDP")
RESIDENCE_CODES = frozenset("OR")
CORRECTION_INDICATORS = frozenset("01")
#: Field 2: the Processing Indicator is always 1.
PROCESSING_INDICATOR = "1"

# --- cross-field rules ------------------------------------------------------------------

#: Statuses that report a delinquency or a derogatory outcome: the FCRA date of first
#: delinquency (field 25) is required with them (FCRA 623(a)(5)).
DELINQUENT_STATUSES = frozenset("71 78 80 82 83 84 88 89 93 94 95 96 97".split())
#: Paid or closed statuses whose Payment Rating says the account was delinquent first:
#: a rating of 1-6, G or L makes the date of first delinquency required too.
RATED_STATUSES = frozenset("05 13 61 62 63 64 65".split())
DELINQUENT_RATINGS = frozenset("123456GL")
#: Statuses 71-84: an amount is past due now, so Amount Past Due (field 22) is above zero.
PAST_DUE_STATUSES = frozenset("71 78 80 82 83 84".split())
#: Status 11, current: nothing past due.
CURRENT_STATUS = "11"
#: Status 13 and the paid-in-full statuses 61-64: a zero Current Balance.
ZERO_BALANCE_STATUSES = frozenset("13 61 62 63 64".split())
#: Statuses that delete the account (the rest of the record is not checked against them).
DELETE_STATUSES = frozenset({"DA", "DF"})
#: Charged off (97) and paid charge-off (64) report the Original Charge-off Amount.
CHARGE_OFF_STATUSES = frozenset({"97", "64"})
#: Portfolios that report a credit limit (field 11): line of credit, revolving.
CREDIT_LIMIT_PORTFOLIOS = frozenset("CR")
#: Portfolios that report the original loan amount in Highest Credit (field 12).
ORIGINAL_AMOUNT_PORTFOLIOS = frozenset("IM")

#: The first month of the payment history, given the status, for statuses Clearfile does
#: not keep (those it keeps use the furnishing rules' table): H foreclosure completed,
#: J voluntary surrender, K repossession.
STATUS_FIRST_HISTORY_EXTRA: dict[str, frozenset[str]] = {
    "94": frozenset("H"),
    "95": frozenset("J"),
    "96": frozenset("K"),
}
#: For a status that needs a Payment Rating, the history characters each rating allows as
#: the first month.
RATING_FIRST_HISTORY: dict[str, frozenset[str]] = {
    "0": frozenset("0E"),
    **{str(n): frozenset(str(n)) for n in range(1, 7)},
    "G": frozenset("G"),
    "L": frozenset("L"),
}

#: An identification number (field 5) has at least this many characters and is never all
#: zeros, all nines or blank.
MIN_IDENTIFICATION_NUMBER = 5

#: Fictional national ids only (as everywhere in Clearfile): an SSN here has area 000,
#: which is never issued. All zeros or all nines mean "unknown" (CRRG field 34).
FICTIONAL_SSN_AREA = "000"
UNKNOWN_SSNS = frozenset({"000000000", "999999999"})


def ssn_known(ssn: str) -> bool:
    return ssn.strip() != "" and ssn not in UNKNOWN_SSNS


def ssn_fictional(ssn: str) -> bool:
    """A known SSN is acceptable only with the never-issued area 000."""
    return ssn.startswith(FICTIONAL_SSN_AREA)


def national_id_of(ssn: str) -> str:
    """Clearfile's national id (``000-NN-NNNN``) for a 9-digit SSN field."""
    return f"{ssn[0:3]}-{ssn[3:5]}-{ssn[5:9]}"


def ssn_of(national_id: str | None) -> str:
    """The 9-digit SSN field for a national id; all zeros (unknown) without one."""
    return "000000000" if not national_id else national_id.replace("-", "")


def first_history_allowed(
    status: str, rating: str, clearfile: dict[str, frozenset[str]]
) -> frozenset[str] | None:
    """The characters the first month of the history may hold with this status (and
    rating), or None when any is allowed. ``clearfile`` is the furnishing rules' table for
    the statuses Clearfile keeps, so a file and the JSON API agree."""
    if status in RATING_REQUIRED_STATUSES:
        return RATING_FIRST_HISTORY.get(rating)
    if status in clearfile:
        return clearfile[status]
    return STATUS_FIRST_HISTORY_EXTRA.get(status)


def is_date_after(later: date | None, earlier: date | None) -> bool:
    return later is not None and earlier is not None and later > earlier
