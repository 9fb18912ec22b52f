"""Set fields of a base segment by name (``clearfile metro2 edit``), through the field
table, and rewrite the trailer's totals to match."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from service.metro2.codec import read_values
from service.metro2.fields import BASE, HEADER
from service.metro2.reader import read
from service.metro2.writer import BaseOut, render_file


def _value(kind: str, text: str) -> Any:
    """A value as typed on the command line: A as given, N an integer, D YYYY-MM-DD or
    MMDDYYYY (0 for none)."""
    if kind == "N":
        return int(text)
    if kind == "D":
        if text in {"", "0"}:
            return None
        if "-" in text:
            return date.fromisoformat(text)
        return date(int(text[4:8]), int(text[0:2]), int(text[2:4]))
    return text


def edit_file(data: bytes, *, record: int, assignments: Sequence[str]) -> bytes:
    parsed = read(data)
    bases = []
    found = False
    changes: dict[str, Any] = {}
    for assignment in assignments:
        name, sep, text = assignment.partition("=")
        field = BASE.by_name.get(name)
        if not sep or field is None or field.reserved or name == "recordDescriptorWord":
            raise ValueError(f"{assignment!r}: give FIELD=VALUE with a base segment field name")
        changes[name] = _value(field.kind, text)
    for base in parsed.bases:
        values = read_values(BASE, base.text)
        if base.number == record:
            values.update(changes)
            found = True
        segments = [(s.layout.name, read_values(s.layout, s.text)) for s in base.segments]
        bases.append(BaseOut(values, segments))
    if not found:
        raise ValueError(f"record {record} is not a base segment of this file")
    header = read_values(HEADER, parsed.header.text)
    return render_file(header, bases, blocked=parsed.blocked)
