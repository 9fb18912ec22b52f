"""The validator: every problem of a Metro 2 file, with its record, field and positions.

Three kinds of rule, each named by its ``rule`` id in the report:

* ``layout.*``: what the field table says (numeric, date and timestamp fields, required
  fields, blank fillers, record lengths, segments);
* ``code.*``: the CRRG code tables (``service.metro2.rules``);
* ``cross.*``: what a bureau checks across fields, records and the trailer; and
  ``fictional.ssn``: Clearfile holds fictional national ids only.

The base segments are first checked all at once, field by field as columns of the file's
bytes (``columns``): that finds the records that surely have no problem. Each other record
is then checked alone (``check_base``), which words every problem it has; a record that
matches its layout's pattern (one regular expression made from the field table) needs no
per-field type check. Nothing is written anywhere.
"""

import functools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from service.metro2 import columns, rules
from service.metro2.codec import parse_date, parse_timestamp
from service.metro2.fields import BASE, HEADER, J1, TRAILER, TRAILER_COUNTS, Field, Layout
from service.metro2.problems import Problem, Severity
from service.metro2.reader import Metro2File, Record, Segment, read

ERROR, WARNING = Severity.error, Severity.warning


@dataclass
class Report:
    """Every problem found, in file order, and how many records were read."""

    records: int
    base_records: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is WARNING]

    @property
    def valid(self) -> bool:
        return not any(p.severity is ERROR for p in self.problems)

    def errors_by_record(self) -> dict[int, list[Problem]]:
        out: dict[int, list[Problem]] = {}
        for p in self.problems:
            if p.severity is ERROR:
                out.setdefault(p.record, []).append(p)
        return out


_DATES: dict[str, date | None] = {}
_MAX_CACHED_DATES = 50_000


def _date(text: str) -> date | None:
    """A date field's value (None for zeros); ValueError when it is no date. Cached: the
    same dates recur across a file's records."""
    try:
        return _DATES[text]
    except KeyError:
        pass
    value = parse_date(text)
    if len(_DATES) >= _MAX_CACHED_DATES:
        _DATES.clear()
    _DATES[text] = value
    return value


def _at(layout: Layout, name: str) -> tuple[slice, Field]:
    f = layout.by_name[name]
    return slice(f.start - 1, f.end), f


class _Sink:
    """Collects the problems of one record, naming its fields by the table."""

    __slots__ = ("number", "offset", "out", "segment")

    def __init__(self, out: list[Problem], number: int, segment: str, offset: int = 0) -> None:
        self.out, self.number, self.segment, self.offset = out, number, segment, offset

    def add(self, f: Field | None, severity: Severity, rule: str, message: str) -> None:
        if f is None:
            positions = None
        else:
            start, end = f.start + self.offset, f.end + self.offset
            positions = f"{start}-{end}" if end > start else str(start)
        self.out.append(
            Problem(
                self.number,
                self.segment,
                f.name if f else None,
                positions,
                severity,
                rule,
                message,
            )
        )


def _check_layout(layout: Layout, text: str, sink: _Sink, *, required: bool = True) -> None:
    """Types, required fields and blank fillers, field by field."""
    for f in layout.fields:
        value = text[f.start - 1 : f.end]
        if f.reserved:
            if value.strip():
                sink.add(f, WARNING, "layout.reserved", "reserved positions must be blank")
            continue
        if f.kind in {"N", "D", "T"} and not value.isdigit():
            what = {"N": "numeric", "D": "a date MMDDYYYY", "T": "a timestamp MMDDYYYYHHMMSS"}
            sink.add(
                f,
                ERROR,
                "layout.type",
                f"{value!r} is not {what[f.kind]} (digits only, zero-filled)",
            )
            continue
        if f.kind == "D":
            try:
                _date(value)
            except ValueError:
                sink.add(f, ERROR, "layout.type", f"{value!r} is not a valid date MMDDYYYY")
                continue
        if f.kind == "T":
            try:
                parse_timestamp(value)
            except ValueError:
                sink.add(f, ERROR, "layout.type", f"{value!r} is not a valid timestamp")
                continue
        if required and f.use == "R" and f.name != "recordDescriptorWord":
            empty = not value.strip() if f.kind == "A" else value == "0" * f.length
            if empty:
                sink.add(f, ERROR, "layout.required", "required, but blank or zero")


