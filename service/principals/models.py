"""Principals (subjects and organisations) and their hashed API keys."""

import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from service.core.db import Base, UTCDateTime


def new_file_revision() -> str:
    return secrets.token_hex(8)


class Principal(Base):
    """Anyone who holds a key: subject, furnisher, lender or auditor (admin has no row)."""

    __tablename__ = "principals"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApiKey(Base):
    __tablename__ = "api_keys"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    principal_id: Mapped[str] = mapped_column(
        ForeignKey("principals.id", ondelete="CASCADE"), index=True
    )
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Subject(Base):
    """The identity needed to keep a file, and nothing more."""

    __tablename__ = "subjects"

    id: Mapped[str] = mapped_column(
        ForeignKey("principals.id", ondelete="CASCADE"), primary_key=True
    )
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(Date)
    #: One subject's at most: ``NationalId``'s primary key holds that rule (the index here
    #: only finds a subject by it).
    national_id: Mapped[str | None] = mapped_column(String(20), index=True)
    addresses: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: A random token the database replaces on every change to the file's items (migration
    #: 0004's triggers): what was built from the file stays valid while it is unchanged.
    file_revision: Mapped[str] = mapped_column(
        String(16), default=new_file_revision, server_default=""
    )


class NationalId(Base):
    """Which subject holds a national id: a lookup table, written in the same transaction as
    the subject. Its primary key is the rule that two subjects never share a national id
    (what ``UNIQUE (national_id)`` on ``subjects`` held until migration 0012); distributed
    by ``national_id`` on Citus (docs/scaling.md)."""

    __tablename__ = "national_ids"

    national_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(40))
