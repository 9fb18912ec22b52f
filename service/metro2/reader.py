"""Read a character-format Metro 2 file into records, driven by the layout tables.

The file is a header, base segments (each with its appended segments) and a trailer. Each
record starts with a 4-digit record descriptor word (RDW, its length); variable-blocked
files also put a 4-digit block descriptor word (BDW) in front of the header and each base.
Records may sit one to a line, run on without line breaks, or be wrapped at any column:

* one record per line (the first line holds a whole header): each line is a record, and a
  line an editor cut short of its RDW (trailing blanks trimmed) is padded back with blanks;
* otherwise every CR and LF is dropped and the records are walked by their RDWs.

A file that cannot be read as records at all (empty, not ASCII text, packed, no header, a
record cut short, no trailer) raises ``Metro2Unreadable``; what can be read but is wrong in
its structure (an RDW that disagrees with the record, an unknown segment) is a ``Problem``
the validator reports with the rest.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt

from service.core.errors import FieldError, Metro2Unreadable, PackedMetro2
from service.metro2.fields import (
    BASE,
    BDW_LENGTH,
    HEADER,
    RDW_LENGTH,
    RECORD_LENGTH,
    REPEATABLE_SEGMENTS,
    SEGMENT_ORDER,
    SEGMENTS,
    TRAILER,
    Layout,
)
from service.metro2.problems import Problem, Severity

_HEADER_ID = "HEADER"
_TRAILER_ID = "TRAILER"
_BINARY = re.compile(r"[^\x20-\x7e\r\n]")
_DIGITS4 = re.compile(r"[0-9]{4}")


@dataclass(slots=True)
class Segment:
    """An appended segment: its layout, its text and where it starts in its record
    (0-based)."""

    layout: Layout
    text: str
    start: int


@dataclass(slots=True)
class Record:
    """A header, base or trailer record: its number in the file (header = 1), its layout,
    its fixed part's text, its appended segments (bases only), the whole record's text (the
    RDW's length, without BDW), and its BDW if it had one."""

    number: int
    layout: Layout
    text: str
    whole: str
    segments: list[Segment] = field(default_factory=list)
    bdw: str | None = None


Bytes = npt.NDArray[np.uint8]


@dataclass(slots=True, eq=False)
class BaseTable:
    """The base segments as columns: ``rows`` holds each base segment's fixed part (its
    first ``RECORD_LENGTH`` bytes) as a row of bytes, so that a field is a slice of
    columns; ``numbers`` their record numbers, ``lengths`` their whole records' lengths
    (RDW's view, BDW excluded); ``segmented`` the row of each base that carries appended
    segments; ``printable`` whether the rows are known to hold printable ASCII only (no
    CR). ``records`` holds the bases as records when the reader made them one by one;
    otherwise they are made from the rows when asked for."""

    rows: Bytes
    numbers: npt.NDArray[np.int64]
    lengths: npt.NDArray[np.int64]
    segmented: npt.NDArray[np.int64]
    printable: bool = False
    records: list[Record] | None = None

    def __len__(self) -> int:
        return len(self.numbers)

    @classmethod
    def of(cls, records: list[Record]) -> "BaseTable":
        text = "".join([r.text for r in records]).encode("ascii")
        return cls(
            rows=np.frombuffer(text, np.uint8).reshape(len(records), RECORD_LENGTH),
            numbers=np.array([r.number for r in records], np.int64),
            lengths=np.array([len(r.whole) for r in records], np.int64),
            segmented=np.array([i for i, r in enumerate(records) if r.segments], np.int64),
            records=records,
        )

    def record(self, row: int) -> Record:
        if self.records is not None:
            return self.records[row]
        text = self.rows[row].tobytes().decode("ascii")
        return Record(int(self.numbers[row]), BASE, text, text)

    def all_records(self) -> list[Record]:
        """Every base as a record (made once from the rows when the reader did not)."""
        if self.records is None:
            text = np.ascontiguousarray(self.rows).tobytes().decode("ascii")
            self.records = [
                Record(number, BASE, part, part)
                for number, part in zip(
                    self.numbers.tolist(),
                    [text[at : at + RECORD_LENGTH] for at in range(0, len(text), RECORD_LENGTH)],
                    strict=True,
                )
            ]
        return self.records


@dataclass
class Metro2File:
    """A read file: its header, its base segments (as a table of columns; ``bases`` gives
    them as records), its trailer, and the structural problems met while reading it."""

    header: Record
    table: BaseTable
    trailer: Record
    blocked: bool
    problems: list[Problem]

    @cached_property
    def bases(self) -> list[Record]:
        return self.table.all_records()


def _unreadable(detail: str, *, record: int | None = None, where: str = "file") -> Metro2Unreadable:
    name = f"record {record}" if record is not None else where
    return Metro2Unreadable(detail=detail, errors=[FieldError(name, detail)])


def _refuse_packed(data: bytes) -> None:
    """The packed format (binary RDW, 366-byte records) is out of scope: say so."""
    for at in (RDW_LENGTH, RDW_LENGTH + BDW_LENGTH):
        head = data[at - RDW_LENGTH : at]
        if data[at : at + len(_HEADER_ID)] == _HEADER_ID.encode() and not head.isdigit():
            raise PackedMetro2(
                detail="This is a packed-format Metro 2 file (binary record lengths). "
                "Clearfile reads the 426-byte character format only: send the character "
                "format.",
                errors=[FieldError("record 1", "binary record descriptor word")],
            )


def decode(data: bytes) -> str:
    """The file's text: ASCII only, no control characters but line breaks."""
    if not data.strip():
        raise _unreadable("The file is empty.")
    _refuse_packed(data)
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise _unreadable(
            f"Byte {exc.start + 1} (0x{data[exc.start]:02x}) is not ASCII: a Metro 2 "
            "character-format file is ASCII text (was it saved in another encoding?).",
            where=f"byte {exc.start + 1}",
        ) from None
    bad = None if text.replace("\n", "").replace("\r", "").isprintable() else _BINARY.search(text)
    if bad is not None:
        raise _unreadable(
            f"Byte {bad.start() + 1} is the control character 0x{ord(bad.group()):02x}: a "
            "Metro 2 character-format file holds printable characters and line breaks only.",
            where=f"byte {bad.start() + 1}",
        )
    return text


def _blocked(text: str) -> bool:
    if text[RDW_LENGTH : RDW_LENGTH + len(_HEADER_ID)] == _HEADER_ID:
        return False
    at = RDW_LENGTH + BDW_LENGTH
    if text[at : at + len(_HEADER_ID)] == _HEADER_ID:
        return True
    raise _unreadable(
        "The file does not start with a header record ('HEADER' at positions 5-10, or "
        "9-14 after a block descriptor word).",
        record=1,
    )


def _records_by_line(
    text: str, blocked: bool, problems: list[Problem]
) -> Iterator[tuple[str, str | None]]:
    """(record text, BDW) for each non-empty line, padded to its RDW if it was trimmed."""
    number = 0
    trailer_at = slice(RDW_LENGTH, RDW_LENGTH + len(_TRAILER_ID))
    for raw in text.split("\n"):
        line = raw[:-1] if raw[-1:] == "\r" else raw
        if not line or line.isspace():
            continue
        number += 1
        bdw = None
        if blocked and line[trailer_at] != _TRAILER_ID:
            bdw, line = line[:BDW_LENGTH], line[BDW_LENGTH:]
        rdw = line[:RDW_LENGTH]
        if not (rdw.isdigit() and len(rdw) == RDW_LENGTH):
            raise _unreadable(
                f"Record {number} starts with {rdw!r}, not a 4-digit record descriptor word.",
                record=number,
            )
        length = int(rdw)
        if len(line) < length:
            problems.append(
                Problem(
                    number,
                    "file",
                    "recordDescriptorWord",
                    "1-4",
                    Severity.warning,
                    "layout.rdw",
                    f"the line holds {len(line)} bytes, the RDW says {length}: trailing "
                    "blanks were trimmed (by an editor?) and are read back as blanks",
                )
            )
            line = line.ljust(length)
        elif len(line) > length:
            problems.append(
                Problem(
                    number,
                    "file",
                    "recordDescriptorWord",
                    "1-4",
                    Severity.error,
                    "layout.rdw",
                    f"the line holds {len(line)} bytes, the RDW says {length}",
                )
            )
        yield line, bdw


def _records_by_rdw(text: str, blocked: bool) -> Iterator[tuple[str, str | None]]:
    """(record text, BDW) walking the RDWs of a file without line structure."""
    stream = text.replace("\r", "").replace("\n", "")
    at, number = 0, 0
    while at < len(stream):
        if not stream[at:].strip():
            return
        number += 1
        bdw = None
        if blocked and stream[at + RDW_LENGTH : at + RDW_LENGTH + len(_TRAILER_ID)] != _TRAILER_ID:
            bdw = stream[at : at + BDW_LENGTH]
            at += BDW_LENGTH
        rdw = stream[at : at + RDW_LENGTH]
        if _DIGITS4.fullmatch(rdw) is None:
            raise _unreadable(
                f"Record {number} (character {at + 1}) starts with {rdw!r}, not a 4-digit "
                "record descriptor word.",
                record=number,
            )
        length = int(rdw)
        if length < RDW_LENGTH + len(_TRAILER_ID):
            raise _unreadable(
                f"Record {number}'s record descriptor word says {length} bytes: too short "
                "for any record.",
                record=number,
            )
        if at + length > len(stream):
            raise _unreadable(
                f"Record {number} is cut short: its RDW says {length} bytes, {len(stream) - at} "
                "remain. The file is truncated.",
                record=number,
            )
        yield stream[at : at + length], bdw
        at += length


def _segments(number: int, whole: str, problems: list[Problem]) -> list[Segment]:
    found: list[Segment] = []
    at, last = RECORD_LENGTH, -1
    while at < len(whole):
        sid = whole[at : at + 2]
        if not whole[at:].strip():
            break
        layout = SEGMENTS.get(sid)
        positions = f"{at + 1}-{at + 2}"
        if layout is None:
            problems.append(
                Problem(
                    number,
                    "base",
                    "segmentIdentifier",
                    positions,
                    Severity.error,
                    "layout.segment",
                    f"{sid!r} is not an appended segment (J1, J2, K1-K4, L1, N1); the rest of "
                    "the record is not read",
                )
            )
            break
        if at + layout.length > len(whole):
            problems.append(
                Problem(
                    number,
                    sid,
                    "segmentIdentifier",
                    positions,
                    Severity.error,
                    "layout.segment",
                    f"the {sid} segment needs {layout.length} bytes, the record has "
                    f"{len(whole) - at} left",
                )
            )
            break
        order = SEGMENT_ORDER.index(sid)
        if order < last or (order == last and sid not in REPEATABLE_SEGMENTS):
            problems.append(
                Problem(
                    number,
                    sid,
                    "segmentIdentifier",
                    positions,
                    Severity.error,
                    "layout.segment",
                    f"{sid} out of order or repeated: segments follow the base in the order "
                    + " ".join(SEGMENT_ORDER)
                    + " (only J1 and J2 repeat)",
                )
            )
        last = order
        found.append(Segment(layout, whole[at : at + layout.length], at))
        at += layout.length
    return found


_RDW_BYTES = f"{RECORD_LENGTH:04d}".encode()


def _uniform_rows(data: bytes) -> Bytes | None:
    """Every record of the file as a row of ``RECORD_LENGTH`` bytes, when the file is
    printable ASCII and each record is exactly that long (RDW 0426: no BDW, no appended
    segment, no padding), one a line with the same line break throughout, or with no line
    structure at all; None for any other shape, which is read record by record (and
    refused, if it must be, with the reasons ``decode`` and ``read`` give)."""
    if not data.startswith(_RDW_BYTES + _HEADER_ID.encode()) or not data.isascii():
        return None
    buf = np.frombuffer(data, np.uint8)
    breaks = np.flatnonzero((buf - np.uint8(ord(" "))) > ord("~") - ord(" "))
    lf = buf[breaks] == ord("\n")
    if not (lf | (buf[breaks] == ord("\r"))).all():
        return None
    end = len(data)
    while end and data[end - 1] in b"\r\n":
        end -= 1
    first = data.find(b"\n")
    by_line = 0 <= first < end and len(data[:first].rstrip(b"\r")) >= RECORD_LENGTH
    if by_line:
        eol = 2 if data[first - 1] == ord("\r") else 1
        stride = RECORD_LENGTH + eol
        starts = np.arange(0, len(data), stride)
        expected = (starts[:, None] + np.arange(RECORD_LENGTH, stride)).reshape(-1)
        if (
            first != RECORD_LENGTH + eol - 1
            or len(data) % stride
            or not np.array_equal(breaks, expected)
            or not lf[eol - 1 :: eol].all()
        ):
            return None
        rows = np.lib.stride_tricks.as_strided(
            buf, shape=(len(starts), RECORD_LENGTH), strides=(stride, 1), writeable=False
        )
    else:
        stream = data.replace(b"\r", b"").replace(b"\n", b"") if len(breaks) else data
        if len(stream) % RECORD_LENGTH:
            return None
        rows = np.frombuffer(stream, np.uint8).reshape(-1, RECORD_LENGTH)
    rdw = np.frombuffer(_RDW_BYTES, np.uint8)
    kinds = rows[:, RDW_LENGTH : RDW_LENGTH + len(_TRAILER_ID)]
    header = np.frombuffer(_HEADER_ID.encode(), np.uint8)
    trailer = np.frombuffer(_TRAILER_ID.encode(), np.uint8)
    if (
        not (rows[:, :RDW_LENGTH] == rdw).all()
        or not (kinds[0, : len(_HEADER_ID)] == header).all()
        or not (kinds[-1] == trailer).all()
        or (kinds[1:-1] == trailer).all(axis=1).any()
        or (kinds[1:-1, : len(_HEADER_ID)] == header).all(axis=1).any()
    ):
        return None
    return rows


def _read_uniform(rows: Bytes) -> Metro2File:
    def record(row: int, layout: Layout) -> Record:
        text = rows[row].tobytes().decode("ascii")
        return Record(row + 1, layout, text, text)

    n = len(rows) - 2
    table = BaseTable(
        rows=rows[1:-1],
        numbers=np.arange(2, n + 2, dtype=np.int64),
        lengths=np.full(n, RECORD_LENGTH, np.int64),
        segmented=np.zeros(0, np.int64),
        printable=True,
    )
    return Metro2File(record(0, HEADER), table, record(n + 1, TRAILER), False, [])


def read(data: bytes) -> Metro2File:
    """The file's header, base segments and trailer, and the structural problems met."""
    rows = _uniform_rows(data)
    if rows is not None:
        return _read_uniform(rows)
    text = decode(data)
    blocked = _blocked(text.lstrip("\r\n"))
    problems: list[Problem] = []
    first_line = text.lstrip("\r\n").split("\n", 1)[0].rstrip("\r")
    by_line = "\n" in text.strip("\r\n") and len(first_line) >= RECORD_LENGTH
    records = (
        _records_by_line(text, blocked, problems) if by_line else _records_by_rdw(text, blocked)
    )
    header: Record | None = None
    trailer: Record | None = None
    bases: list[Record] = []
    for number, (whole, bdw) in enumerate(records, start=1):
        kind = whole[RDW_LENGTH : RDW_LENGTH + len(_TRAILER_ID)]
        if trailer is not None:
            raise _unreadable(
                f"Record {number} follows the trailer: the trailer is the file's last record.",
                record=number,
            )
        if len(whole) < RECORD_LENGTH:
            raise _unreadable(
                f"Record {number} is {len(whole)} bytes: a header, base or trailer record is "
                f"{RECORD_LENGTH}. The file is truncated or its RDW is wrong.",
                record=number,
            )
        if number == 1:
            if not kind.startswith(_HEADER_ID):
                raise _unreadable("The first record is not a header.", record=1)
            header = Record(number, HEADER, whole[:RECORD_LENGTH], whole, bdw=bdw)
            _padding(number, whole, "header", problems)
        elif kind == _TRAILER_ID:
            trailer = Record(number, TRAILER, whole[:RECORD_LENGTH], whole, bdw=bdw)
            _padding(number, whole, "trailer", problems)
        elif kind.startswith(_HEADER_ID):
            raise _unreadable(f"Record {number} is a second header.", record=number)
        else:
            base = whole[:RECORD_LENGTH]
            bases.append(Record(number, BASE, base, whole, _segments(number, whole, problems), bdw))
    if header is None:  # pragma: no cover - an empty file is refused by decode
        raise _unreadable("The file holds no records.")
    if trailer is None:
        raise _unreadable(
            "The file ends without a trailer record: it is truncated, or its last record is "
            "missing.",
            where="end of file",
        )
    return Metro2File(header, BaseTable.of(bases), trailer, blocked, problems)


def _padding(number: int, whole: str, segment: str, problems: list[Problem]) -> None:
    if whole[RECORD_LENGTH:].strip():
        problems.append(
            Problem(
                number,
                segment,
                None,
                f"{RECORD_LENGTH + 1}-{len(whole)}",
                Severity.error,
                "layout.padding",
                f"bytes after position {RECORD_LENGTH} of a {segment} record must be blank",
            )
        )


def read_lone(data: bytes, layout: Layout) -> Record:
    """A lone record or segment (a file of one, lines wrapped or not, BDW or not): the
    corpus's single-record files. A base carries its appended segments."""
    text = decode(data).replace("\r", "").replace("\n", "")
    bdw = None
    if (
        layout.name != "J1"
        and layout not in SEGMENTS.values()
        and text[:BDW_LENGTH].isdigit()
        and text[BDW_LENGTH : BDW_LENGTH + RDW_LENGTH].isdigit()
        and int(text[:BDW_LENGTH]) == int(text[BDW_LENGTH : BDW_LENGTH + RDW_LENGTH]) + BDW_LENGTH
    ):
        bdw, text = text[:BDW_LENGTH], text[BDW_LENGTH:]
    if len(text) < layout.length:
        raise _unreadable(f"The {layout.name} record is {len(text)} bytes, not {layout.length}.")
    problems: list[Problem] = []
    segments = _segments(1, text, problems) if layout is BASE else []
    return Record(1, layout, text[: layout.length], text, segments, bdw)