def _code(
    text: str,
    where: tuple[slice, Field],
    table: frozenset[str],
    sink: _Sink,
    what: str,
    *,
    blank_ok: bool = True,
) -> str:
    value = text[where[0]]
    code = value.strip()
    if (blank_ok and not code) or code in table and code == value.rstrip():
        return code
    if not code:
        return code  # the required-field rule reports a blank
    sink.add(where[1], ERROR, "code." + where[1].name, f"{value!r} is not {what}")
    return code


# Base fields the rules read, each as (slice, Field).
_RDW = _at(BASE, "recordDescriptorWord")
_PROCESSING = _at(BASE, "processingIndicator")
_CORRECTION = _at(BASE, "correctionIndicator")
_IDENT = _at(BASE, "identificationNumber")
_ACCOUNT = _at(BASE, "consumerAccountNumber")
_PORTFOLIO = _at(BASE, "portfolioType")
_TYPE = _at(BASE, "accountType")
_OPENED = _at(BASE, "dateOpened")
_LIMIT = _at(BASE, "creditLimit")
_HIGHEST = _at(BASE, "highestCredit")
_TERMS = _at(BASE, "termsDuration")
_FREQUENCY = _at(BASE, "termsFrequency")
_STATUS = _at(BASE, "accountStatus")
_RATING = _at(BASE, "paymentRating")
_HISTORY = _at(BASE, "paymentHistoryProfile")
_COMMENT = _at(BASE, "specialComment")
_COMPLIANCE = _at(BASE, "complianceConditionCode")
_BALANCE = _at(BASE, "currentBalance")
_PAST_DUE = _at(BASE, "amountPastDue")
_CHARGE_OFF = _at(BASE, "originalChargeOffAmount")
_DAI = _at(BASE, "dateAccountInformation")
_DOFD = _at(BASE, "dateFirstDelinquency")
_CLOSED = _at(BASE, "dateClosed")
_LAST_PAYMENT = _at(BASE, "dateLastPayment")
_INTEREST = _at(BASE, "interestTypeIndicator")
_GENERATION = _at(BASE, "generationCode")
_SSN = _at(BASE, "socialSecurityNumber")
_DOB = _at(BASE, "dateBirth")
_PHONE = _at(BASE, "telephoneNumber")
_ECOA = _at(BASE, "ecoaCode")
_ADDRESS_IND = _at(BASE, "addressIndicator")
_RESIDENCE = _at(BASE, "residenceCode")
_DATE_FIELDS = (_OPENED, _DAI, _DOFD, _CLOSED, _LAST_PAYMENT, _DOB)

# The same fields' slices, for the per-record hot path.
_RDW_S = _RDW[0]
_PROCESSING_S = _PROCESSING[0]
_CORRECTION_S = _CORRECTION[0]
_IDENT_S = _IDENT[0]
_ACCOUNT_S = _ACCOUNT[0]
_PORTFOLIO_S = _PORTFOLIO[0]
_TYPE_S = _TYPE[0]
_OPENED_S = _OPENED[0]
_LIMIT_S = _LIMIT[0]
_HIGHEST_S = _HIGHEST[0]
_TERMS_S = _TERMS[0]
_FREQUENCY_S = _FREQUENCY[0]
_STATUS_S = _STATUS[0]
_RATING_S = _RATING[0]
_HISTORY_S = _HISTORY[0]
_COMMENT_S = _COMMENT[0]
_COMPLIANCE_S = _COMPLIANCE[0]
_BALANCE_S = _BALANCE[0]
_PAST_DUE_S = _PAST_DUE[0]
_CHARGE_OFF_S = _CHARGE_OFF[0]
_DAI_S = _DAI[0]
_DOFD_S = _DOFD[0]
_CLOSED_S = _CLOSED[0]
_LAST_PAYMENT_S = _LAST_PAYMENT[0]
_INTEREST_S = _INTEREST[0]
_GENERATION_S = _GENERATION[0]
_SSN_S = _SSN[0]
_DOB_S = _DOB[0]
_PHONE_S = _PHONE[0]
_ECOA_S = _ECOA[0]
_ADDRESS_IND_S = _ADDRESS_IND[0]
_RESIDENCE_S = _RESIDENCE[0]

# J1 and J2 share their first 99 positions: the consumer's fields sit at the same places.
_J_SSN = _at(J1, "socialSecurityNumber")[0]
_J_DOB = _at(J1, "dateBirth")[0]
_J_PHONE = _at(J1, "telephoneNumber")[0]


