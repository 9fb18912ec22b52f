"""Parts of the credit file other than accounts: inquiries and public records."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from service.core.db import Base, UTCDateTime


class Inquiry(Base):
    """A read of the file by a lender: who, when, why, hard or soft."""

    __tablename__ = "inquiries"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_id: Mapped[str] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), index=True
    )
    lender_id: Mapped[str] = mapped_column(ForeignKey("principals.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class PublicRecord(Base):
    """A bankruptcy (Chapter 7 or 13): the only public record Clearfile holds."""

    __tablename__ = "public_records"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_id: Mapped[str] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16), default="bankruptcy")
    chapter: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    filed_on: Mapped[date] = mapped_column(Date)
    resolved_on: Mapped[date | None] = mapped_column(Date)
    court: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
