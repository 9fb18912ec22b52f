"""The sandbox domain's SQL: the whole database at once (reset, emptiness)."""

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from service.models import Base
from service.principals.models import Principal


def has_principals(session: Session) -> bool:
    return bool(session.scalar(select(exists().select_from(Principal))))


def delete_every_row(session: Session) -> None:
    """Empty every table of the schema, children before parents (foreign keys).

    The session forgets every object it held: they describe rows that no longer exist."""
    session.flush()
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(delete(table))
    session.expunge_all()
