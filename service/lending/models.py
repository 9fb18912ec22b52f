"""The scores lenders obtained under consents, and the decisions they recorded on them."""

from datetime import datetime

from sqlalchemy import ForeignKey, ForeignKeyConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.core.db import Base, UTCDateTime


class LenderScore(Base):
    """A score a lender obtained: the receipt it was given, the consent the read rested on
    and the inquiry it recorded. A decision may cite only such a receipt."""

    __tablename__ = "lender_scores"
    __table_args__ = (
        ForeignKeyConstraint(
            ["receipt_id", "subject_id"],
            ["score_receipts.id", "score_receipts.subject_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["consent_id", "subject_id"], ["consents.id", "consents.subject_id"], ondelete="CASCADE"
        ),
    )

    receipt_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_id: Mapped[str] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    lender_id: Mapped[str] = mapped_column(ForeignKey("principals.id", ondelete="CASCADE"))
    consent_id: Mapped[str] = mapped_column(String(40))
    inquiry_id: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Decision(Base):
    """A lender's outcome on a score it obtained; one per score receipt."""

    __tablename__ = "lender_decisions"
    __table_args__ = (
        UniqueConstraint("receipt_id", "subject_id"),
        ForeignKeyConstraint(
            ["receipt_id", "subject_id"],
            ["lender_scores.receipt_id", "lender_scores.subject_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["consent_id", "subject_id"], ["consents.id", "consents.subject_id"], ondelete="CASCADE"
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_id: Mapped[str] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    lender_id: Mapped[str] = mapped_column(ForeignKey("principals.id", ondelete="CASCADE"))
    consent_id: Mapped[str] = mapped_column(String(40))
    receipt_id: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(16))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    notice_id: Mapped[str | None] = mapped_column(String(40))
