"""The audit log: append-only events, hash-chained per subject, so that writes about
different people never wait on one chain head; on PostgreSQL a subject's chain is split into
stripes while concurrent appends would wait on its head (``service.audit.service.record``)."""

from datetime import datetime

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.audit.rules import CHAIN_NAME_LENGTH
from service.core.db import Base, UTCDateTime

#: The chain of events that concern no subject (principal creation, clock moves, resets).
SYSTEM_CHAIN = "system"


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        UniqueConstraint("chain", "seq"),
        Index("ix_audit_events_subject_id_at", "subject_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain: Mapped[str] = mapped_column(String(CHAIN_NAME_LENGTH))
    seq: Mapped[int] = mapped_column(Integer)
    subject_id: Mapped[str | None] = mapped_column(String(40))
    actor_id: Mapped[str] = mapped_column(String(40))
    actor_role: Mapped[str] = mapped_column(String(16))
    actor_name: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(64))
    resource_type: Mapped[str | None] = mapped_column(String(32))
    resource_id: Mapped[str | None] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """The last event of each chain (each stripe of one: ``rules.chain_stripes``); locked
    while an event is appended to it. A stripe's head is made, at seq 0, just before its
    first event."""

    __tablename__ = "audit_chain_heads"

    chain: Mapped[str] = mapped_column(String(CHAIN_NAME_LENGTH), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
