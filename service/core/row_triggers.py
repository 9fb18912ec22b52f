"""Deferring the database's per-row triggers within one transaction (migration 0010).

Two kinds of per-row trigger keep derived state right whatever path writes a row: the audit
chain head moves with every event inserted (migration 0003), and a subject's file revision
is replaced with every row of their file written (migrations 0004 to 0006). A bulk path that
writes thousands of rows pays for each firing, though it could do the same work once per
chain or per subject at the end. Inside ``deferred(session, name)`` the triggers of ``name``
skip the rows the transaction writes, and the caller does their work itself before the block
ends (``service.audit.service.record_bulk``,
``service.principals.service.file_revisions_replaced_once``).

The switch is seen by the writing transaction only, and only inside the block: on
PostgreSQL a transaction-local setting (``set_config(..., true)``), which no other session
can see and a rollback undoes; on SQLite, which has no settings, a row of
``row_trigger_deferrals`` inserted and deleted again inside the transaction (SQLite has one
writer at a time, and readers see only committed data, so no one else ever sees it).
"""

from collections.abc import Iterator
from contextlib import contextmanager, suppress

from sqlalchemy import String, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from service.core import write_behind
from service.core.db import Base

#: The audit chain-head trigger (migration 0003).
AUDIT_HEADS = "audit_heads"
#: The file-revision triggers (migrations 0004 to 0006).
FILE_REVISIONS = "file_revisions"
NAMES = (AUDIT_HEADS, FILE_REVISIONS)

#: PostgreSQL's setting for ``name`` ("on" while deferred); migration 0010 names the same.
SETTING_PREFIX = "clearfile.defer_"


#: The session's ``info`` key of the names deferred now.
_ACTIVE = "row_triggers_deferred"


class RowTriggerDeferral(Base):
    """SQLite only: a row here, seen by its own transaction only, defers triggers ``name``."""

    __tablename__ = "row_trigger_deferrals"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)


@contextmanager
def deferred(session: Session, name: str) -> Iterator[None]:
    """Inside the block, the triggers of ``name`` skip the rows this transaction writes; the
    caller does their work itself before the block ends. The session's pending writes are
    flushed on entry (their triggers fire) and on exit (theirs do not). A block inside
    another of the same name changes nothing: the outer one switches them back on."""
    if name not in NAMES:
        raise ValueError(f"no deferrable triggers named {name!r}")
    active: set[str] = session.info.setdefault(_ACTIVE, set())
    if name in active:
        yield
        return
    session.flush()
    connection = session.connection()
    # The switch on and off, in the order of the writes around them, behind the caller with
    # them if they are (``write_behind``).
    if connection.dialect.name == "postgresql":
        switch = text("SELECT set_config(:setting, :value, true)")
        setting = SETTING_PREFIX + name
        on = (switch, {"setting": setting, "value": "on"})
        off = (switch, {"setting": setting, "value": "off"})
    else:
        on = (text("INSERT INTO row_trigger_deferrals (name) VALUES (:name)"), {"name": name})
        off = (text("DELETE FROM row_trigger_deferrals WHERE name = :name"), {"name": name})
    write_behind.execute(connection, *on)

    def switch_off() -> None:
        write_behind.execute(connection, *off)

    active.add(name)
    try:
        yield
        session.flush()
    except BaseException:
        # The transaction may be unusable now (it is to be rolled back, which undoes the
        # switch too): the first error is the one to see.
        with suppress(Exception):
            switch_off()
        raise
    finally:
        active.discard(name)
    switch_off()
