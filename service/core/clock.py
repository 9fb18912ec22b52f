"""The one clock. Every rule that depends on time reads it.

The sandbox clock is the wall clock plus an offset kept in the database, so that several
server processes on one PostgreSQL agree, and so that time keeps moving between requests.
The admin sets the offset by naming a moment or by advancing it by a number of days.
This module is the only place that reads the wall clock (ruff TID251 bans it elsewhere).
"""

import datetime as _dt
from datetime import UTC, datetime, timedelta

from sqlalchemy import BigInteger, Integer, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from service.core.db import Base

_CLOCK_ROW = 1

#: The range the sandbox clock may be set to. Every rule counts a few years from "now" at
#: most (a bankruptcy ages off after 10, an extended fraud alert lasts 7) and looks back no
#: further than that, so a century on either side of today tests any of them; and
#: Python's calendar ends at 9999-12-31, so a clock near that end breaks every rule's date
#: arithmetic. Kept well inside: a moment outside this range is refused where it is given.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)


class SandboxClock(Base):
    __tablename__ = "sandbox_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offset_microseconds: Mapped[int] = mapped_column(BigInteger, default=0)


def wall_now() -> datetime:
    return _dt.datetime.now(UTC)  # noqa: TID251 - the one permitted read


def _row(session: Session, *, for_update: bool = False) -> SandboxClock:
    row = session.get(SandboxClock, _CLOCK_ROW, with_for_update=for_update)
    if row is None:
        row = SandboxClock(id=_CLOCK_ROW, offset_microseconds=0)
        session.add(row)
        session.flush()
    return row


_OFFSET = select(SandboxClock.offset_microseconds).where(SandboxClock.id == _CLOCK_ROW)


#: The clock's offset as a scalar subquery, so that a request's first query (its caller's
#: key) reads the clock in the same statement (``service.principals.queries``).
OFFSET = _OFFSET.scalar_subquery()


def at_offset(offset_microseconds: int | None) -> datetime:
    """The sandbox's current moment, given the offset just read from the database, held
    within ``EARLIEST``..``LATEST``: an offset written behind the API's back still gives a
    moment every rule can count from, so every request (a reset above all) still works."""
    wall = wall_now()
    if not offset_microseconds:
        return wall
    try:
        moment = wall + timedelta(microseconds=offset_microseconds)
    except OverflowError:
        return LATEST if offset_microseconds > 0 else EARLIEST
    if moment > LATEST:
        return LATEST
    return EARLIEST if moment < EARLIEST else moment


def in_range(moment: datetime) -> bool:
    """True when the clock may be set to ``moment`` (``EARLIEST``..``LATEST``)."""
    try:
        return EARLIEST <= moment.astimezone(UTC) <= LATEST
    except OverflowError:
        return False


def now(session: Session) -> datetime:
    """The sandbox's current moment, timezone-aware UTC."""
    session.flush()
    return at_offset(session.connection().execute(_OFFSET).scalar())


def set_now(session: Session, moment: datetime) -> datetime:
    if not in_range(moment):
        raise ValueError(f"{moment!r} is outside the sandbox clock's range")
    row = _row(session, for_update=True)
    delta = moment.astimezone(UTC) - wall_now()
    row.offset_microseconds = delta // timedelta(microseconds=1)
    session.flush()
    return now(session)


def advance(session: Session, *, days: int) -> datetime:
    row = _row(session, for_update=True)
    row.offset_microseconds += timedelta(days=days) // timedelta(microseconds=1)
    session.flush()
    return now(session)


def reset(session: Session) -> None:
    """Back to wall time. Writes the offset without reading it: whatever the row holds,
    a reset needs no arithmetic on it."""
    session.execute(update(SandboxClock).values(offset_microseconds=0))
    _row(session)
    session.flush()
