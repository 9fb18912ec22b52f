"""The lending domain's SQL."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.lending.models import Decision, LenderScore


def add(session: Session, row: LenderScore | Decision) -> None:
    session.add(row)
    session.flush()


def score_obtained(
    session: Session, *, lender_id: str, consent_id: str, receipt_id: str
) -> LenderScore | None:
    """The score the lender obtained under the consent with this receipt, or None."""
    stmt = select(LenderScore).where(
        LenderScore.receipt_id == receipt_id,
        LenderScore.lender_id == lender_id,
        LenderScore.consent_id == consent_id,
    )
    return session.scalars(stmt.with_for_update()).first()


def decision_on(session: Session, receipt_id: str) -> Decision | None:
    return session.scalars(select(Decision).where(Decision.receipt_id == receipt_id)).first()
