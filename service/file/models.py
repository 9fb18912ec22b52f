"""Parts of the credit file other than accounts: inquiries and public records."""

from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from service.core.db import Base, UTCDateTime


class Inquiry(Base):
    """A read of the file by a lender: who, when, why, hard or soft."""

    __tablename__ = "inquiries"
    #: The obsolescence purge's range (migration 0013). On SQLite each row is kept in its
    #: primary key's b-tree, not beside it (migration 0014): a pull's insert writes one
    #: b-tree for the key, not two.
    __table_args__ = (Index("ix_inquiries_at", "at"), {"sqlite_with_rowid": False})

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_id: Mapped[str] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True, index=True
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
        ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(16), default="bankruptcy")
    chapter: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    filed_on: Mapped[date] = mapped_column(Date)
    resolved_on: Mapped[date | None] = mapped_column(Date)
    court: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ItemFlag(Base):
    """What a dispute does to an item of the file: ``disputed`` while it is contested (shown
    with compliance condition XB everywhere, GDPR 18), ``suppressed`` once taken off the file
    (unverified, deleted by its furnisher, or blocked as identity theft). A flag ends
    (``until``) when the dispute resolves, or, for a suppression, on a certified reinsertion.
    ``item_type`` is account, inquiry, public_record or identity."""

    __tablename__ = "item_flags"
    __table_args__ = (
        Index("ix_item_flags_subject_id", "subject_id"),
        ForeignKeyConstraint(
            ["dispute_id", "subject_id"], ["disputes.id", "disputes.subject_id"], ondelete="CASCADE"
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_id: Mapped[str] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True
    )
    item_type: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[str] = mapped_column(String(40))
    field: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))
    dispute_id: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(String(24))
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    certification: Mapped[str | None] = mapped_column(Text)


class Statement(Base):
    """The subject's statement of dispute (FCRA 611(b), at most 100 words) about an item a
    dispute did not resolve for them; shown on every later report (the account with XC)."""

    __tablename__ = "statements"
    __table_args__ = (
        Index("ix_statements_subject_id", "subject_id"),
        UniqueConstraint("dispute_id", "subject_id"),
        ForeignKeyConstraint(
            ["dispute_id", "subject_id"], ["disputes.id", "disputes.subject_id"], ondelete="CASCADE"
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_id: Mapped[str] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True
    )
    dispute_id: Mapped[str] = mapped_column(String(40))
    item_type: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
