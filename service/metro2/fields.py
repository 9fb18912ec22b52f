"""The Metro 2 character-format layout: one declarative table per record and segment.

Each field is (CRRG field number, name, first position, length, type, use, meaning), with
1-based inclusive positions. The reader, the writer, the validator's layout checks and the
fast record pattern are all made from these tables, so a position is written down once.

Positions follow moov-io/metro2 ``pkg/lib/specifications.go`` (Apache-2.0), which agrees
with CDIA's *Credit Reporting Resource Guide* (CRRG) Metro 2 character format; names are
moov's JSON keys, so a parsed record compares directly with moov's JSON rendering.

Types: ``A`` alphanumeric (left-justified, blank-filled), ``N`` numeric (right-justified,
zero-filled, whole dollars for amounts), ``D`` date ``MMDDYYYY`` (zeros when absent),
``T`` timestamp ``MMDDYYYYHHMMSS``. Use: ``R`` required, ``A`` reported when it applies,
``O`` optional. A field whose name starts with ``reserved`` is blank filler.
"""

import re
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True, slots=True)
class Field:
    number: str
    name: str
    start: int
    length: int
    kind: str
    use: str
    meaning: str

    @property
    def end(self) -> int:
        return self.start + self.length - 1

    @property
    def positions(self) -> str:
        return f"{self.start}-{self.end}" if self.length > 1 else str(self.start)

    @property
    def reserved(self) -> bool:
        return self.name.startswith("reserved")


@dataclass(frozen=True)
class Layout:
    """A record or segment: its name, its fixed length and its fields in order."""

    name: str
    length: int
    fields: tuple[Field, ...]

    def __post_init__(self) -> None:
        position = 1
        for f in self.fields:
            if f.start != position:
                raise ValueError(f"{self.name}.{f.name} starts at {f.start}, not {position}")
            position = f.end + 1
        if position - 1 != self.length:
            raise ValueError(f"{self.name} fields cover {position - 1} bytes, not {self.length}")

    @cached_property
    def by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    @cached_property
    def named(self) -> tuple[Field, ...]:
        """The fields that carry data (reserved fillers left out)."""
        return tuple(f for f in self.fields if not f.reserved)

    @cached_property
    def slices(self) -> tuple[tuple[str, int, int], ...]:
        """(name, start, stop) as Python slice bounds, for every field."""
        return tuple((f.name, f.start - 1, f.end) for f in self.fields)

    @cached_property
    def pattern(self) -> "re.Pattern[str]":
        """One regular expression a well-formed record matches: digits where the table says
        N, D or T, printable ASCII elsewhere. A record that matches needs no per-field type
        check (the fast path of the validator); one that does not is checked field by field."""
        parts = []
        for f in self.fields:
            if f.kind in {"N", "D", "T"}:
                parts.append(f"[0-9]{{{f.length}}}")
            elif f.reserved:
                parts.append(f" {{{f.length}}}")
            else:
                parts.append(f"[ -~]{{{f.length}}}")
        return re.compile("".join(parts))

    @cached_property
    def strict_pattern(self) -> "re.Pattern[str]":
        """``pattern``, and every required field present: not blank (A), not zeros (D). A
        record that matches needs neither the per-field type check nor the required one."""
        parts = []
        for f in self.fields:
            if f.kind in {"N", "D", "T"}:
                absent = f"(?!0{{{f.length}}})" if f.use == "R" and f.kind == "D" else ""
                parts.append(f"{absent}[0-9]{{{f.length}}}")
            elif f.reserved:
                parts.append(f" {{{f.length}}}")
            else:
                absent = f"(?! {{{f.length}}})" if f.use == "R" else ""
                parts.append(f"{absent}[ -~]{{{f.length}}}")
        return re.compile("".join(parts))


def _fields(*rows: tuple[str, str, int, int, str, str, str]) -> tuple[Field, ...]:
    return tuple(Field(*row) for row in rows)