def _safe_date(text: str, where: tuple[slice, Field]) -> date | None:
    try:
        return _date(text[where[0]])
    except ValueError:
        return None


def _int(text: str, where: tuple[slice, Field]) -> int:
    value = text[where[0]]
    return int(value) if value.isdigit() else 0


def _check_ssn(ssn: str, f: Field, sink: _Sink) -> None:
    if ssn.isdigit() and rules.ssn_known(ssn) and not rules.ssn_fictional(ssn):
        sink.add(
            f,
            ERROR,
            "fictional.ssn",
            "a real-looking SSN is refused: Clearfile holds fictional national ids only "
            f"(area {rules.FICTIONAL_SSN_AREA}, never issued); all 0s or all 9s mean unknown",
        )


#: The fields the code-table and status rules read: a record's text at these positions
#: decides all of those rules' problems, so they are worked out once per distinct text.
_CODED = (
    _PROCESSING,
    _CORRECTION,
    _PORTFOLIO,
    _TYPE,
    _TERMS,
    _FREQUENCY,
    _STATUS,
    _RATING,
    _HISTORY,
    _COMMENT,
    _COMPLIANCE,
    _INTEREST,
    _GENERATION,
    _ECOA,
    _ADDRESS_IND,
    _RESIDENCE,
)


def _merged(slices: list[slice]) -> tuple[slice, ...]:
    """Adjacent slices joined: fewer slices to take per record."""
    out: list[slice] = []
    for s in sorted(slices, key=lambda s: s.start):
        if out and out[-1].stop == s.start:
            out[-1] = slice(out[-1].start, s.stop)
        else:
            out.append(s)
    return tuple(out)


_CODED_SLICES = _merged([where[0] for where in _CODED])
_CODED_CACHE: dict[str, list[tuple[Field, Severity, str, str]]] = {}
_MAX_CODED = 20_000


def _coded_problems(text: str) -> list[tuple[Field, Severity, str, str]]:
    """The code-table problems and the status/rating/history rules of a record, as
    (field, severity, rule, message), worked out once for each distinct coded text."""
    key = "".join([text[s] for s in _CODED_SLICES])
    found = _CODED_CACHE.get(key)
    if found is not None:
        return found
    out: list[Problem] = []
    sink = _Sink(out, 0, "base")
    if text[_PROCESSING[0]] != rules.PROCESSING_INDICATOR:
        sink.add(
            _PROCESSING[1],
            WARNING,
            "code.processingIndicator",
            "the processing indicator is always 1",
        )
    _code(text, _CORRECTION, rules.CORRECTION_INDICATORS, sink, "a correction indicator (0 or 1)")
    _code(text, _PORTFOLIO, rules.PORTFOLIO_TYPES, sink, "a portfolio type (C, I, M, O, R)")
    _code(text, _TYPE, rules.ACCOUNT_TYPES, sink, "an account type code of the CRRG exhibit")
    status = _code(text, _STATUS, rules.ACCOUNT_STATUSES, sink, "an account status code")
    rating = text[_RATING[0]].strip()
    history = text[_HISTORY[0]]
    _code(text, _COMMENT, rules.SPECIAL_COMMENTS, sink, "a special comment code")
    _code(
        text,
        _COMPLIANCE,
        rules.COMPLIANCE_CONDITIONS,
        sink,
        "a compliance condition code (XA-XJ, XR)",
    )
    _code(
        text,
        _FREQUENCY,
        rules.TERMS_FREQUENCIES,
        sink,
        "a terms frequency (D P W B E M L Q T S Y)",
    )
    _code(text, _INTEREST, rules.INTEREST_TYPES, sink, "an interest type (F, V or blank)")
    _code(text, _GENERATION, rules.GENERATION_CODES, sink, "a generation code (J, S, 2-9)")
    _code(text, _ECOA, rules.ECOA_CODES, sink, "an ECOA code (1 2 3 5 7 T W X Z)")
    _code(text, _ADDRESS_IND, rules.ADDRESS_INDICATORS, sink, "an address indicator")
    _code(text, _RESIDENCE, rules.RESIDENCE_CODES, sink, "a residence code (O, R)")
    terms = text[_TERMS[0]]
    if terms.strip() and not (terms.isdigit() or terms in rules.TERMS_WORDS):
        sink.add(
            _TERMS[1],
            ERROR,
            "code.termsDuration",
            f"{terms!r} is not a number of months or years, LOC or REV",
        )
    bad_history = sorted(set(history) - rules.HISTORY_CHARACTERS)
    if history.strip() and bad_history:
        sink.add(
            _HISTORY[1],
            ERROR,
            "code.paymentHistoryProfile",
            f"{''.join(bad_history)!r} is not a payment history character (0-6 B D E G H J K L)",
        )
    first_b = history.find(rules.NO_HISTORY)
    if first_b != -1 and history[first_b:].strip(rules.NO_HISTORY):
        sink.add(
            _HISTORY[1],
            ERROR,
            "cross.history_b",
            "'B' (no history before this month) may only be followed by more 'B's",
        )
    if status in rules.ACCOUNT_STATUSES and status not in rules.DELETE_STATUSES:
        with_rating = status in rules.RATING_REQUIRED_STATUSES
        if with_rating and rating not in rules.PAYMENT_RATINGS:
            sink.add(
                _RATING[1],
                ERROR,
                "cross.payment_rating",
                f"status {status} needs a payment rating (0-6, G, L); it is {rating or 'blank'}",
            )
        elif not with_rating and rating:
            sink.add(
                _RATING[1],
                ERROR,
                "cross.payment_rating",
                "a payment rating is reported only with statuses "
                f"{', '.join(sorted(rules.RATING_REQUIRED_STATUSES))}; status {status} "
                "leaves it blank",
            )
        allowed = rules.first_history_allowed(status, rating, columns.CLEARFILE_FIRST_HISTORY)
        if allowed is not None and history[:1] not in allowed:
            sink.add(
                _HISTORY[1],
                ERROR,
                "cross.history_status",
                f"the first month is {history[:1]!r}; status {status}"
                f"{' with rating ' + rating if with_rating else ''} needs "
                f"{' or '.join(sorted(allowed))}",
            )
    found = [(_BY_POSITIONS[p.field or ""], p.severity, p.rule, p.message) for p in out]
    if len(_CODED_CACHE) >= _MAX_CODED:
        _CODED_CACHE.clear()
    _CODED_CACHE[key] = found
    return found


