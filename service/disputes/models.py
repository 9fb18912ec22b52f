"""Disputes: the subject's due process over an item of their file (FCRA 611, 605B).

What a dispute does to the file (the item flagged as disputed, suppressed, or given the
subject's statement) is the file domain's (``service.file.models``)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from service.core.db import Base, UTCDateTime


class Dispute(Base):
    """A subject's dispute of one item of their file (or one field of it).

    ``status`` is open until exactly one outcome resolves it: the furnisher's answer, the
    deadline, or an identity-theft block; a repeat with no new information is frivolous."""

    __tablename__ = "disputes"
    __table_args__ = (
        Index("ix_disputes_subject_id_filed_at", "subject_id", "filed_at"),
        Index("ix_disputes_furnisher_id_status", "furnisher_id", "status"),
        Index(
            "ix_disputes_open_due_at",
            "due_at",
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_id: Mapped[str] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True
    )
    item_type: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[str] = mapped_column(String(40))
    field: Mapped[str | None] = mapped_column(String(40))
    reason_code: Mapped[str] = mapped_column(String(24))
    description: Mapped[str] = mapped_column(Text)
    #: Who must answer: the account's furnisher; None for items the bureau investigates.
    furnisher_id: Mapped[str | None] = mapped_column(
        ForeignKey("principals.id", ondelete="CASCADE")
    )
    #: The furnisher's own reference of a disputed account, as it was when filed.
    account_ref: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(16))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: FCRA 605B: when an identity-theft block falls due (None for other reasons).
    block_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: What the subject added after filing: [{"at": ..., "text": ...}].
    information: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution: Mapped[str | None] = mapped_column(Text)
    #: The dispute this one repeats (a frivolous one).
    repeats: Mapped[str | None] = mapped_column(String(40))
