"""Accounts (tradelines) as furnished, and every version of them."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.core.db import Base, UTCDateTime


class Account(Base):
    """The current state of one tradeline. Every change also writes an AccountVersion."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("furnisher_id", "account_ref"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_id: Mapped[str] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), index=True
    )
    furnisher_id: Mapped[str] = mapped_column(ForeignKey("principals.id", ondelete="CASCADE"))
    account_ref: Mapped[str] = mapped_column(String(64))
    account_type: Mapped[str] = mapped_column(String(16))
    opened_on: Mapped[date] = mapped_column(Date)
    credit_limit_cents: Mapped[int | None] = mapped_column(BigInteger)
    original_amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    balance_cents: Mapped[int] = mapped_column(BigInteger)
    past_due_cents: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(2))
    payment_history: Mapped[str] = mapped_column(String(24))
    date_of_first_delinquency: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    as_of: Mapped[date] = mapped_column(Date)
    compliance_condition_code: Mapped[str | None] = mapped_column(String(2))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    versions: Mapped[list["AccountVersion"]] = relationship(
        back_populates="account",
        order_by="AccountVersion.version",
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class AccountVersion(Base):
    """One furnished state of an account: what changed, when, and by whom."""

    __tablename__ = "account_versions"
    __table_args__ = (UniqueConstraint("account_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    subject_id: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed: Mapped[list[str]] = mapped_column(JSON)
    actor_id: Mapped[str] = mapped_column(String(40))
    actor_role: Mapped[str] = mapped_column(String(16))
    actor_name: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    account: Mapped[Account] = relationship(back_populates="versions", lazy="raise")


class IdempotencyRecord(Base):
    """The first answer to a furnisher's write, replayed for a retry with the same key."""

    __tablename__ = "idempotency_records"

    principal_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
