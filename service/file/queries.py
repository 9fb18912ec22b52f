"""The file domain's SQL: inquiries and public records."""

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.file.models import Inquiry, PublicRecord
from service.principals.models import Principal


def inquiries_of_subject(session: Session, subject_id: str) -> Sequence[tuple[Inquiry, str]]:
    stmt = (
        select(Inquiry, Principal.name)
        .join(Principal, Principal.id == Inquiry.lender_id)
        .where(Inquiry.subject_id == subject_id)
        .order_by(Inquiry.at.desc(), Inquiry.id)
    )
    return [(i, n) for i, n in session.execute(stmt).all()]


def public_records_of_subject(session: Session, subject_id: str) -> Sequence[PublicRecord]:
    stmt = (
        select(PublicRecord)
        .where(PublicRecord.subject_id == subject_id)
        .order_by(PublicRecord.filed_on.desc(), PublicRecord.id)
    )
    return session.scalars(stmt).all()


def inquiries_before(session: Session, moment: datetime) -> Sequence[Inquiry]:
    return session.scalars(select(Inquiry).where(Inquiry.at < moment)).all()


def public_records_filed_before(session: Session, cutoff: date) -> Sequence[PublicRecord]:
    return session.scalars(select(PublicRecord).where(PublicRecord.filed_on <= cutoff)).all()
