"""Write a character-format Metro 2 file from field values, driven by the layout tables.

The trailer's totals are tallied from the written base segments by the validator's own
tally, so a written file always agrees with what the validator checks.
"""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from service.metro2.codec import with_rdw, write_values
from service.metro2.fields import BASE, BDW_LENGTH, HEADER, SEGMENTS, TRAILER
from service.metro2.reader import Segment
from service.metro2.validator import tally, trailer_totals


@dataclass(frozen=True)
class BaseOut:
    """A base segment's values, its appended segments (id, values) in order, and its RDW
    (None: the record's own length)."""

    values: Mapping[str, Any]
    segments: Sequence[tuple[str, Mapping[str, Any]]] = field(default_factory=tuple)
    rdw: int | None = None


def render_base(base: BaseOut) -> tuple[str, list[Segment]]:
    """The whole record's text (base and segments, RDW set), and its segments."""
    parts = [write_values(BASE, base.values)]
    segments = []
    at = len(parts[0])
    for sid, values in base.segments:
        layout = SEGMENTS[sid]
        text = write_values(layout, values)
        segments.append(Segment(layout, text, at))
        parts.append(text)
        at += len(text)
    return with_rdw("".join(parts), base.rdw), segments


def render_header(values: Mapping[str, Any], rdw: int | None = None) -> str:
    return with_rdw(write_values(HEADER, {**values, "recordIdentifier": "HEADER"}), rdw)


def render_trailer(values: Mapping[str, Any], rdw: int | None = None) -> str:
    return with_rdw(write_values(TRAILER, {**values, "recordIdentifier": "TRAILER"}), rdw)


def render_file(
    header: Mapping[str, Any],
    bases: Iterable[BaseOut],
    *,
    line_break: str = "\n",
    blocked: bool = False,
) -> bytes:
    """The file: header, bases, and a trailer whose totals count the bases. With
    ``blocked``, a BDW precedes the header and each base (one record per block)."""
    records = [render_header(header)]
    counts: Counter[str] = Counter()
    n = 0
    for base in bases:
        text, segments = render_base(base)
        tally(text, segments, counts)
        records.append(text)
        n += 1
    totals = trailer_totals(counts, n)
    # One block per record before the trailer, as a variable-blocked writer does.
    totals["blockCount"] = n + 2
    trailer = render_trailer(totals)
    if blocked:
        records = [f"{len(r) + BDW_LENGTH:04d}{r}" for r in records]
    records.append(trailer)
    return (line_break.join(records) + line_break).encode("ascii")
