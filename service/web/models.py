"""Signed-in web sessions: a random token in an HttpOnly cookie, stored here as its hash."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from service.core.db import Base, UTCDateTime


class WebSession(Base):
    """One signed-in browser in one area (``portal`` or ``console``).

    It keeps the hash of the key it was opened with: every request authenticates that key
    again (a key that no longer exists ends the session), so a session is never worth more
    than the key behind it."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    area: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64))
    #: The subject's id, for the portal; null for the console's operator (no principal row).
    principal_id: Mapped[str | None] = mapped_column(
        ForeignKey("principals.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