HEADER = Layout(
    "header",
    426,
    _fields(
        ("1", "recordDescriptorWord", 1, 4, "N", "R", "record length"),
        ("2", "recordIdentifier", 5, 6, "A", "R", "constant HEADER"),
        ("3", "cycleIdentifier", 11, 2, "A", "A", "cycle code, or blank"),
        ("4", "innovisProgramIdentifier", 13, 10, "A", "A", "furnisher id at Innovis"),
        ("5", "equifaxProgramIdentifier", 23, 10, "A", "A", "furnisher id at Equifax"),
        ("6", "experianProgramIdentifier", 33, 5, "A", "A", "furnisher id at Experian"),
        ("7", "transUnionProgramIdentifier", 38, 10, "A", "A", "furnisher id at TransUnion"),
        ("8", "activityDate", 48, 8, "D", "R", "date the reported activity runs up to"),
        ("9", "dateCreated", 56, 8, "D", "R", "date the file was produced"),
        ("10", "programDate", 64, 8, "D", "O", "date the reporting program was written"),
        ("11", "programRevisionDate", 72, 8, "D", "O", "date that program last changed"),
        ("12", "reporterName", 80, 40, "A", "R", "furnisher name"),
        ("13", "reporterAddress", 120, 96, "A", "R", "furnisher address"),
        ("14", "reporterTelephoneNumber", 216, 10, "N", "O", "furnisher telephone"),
        ("15", "softwareVendorName", 226, 40, "A", "A", "software vendor"),
        ("16", "softwareVersionNumber", 266, 5, "A", "A", "software version"),
        ("17", "prbcProgramIdentifier", 271, 10, "A", "A", "furnisher id at PRBC"),
        ("18", "reservedHeader", 281, 146, "A", "O", "reserved, blank"),
    ),
)

BASE = Layout(
    "base",
    426,
    _fields(
        ("1", "recordDescriptorWord", 1, 4, "N", "R", "length of base and appended segments"),
        ("2", "processingIndicator", 5, 1, "N", "O", "always 1"),
        ("3", "timeStamp", 6, 14, "T", "O", "when the account's data was last updated"),
        ("4", "correctionIndicator", 20, 1, "N", "O", "0 normal, 1 correction"),
        ("5", "identificationNumber", 21, 20, "A", "R", "furnisher/branch id"),
        ("6", "cycleIdentifier", 41, 2, "A", "A", "billing-cycle code"),
        ("7", "consumerAccountNumber", 43, 30, "A", "R", "the account number"),
        ("8", "portfolioType", 73, 1, "A", "R", "C, I, M, O or R"),
        ("9", "accountType", 74, 2, "A", "R", "product code (CRRG exhibit)"),
        ("10", "dateOpened", 76, 8, "D", "R", "date opened"),
        ("11", "creditLimit", 84, 9, "N", "A", "credit limit"),
        ("12", "highestCredit", 93, 9, "N", "O", "highest credit or original loan amount"),
        ("13", "termsDuration", 102, 3, "A", "R", "months, years, LOC, REV or 001"),
        ("14", "termsFrequency", 105, 1, "A", "A", "payment frequency"),
        ("15", "scheduledMonthlyPaymentAmount", 106, 9, "N", "A", "scheduled payment"),
        ("16", "actualPaymentAmount", 115, 9, "N", "A", "amount received this period"),
        ("17A", "accountStatus", 124, 2, "A", "R", "account status"),
        ("17B", "paymentRating", 126, 1, "A", "A", "payment rating"),
        ("18", "paymentHistoryProfile", 127, 24, "A", "R", "24 months, most recent first"),
        ("19", "specialComment", 151, 2, "A", "A", "special comment"),
        ("20", "complianceConditionCode", 153, 2, "A", "A", "compliance condition"),
        ("21", "currentBalance", 155, 9, "N", "A", "current balance"),
        ("22", "amountPastDue", 164, 9, "N", "A", "amount past due"),
        ("23", "originalChargeOffAmount", 173, 9, "N", "A", "original charge-off amount"),
        ("24", "dateAccountInformation", 182, 8, "D", "R", "as-of date of the record"),
        ("25", "dateFirstDelinquency", 190, 8, "D", "A", "FCRA date of first delinquency"),
        ("26", "dateClosed", 198, 8, "D", "A", "date closed"),
        ("27", "dateLastPayment", 206, 8, "D", "A", "date of last payment"),
        ("28", "interestTypeIndicator", 214, 1, "A", "O", "F fixed, V variable"),
        ("29", "reservedBase", 215, 17, "A", "O", "reserved, blank"),
        ("30", "surname", 232, 25, "A", "R", "surname"),
        ("31", "firstName", 257, 20, "A", "R", "first name"),
        ("32", "middleName", 277, 20, "A", "A", "middle name"),
        ("33", "generationCode", 297, 1, "A", "A", "generation code"),
        ("34", "socialSecurityNumber", 298, 9, "N", "O", "national id (SSN)"),
        ("35", "dateBirth", 307, 8, "D", "O", "date of birth"),
        ("36", "telephoneNumber", 315, 10, "N", "O", "telephone"),
        ("37", "ecoaCode", 325, 1, "A", "R", "ECOA code"),
        ("38", "consumerInformationIndicator", 326, 2, "A", "A", "consumer information"),
        ("39", "countryCode", 328, 2, "A", "O", "country"),
        ("40", "firstLineAddress", 330, 32, "A", "R", "first line of address"),
        ("41", "secondLineAddress", 362, 32, "A", "A", "second line of address"),
        ("42", "city", 394, 20, "A", "R", "city"),
        ("43", "state", 414, 2, "A", "R", "state"),
        ("44", "zipCode", 416, 9, "A", "R", "postal code"),
        ("45", "addressIndicator", 425, 1, "A", "O", "address indicator"),
        ("46", "residenceCode", 426, 1, "A", "O", "residence code"),
    ),
)