_BY_POSITIONS = BASE.by_name
_REQUIRED_TEXT = tuple(
    where for where in (_IDENT, _ACCOUNT, _PORTFOLIO, _TYPE, _TERMS, _STATUS, _HISTORY, _ECOA)
) + tuple(
    _at(BASE, name)
    for name in ("surname", "firstName", "firstLineAddress", "city", "state", "zipCode")
)


@functools.cache
def _created_ymd(created: date) -> str:
    return created.strftime("%Y%m%d")


def _ymd(text: str) -> str:
    """A date field's MMDDYYYY as YYYYMMDD, which orders as the dates do."""
    return text[4:8] + text[0:4]


def check_base(record: Record, out: list[Problem], created: date | None) -> None:
    """Every problem of one base segment and its appended segments, but a repeated
    account (a matter of the whole file: ``duplicate``)."""
    text = record.text
    sink = _Sink(out, record.number, "base")
    dates_ok = True
    if BASE.strict_pattern.fullmatch(text) is None:
        _check_layout(BASE, text, sink)
        dates_ok = False
    else:
        for where in _DATE_FIELDS:
            value = text[where[0]]
            if value not in _DATES:
                try:
                    _date(value)
                except ValueError:
                    dates_ok = False
                    sink.add(
                        where[1], ERROR, "layout.type", f"{value!r} is not a valid date MMDDYYYY"
                    )
    whole = len(record.whole)
    if int(text[0:4]) != whole if text[0:4].isdigit() else False:
        sink.add(
            _RDW[1],
            ERROR,
            "layout.rdw",
            f"the RDW says {int(text[0:4])}, the record holds {whole} bytes",
        )
    for template in _coded_problems(text):
        sink.add(*template)

    status = text[_STATUS_S]
    rating = text[_RATING_S].strip()
    if status in rules.ACCOUNT_STATUSES and status not in rules.DELETE_STATUSES:
        if (
            status in rules.DELINQUENT_STATUSES
            or (status in rules.RATED_STATUSES and rating in rules.DELINQUENT_RATINGS)
        ) and text[_DOFD_S] == "00000000":
            sink.add(
                _DOFD[1],
                ERROR,
                "cross.dofd_required",
                f"status {status}{' with rating ' + rating if rating else ''} reports a "
                "delinquency: the date of first delinquency is required",
            )
        balance, past_due = _int(text, _BALANCE), _int(text, _PAST_DUE)
        if past_due > balance:
            sink.add(
                _PAST_DUE[1],
                ERROR,
                "cross.past_due_balance",
                f"amount past due {past_due} exceeds the current balance {balance}",
            )
        if status == rules.CURRENT_STATUS and past_due:
            sink.add(
                _PAST_DUE[1],
                ERROR,
                "cross.past_due_status",
                f"status 11 (current) has nothing past due; it is {past_due}",
            )
        elif status in rules.PAST_DUE_STATUSES and not past_due:
            sink.add(
                _PAST_DUE[1],
                ERROR,
                "cross.past_due_status",
                f"status {status} has an amount past due; it is 0",
            )
        if status in rules.ZERO_BALANCE_STATUSES and balance:
            sink.add(
                _BALANCE[1],
                ERROR,
                "cross.balance_status",
                f"status {status} (paid or closed) has a zero balance; it is {balance}",
            )
        if status in rules.CHARGE_OFF_STATUSES and not _int(text, _CHARGE_OFF):
            sink.add(
                _CHARGE_OFF[1],
                WARNING,
                "cross.charge_off_amount",
                f"status {status} reports the original charge-off amount",
            )
        portfolio = text[_PORTFOLIO_S]
        if portfolio in rules.CREDIT_LIMIT_PORTFOLIOS and not _int(text, _LIMIT):
            sink.add(
                _LIMIT[1],
                WARNING,
                "cross.credit_limit",
                f"portfolio {portfolio} reports its credit limit",
            )
        elif portfolio in rules.ORIGINAL_AMOUNT_PORTFOLIOS and not _int(text, _HIGHEST):
            sink.add(
                _HIGHEST[1],
                WARNING,
                "cross.original_amount",
                f"portfolio {portfolio} reports the original loan amount in highest credit",
            )
    if dates_ok:
        _check_dates(text, sink, created, "" if created is None else _created_ymd(created))
    else:
        _check_dates_slowly(text, sink, created)

    ssn = text[_SSN_S]
    if not ssn.startswith(rules.FICTIONAL_SSN_AREA):
        _check_ssn(ssn, _SSN[1], sink)
    if (
        text[_DOB_S] == "00000000"
        and not rules.ssn_known(ssn)
        and text[_ECOA_S] not in rules.DOB_EXEMPT_ECOA
    ):
        sink.add(
            _DOB[1],
            ERROR,
            "cross.ssn_or_dob",
            "with no SSN (all 0s or 9s), the date of birth is required",
        )
    account = text[_ACCOUNT_S].rstrip()
    if " " in account.strip():
        sink.add(
            _ACCOUNT[1],
            ERROR,
            "cross.account_number",
            "the account number may not contain blanks",
        )
    elif account and account == ssn:
        sink.add(
            _ACCOUNT[1],
            ERROR,
            "cross.account_number",
            "the account number may not be the consumer's SSN",
        )
    ident = text[_IDENT_S].strip()
    if ident and (
        len(ident) < rules.MIN_IDENTIFICATION_NUMBER or set(ident) <= {"0"} or set(ident) <= {"9"}
    ):
        sink.add(
            _IDENT[1],
            ERROR,
            "cross.identification_number",
            f"at least {rules.MIN_IDENTIFICATION_NUMBER} characters, never all 0s or 9s",
        )
    for segment in record.segments:
        seg_sink = _Sink(out, record.number, segment.layout.name, segment.start)
        _check_layout(segment.layout, segment.text, seg_sink)
        if segment.layout.name in {"J1", "J2"}:
            s_where = _at(segment.layout, "socialSecurityNumber")
            _check_ssn(segment.text[s_where[0]], s_where[1], seg_sink)


