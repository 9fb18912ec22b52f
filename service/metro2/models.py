"""Metro 2 imports as stored: what each file did, for the furnisher to read back."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from service.core.db import Base, UTCDateTime


class Metro2Import(Base):
    """One imported file: its counts, every rejection with its reasons (``result``), and
    the Idempotency-Key and body digest a retry is matched by."""

    __tablename__ = "metro2_imports"
    __table_args__ = (
        Index(
            "ux_metro2_imports_idempotency",
            "furnisher_id",
            "idempotency_key",
            unique=True,
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    furnisher_id: Mapped[str] = mapped_column(ForeignKey("principals.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    records: Mapped[int] = mapped_column(Integer)
    accepted: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
