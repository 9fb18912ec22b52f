"""Consents, security freezes and fraud alerts: the subject's say over who reads the file."""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from service.core.db import Base, UTCDateTime


class Consent(Base):
    """A subject's consent for one lender, one permissible purpose, a scope and an expiry.
    Revoking sets ``revoked_at``; a consent row is never deleted, so its receipt stays true."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_subject_id_granted_at", "subject_id", "granted_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_id: Mapped[str] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True
    )
    lender_id: Mapped[str] = mapped_column(
        ForeignKey("principals.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(32))
    #: The scopes granted, in a fixed order: a subset of ["report", "score"].
    scope: Mapped[list[str]] = mapped_column(JSON)
    explicit_confirmation: Mapped[bool] = mapped_column(Boolean, default=False)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_on: Mapped[date] = mapped_column(Date)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Freeze(Base):
    """A security freeze: in force from ``placed_at`` until ``lifted_at``. At most one is in
    force per subject (the partial unique index); lifted ones stay as the file's history."""

    __tablename__ = "freezes"
    __table_args__ = (
        Index(
            "uq_freezes_subject_id_in_force",
            "subject_id",
            unique=True,
            sqlite_where=text("lifted_at IS NULL"),
            postgresql_where=text("lifted_at IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_id: Mapped[str] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FraudAlert(Base):
    """An initial (1 year) or extended (7 years) fraud alert (FCRA 605A)."""

    __tablename__ = "fraud_alerts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_id: Mapped[str] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_on: Mapped[date] = mapped_column(Date)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