def account_key(text: str) -> tuple[str, str]:
    """A base segment's account: its identification number and account number."""
    return text[_IDENT_S].strip(), text[_ACCOUNT_S].rstrip()


def duplicate(record: Record, out: list[Problem]) -> None:
    """The problem of a base segment that is its account's second in the file."""
    ident, account = account_key(record.text)
    _Sink(out, record.number, "base").add(
        _ACCOUNT[1],
        ERROR,
        "cross.duplicate_account",
        f"account {account!r} of {ident!r} appears more than once in the file",
    )


def _check_dates(text: str, sink: _Sink, created: date | None, created_ymd: str) -> None:
    """The date order rules, on dates known to be valid (compared as YYYYMMDD text)."""
    opened, dai = _ymd(text[_OPENED_S]), _ymd(text[_DAI_S])
    zero = "00000000"
    if opened > dai and dai != zero:
        sink.add(
            _OPENED[1],
            ERROR,
            "cross.date_opened",
            f"date opened {_date(text[_OPENED_S])} is after the date of account information "
            f"{_date(text[_DAI_S])}",
        )
    for where, what in _LATER_DATES:
        value = _ymd(text[where[0]])
        if value > dai and dai != zero and value != zero:
            sink.add(
                where[1],
                ERROR,
                "cross.date_order",
                f"{what} {_date(text[where[0]])} is after the date of account information "
                f"{_date(text[_DAI_S])}",
            )
    closed = _ymd(text[_CLOSED_S])
    if closed != zero and opened != zero and closed < opened:
        sink.add(
            _CLOSED[1],
            ERROR,
            "cross.date_order",
            f"date closed {_date(text[_CLOSED_S])} is before date opened {_date(text[_OPENED_S])}",
        )
    if created_ymd and dai != zero and dai > created_ymd:
        sink.add(
            _DAI[1],
            ERROR,
            "cross.date_order",
            f"the date of account information {_date(text[_DAI_S])} is after the file's "
            f"creation date {created}",
        )


