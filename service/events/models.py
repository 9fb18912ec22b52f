"""The outbox: one row per event and recipient, written with the change it tells."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement

from service.core.db import Base, UTCDateTime

#: A 64-bit sequence on PostgreSQL; SQLite's INTEGER PRIMARY KEY is its rowid.
_SEQ = BigInteger().with_variant(Integer(), "sqlite")


class current_txid(FunctionElement[int]):  # noqa: N801 - a SQL function's name
    """The writing transaction's id (PostgreSQL's 64-bit ``pg_current_xact_id()``); 0 on
    SQLite, whose writers take turns (see ``feed_horizon``)."""

    type = BigInteger()
    inherit_cache = True


class feed_horizon(FunctionElement[int]):  # noqa: N801 - a SQL function's name
    """The oldest transaction id still running as the statement's snapshot sees it: every
    transaction below it has ended, so no event with a ``txid`` below it can appear later.

    Why the feed needs it: ``seq`` is drawn from a sequence when the row is inserted, not
    when its transaction commits, so on PostgreSQL a transaction holding seq 10 may commit
    after one holding seq 11. A poller that read 11 and kept ``seq > 11`` as its cursor would
    never see 10. The feed therefore serves only events whose transaction is below this
    horizon (all ended: each such event is there or never will be), in (``txid``, ``seq``)
    order, with that pair as its cursor: whatever commits later has a ``txid`` at or above
    the horizon, so it sorts after every event already served. The price is latency, not
    loss: an event waits in the feed until every transaction older than its own has ended
    (PostgreSQL's horizon is the cluster's: a transaction left open in any of its databases
    holds the feed back until it ends). Webhook deliveries do not wait on it: they follow
    ``fanned_out``, not the feed's cursor.

    SQLite: writers hold the database's one write lock from BEGIN to COMMIT, so a later
    ``seq`` always commits later; every ``txid`` is 0 and the horizon 1 (all rows)."""

    type = BigInteger()
    inherit_cache = True


@compiles(current_txid)
def _txid_default(element: current_txid, compiler: SQLCompiler, **kw: object) -> str:
    return "0"


@compiles(current_txid, "postgresql")
def _txid_pg(element: current_txid, compiler: SQLCompiler, **kw: object) -> str:
    return "(pg_current_xact_id()::text::bigint)"


@compiles(feed_horizon)
def _horizon_default(element: feed_horizon, compiler: SQLCompiler, **kw: object) -> str:
    return "1"


@compiles(feed_horizon, "postgresql")
def _horizon_pg(element: feed_horizon, compiler: SQLCompiler, **kw: object) -> str:
    return "(pg_snapshot_xmin(pg_current_snapshot())::text::bigint)"


class own_txid(FunctionElement[int]):  # noqa: N801 - a SQL function's name
    """The reading transaction's own id if it has written (NULL otherwise; NULL on SQLite).
    Its own events are visible to it though it has not ended; a feed request writes no
    events, so only a transaction that writes events and then reads the feed (a test's)
    sees any."""

    type = BigInteger()
    inherit_cache = True


@compiles(own_txid)
def _own_default(element: own_txid, compiler: SQLCompiler, **kw: object) -> str:
    return "NULL"


@compiles(own_txid, "postgresql")
def _own_pg(element: own_txid, compiler: SQLCompiler, **kw: object) -> str:
    return "(pg_current_xact_id_if_assigned()::text::bigint)"


#: The events not yet fanned out: the condition of the partial index ``ix_events_unfanned``,
#: and of every statement that looks for them, written the same way so that both databases
#: use the index. (``fanned_out IS false``, ``IS 0`` or ``= 0`` do not match it: PostgreSQL
#: and SQLite then read every event, as the delivery worker did on each pass.)
NOT_FANNED_OUT = "NOT fanned_out"


class Event(Base):
    """An event as one recipient sees it. ``seq`` orders the feed; ``id`` is stable and is
    the ``webhook-id`` of its deliveries, so receivers deduplicate by it."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_recipient_txid_seq", "recipient_id", "txid", "seq"),
        Index(
            "ix_events_unfanned",
            "seq",
            postgresql_where=text(NOT_FANNED_OUT),
            sqlite_where=text(NOT_FANNED_OUT),
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
    #: The transaction that wrote it (``current_txid``): the feed's order is (txid, seq).
    txid: Mapped[int] = mapped_column(BigInteger, server_default=current_txid())
    #: False until the webhooks have made its deliveries (the outbox's relay mark).
    fanned_out: Mapped[bool] = mapped_column(Boolean, default=False)


class EventWatermark(Base):
    """How far a time-driven announcement has run (e.g. consents expired up to ``at``)."""

    __tablename__ = "event_watermarks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
