"""Field values to and from their Metro 2 text, by the layout table's types.

Reading gives text right-trimmed (A), integers (N), dates or None for zeros (D), and
datetimes (T); a value that does not fit its type is kept as its raw text, so that a bad
file still reads back exactly (the validator says what is wrong with it). Writing takes
the same values (or raw text) and lays each out in its field.
"""

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from service.metro2.fields import RDW_LENGTH, Layout

Value = str | int | date | datetime | None


def parse_date(text: str) -> date | None:
    """``MMDDYYYY`` as a date; None for zeros (absent); ValueError when not a date."""
    if text == "0" * len(text):
        return None
    if not text.isdigit():
        raise ValueError(text)
    return date(int(text[4:8]), int(text[0:2]), int(text[2:4]))


def parse_timestamp(text: str) -> datetime | None:
    if text == "0" * len(text):
        return None
    if not text.isdigit():
        raise ValueError(text)
    return datetime(  # noqa: DTZ001 - Metro 2 timestamps carry no zone
        int(text[4:8]),
        int(text[0:2]),
        int(text[2:4]),
        int(text[8:10]),
        int(text[10:12]),
        int(text[12:14]),
    )


def read_value(kind: str, text: str) -> Value:
    try:
        if kind == "A":
            return text.rstrip(" ")
        if kind == "N":
            return int(text) if text.isdigit() else text
        if kind == "D":
            return parse_date(text)
        if kind == "T":
            return parse_timestamp(text)
    except ValueError:
        return text
    raise ValueError(f"unknown field type {kind}")


def read_values(layout: Layout, text: str) -> dict[str, Value]:
    """Every field of a record or segment by name, typed (reserved fillers included)."""
    return {f.name: read_value(f.kind, text[f.start - 1 : f.end]) for f in layout.fields}


def format_value(kind: str, length: int, value: Any, name: str) -> str:
    """The field's text for ``value``; raw text of the right length is written as it is."""
    if isinstance(value, str) and kind != "A" and len(value) == length:
        return value
    if kind == "A":
        text = "" if value is None else str(value)
        if len(text) > length:
            raise ValueError(f"{name}: {text!r} is longer than {length} characters")
        return text.ljust(length)
    if kind == "N":
        number = 0 if value is None else value
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            raise ValueError(f"{name}: {value!r} is not a whole number >= 0")
        text = str(number).rjust(length, "0")
        if len(text) > length:
            raise ValueError(f"{name}: {number} has more than {length} digits")
        return text
    if kind == "D":
        if value is None:
            return "0" * length
        if not isinstance(value, date):
            raise ValueError(f"{name}: {value!r} is not a date")
        return value.strftime("%m%d") + f"{value.year:04d}"
    if kind == "T":
        if value is None:
            return "0" * length
        if not isinstance(value, datetime):
            raise ValueError(f"{name}: {value!r} is not a timestamp")
        return value.strftime("%m%d") + f"{value.year:04d}" + value.strftime("%H%M%S")
    raise ValueError(f"unknown field type {kind}")


def write_values(layout: Layout, values: Mapping[str, Any]) -> str:
    """The record or segment's text; a missing field is blank or zero."""
    return "".join(
        format_value(f.kind, f.length, values.get(f.name), f.name) for f in layout.fields
    )


def with_rdw(text: str, rdw: int | None = None) -> str:
    """The record with its RDW set to ``rdw`` (default: its own length), padded with blanks
    up to it."""
    length = len(text) if rdw is None else rdw
    if length < len(text) or length > 9999:
        raise ValueError(f"an RDW of {length} cannot hold a {len(text)}-byte record")
    return f"{length:04d}" + text[RDW_LENGTH:].ljust(length - RDW_LENGTH)