def _check_dates_slowly(text: str, sink: _Sink, created: date | None) -> None:
    """The date order rules for a record with unreadable dates: those that can be read."""
    opened, dai = _safe_date(text, _OPENED), _safe_date(text, _DAI)
    if rules.is_date_after(opened, dai):
        sink.add(
            _OPENED[1],
            ERROR,
            "cross.date_opened",
            f"date opened {opened} is after the date of account information {dai}",
        )
    for where, what in _LATER_DATES:
        value = _safe_date(text, where)
        if rules.is_date_after(value, dai):
            sink.add(
                where[1],
                ERROR,
                "cross.date_order",
                f"{what} {value} is after the date of account information {dai}",
            )
    closed = _safe_date(text, _CLOSED)
    if rules.is_date_after(opened, closed):
        sink.add(
            _CLOSED[1],
            ERROR,
            "cross.date_order",
            f"date closed {closed} is before date opened {opened}",
        )
    if rules.is_date_after(dai, created):
        sink.add(
            _DAI[1],
            ERROR,
            "cross.date_order",
            f"the date of account information {dai} is after the file's creation date {created}",
        )


_LATER_DATES = (
    (_DOFD, "date of first delinquency"),
    (_CLOSED, "date closed"),
    (_LAST_PAYMENT, "date of last payment"),
)


def tally(text: str, segments: Sequence[Segment], counts: Counter[str]) -> None:
    """Count what the trailer totals of one base segment and its segments."""
    counts["status:" + text[_STATUS_S].strip()] += 1
    if text[_ECOA_S] == "Z":
        counts["ecoaZ"] += 1
    ssn = text[_SSN_S]
    if ssn.isdigit() and int(ssn) and rules.ssn_known(ssn):
        counts["ssn:base"] += 1
    if text[_DOB_S].strip("0 "):
        counts["dob:base"] += 1
    if text[_PHONE_S].strip("0 "):
        counts["phone"] += 1
    tally_segments(segments, counts)


def tally_segments(segments: Sequence[Segment], counts: Counter[str]) -> None:
    """Count what the trailer totals of a base segment's appended segments."""
    for segment in segments:
        name = segment.layout.name
        counts["segment:" + name] += 1
        if name in {"J1", "J2"}:
            s_ssn = segment.text[_J_SSN]
            if s_ssn.isdigit() and int(s_ssn) and rules.ssn_known(s_ssn):
                counts["ssn:" + name] += 1
            if segment.text[_J_DOB].strip("0 "):
                counts["dob:" + name] += 1
            if segment.text[_J_PHONE].strip("0 "):
                counts["phone"] += 1


def _status_tally(code: str) -> Callable[[Counter[str], int], int]:
    def _count(counts: Counter[str], _bases: int) -> int:
        return counts["status:" + code]

    return _count


