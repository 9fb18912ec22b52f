"""The column-wise validator reports exactly what the record-by-record one did: on the
corpus, on the repository's files, and on files whose records are broken at random (a field
set to a value that breaks or skirts a rule, a byte changed, an account repeated). The
record-by-record validator is kept as the reference in tests/metro2_reference.py."""

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.core.errors import DomainError
from service.metro2 import reader, rules
from service.metro2.fields import BASE, BDW_LENGTH, RECORD_LENGTH
from service.metro2.reader import read
from service.metro2.validator import check_file
from tests.metro2_files import CARD, metro2_file
from tests.metro2_reference import check_record_by_record

CORPUS = Path(
    os.environ.get(
        "CLEARFILE_METRO2_CORPUS",
        Path(__file__).resolve().parents[2] / ".." / "shared" / "metro2" / "corpus",
    )
)
CORPUS_FILES = (
    "unpacked_fixed_file.dat",
    "unpacked_fixed_request.dat",
    "unpacked_variable_file.dat",
)

#: Valid records of several kinds, so that the rules on statuses, ratings, portfolios and
#: identities each have records to break.
_KINDS: list[dict[str, Any]] = [
    CARD,
    {
        **CARD,
        "accountStatus": "71",
        "paymentHistoryProfile": "100000000000BBBBBBBBBBBB",
        "amountPastDue": 40,
        "dateFirstDelinquency": date(2026, 9, 1),
    },
    {
        **CARD,
        "portfolioType": "I",
        "accountType": "01",
        "termsDuration": "036",
        "creditLimit": 0,
        "highestCredit": 9000,
    },
    {
        **CARD,
        "accountStatus": "13",
        "paymentRating": "0",
        "currentBalance": 0,
        "dateClosed": date(2026, 10, 1),
    },
    {
        **CARD,
        "accountStatus": "97",
        "paymentHistoryProfile": "L65432100000BBBBBBBBBBBB",
        "amountPastDue": 450,
        "originalChargeOffAmount": 450,
        "dateFirstDelinquency": date(2026, 3, 1),
        "specialComment": "AX",
        "complianceConditionCode": "XB",
    },
    {**CARD, "accountStatus": "DA"},
    {**CARD, "socialSecurityNumber": 999999999, "ecoaCode": "2", "dateBirth": None},
    {**CARD, "identificationNumber": " FURN|SHER", "consumerAccountNumber": "A|B"},
]
KINDS = [
    {**kind, "consumerAccountNumber": f"CARD-{i + 1:04d}"}
    if kind["consumerAccountNumber"] == CARD["consumerAccountNumber"]
    else kind
    for i, kind in enumerate(_KINDS)
]

#: Texts worth trying in any field: they break a rule, or come close to breaking one.
_NEAR = [
    "",
    " ",
    "0",
    "1",
    "9",
    "B",
    "|",
    "Z",
    "X",
    "LOC",
    "REV",
    "000",
    "999999999",
    "000123456",
    "123456789",
    "11012026",
    "11022026",
    "11032026",
    "02292024",
    "02292023",
    "13012026",
    "00002026",
    "01000000",
    "04312026",
    "00000000",
    "0000000000B0BBBBBBBBBBBB",
    "B00000000000BBBBBBBBBBBB",
    "E00000000000BBBBBBBBBBBB",
    "100000000000BBBBBBBBBBBB",
    "    ",
    " 11",
    "AB CD",
    "00000",
    "99999",
    "CARD-0001",
    "01012019",
    "12312099",
    "09012026",
]
_CODES = sorted(
    rules.ACCOUNT_STATUSES
    | rules.ACCOUNT_TYPES
    | rules.SPECIAL_COMMENTS
    | rules.COMPLIANCE_CONDITIONS
    | rules.PAYMENT_RATINGS
    | rules.PORTFOLIO_TYPES
    | rules.ECOA_CODES
    | rules.TERMS_FREQUENCIES
    | rules.GENERATION_CODES
    | rules.ADDRESS_INDICATORS
)
_FIELDS = [f for f in BASE.fields if f.name != "recordDescriptorWord"]


@st.composite
def _field_text(draw: st.DrawFn, width: int) -> str:
    text = draw(
        st.sampled_from(_NEAR + _CODES)
        | st.text(alphabet=" 0123456789ABDEGHJKLRXZ|-", min_size=1, max_size=width)
    )
    text = text[:width]
    if draw(st.booleans()):
        return text.rjust(width, draw(st.sampled_from(" 0")))
    return text.ljust(width)


@st.composite
def _change(draw: st.DrawFn, records: int) -> tuple[int, int, str]:
    """(record, 0-based position, new text): a field set, a byte changed, or an account
    copied from another record."""
    row = draw(st.integers(0, records - 1))
    how = draw(st.sampled_from(["field", "field", "field", "byte", "account"]))
    if how == "byte":
        return (
            row,
            draw(st.integers(4, RECORD_LENGTH - 1)),
            draw(st.characters(min_codepoint=32, max_codepoint=126)),
        )
    if how == "account":
        return row, -1 - draw(st.integers(0, records - 1)), ""
    f = draw(st.sampled_from(_FIELDS))
    return row, f.start - 1, draw(_field_text(f.length))


