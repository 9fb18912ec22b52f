"""The scores lenders obtained under consents, and the decisions they recorded on them."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from service.core.db import Base, UTCDateTime


class LenderScore(Base):
    """A score a lender obtained: the receipt it was given, the consent the read rested on
    and the inquiry it recorded. A decision may cite only such a receipt."""

    __tablename__ = "lender_scores"

    receipt_id: Mapped[str] = mapped_column(
        ForeignKey("score_receipts.id", ondelete="CASCADE"), primary_key=True
    )
    subject_id: Mapped[str] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), index=True
    )
    lender_id: Mapped[str] = mapped_column(ForeignKey("principals.id", ondelete="CASCADE"))
    consent_id: Mapped[str] = mapped_column(ForeignKey("consents.id", ondelete="CASCADE"))
    inquiry_id: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Decision(Base):
    """A lender's outcome on a score it obtained; one per score receipt."""

    __tablename__ = "lender_decisions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_id: Mapped[str] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), index=True
    )
    lender_id: Mapped[str] = mapped_column(ForeignKey("principals.id", ondelete="CASCADE"))
    consent_id: Mapped[str] = mapped_column(ForeignKey("consents.id", ondelete="CASCADE"))
    receipt_id: Mapped[str] = mapped_column(
        ForeignKey("lender_scores.receipt_id", ondelete="CASCADE"), unique=True
    )
    outcome: Mapped[str] = mapped_column(String(16))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    notice_id: Mapped[str | None] = mapped_column(String(40))
