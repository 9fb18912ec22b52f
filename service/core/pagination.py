"""Opaque cursors for ordered lists (API.md, "Lists are paginated")."""

import base64
import json
from typing import Annotated, Any

from fastapi import Query

from service.core.errors import FieldError, InvalidInput

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page (1-200)")]
CursorQuery = Annotated[
    str | None, Query(max_length=512, description="The next_cursor of the previous page")
]


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Any:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            detail="The cursor is not one this API issued.",
            errors=[FieldError("query.cursor", "not a valid cursor")],
        ) from exc


def decode_int_cursor(cursor: str | None) -> int | None:
    value = decode_cursor(cursor)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput(
            detail="The cursor is not one this API issued.",
            errors=[FieldError("query.cursor", "not a valid cursor")],
        )
    return value
