"""The validator's whole-file pass: every base segment at once, field by field as columns.

The base segments' fixed parts are the rows of a byte array (``reader.BaseTable``), so a
field is a slice of columns and each rule is worked out for all records at once. This pass
words no problem. It finds the records that surely have none (``suspects`` gives the
others), tallies what the trailer counts, and finds the records that repeat an account;
the validator then checks each suspect record alone, with the per-record rules that word
every problem. A record called suspect that has no problem costs a little time, nothing
else; so each test below only has to hold whenever its rule can report something, and the
report is exactly the per-record validator's (tests/unit/test_metro2_columns.py compares
the two on the corpus and on randomly broken records).
"""

from collections import Counter
from datetime import date

import numpy as np
import numpy.typing as npt

from service.furnishing.rules import STATUS_NEWEST_HISTORY
from service.metro2 import rules
from service.metro2.fields import BASE, RDW_LENGTH, Field
from service.metro2.reader import BaseTable, Bytes

Mask = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]

_SPACE, _ZERO, _PIPE = ord(" "), ord("0"), ord("|")
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], np.int64)

#: The furnishing rules' first-month table, by status code.
CLEARFILE_FIRST_HISTORY: dict[str, frozenset[str]] = {
    status.value: allowed for status, allowed in STATUS_NEWEST_HISTORY.items()
}


def _field(name: str) -> Field:
    return BASE.by_name[name]


def _col(rows: Bytes, name: str) -> Bytes:
    f = _field(name)
    return rows[:, f.start - 1 : f.end]


def _digits(cols: Bytes) -> Mask:
    """Rows whose columns are all ASCII digits (a byte below '0' wraps above 9)."""
    digits: Mask = np.less_equal(cols - np.uint8(_ZERO), 9).all(axis=1)
    return digits


def _number(cols: Bytes) -> Ints:
    """The columns' digits as a number (meaningless where they are not all digits)."""
    out = np.zeros(len(cols), np.int64)
    for k in range(cols.shape[1]):
        out = out * 10 + cols[:, k].astype(np.int64) - _ZERO
    return out


def _all(cols: Bytes, byte: str) -> Mask:
    return (cols == ord(byte)).all(axis=1)  # type: ignore[no-any-return]


def _key(cols: Bytes) -> Ints:
    """One or two columns as one number, to index a table of every possible value."""
    out = cols[:, 0].astype(np.int64)
    for k in range(1, cols.shape[1]):
        out = out * 256 + cols[:, k]
    return out


def _table(width: int, values: frozenset[str]) -> Mask:
    """For every possible ``width``-byte value, whether it is one of ``values``."""
    table = np.zeros(256**width, np.bool_)
    for value in values:
        text = value.encode("ascii")
        table[int.from_bytes(text, "big")] = True
    return table


def _code_table(name: str, codes: frozenset[str]) -> Mask:
    """The values a code field may hold without a problem: a code of the table,
    left-justified, or blank (``validator._code``)."""
    width = _field(name).length
    return _table(
        width, frozenset({c.ljust(width) for c in codes if len(c) <= width} | {" " * width})
    )


#: The code fields and what each may hold: the code tables of ``validator._coded_problems``.
_CODES: tuple[tuple[str, Mask], ...] = tuple(
    (name, _code_table(name, codes))
    for name, codes in (
        ("correctionIndicator", rules.CORRECTION_INDICATORS),
        ("portfolioType", rules.PORTFOLIO_TYPES),
        ("accountType", rules.ACCOUNT_TYPES),
        ("accountStatus", rules.ACCOUNT_STATUSES),
        ("specialComment", rules.SPECIAL_COMMENTS),
        ("complianceConditionCode", rules.COMPLIANCE_CONDITIONS),
        ("termsFrequency", rules.TERMS_FREQUENCIES),
        ("interestTypeIndicator", rules.INTEREST_TYPES),
        ("generationCode", rules.GENERATION_CODES),
        ("ecoaCode", rules.ECOA_CODES),
        ("addressIndicator", rules.ADDRESS_INDICATORS),
        ("residenceCode", rules.RESIDENCE_CODES),
    )
)
_HISTORY_CHARACTERS = _table(1, rules.HISTORY_CHARACTERS)
_PAYMENT_RATINGS = _table(1, rules.PAYMENT_RATINGS)
_DELINQUENT_RATINGS = _table(1, rules.DELINQUENT_RATINGS)
_DOB_EXEMPT_ECOA = _table(1, rules.DOB_EXEMPT_ECOA)
_ACTIVE = _table(2, rules.ACCOUNT_STATUSES - rules.DELETE_STATUSES)
_RATING_REQUIRED = _table(2, rules.RATING_REQUIRED_STATUSES)
_DELINQUENT = _table(2, rules.DELINQUENT_STATUSES)
_RATED = _table(2, rules.RATED_STATUSES)
_PAST_DUE = _table(2, rules.PAST_DUE_STATUSES)
_CURRENT = _table(2, frozenset({rules.CURRENT_STATUS}))
_ZERO_BALANCE = _table(2, rules.ZERO_BALANCE_STATUSES)
_CHARGE_OFF = _table(2, rules.CHARGE_OFF_STATUSES)
_CREDIT_LIMIT = _table(1, rules.CREDIT_LIMIT_PORTFOLIOS)
_ORIGINAL_AMOUNT = _table(1, rules.ORIGINAL_AMOUNT_PORTFOLIOS)