_TRAILER_COUNTS = (
    "totalBaseRecords",
    "reservedTrailer1",
    "totalStatusCodeDF",
    "totalConsumerSegmentsJ1",
    "totalConsumerSegmentsJ2",
    "blockCount",
    "totalStatusCodeDA",
    "totalStatusCode05",
    "totalStatusCode11",
    "totalStatusCode13",
    "totalStatusCode61",
    "totalStatusCode62",
    "totalStatusCode63",
    "totalStatusCode64",
    "totalStatusCode65",
    "totalStatusCode71",
    "totalStatusCode78",
    "totalStatusCode80",
    "totalStatusCode82",
    "totalStatusCode83",
    "totalStatusCode84",
    "totalStatusCode88",
    "totalStatusCode89",
    "totalStatusCode93",
    "totalStatusCode94",
    "totalStatusCode95",
    "totalStatusCode96",
    "totalStatusCode97",
    "totalECOACodeZ",
    "totalEmploymentSegments",
    "totalOriginalCreditorSegments",
    "totalPurchasedToSegments",
    "totalMortgageInformationSegments",
    "totalPaymentInformationSegments",
    "totalChangeSegments",
    "totalSocialNumbersAllSegments",
    "totalSocialNumbersBaseSegments",
    "totalSocialNumbersJ1Segments",
    "totalSocialNumbersJ2Segments",
    "totalDatesBirthAllSegments",
    "totalDatesBirthBaseSegments",
    "totalDatesBirthJ1Segments",
    "totalDatesBirthJ2Segments",
    "totalTelephoneNumbersAllSegments",
)

#: The first position of the trailer's 9-digit counts, and their width.
TRAILER_FIRST_COUNT = 12
TRAILER_COUNT_WIDTH = 9

TRAILER = Layout(
    "trailer",
    426,
    (
        Field("1", "recordDescriptorWord", 1, 4, "N", "R", "record length"),
        Field("2", "recordIdentifier", 5, 7, "A", "R", "constant TRAILER"),
        *(
            Field(
                str(i + 3),
                name,
                TRAILER_FIRST_COUNT + i * TRAILER_COUNT_WIDTH,
                TRAILER_COUNT_WIDTH,
                "A" if name.startswith("reserved") else "N",
                "O",
                "reserved, blank" if name.startswith("reserved") else "count",
            )
            for i, name in enumerate(_TRAILER_COUNTS)
        ),
        Field("47", "reservedTrailer2", 408, 19, "A", "O", "reserved, blank"),
    ),
)

#: The trailer's named counts (its fields other than the RDW, identifier and fillers).
TRAILER_COUNTS = tuple(n for n in _TRAILER_COUNTS if not n.startswith("reserved"))

_CONSUMER = (
    ("1", "segmentIdentifier", 1, 2, "A", "R", "segment id"),
    ("2", "reservedConsumer", 3, 1, "A", "O", "reserved, blank"),
    ("3", "surname", 4, 25, "A", "R", "surname"),
    ("4", "firstName", 29, 20, "A", "R", "first name"),
    ("5", "middleName", 49, 20, "A", "A", "middle name"),
    ("6", "generationCode", 69, 1, "A", "A", "generation code"),
    ("7", "socialSecurityNumber", 70, 9, "N", "O", "national id (SSN)"),
    ("8", "dateBirth", 79, 8, "D", "O", "date of birth"),
    ("9", "telephoneNumber", 87, 10, "N", "O", "telephone"),
    ("10", "ecoaCode", 97, 1, "A", "R", "ECOA code"),
    ("11", "consumerInformationIndicator", 98, 2, "A", "A", "consumer information"),
)

J1 = Layout(
    "J1",
    100,
    _fields(*_CONSUMER, ("12", "reservedJ1", 100, 1, "A", "O", "reserved, blank")),
)

