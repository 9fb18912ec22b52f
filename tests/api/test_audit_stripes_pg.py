"""One subject's chain under concurrent appends on PostgreSQL (real transactions on their own
connections): an append takes a stripe of the chain that no other transaction holds, so
concurrent reads of one file do not queue on one head, and every event is still chained:
``verify`` finds an edited, an inserted or a missing event on any stripe (SQLite runs one
write transaction at a time: a chain is one stripe there)."""

import threading
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Executable, delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from schemas.common import Role
from service.audit import service as audit
from service.audit.models import AuditChainHead, AuditEvent
from service.audit.rules import chain_stripes, event_hash
from service.core.security import Principal
from tests.databases import migrated_postgres_sessions

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HOT = "sub_hot_reader"
READER = Principal(id=HOT, role=Role.subject, name="Hot Reader")


@pytest.fixture
def own_database(database_url: str) -> Iterator[sessionmaker[Session]]:
    """A database of its own, migrated, dropped afterwards: the transactions commit."""
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent transactions: PostgreSQL")
    with migrated_postgres_sessions(database_url, "stripes") as sessions:
        yield sessions


def _read(session: Session, n: int = 0) -> None:
    audit.record(
        session,
        actor=READER,
        action="report.read",
        now=NOW,
        subject_id=HOT,
        purpose="self_access",
        resource_type="report",
        resource_id=f"{HOT}-{n}",
    )


def _events(factory: sessionmaker[Session]) -> list[AuditEvent]:
    with factory() as session:
        stmt = select(AuditEvent).where(AuditEvent.subject_id == HOT).order_by(AuditEvent.id)
        return list(session.scalars(stmt))


def _run(threads: list[threading.Thread]) -> None:
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _reads_all_at_once(factory: sessionmaker[Session], n: int) -> None:
    """``n`` transactions each append a read of the hot subject, and each holds its stripe
    until all ``n`` have appended: had one waited for another's head, the barrier would
    break (its timeout) and the test fail."""
    barrier = threading.Barrier(n, timeout=20)
    errors: list[BaseException] = []

    def read(k: int) -> None:
        try:
            with factory() as session, session.begin():
                _read(session, k)
                barrier.wait()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    _run([threading.Thread(target=read, args=(k,)) for k in range(n)])
    assert errors == []


def test_concurrent_appends_to_one_chain_take_stripes_instead_of_waiting(
    own_database: sessionmaker[Session],
) -> None:
    factory = own_database
    with factory() as session, session.begin():
        _read(session)  # the chain's own stripe exists
    _reads_all_at_once(factory, 6)
    events = _events(factory)
    assert len(events) == 7
    stripes = chain_stripes(HOT)
    by_stripe: dict[str, list[int]] = defaultdict(list)
    for e in events:
        by_stripe[e.chain].append(e.seq)
    # Six transactions held six stripes at once: the chain's own and five opened, in order.
    assert sorted(by_stripe, key=stripes.index) == stripes[:6]
    assert by_stripe[HOT] == [1, 2]
    assert all(seqs == [1] for chain, seqs in by_stripe.items() if chain != HOT)
    with factory() as session:
        assert audit.verify(session).valid
    with factory() as session, session.begin():
        _read(session)  # once they are free, a read takes the chain's own stripe again
    assert _events(factory)[-1].chain == HOT


def test_many_concurrent_reads_of_one_subject_are_all_chained(
    own_database: sessionmaker[Session],
) -> None:
    factory = own_database
    _reads_all_at_once(factory, 4)  # the chain itself opened under contention
    errors: list[BaseException] = []
    held = threading.Barrier(12, timeout=20)

    def reads(k: int) -> None:
        try:
            for n in range(15):
                with factory() as session, session.begin():
                    _read(session, 100 * k + n)
                    if n == 0:
                        held.wait()  # twelve transactions at once, then as they come
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    _run([threading.Thread(target=reads, args=(k,)) for k in range(12)])
    assert errors == []
    events = _events(factory)
    assert len(events) == 4 + 12 * 15
    with factory() as session:
        heads = {c: (s, h) for c, s, h in session.execute(select(AuditChainHead.__table__))}
    by_stripe: dict[str, list[AuditEvent]] = defaultdict(list)
    for e in events:
        assert e.chain in chain_stripes(HOT)
        by_stripe[e.chain].append(e)
    assert len(by_stripe) >= 12
    for chain, chained in by_stripe.items():
        chained.sort(key=lambda e: e.seq)
        assert [e.seq for e in chained] == list(range(1, len(chained) + 1)), chain
        assert heads[chain] == (chained[-1].seq, chained[-1].hash), chain
    with factory() as session:
        assert audit.verify(session).valid
        pages, cursor = 0, None
        while True:
            page = audit.verify(session, cursor=cursor, limit=7)
            assert page.valid
            pages += 1
            cursor = page.next_cursor
            if cursor is None:
                break
        assert pages == -(-len(events) // 7)


def _tampered(factory: sessionmaker[Session], *statements: Executable) -> audit.Verification:
    """Verify after the statements, then undo them."""
    with factory() as session:
        for statement in statements:
            session.execute(statement)
        result = audit.verify(session)
        session.rollback()
    return result


def test_an_edited_inserted_or_missing_event_on_any_stripe_is_found(
    own_database: sessionmaker[Session],
) -> None:
    factory = own_database
    with factory() as session, session.begin():
        _read(session)
    for _ in range(3):
        _reads_all_at_once(factory, 3)  # three stripes, four, three and three events
    events = _events(factory)
    with factory() as session:
        assert audit.verify(session).valid
    by_stripe: dict[str, list[AuditEvent]] = defaultdict(list)
    for e in events:
        by_stripe[e.chain].append(e)
    assert sorted(by_stripe) == sorted(chain_stripes(HOT)[:3])
    for chain, chained in by_stripe.items():
        chained.sort(key=lambda e: e.seq)
        middle, last = chained[1], chained[-1]
        edited = update(AuditEvent).where(AuditEvent.id == middle.id).values(actor_name="X")
        deleted = delete(AuditEvent).where(AuditEvent.id == middle.id)
        deleted_last = delete(AuditEvent).where(AuditEvent.id == last.id)
        # An event slipped in after the middle one, hashed right but breaking the links.
        slipped = {
            "chain": chain,
            "seq": middle.seq + 1,
            "subject_id": HOT,
            "actor_id": "someone",
            "actor_role": "subject",
            "actor_name": "Someone",
            "action": "report.read",
            "purpose": None,
            "resource_type": None,
            "resource_id": None,
            "at": NOW,
        }
        digest = event_hash(prev_hash=middle.hash, **slipped)  # type: ignore[arg-type]
        make_room = (
            update(AuditEvent)
            .where(AuditEvent.chain == chain, AuditEvent.seq > middle.seq)
            .values(seq=AuditEvent.seq + 1000)
        )
        inserted = insert(AuditEvent).values(**slipped, prev_hash=middle.hash, hash=digest)
        renumber = (
            update(AuditEvent)
            .where(AuditEvent.chain == chain, AuditEvent.seq > 1000)
            .values(seq=AuditEvent.seq - 999)
        )
        for statements in (
            (edited,),
            (deleted,),
            (deleted_last,),
            (make_room, inserted, renumber),
        ):
            result = _tampered(factory, *statements)
            assert not result.valid, (chain, statements)
        # A stripe that lost every event, its head still there.
        gone = delete(AuditEvent).where(AuditEvent.chain == chain)
        assert not _tampered(factory, gone).valid, chain
    with factory() as session:
        assert audit.verify(session).valid  # every tampering was undone
