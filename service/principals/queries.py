"""The principals domain's SQL."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.principals.models import ApiKey, Principal, Subject


def principal_by_key_hash(session: Session, key_hash: str) -> Principal | None:
    stmt = (
        select(Principal)
        .join(ApiKey, ApiKey.principal_id == Principal.id)
        .where(ApiKey.key_hash == key_hash)
    )
    return session.scalars(stmt).first()


def subject_by_id(session: Session, subject_id: str) -> Subject | None:
    return session.get(Subject, subject_id)


def principal_by_id(session: Session, principal_id: str) -> Principal | None:
    return session.get(Principal, principal_id)


def subject_by_national_id(session: Session, national_id: str) -> Subject | None:
    return session.scalars(select(Subject).where(Subject.national_id == national_id)).first()
