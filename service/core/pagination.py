"""Opaque cursors for ordered lists: every list is paginated."""

import base64
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Query

from service.core.errors import FieldError, InvalidInput

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

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


def decode_cursor(cursor: str | None) -> Any:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
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
