"""Bulk inserts for jobs: Core ``INSERT`` statements of many rows, in chunks.

Only a domain's queries module calls this, for its own tables.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

#: Rows per INSERT statement.
CHUNK_ROWS = 5_000


def insert_rows(session: Session, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts of column values) into ``table``, ``CHUNK_ROWS`` at a time, in
    the caller's transaction."""
    for start in range(0, len(rows), CHUNK_ROWS):
        session.execute(insert(table), list(rows[start : start + CHUNK_ROWS]))
