"""The Metro 2 domain's SQL: its stored imports."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.metro2.models import Metro2Import


def import_by_id(session: Session, furnisher_id: str, import_id: str) -> Metro2Import | None:
    stmt = select(Metro2Import).where(
        Metro2Import.id == import_id, Metro2Import.furnisher_id == furnisher_id
    )
    return session.scalars(stmt).first()


def import_by_key(session: Session, furnisher_id: str, key: str) -> Metro2Import | None:
    stmt = select(Metro2Import).where(
        Metro2Import.furnisher_id == furnisher_id, Metro2Import.idempotency_key == key
    )
    return session.scalars(stmt).first()


def insert_import(session: Session, record: Metro2Import) -> bool:
    """Insert the import's record in a savepoint; False when its Idempotency-Key was taken
    meanwhile by a concurrent request."""
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:
        return False
    return True
