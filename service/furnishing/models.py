"""Accounts (tradelines) as furnished, and every version of them."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.core.db import Base, UTCDateTime


class Account(Base):
    """The current state of one tradeline. Every change also writes an AccountVersion.

    A furnisher's ``account_ref`` is unique among its accounts: ``AccountRef``'s primary key
    holds that rule (the account's own keys all carry ``subject_id``, docs/scaling.md); the
    index here only finds an account by its reference."""

    __tablename__ = "accounts"
    __table_args__ = (
        Index("ix_accounts_furnisher_id_account_ref", "furnisher_id", "account_ref"),
        # The obsolescence purge's range (migration 0013): adverse accounts only.
        Index(
            "ix_accounts_date_of_first_delinquency",
            "date_of_first_delinquency",
            sqlite_where=text("date_of_first_delinquency IS NOT NULL"),
            postgresql_where=text("date_of_first_delinquency IS NOT NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_id: Mapped[str] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True, index=True
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
    __table_args__ = (
        ForeignKeyConstraint(
            ["account_id", "subject_id"], ["accounts.id", "accounts.subject_id"], ondelete="CASCADE"
        ),
    )

    account_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    subject_id: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed: Mapped[list[str]] = mapped_column(JSON)
    actor_id: Mapped[str] = mapped_column(String(40))
    actor_role: Mapped[str] = mapped_column(String(16))
    actor_name: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    account: Mapped[Account] = relationship(back_populates="versions", lazy="raise")


class AccountRef(Base):
    """Which account a furnisher's ``account_ref`` names: a lookup table, written in the
    same transaction as the account it guards. Its primary key is the rule that a furnisher
    has one account per reference (what ``UNIQUE (furnisher_id, account_ref)`` on
    ``accounts`` held until migration 0012); distributed by ``furnisher_id`` on Citus
    (docs/scaling.md)."""

    __tablename__ = "account_refs"

    furnisher_id: Mapped[str] = mapped_column(
        ForeignKey("principals.id", ondelete="CASCADE"), primary_key=True
    )
    account_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(40))
    account_id: Mapped[str] = mapped_column(String(40))


class IdempotencyRecord(Base):
    """The first answer to a furnisher's write, replayed for a retry with the same key.

    A lookup table keyed by its caller (``principal_id``, ``key``): an idempotency key is
    unique per caller, and the table is distributed by ``principal_id`` (docs/scaling.md)."""

    __tablename__ = "idempotency_records"

    principal_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
