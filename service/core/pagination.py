"""Opaque cursors for ordered lists: every list is paginated.

A cursor is the client's to send back, so it is input like any other: every value inside a
decoded cursor is checked here, once, before any list's query sees it (``decode_cursor``).
"""

import base64
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Query
from sqlalchemy import and_, or_, true

from service.core.errors import FieldError, InvalidInput

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

#: The integers a cursor may carry: those a signed 64-bit column (SQL ``BIGINT``, the widest
#: integer both SQLite and PostgreSQL store) can be compared with. Python's integers are
#: unbounded; the database driver refuses anything wider with an error, not an answer.
CURSOR_INT_MIN = -(2**63)
CURSOR_INT_MAX = 2**63 - 1

LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page (1-200)")]
CursorQuery = Annotated[
    str | None, Query(max_length=512, description="The next_cursor of the previous page")
]


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def invalid_cursor() -> InvalidInput:
    """The one answer to a cursor this API did not issue."""
    return InvalidInput(
        detail="The cursor is not one this API issued.",
        errors=[FieldError("query.cursor", "not a valid cursor")],
    )


def _storable(value: Any) -> bool:
    """True when every value inside a decoded cursor can reach a query: integers within
    ``CURSOR_INT_MIN``..``CURSOR_INT_MAX``, text without NUL (PostgreSQL cannot take it),
    no floats (no list is ordered by one), and lists of such values."""
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return CURSOR_INT_MIN <= value <= CURSOR_INT_MAX
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, list):
        return all(_storable(v) for v in value)
    return False


def decode_cursor(cursor: str | None) -> Any:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise invalid_cursor() from exc
    if not _storable(value):
        raise invalid_cursor()
    return value


def cursor_moment(text: Any) -> datetime:
    """A timezone-aware moment taken from a cursor, in UTC. A moment without a zone, or one
    that falls outside the calendar once moved to UTC (``0001-01-01T00:00:00+05:00``), is
    not one this API issued."""
    if not isinstance(text, str):
        raise invalid_cursor()
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise ValueError("no time zone")
        return moment.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise invalid_cursor() from exc


def decode_typed_cursor(cursor: str | None, kind: type[T]) -> T | None:
    """The cursor's value, which must be a ``kind`` (a bool is not an int)."""
    value = decode_cursor(cursor)
    if value is None:
        return None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise invalid_cursor()
    return value


def decode_int_cursor(cursor: str | None) -> int | None:
    return decode_typed_cursor(cursor, int)


def split_page(
    rows: Sequence[R], limit: int, key: Callable[[R], Any]
) -> tuple[Sequence[R], str | None]:
    """Rows fetched with ``limit + 1``: the page, and the cursor of the next page (None on the
    last one), made from ``key`` of the page's last row."""
    page = rows[:limit]
    return page, encode_cursor(key(page[-1])) if len(rows) > limit else None


# --- newest first: a list ordered by (moment, id), both descending ----------------------------


def decode_keyset(cursor: str | None) -> tuple[datetime, str] | None:
    """The (moment, id) of the last row of the previous page of a newest-first list."""
    value = decode_cursor(cursor)
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2 or not isinstance(value[1], str):
        raise invalid_cursor()
    return cursor_moment(value[0]), value[1]


def keyset_of(moment: datetime, row_id: str) -> list[str]:
    """What ``decode_keyset`` reads back: the cursor value of a row of a newest-first list."""
    return [moment.isoformat(), row_id]


def older_than(moment: Any, row_id: Any, before: tuple[datetime, str] | None) -> Any:
    """The SQL condition of the rows after ``before`` in a newest-first list of
    (``moment``, ``row_id``) columns (true when there is no ``before``)."""
    if before is None:
        return true()
    at, rid = before
    return or_(moment < at, and_(moment == at, row_id < rid))