def _runs(kinds: set[str]) -> list[tuple[int, int]]:
    """The base's fields of these types as runs of adjacent columns (start, stop)."""
    out: list[tuple[int, int]] = []
    for f in BASE.fields:
        if f.kind in kinds and not f.reserved:
            if out and out[-1][1] == f.start - 1:
                out[-1] = (out[-1][0], f.end)
            else:
                out.append((f.start - 1, f.end))
    return out


_DIGIT_RUNS = _runs({"N", "D", "T"})
_RESERVED = tuple(f for f in BASE.fields if f.reserved)
_REQUIRED_TEXT = tuple(
    f.name for f in BASE.fields if f.use == "R" and f.kind == "A" and not f.reserved
)
_REQUIRED_DATES = tuple(f.name for f in BASE.fields if f.use == "R" and f.kind == "D")
_DATES = tuple(f.name for f in BASE.fields if f.kind == "D")


def _layout_ok(rows: Bytes) -> Mask:
    """The records ``BASE.strict_pattern`` matches (printable text is the caller's)."""
    ok = np.ones(len(rows), np.bool_)
    for start, stop in _DIGIT_RUNS:
        ok &= _digits(rows[:, start:stop])
    for f in _RESERVED:
        ok &= _all(rows[:, f.start - 1 : f.end], " ")
    for name in _REQUIRED_TEXT:
        ok &= ~_all(_col(rows, name), " ")
    for name in _REQUIRED_DATES:
        ok &= ~_all(_col(rows, name), "0")
    return ok


def _date(cols: Bytes) -> tuple[Ints, Mask]:
    """A date field MMDDYYYY as the number YYYYMMDD (0 when absent), and where it is a
    valid date or zeros (where its columns are digits)."""
    month, day, year = _number(cols[:, 0:2]), _number(cols[:, 2:4]), _number(cols[:, 4:8])
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    days = _DAYS_IN_MONTH[np.clip(month, 0, 12)] + ((month == 2) & leap)
    absent = (month == 0) & (day == 0) & (year == 0)
    valid = (month >= 1) & (month <= 12) & (day >= 1) & (day <= days) & (year >= date.min.year)
    return year * 10_000 + month * 100 + day, absent | valid


def _first_history_ok(status: Ints, rating: Bytes, first: Bytes) -> Mask:
    """Where the first month of the history is one the status (and rating) allows
    (``rules.first_history_allowed``), worked out once for each status and rating met."""
    pairs, which = np.unique(status * 256 + rating, return_inverse=True)
    allowed = np.ones((len(pairs), 256), np.bool_)
    for i, pair in enumerate(pairs.tolist()):
        code = bytes([pair >> 16, (pair >> 8) & 255]).decode("latin-1")
        if code in rules.ACCOUNT_STATUSES and code not in rules.DELETE_STATUSES:
            chars = rules.first_history_allowed(
                code, chr(pair & 255).strip(), CLEARFILE_FIRST_HISTORY
            )
            if chars is not None:
                allowed[i] = False
                for char in chars:
                    allowed[i, ord(char)] = True
    return allowed[which.reshape(-1), first]  # type: ignore[no-any-return]


