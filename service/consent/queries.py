"""The consent domain's SQL: consents, freezes and fraud alerts."""

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from service.consent.models import Consent, FraudAlert, Freeze
from service.core.pagination import older_than
from service.principals.models import Principal

_WITH_LENDER = select(Consent, Principal.name.label("lender_name")).join(
    Principal, Principal.id == Consent.lender_id
)


def add(session: Session, row: Consent | Freeze | FraudAlert) -> None:
    session.add(row)
    session.flush()


def consents_of_subject(
    session: Session, subject_id: str, *, before: tuple[datetime, str] | None, limit: int | None
) -> Sequence[tuple[Consent, str]]:
    """The subject's consents with their lender's name, newest first."""
    stmt = (
        _WITH_LENDER.where(
            Consent.subject_id == subject_id,
            older_than(Consent.granted_at, Consent.id, before),
        )
        .order_by(Consent.granted_at.desc(), Consent.id.desc())
        .limit(limit)
    )
    return [(row[0], row[1]) for row in session.execute(stmt).all()]


def consents_of_lender(
    session: Session, lender_id: str, *, before: tuple[datetime, str] | None, limit: int
) -> Sequence[tuple[Consent, str]]:
    """The consents that name the lender, newest first."""
    stmt = (
        _WITH_LENDER.where(
            Consent.lender_id == lender_id,
            older_than(Consent.granted_at, Consent.id, before),
        )
        .order_by(Consent.granted_at.desc(), Consent.id.desc())
        .limit(limit)
    )
    return [(row[0], row[1]) for row in session.execute(stmt).all()]


def consent_of_subject(
    session: Session, subject_id: str, consent_id: str, *, for_update: bool = False
) -> tuple[Consent, str] | None:
    stmt = _WITH_LENDER.where(Consent.id == consent_id, Consent.subject_id == subject_id)
    if for_update:
        stmt = stmt.with_for_update(of=Consent)
    row = session.execute(stmt).first()
    return None if row is None else (row[0], row[1])


_SUBJECT_OF_CONSENT = select(Consent.subject_id).where(
    Consent.id == bindparam("consent_id"), Consent.lender_id == bindparam("lender_id")
)


def subject_of_consent(session: Session, lender_id: str, consent_id: str) -> str | None:
    """The subject of the consent if it names the lender, else None."""
    value: str | None = (
        session.connection()
        .execute(_SUBJECT_OF_CONSENT, {"consent_id": consent_id, "lender_id": lender_id})
        .scalar()
    )
    return value


def consent_of_lender(session: Session, lender_id: str, consent_id: str) -> Consent | None:
    stmt = select(Consent).where(Consent.id == consent_id, Consent.lender_id == lender_id)
    return session.scalars(stmt).first()


#: A freeze in force is the one placed last, so the last placed row says it all.
_LAST_FREEZE = (
    select(Freeze.placed_at, Freeze.lifted_at)
    .where(Freeze.subject_id == bindparam("subject_id"))
    .order_by(Freeze.placed_at.desc(), Freeze.id.desc())
    .limit(1)
)


def last_freeze(session: Session, subject_id: str) -> tuple[datetime, datetime | None] | None:
    """(placed_at, lifted_at) of the subject's last freeze, or None if there was none."""
    row = session.connection().execute(_LAST_FREEZE, {"subject_id": subject_id}).first()
    return None if row is None else (row.placed_at, row.lifted_at)


def freeze_row_in_force(session: Session, subject_id: str) -> Freeze | None:
    stmt = select(Freeze).where(Freeze.subject_id == subject_id, Freeze.lifted_at.is_(None))
    return session.scalars(stmt.with_for_update()).first()


def fraud_alerts_of_subject(
    session: Session,
    subject_id: str,
    *,
    before: tuple[datetime, str] | None = None,
    limit: int | None = None,
) -> Sequence[FraudAlert]:
    """The subject's fraud alerts, newest first."""
    stmt = (
        select(FraudAlert)
        .where(
            FraudAlert.subject_id == subject_id,
            older_than(FraudAlert.placed_at, FraudAlert.id, before),
        )
        .order_by(FraudAlert.placed_at.desc(), FraudAlert.id.desc())
        .limit(limit)
    )
    return session.scalars(stmt).all()


def fraud_alert_of_subject(session: Session, subject_id: str, alert_id: str) -> FraudAlert | None:
    stmt = select(FraudAlert).where(FraudAlert.id == alert_id, FraudAlert.subject_id == subject_id)
    return session.scalars(stmt.with_for_update()).first()


def consents_expiring_between(session: Session, first: date, last: date) -> Sequence[Consent]:
    """Unrevoked consents whose ``expires_on`` is between the two days, both included."""
    return session.scalars(
        select(Consent)
        .where(
            Consent.expires_on >= first,
            Consent.expires_on <= last,
            Consent.revoked_at.is_(None),
        )
        .order_by(Consent.expires_on, Consent.id)
    ).all()