_IDENT = BASE.by_name["identificationNumber"]
_ACCOUNT = BASE.by_name["consumerAccountNumber"]


def _apply(lines: list[str], changes: list[tuple[int, int, str]]) -> list[str]:
    lines = list(lines)
    for row, at, text in changes:
        line = lines[row + 1]
        if at < 0:  # copy the account of another record
            source = lines[-at]
            for f in (_IDENT, _ACCOUNT):
                line = line[: f.start - 1] + source[f.start - 1 : f.end] + line[f.end :]
        else:
            line = line[:at] + text + line[at + len(text) :]
        lines[row + 1] = line
    return lines


def _shapes(lines: list[str]) -> dict[str, bytes]:
    """The same records laid out as every reader path takes them."""
    blocked = [f"{len(line) + BDW_LENGTH:04d}{line}" for line in lines[:-1]] + [lines[-1]]
    return {
        "lines": ("\n".join(lines) + "\n").encode(),
        "crlf": ("\r\n".join(lines) + "\r\n").encode(),
        "stream": "".join(lines).encode(),
        "wrapped": "\n".join(
            "".join(lines)[i : i + 80] for i in range(0, 426 * len(lines), 80)
        ).encode(),
        "blocked": ("\n".join(blocked) + "\n").encode(),
    }


def assert_same_report(data: bytes) -> None:
    try:
        parsed = read(data)
    except DomainError:
        return  # the reader refuses it before any check: the same for both
    new = check_file(parsed)
    old = check_record_by_record(read(data))
    assert new.problems == old.problems
    assert (new.records, new.base_records) == (old.records, old.base_records)


def _lines() -> list[str]:
    return metro2_file(KINDS).decode().splitlines()


def _variants(text: str, width: int) -> set[str]:
    text = text[:width]
    return {text.ljust(width), text.rjust(width), text.rjust(width, "0")}


@pytest.mark.parametrize("kind", range(len(KINDS)))
def test_every_field_set_to_every_near_value_gets_the_same_report(kind: int) -> None:
    """One record for each field of a valid record set to each value near a rule."""
    base = metro2_file([KINDS[kind]]).decode().splitlines()
    header, record, trailer = base
    records = [
        record[: f.start - 1] + value + record[f.end :]
        for f in _FIELDS
        for text in _NEAR + (_CODES if f.length <= 3 else [])
        for value in _variants(text, f.length)
    ]
    data = ("\n".join([header, *records, trailer]) + "\n").encode()
    assert read(data).table.records is None  # read as columns
    assert_same_report(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(_change(len(KINDS)), min_size=1, max_size=4),
    st.sampled_from(["lines", "crlf", "stream", "wrapped", "blocked"]),
)
def test_randomly_broken_records_get_the_same_report(
    changes: list[tuple[int, int, str]], shape: str
) -> None:
    lines = _apply(_lines(), changes)
    assert_same_report(_shapes(lines)[shape])


@pytest.mark.parametrize("shape", ["lines", "crlf", "stream", "wrapped", "blocked"])
def test_the_valid_kinds_get_the_same_report_in_every_shape(shape: str) -> None:
    data = _shapes(_lines())[shape]
    assert_same_report(data)
    # The last kind repeats neither account nor rule; the file is valid.
    assert check_file(read(data)).valid


def test_a_plain_file_is_read_as_columns_and_an_odd_one_record_by_record() -> None:
    shapes = _shapes(_lines())
    for shape in ("lines", "crlf", "stream", "wrapped"):
        assert read(shapes[shape]).table.records is None, shape
    assert read(shapes["blocked"]).table.records is not None


@pytest.mark.parametrize("shape", ["lines", "crlf", "stream", "wrapped"])
def test_columns_read_the_same_records_as_the_record_reader(
    shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _shapes(_lines())[shape]
    fast = read(data)
    monkeypatch.setattr(reader, "_uniform_rows", lambda data: None)
    slow = read(data)
    assert slow.table.records is not None
    assert (fast.header, fast.trailer, fast.blocked, fast.problems) == (
        slow.header,
        slow.trailer,
        slow.blocked,
        slow.problems,
    )
    assert fast.bases == slow.bases
    assert (fast.table.rows == slow.table.rows).all()
    assert fast.table.numbers.tolist() == slow.table.numbers.tolist()
    assert fast.table.lengths.tolist() == slow.table.lengths.tolist()


def test_repeated_accounts_are_reported_at_their_second_record_only() -> None:
    lines = _lines()
    data = (
        "\n".join([lines[0], lines[1], lines[1], lines[2], lines[1], *lines[2:]]) + "\n"
    ).encode()
    report = check_file(read(data))
    assert [(p.rule, p.record) for p in report.problems if p.rule == "cross.duplicate_account"] == [
        ("cross.duplicate_account", 3),  # the first record's second; its third (5) is not
        ("cross.duplicate_account", 6),  # the second record's second
    ]
    assert_same_report(data)


pytestmark_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"the Metro 2 corpus is not at {CORPUS} (CI has it)"
)


