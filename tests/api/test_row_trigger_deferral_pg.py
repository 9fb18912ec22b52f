"""Deferred per-row triggers (migration 0010) under real concurrent transactions on
PostgreSQL: the switch is seen by its own transaction only, and bulk appends racing on the
same chains still leave every head on its chain's last event (SQLite runs one transaction
at a time anyway)."""

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from schemas.common import Role
from service.audit import service as audit
from service.audit.models import AuditChainHead, AuditEvent
from service.core import row_triggers
from service.core.security import Principal
from tests.databases import migrated_postgres_sessions

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ACTOR = Principal(id="clearfile", role=Role.admin, name="Clearfile (scheduled rule)")
SETTING = text("SELECT current_setting('clearfile.defer_audit_heads', true)")


@pytest.fixture
def own_database(database_url: str) -> Iterator[sessionmaker[Session]]:
    """A database of its own, migrated, dropped afterwards: the transactions commit."""
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent transactions: PostgreSQL")
    with migrated_postgres_sessions(database_url, "deferral") as sessions:
        yield sessions


def _head(factory: sessionmaker[Session], chain: str) -> tuple[int, str] | None:
    with factory() as session:
        row = session.execute(
            select(AuditChainHead.seq, AuditChainHead.hash).where(AuditChainHead.chain == chain)
        ).first()
        return None if row is None else (row.seq, row.hash)


def _last(factory: sessionmaker[Session], chain: str) -> tuple[int, str]:
    with factory() as session:
        row = session.execute(
            select(AuditEvent.seq, AuditEvent.hash)
            .where(AuditEvent.chain == chain)
            .order_by(AuditEvent.seq.desc())
        ).first()
        assert row is not None
        return row.seq, row.hash


def test_a_deferral_is_seen_by_its_own_transaction_only(
    own_database: sessionmaker[Session],
) -> None:
    factory = own_database
    with factory() as deferring, deferring.begin():
        with row_triggers.deferred(deferring, row_triggers.AUDIT_HEADS):
            assert deferring.execute(SETTING).scalar() == "on"
            # Another transaction, meanwhile: its appends move their heads as ever.
            with factory() as other, other.begin():
                assert other.execute(SETTING).scalar() in (None, "", "off")
                audit.record(other, actor=ACTOR, action="test.other", now=NOW, subject_id="c1")
            assert _head(factory, "c1") == _last(factory, "c1")
        assert deferring.execute(SETTING).scalar() == "off"
    with factory() as later, later.begin():
        assert later.execute(SETTING).scalar() in (None, "", "off")


def test_bulk_appends_racing_on_the_same_chains_leave_each_head_on_its_last_event(
    own_database: sessionmaker[Session],
) -> None:
    factory = own_database
    chains = [f"c{k}" for k in range(6)]
    with factory() as session, session.begin():  # every chain has a head to lock
        audit.record_bulk(
            session,
            events=[audit.NewEvent(actor=ACTOR, action="test.start", subject_id=c) for c in chains],
            now=NOW,
        )
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def append(k: int) -> None:
        try:
            with factory() as session, session.begin():
                barrier.wait()
                audit.record_bulk(
                    session,
                    events=[
                        audit.NewEvent(actor=ACTOR, action=f"test.{k}.{n}", subject_id=c)
                        for n in range(3)
                        for c in chains[k % 2 :: 1 + k % 2]
                    ],
                    now=NOW,
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=append, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for chain in chains:
        assert _head(factory, chain) == _last(factory, chain), chain
    with factory() as session:
        assert audit.verify(session).valid
