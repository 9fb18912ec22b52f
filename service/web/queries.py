"""The web domain's SQL: its sessions."""

from datetime import datetime

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from service.web.models import WebSession

_BY_TOKEN = select(
    WebSession.area,
    WebSession.key_hash,
    WebSession.principal_id,
    WebSession.csrf_token,
    WebSession.expires_at,
).where(WebSession.token_hash == bindparam("token_hash"))


def session_row(session: Session, token_hash: str) -> WebSession | None:
    """The stored session with this token's hash, as a plain row, or None."""
    row = session.connection().execute(_BY_TOKEN, {"token_hash": token_hash}).first()
    return row  # type: ignore[return-value]


def add(session: Session, row: WebSession) -> None:
    session.add(row)
    session.flush()


def delete_session(session: Session, token_hash: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == token_hash))


def delete_expired(session: Session, now: datetime) -> None:
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
