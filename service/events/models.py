"""The outbox: one row per event and recipient, written with the change it tells."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from service.core.db import Base, UTCDateTime

#: A 64-bit sequence on PostgreSQL; SQLite's INTEGER PRIMARY KEY is its rowid.
_SEQ = BigInteger().with_variant(Integer(), "sqlite")


class Event(Base):
    """An event as one recipient sees it. ``seq`` orders the feed; ``id`` is stable and is
    the ``webhook-id`` of its deliveries, so receivers deduplicate by it."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_recipient_seq", "recipient_id", "seq"),
        Index(
            "ix_events_unfanned",
            "seq",
            postgresql_where=text("NOT fanned_out"),
            sqlite_where=text("NOT fanned_out"),
        ),
    )

    seq: Mapped[int] = mapped_column(_SEQ, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    recipient_id: Mapped[str] = mapped_column(String(40))
    #: The subject the event is about, if any (rows about a subject carry its id).
    subject_id: Mapped[str | None] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: False until the webhooks have made its deliveries (the outbox's relay mark).
    fanned_out: Mapped[bool] = mapped_column(Boolean, default=False)


class EventWatermark(Base):
    """How far a time-driven announcement has run (e.g. consents expired up to ``at``)."""

    __tablename__ = "event_watermarks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