def _code_ok(rows: Bytes) -> Mask:
    """No problem from ``validator._coded_problems``: the code tables, the history's
    characters, its Bs, and the status's payment rating and first month."""
    ok = _all(_col(rows, "processingIndicator"), rules.PROCESSING_INDICATOR)
    for name, table in _CODES:
        ok &= table[_key(_col(rows, name))]
    terms = _col(rows, "termsDuration")
    words = rules.TERMS_WORDS | {" " * terms.shape[1]}
    ok &= _digits(terms) | np.isin(_key(terms), [int.from_bytes(w.encode(), "big") for w in words])
    history = _col(rows, "paymentHistoryProfile")
    ok &= _HISTORY_CHARACTERS[history].all(axis=1)
    no_history = history == ord(rules.NO_HISTORY)
    ok &= (no_history[:, 1:] >= no_history[:, :-1]).all(axis=1)  # only Bs after a B
    status = _key(_col(rows, "accountStatus"))
    rating = _col(rows, "paymentRating")[:, 0]
    active = _ACTIVE[status]
    with_rating = _RATING_REQUIRED[status]
    ok &= ~(active & with_rating & ~_PAYMENT_RATINGS[rating])
    ok &= ~(active & ~with_rating & (rating != _SPACE))
    ok &= _first_history_ok(status, rating, history[:, 0])
    return ok


def _cross_ok(rows: Bytes, created: date | None) -> Mask:
    """No problem from the validator's cross-field rules on statuses, amounts and dates."""
    status = _key(_col(rows, "accountStatus"))
    rating = _col(rows, "paymentRating")[:, 0]
    active = _ACTIVE[status]
    dates = {name: _date(_col(rows, name)) for name in _DATES}
    ok = np.ones(len(rows), np.bool_)
    for _, valid in dates.values():
        ok &= valid
    dofd_needed = _DELINQUENT[status] | (_RATED[status] & _DELINQUENT_RATINGS[rating])
    balance = _number(_col(rows, "currentBalance"))
    past_due = _number(_col(rows, "amountPastDue"))
    portfolio = _col(rows, "portfolioType")[:, 0]
    fires = (
        (dofd_needed & (dates["dateFirstDelinquency"][0] == 0))
        | (past_due > balance)
        | (_CURRENT[status] & (past_due != 0))
        | (_PAST_DUE[status] & (past_due == 0))
        | (_ZERO_BALANCE[status] & (balance != 0))
        | (_CHARGE_OFF[status] & (_number(_col(rows, "originalChargeOffAmount")) == 0))
        | (_CREDIT_LIMIT[portfolio] & (_number(_col(rows, "creditLimit")) == 0))
        | (_ORIGINAL_AMOUNT[portfolio] & (_number(_col(rows, "highestCredit")) == 0))
    )
    ok &= ~(active & fires)
    opened, dai = dates["dateOpened"][0], dates["dateAccountInformation"][0]
    known = dai != 0
    ok &= ~(known & (opened > dai))
    for name in ("dateFirstDelinquency", "dateClosed", "dateLastPayment"):
        later = dates[name][0]
        ok &= ~(known & (later != 0) & (later > dai))
    closed = dates["dateClosed"][0]
    ok &= ~((closed != 0) & (opened != 0) & (closed < opened))
    if created is not None:
        ok &= ~(known & (dai > created.year * 10_000 + created.month * 100 + created.day))
    return ok


def _ssn_known(ssn: Bytes) -> Mask:
    """Digits that are neither all 0s nor all 9s (``rules.ssn_known`` for digits)."""
    return _digits(ssn) & ~_all(ssn, "0") & ~_all(ssn, "9")


def _nonblank_span(cols: Bytes) -> tuple[Ints, Ints]:
    """Each row's first non-blank column and the number of columns to its last one
    (0 for a blank row)."""
    text = cols != _SPACE
    first = text.argmax(axis=1)
    last = cols.shape[1] - text[:, ::-1].argmax(axis=1)
    return first, np.where(text.any(axis=1), last - first, 0)