J2 = Layout(
    "J2",
    200,
    _fields(
        *_CONSUMER,
        ("12", "countryCode", 100, 2, "A", "O", "country"),
        ("13", "firstLineAddress", 102, 32, "A", "R", "first line of address"),
        ("14", "secondLineAddress", 134, 32, "A", "A", "second line of address"),
        ("15", "city", 166, 20, "A", "R", "city"),
        ("16", "state", 186, 2, "A", "R", "state"),
        ("17", "zipCode", 188, 9, "A", "R", "postal code"),
        ("18", "addressIndicator", 197, 1, "A", "O", "address indicator"),
        ("19", "residenceCode", 198, 1, "A", "O", "residence code"),
        ("20", "reservedJ2", 199, 2, "A", "O", "reserved, blank"),
    ),
)

K1 = Layout(
    "K1",
    34,
    _fields(
        ("1", "segmentIdentifier", 1, 2, "A", "R", "segment id"),
        ("2", "originalCreditorName", 3, 30, "A", "R", "original creditor"),
        ("3", "creditorClassification", 33, 2, "N", "R", "creditor classification"),
    ),
)

K2 = Layout(
    "K2",
    34,
    _fields(
        ("1", "segmentIdentifier", 1, 2, "A", "R", "segment id"),
        ("2", "purchasedIndicator", 3, 1, "N", "R", "1 from, 2 to, 9 remove"),
        ("3", "purchasedName", 4, 30, "A", "R", "purchased from / sold to"),
        ("4", "reservedK2", 34, 1, "A", "O", "reserved, blank"),
    ),
)

K3 = Layout(
    "K3",
    40,
    _fields(
        ("1", "segmentIdentifier", 1, 2, "A", "R", "segment id"),
        ("2", "agencyIdentifier", 3, 2, "N", "O", "00 none, 01 Fannie Mae, 02 Freddie Mac"),
        ("3", "accountNumber", 5, 18, "A", "O", "agency account number"),
        ("4", "mortgageIdentificationNumber", 23, 18, "A", "O", "MERS MIN"),
    ),
)

K4 = Layout(
    "K4",
    30,
    _fields(
        ("1", "segmentIdentifier", 1, 2, "A", "R", "segment id"),
        ("2", "specializedPaymentIndicator", 3, 2, "N", "R", "01 balloon, 02 deferred"),
        ("3", "deferredPaymentStartDate", 5, 8, "D", "O", "deferred payment start"),
        ("4", "balloonPaymentDueDate", 13, 8, "D", "O", "balloon payment due"),
        ("5", "balloonPaymentAmount", 21, 9, "N", "O", "balloon payment amount"),
        ("6", "reservedK4", 30, 1, "A", "O", "reserved, blank"),
    ),
)

L1 = Layout(
    "L1",
    54,
    _fields(
        ("1", "segmentIdentifier", 1, 2, "A", "R", "segment id"),
        ("2", "changeIndicator", 3, 1, "N", "R", "1 account no., 2 id no., 3 both"),
        ("3", "newConsumerAccountNumber", 4, 30, "A", "A", "new account number"),
        ("4", "newIdentificationNumber", 34, 20, "A", "A", "new identification number"),
        ("5", "reservedL1", 54, 1, "A", "O", "reserved, blank"),
    ),
)

N1 = Layout(
    "N1",
    146,
    _fields(
        ("1", "segmentIdentifier", 1, 2, "A", "R", "segment id"),
        ("2", "employerName", 3, 30, "A", "R", "employer"),
        ("3", "firstLineEmployerAddress", 33, 32, "A", "O", "employer address line 1"),
        ("4", "secondLineEmployerAddress", 65, 32, "A", "O", "employer address line 2"),
        ("5", "employerCity", 97, 20, "A", "O", "employer city"),
        ("6", "employerState", 117, 2, "A", "O", "employer state"),
        ("7", "zipCode", 119, 9, "A", "O", "employer postal code"),
        ("8", "occupation", 128, 18, "A", "O", "occupation"),
        ("9", "reservedN1", 146, 1, "A", "O", "reserved, blank"),
    ),
)

#: Appended segments by id, in the order they must follow the base segment.
SEGMENTS: dict[str, Layout] = {s.name: s for s in (J1, J2, K1, K2, K3, K4, L1, N1)}
SEGMENT_ORDER = tuple(SEGMENTS)
#: Segments that may repeat after one base segment.
REPEATABLE_SEGMENTS = frozenset({"J1", "J2"})

#: Bytes of a record descriptor word (RDW) and of a block descriptor word (BDW).
RDW_LENGTH = 4
BDW_LENGTH = 4
#: The fixed part of every character-format header, base and trailer record.
RECORD_LENGTH = 426
#: The packed format's header, base and trailer length (refused: out of scope).
PACKED_RECORD_LENGTH = 366
