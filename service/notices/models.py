"""Notices to the subject: adverse action notices, and (with disputes) results and
reinsertions. A notice is a document sent: written once, never changed."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from service.core.db import Base, UTCDateTime


class Notice(Base):
    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_subject_id_at", "subject_id", "at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_id: Mapped[str] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: What the notice says, as it was sent (the fields of ``schemas.notices.NoticeRead``).
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