def _identity_ok(rows: Bytes) -> Mask:
    """No problem from the rules on the SSN, date of birth, account number and
    identification number."""
    ssn = _col(rows, "socialSecurityNumber")
    fictional = _all(ssn[:, : len(rules.FICTIONAL_SSN_AREA)], "0")
    ok = fictional | ~_ssn_known(ssn)
    dob_absent = _all(_col(rows, "dateBirth"), "0")
    ecoa = _col(rows, "ecoaCode")[:, 0]
    ok &= ~(dob_absent & ~_ssn_known(ssn) & ~_DOB_EXEMPT_ECOA[ecoa])
    account = _col(rows, "consumerAccountNumber")
    first, span = _nonblank_span(account)
    blanks = span - (account != _SPACE).sum(axis=1)
    ok &= blanks == 0
    width = ssn.shape[1]
    ok &= ~((account[:, :width] == ssn).all(axis=1) & _all(account[:, width:], " "))
    ident = _col(rows, "identificationNumber")
    _, length = _nonblank_span(ident)
    only_zeros = ((ident == _SPACE) | (ident == _ZERO)).all(axis=1)
    only_nines = ((ident == _SPACE) | (ident == ord("9"))).all(axis=1)
    ok &= (length == 0) | ((length >= rules.MIN_IDENTIFICATION_NUMBER) & ~only_zeros & ~only_nines)
    return ok


#: Rows checked together: a block of rows small enough to stay in the processor's cache
#: while every rule reads it (measured: 8,192 rows of 426 bytes is fastest here).
CHUNK_ROWS = 8192


def _ok(rows: Bytes, lengths: Ints, printable: bool, created: date | None) -> Mask:
    ok = _layout_ok(rows)
    if not printable:
        ok &= ((rows - np.uint8(_SPACE)) <= ord("~") - _SPACE).all(axis=1)
    ok &= _number(rows[:, :RDW_LENGTH]) == lengths
    ok &= _code_ok(rows)
    ok &= _cross_ok(rows, created)
    ok &= _identity_ok(rows)
    return ok


def suspects(table: BaseTable, created: date | None) -> Ints:
    """The rows that may have a problem (every row that has one, and maybe a few more):
    the validator checks these one by one."""
    ok = np.concatenate(
        [np.ones(0, np.bool_)]
        + [
            _ok(
                table.rows[at : at + CHUNK_ROWS],
                table.lengths[at : at + CHUNK_ROWS],
                table.printable,
                created,
            )
            for at in range(0, len(table), CHUNK_ROWS)
        ]
    )
    ok[table.segmented] = False
    return np.flatnonzero(~ok)


def tallies(table: BaseTable) -> Counter[str]:
    """What ``validator.tally`` counts of the base segments (their appended segments
    apart), for the trailer's totals."""
    rows = table.rows
    counts: Counter[str] = Counter()
    statuses = np.bincount(_key(_col(rows, "accountStatus")), minlength=256**2)
    for code in rules.ACCOUNT_STATUSES:
        counts["status:" + code] = int(statuses[int.from_bytes(code.encode(), "big")])
    counts["ecoaZ"] = int((_col(rows, "ecoaCode")[:, 0] == ord("Z")).sum())
    counts["ssn:base"] = int(_ssn_known(_col(rows, "socialSecurityNumber")).sum())
    for key, name in (("dob:base", "dateBirth"), ("phone", "telephoneNumber")):
        cols = _col(rows, name)
        counts[key] = int(((cols != _ZERO) & (cols != _SPACE)).any(axis=1).sum())
    return counts


def repeats(table: BaseTable) -> list[int]:
    """The rows that are the second record of an account (identification number and
    account number, as ``validator`` keys them): each is reported once."""
    rows = table.rows
    ident, account = _col(rows, "identificationNumber"), _col(rows, "consumerAccountNumber")
    if table.printable and not (ident[:, 0] == _SPACE).any() and not (account == _PIPE).any():
        # The columns as they are say what the validator's key says: stripping drops
        # only the blanks that pad them, unless an identification number starts with a
        # blank; and two keys that differ only in where the bar falls need a bar in an
        # account number (the shorter identification number's).
        joined = np.concatenate([ident, account], axis=1).tobytes()
        width = ident.shape[1] + account.shape[1]
        keys: list[bytes | str] = [joined[at : at + width] for at in range(0, len(joined), width)]
    else:
        idents = ident.tobytes().decode("ascii")
        accounts = account.tobytes().decode("ascii")
        iw, aw = ident.shape[1], account.shape[1]
        keys = [
            idents[i * iw : (i + 1) * iw].strip() + "|" + accounts[i * aw : (i + 1) * aw].rstrip()
            for i in range(len(rows))
        ]
    if len(set(keys)) == len(keys):
        return []
    seen: Counter[bytes | str] = Counter()
    out = []
    for row, key in enumerate(keys):
        seen[key] += 1
        if seen[key] == 2:
            out.append(row)
    return out