@pytest.mark.parametrize(
    "keys",
    [
        [("FURNI|SHER", "X1"), ("FURNI", "SHER|X1")],
        [("FURNISHER01", "X|1"), ("FURNISHER01|X", "1")],
        [("FURNISHER01", "X2"), (" FURNISHER01", "X2")],
    ],
)
def test_a_bar_or_a_leading_blank_in_an_account_key_counts_as_the_validator_keys_it(
    keys: list[tuple[str, str]],
) -> None:
    """The validator keys an account by its identification number stripped, a bar, and
    its account number: these records repeat one account although their texts differ."""
    records = [
        {**CARD, "identificationNumber": ident, "consumerAccountNumber": account}
        for ident, account in keys
    ]
    report = check_file(read(metro2_file(records)))
    repeated = [p.record for p in report.problems if p.rule == "cross.duplicate_account"]
    assert repeated == [3]
    assert_same_report(metro2_file(records))


@pytestmark_corpus
@pytest.mark.parametrize("name", CORPUS_FILES)
def test_the_corpus_files_get_the_same_report(name: str) -> None:
    assert_same_report((CORPUS / name).read_bytes())


@pytestmark_corpus
@settings(max_examples=100, deadline=None)
@given(st.sampled_from(CORPUS_FILES), st.data())
def test_randomly_broken_corpus_records_get_the_same_report(name: str, data: st.DataObject) -> None:
    raw = bytearray((CORPUS / name).read_bytes())
    base_starts = [raw.find(base.text.encode()) for base in read(bytes(raw)).bases]
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(raw) - 1))
        if base_starts and data.draw(st.booleans()):
            f = data.draw(st.sampled_from(_FIELDS))
            start = data.draw(st.sampled_from(base_starts)) + f.start - 1
            text = data.draw(_field_text(f.length)).encode()
            raw[start : start + len(text)] = text
        elif raw[at] not in b"\r\n":
            raw[at] = data.draw(st.integers(32, 126))
    assert_same_report(bytes(raw))


def _odd_shapes() -> dict[str, bytes]:
    lines = _lines()
    text = "\n".join(lines) + "\n"
    return {
        "no final line break": text[:-1].encode(),
        "a blank line": ("\n".join([*lines[:2], "", *lines[2:]]) + "\n").encode(),
        "leading line breaks": ("\n\r\n" + text).encode(),
        "trailing blank lines": (text + "\n   \n").encode(),
        "mixed line breaks": ("\r\n".join(lines[:3]) + "\n" + "\n".join(lines[3:]) + "\n").encode(),
        "a trimmed line": text.replace(lines[2], lines[2].rstrip(), 1).encode(),
        "a line one byte long": text.replace(lines[2], lines[2] + "X", 1).encode(),
        "a second header": text.replace(lines[2], lines[0], 1).encode(),
        "a trailer inside": text.replace(lines[2], lines[-1], 1).encode(),
        "no trailer": ("\n".join(lines[:-1]) + "\n").encode(),
        "header only": (lines[0] + "\n").encode(),
        "an RDW of 0427": text.replace(lines[2], "0427" + lines[2][4:] + " ", 1).encode(),
        "a CR inside": text.replace(lines[2], lines[2][:300] + "\r" + lines[2][301:], 1).encode(),
        "a tab inside": text.replace(lines[2], lines[2][:300] + "\t" + lines[2][301:], 1).encode(),
        "not ASCII": text.replace(lines[2], lines[2][:300] + "é" + lines[2][301:], 1).encode(),
        "two records a line": (
            lines[0] + "\n" + "".join(lines[1:3]) + "\n" + "\n".join(lines[3:]) + "\n"
        ).encode(),
        "an RDW of 0425": text.replace(lines[2], "0425" + lines[2][4:], 1).encode(),
        "a short line and a long one": text.replace(
            lines[2] + "\n" + lines[3], lines[2][:-1] + "\n" + lines[2][-1] + lines[3], 1
        ).encode(),
        "a tab inside a stream": "".join(lines)
        .replace(lines[2], lines[2][:300] + "\t" + lines[2][301:], 1)
        .encode(),
        "a line break as the last byte of the header line": text.replace(
            lines[0] + "\n", lines[0][:-1] + "\n\n", 1
        ).encode(),
        "a CR for a line break": text.replace(lines[2] + "\n", lines[2] + "\r", 1).encode(),
        "stream and a stray blank": ("".join(lines) + " ").encode(),
    }


@pytest.mark.parametrize("shape", sorted(_odd_shapes()))
def test_odd_shapes_read_as_the_record_reader_reads_them(
    shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _odd_shapes()[shape]

    def outcome() -> object:
        try:
            parsed = read(data)
        except DomainError as exc:
            return type(exc), exc.detail
        return check_file(parsed).problems, parsed.bases, parsed.header, parsed.trailer

    fast = outcome()
    monkeypatch.setattr(reader, "_uniform_rows", lambda data: None)
    assert fast == outcome()