#: How each trailer count is tallied from the base segments' counters.
TRAILER_TALLIES: dict[str, Callable[[Counter[str], int], int]] = {
    "totalBaseRecords": lambda c, n: n,
    "totalConsumerSegmentsJ1": lambda c, n: c["segment:J1"],
    "totalConsumerSegmentsJ2": lambda c, n: c["segment:J2"],
    "totalECOACodeZ": lambda c, n: c["ecoaZ"],
    "totalEmploymentSegments": lambda c, n: c["segment:N1"],
    "totalOriginalCreditorSegments": lambda c, n: c["segment:K1"],
    "totalPurchasedToSegments": lambda c, n: c["segment:K2"],
    "totalMortgageInformationSegments": lambda c, n: c["segment:K3"],
    "totalPaymentInformationSegments": lambda c, n: c["segment:K4"],
    "totalChangeSegments": lambda c, n: c["segment:L1"],
    "totalSocialNumbersAllSegments": lambda c, n: c["ssn:base"] + c["ssn:J1"] + c["ssn:J2"],
    "totalSocialNumbersBaseSegments": lambda c, n: c["ssn:base"],
    "totalSocialNumbersJ1Segments": lambda c, n: c["ssn:J1"],
    "totalSocialNumbersJ2Segments": lambda c, n: c["ssn:J2"],
    "totalDatesBirthAllSegments": lambda c, n: c["dob:base"] + c["dob:J1"] + c["dob:J2"],
    "totalDatesBirthBaseSegments": lambda c, n: c["dob:base"],
    "totalDatesBirthJ1Segments": lambda c, n: c["dob:J1"],
    "totalDatesBirthJ2Segments": lambda c, n: c["dob:J2"],
    "totalTelephoneNumbersAllSegments": lambda c, n: c["phone"],
    **{f"totalStatusCode{code}": _status_tally(code) for code in rules.ACCOUNT_STATUSES},
}
#: The trailer's block count is the number of blocks of a blocked file: not checked.
UNCHECKED_TRAILER_COUNTS = frozenset({"blockCount"})
if set(TRAILER_TALLIES) | UNCHECKED_TRAILER_COUNTS != set(TRAILER_COUNTS):  # pragma: no cover
    raise RuntimeError("every trailer count needs its tally")


def trailer_totals(counts: Counter[str], bases: int) -> dict[str, int]:
    """The trailer's counts for base segments tallied into ``counts``."""
    return {name: tally(counts, bases) for name, tally in TRAILER_TALLIES.items()}


def check_header(header: Record, out: list[Problem]) -> date | None:
    """The header's problems; its creation date (None when it has none)."""
    _check_layout(HEADER, header.text, _Sink(out, header.number, "header"))
    try:
        return _date(header.text[_at(HEADER, "dateCreated")[0]])
    except ValueError:
        return None


def check_trailer(trailer: Record, counts: Counter[str], bases: int, out: list[Problem]) -> None:
    """The trailer's problems, its totals against the base segments' tallied ``counts``."""
    t_sink = _Sink(out, trailer.number, "trailer")
    _check_layout(TRAILER, trailer.text, t_sink)
    expected = trailer_totals(counts, bases)
    for name, value in expected.items():
        where = _at(TRAILER, name)
        stated = trailer.text[where[0]]
        if stated.isdigit() and int(stated) != value:
            t_sink.add(
                where[1],
                ERROR,
                "cross.trailer_total",
                f"the trailer says {int(stated)}; the base segments give {value}",
            )


def check_file(parsed: Metro2File) -> Report:
    """Every problem of a read file: structure, header, each base, the trailer's totals.

    The base segments are checked all at once, column by column (``columns``); the few
    records that may have a problem are then checked one by one, which words each
    problem found."""
    out = list(parsed.problems)
    created = check_header(parsed.header, out)
    table = parsed.table
    repeated = set(columns.repeats(table))
    for row in sorted(set(columns.suspects(table, created).tolist()) | repeated):
        record = table.record(row)
        check_base(record, out, created)
        if row in repeated:
            duplicate(record, out)
    counts = columns.tallies(table)
    for row in table.segmented.tolist():
        tally_segments(table.record(row).segments, counts)
    check_trailer(parsed.trailer, counts, len(table), out)
    out.sort(key=lambda p: p.record)
    return Report(records=len(table) + 2, base_records=len(table), problems=out)


def check(data: bytes) -> tuple[Metro2File, Report]:
    """Read and check a file (``Metro2Unreadable`` when it cannot be read as records)."""
    parsed = read(data)
    return parsed, check_file(parsed)
