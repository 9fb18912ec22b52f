"""The deadline run in batches (``disputes.service.run_due``) does what resolving each due
dispute one by one does (``resolve_due_one_by_one``, through ``_resolve``): the same outcomes,
suppressions, notices, score receipts and audit events, a valid audit chain, and still exactly
one outcome per dispute. Each comparison runs both paths on the same data, one after the other
in savepoints rolled back in between."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.common import Purpose, Role
from schemas.disputes import DisputeAnswer
from schemas.file import InquiryKind
from service.audit import service as audit
from service.audit.models import AuditEvent
from service.core import row_triggers, write_behind
from service.core.row_triggers import RowTriggerDeferral
from service.core.security import Principal, new_id
from service.disputes import queries as dispute_queries
from service.disputes import service as disputes
from service.disputes.models import Dispute
from service.events.models import Event
from service.file import service as file_service
from service.file.models import Inquiry, ItemFlag
from service.notices.models import Notice
from service.principals import service as principals
from service.principals.models import Subject
from service.scoring.models import ScoreReceipt
from tests.conftest import Actor
from tests.factories import account_body, furnish

#: A Monday; every dispute below is filed then, but one.
FILED = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)
#: 31 days on: every deadline and every identity-theft block filed at ``FILED`` has come.
RUN = FILED + timedelta(days=31)


@dataclass
class Person:
    subject: Actor
    card: dict[str, Any]
    loan: dict[str, Any] | None


@dataclass
class World:
    people: list[Person]
    furnisher: Actor
    lender: Actor
    #: Subjects with exactly one dispute due at ``RUN``.
    compared: list[str]


def _person(
    client: TestClient, make_subject: Callable[..., Actor], furnisher: Actor, loan: bool, k: int
) -> Person:
    subject = make_subject()
    card = furnish(
        client,
        furnisher,
        f"card-{k}",
        account_body(subject.id, as_of="2026-11-01", balance_cents=100_000 + 7_000 * k),
    )
    installment = None
    if loan:
        installment = furnish(
            client,
            furnisher,
            f"loan-{k}",
            account_body(
                subject.id,
                account_type="installment",
                credit_limit_cents=None,
                original_amount_cents=2_000_000,
                balance_cents=1_500_000 - 50_000 * k,
                opened_on="2021-05-01",
                payment_history="0" * 20 + "1000",
                date_of_first_delinquency="2025-07-01",
                as_of="2026-11-01",
            ),
        )
    return Person(subject, card, installment)


def _file(client: TestClient, who: Actor, status: int = 201, **body: Any) -> dict[str, Any]:
    payload = {"reason_code": "not_mine", "description": "Not mine.", **body}
    resp = client.post("/v1/me/disputes", json=payload, headers=who.headers)
    assert resp.status_code == status, resp.text
    data: dict[str, Any] = resp.json()
    return data


@pytest.fixture
def world(
    client: TestClient,
    session: Session,
    set_clock: Callable[[datetime], datetime],
    make_subject: Callable[..., Actor],
    make_furnisher: Callable[..., Actor],
    make_lender: Callable[..., Actor],
) -> World:
    set_clock(FILED)
    furnisher = make_furnisher("Fictional Batch Bank")
    lender = make_lender("Fictional Batch Lender")
    people = [_person(client, make_subject, furnisher, loan=k != 2, k=k) for k in range(7)]
    with session.begin_nested():
        file_service.add_inquiries_bulk(
            session,
            inquiries=[
                file_service.NewInquiry(
                    subject_id=people[3].subject.id,
                    lender_id=lender.id,
                    purpose=Purpose("credit_application"),
                    kind=InquiryKind("hard"),
                    at=FILED - timedelta(days=20),
                )
            ],
        )
    inquiry = session.scalars(
        select(Inquiry.id).where(Inquiry.subject_id == people[3].subject.id)
    ).one()
    p = people
    _file(client, p[0].subject, item_type="account", item_id=p[0].card["id"])
    _file(
        client,
        p[1].subject,
        item_type="account",
        item_id=p[1].loan["id"] if p[1].loan else "",
        reason_code="identity_theft",
        description="Someone opened this loan in my name.",
    )
    _file(client, p[2].subject, item_type="account", item_id=p[2].card["id"])  # a thin file
    _file(client, p[3].subject, item_type="inquiry", item_id=inquiry)
    answered = _file(client, p[4].subject, item_type="account", item_id=p[4].card["id"])
    resp = client.post(
        f"/v1/furnisher/disputes/{answered['id']}/response",
        json={"outcome": "verified"},
        headers=furnisher.headers,
    )
    assert resp.status_code == 200, resp.text
    _file(client, p[6].subject, item_type="account", item_id=p[6].card["id"])
    _file(client, p[6].subject, item_type="account", item_id=p[6].loan["id"] if p[6].loan else "")
    set_clock(FILED + timedelta(days=10))
    _file(client, p[5].subject, item_type="account", item_id=p[5].card["id"])  # not yet due
    return World(
        people=people,
        furnisher=furnisher,
        lender=lender,
        compared=[p[k].subject.id for k in (0, 1, 2, 3)],
    )


# --- what a run wrote, with the ids that are drawn at random replaced by what they name ----


def _receipts(session: Session) -> dict[str, tuple[Any, ...]]:
    rows = session.scalars(select(ScoreReceipt).where(ScoreReceipt.computed_at == RUN))
    return {
        r.id: (
            r.subject_id,
            r.model_version,
            r.score,
            r.scored_on,
            r.purpose,
            r.requested_by,
            r.inputs,
            r.characteristics,
            r.factors,
            r.reasons,
            r.no_score_reasons,
        )
        for r in rows
    }


@dataclass
class Written:
    disputes: dict[str, tuple[Any, ...]]
    flags: list[tuple[Any, ...]]
    #: Per subject, its notices in the order sent, each with its receipt's content.
    notices: dict[str, list[tuple[Any, ...]]]
    #: Per subject, the events the run appended to its chain, in chain order.
    chains: dict[str, list[tuple[Any, ...]]]
    receipts: dict[str, list[tuple[Any, ...]]]
    #: Per subject, the events about it, each recipient's in the order written (read back
    #: from their rows: a notice's by what it says).
    events: dict[str, dict[str, list[tuple[Any, ...]]]]
    resolved: int
    valid: bool


def _written(session: Session, resolved: int) -> Written:
    session.flush()
    receipts = _receipts(session)
    notice_rows = session.scalars(select(Notice).where(Notice.at == RUN)).all()
    notices = {n.id: n for n in notice_rows}

    def content(notice: Notice) -> tuple[Any, ...]:
        said = dict(notice.content)
        receipt = said.pop("receipt_id", None)
        return (notice.kind, said, receipts.get(receipt) if receipt else None)

    chains: dict[str, list[tuple[Any, ...]]] = {}
    for e in session.scalars(
        select(AuditEvent).where(AuditEvent.at == RUN).order_by(AuditEvent.chain, AuditEvent.seq)
    ):
        named: Any = e.resource_id
        if e.resource_type == "notice":
            named = content(notices[e.resource_id or ""])
        elif e.resource_type == "score_receipt":
            named = receipts[e.resource_id or ""]
        chains.setdefault(e.chain, []).append(
            (e.actor_id, e.actor_role, e.action, e.purpose, e.resource_type, named)
        )
    by_event_order: dict[str, list[tuple[Any, ...]]] = {}
    for chain, events in chains.items():
        by_event_order[chain] = [e[5] for e in events if e[2] == "notice.sent"]
    told: dict[str, dict[str, list[tuple[Any, ...]]]] = {}
    for ev in session.scalars(select(Event).where(Event.at == RUN).order_by(Event.seq)):
        data = dict(ev.data)
        if ev.type == "notice.created":
            data["notice_id"] = content(notices[data["notice_id"]])
        told.setdefault(ev.subject_id or "", {}).setdefault(ev.recipient_id, []).append(
            (ev.type, ev.resource_type, ev.resource_id if ev.type != "notice.created" else "", data)
        )
    per_subject_receipts: dict[str, list[tuple[Any, ...]]] = {}
    for _id, r in receipts.items():
        per_subject_receipts.setdefault(r[0], []).append(r)
    return Written(
        disputes={
            d.id: (d.subject_id, d.status, d.outcome, d.resolved_at, d.resolution)
            for d in session.scalars(select(Dispute))
        },
        flags=sorted(
            (f.subject_id, f.item_type, f.item_id, f.field, f.kind, f.dispute_id, f.reason)
            + (f.since, f.until)
            for f in session.scalars(select(ItemFlag))
        ),
        notices=by_event_order,
        chains=chains,
        receipts=per_subject_receipts,
        events=told,
        resolved=resolved,
        valid=audit.verify(session).valid,
    )


def _behind(session: Session, *, now: datetime, batch: int) -> int:
    """The batch path as a clock move runs it: the due disputes read and their chains
    locked first, then its writes behind its Python work (``write_behind``)."""
    with write_behind.writes_behind(session):
        due = disputes.due(session, now=now)
        heads = audit.lock_heads(session, {d.subject_id for d in due})
        return disputes.resolve_due(session, due, now=now, batch=batch, heads=heads)


@pytest.fixture(params=["at once", "behind"])
def both(
    world: World, session: Session, request: pytest.FixtureRequest
) -> Iterator[tuple[Written, Written]]:
    """What the one-by-one path and the batch path (in batches of 2 subjects; its writes
    made at once, or behind its Python work) write."""
    with session.begin_nested() as savepoint:
        one_by_one = _written(session, disputes.resolve_due_one_by_one(session, now=RUN))
        savepoint.rollback()
    with session.begin_nested() as savepoint:
        if request.param == "behind":
            resolved = _behind(session, now=RUN, batch=2)
        else:
            resolved = disputes.run_due(session, now=RUN, batch=2)
        batched = _written(session, resolved)
        yield one_by_one, batched
        savepoint.rollback()


def _only(written: Written, subjects: list[str]) -> Written:
    keep = set(subjects)
    return Written(
        disputes={k: v for k, v in written.disputes.items() if v[0] in keep},
        flags=[f for f in written.flags if f[0] in keep],
        notices={k: v for k, v in written.notices.items() if k in keep},
        chains={k: v for k, v in written.chains.items() if k in keep},
        receipts={k: v for k, v in written.receipts.items() if k in keep},
        events={k: v for k, v in written.events.items() if k in keep},
        resolved=0,
        valid=written.valid,
    )


def test_the_batch_path_writes_what_the_one_by_one_path_writes(
    world: World, both: tuple[Written, Written]
) -> None:
    one_by_one, batched = both
    assert one_by_one.resolved == batched.resolved == 6
    assert one_by_one.valid
    assert batched.valid
    expected, got = _only(one_by_one, world.compared), _only(batched, world.compared)
    assert got.disputes == expected.disputes
    assert got.flags == expected.flags
    assert got.receipts == expected.receipts
    assert got.notices == expected.notices
    assert got.chains == expected.chains
    assert got.events == expected.events
    # each subject is told of its dispute's result, its overdue deadline or block, its
    # item's suppression and its notice; an account's furnisher of the first three
    for subject in world.compared:
        types = sorted(t for t, *_ in got.events[subject][subject])
        assert types[-1] == "notice.created"
        assert "dispute.resolved" in types
    outcomes = sorted(v[2] for v in got.disputes.values())
    assert outcomes == ["blocked", "unverified", "unverified", "unverified"]
    # the thin file left with nothing to score: no score, and the reasons why
    (thin,) = got.receipts[world.people[2].subject.id]
    assert thin[2] is None
    assert thin[10]
    # every resolution writes its three events, in this order, on its subject's chain
    for subject in world.compared:
        actions = [e[2] for e in got.chains[subject]]
        assert actions[0] in {"dispute.unverified", "dispute.blocked"}
        assert actions[1:] == ["score.recomputed", "notice.sent"]


def test_disputes_not_due_or_already_answered_are_left_alone(
    world: World, both: tuple[Written, Written]
) -> None:
    _, batched = both
    untouched = {world.people[4].subject.id, world.people[5].subject.id}
    statuses = sorted((v[1], v[2]) for v in batched.disputes.values() if v[0] in untouched)
    assert statuses == [("open", None), ("resolved", "verified")]
    assert not untouched & set(batched.chains)
    assert not [f for f in batched.flags if f[0] in untouched and f[4] == "suppressed"]


def test_a_subject_with_two_disputes_due_is_scored_once_after_both_suppressions(
    world: World, both: tuple[Written, Written]
) -> None:
    one_by_one, batched = both
    subject = world.people[6].subject.id
    assert [v[2] for v in batched.disputes.values() if v[0] == subject] == ["unverified"] * 2
    suppressed = [f for f in batched.flags if f[0] == subject and f[4] == "suppressed"]
    assert len(suppressed) == 2
    # one receipt, of the file with both items off: the one the one-by-one path ends with
    (receipt,) = batched.receipts[subject]
    assert receipt == one_by_one.receipts[subject][-1]
    assert receipt[6]["accounts"] == []
    # both notices cite it
    first, second = batched.notices[subject]
    assert first[2] == second[2] == receipt
    assert {first[1]["dispute_id"], second[1]["dispute_id"]} == {
        k for k, v in batched.disputes.items() if v[0] == subject
    }
    assert [e[2] for e in batched.chains[subject]] == [
        "dispute.unverified",
        "dispute.unverified",
        "score.recomputed",
        "notice.sent",
        "notice.sent",
    ]


def test_a_dispute_answered_after_the_run_read_it_keeps_the_answer(
    world: World, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race: the run reads a dispute as due, then the furnisher's answer resolves it
    before the run's write. The run's conditional write finds it resolved, so the run counts
    it not, and writes nothing for it: exactly one outcome."""
    subject = world.people[0].subject.id
    read = dispute_queries.due_disputes(session, RUN)
    mine = [d for d in read if d.subject_id == subject]
    assert len(mine) == 1
    with session.begin_nested():
        furnisher = Principal(id=world.furnisher.id, role=Role.furnisher, name="Fictional")
        disputes.answer(
            session,
            furnisher=furnisher,
            dispute_id=mine[0].id,
            body=DisputeAnswer.model_validate({"outcome": "verified"}),
            now=RUN - timedelta(seconds=1),
        )
    monkeypatch.setattr(dispute_queries, "due_disputes", lambda _s, _now: mine)
    assert disputes.run_due(session, now=RUN) == 0
    row = session.get(Dispute, (mine[0].id, mine[0].subject_id))
    assert row is not None
    session.refresh(row)
    assert (row.status, row.outcome) == ("resolved", "verified")
    assert not session.scalars(
        select(ItemFlag).where(ItemFlag.dispute_id == row.id, ItemFlag.kind == "suppressed")
    ).all()
    told = session.scalars(select(Notice).where(Notice.subject_id == subject)).all()
    assert [n.content["dispute_outcome"] for n in told] == ["verified"]
    assert audit.verify(session).valid


def test_a_bulk_append_gives_the_chain_one_by_one_appends_give(
    world: World, session: Session
) -> None:
    actor = Principal(id="clearfile", role=Role.admin, name="Clearfile (scheduled rule)")
    subjects = [p.subject.id for p in world.people[:3]]
    events = [
        audit.NewEvent(
            actor=actor,
            action=f"test.{k}",
            subject_id=subjects[k % 3] if k % 4 else None,
            purpose="test",
            resource_type="thing",
            resource_id=new_id("thg"),
        )
        for k in range(10)
    ]

    def appended() -> list[tuple[Any, ...]]:
        """Each chain's events in its order (events of different chains have none: a bulk
        append inserts them chain by chain)."""
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.at == RUN)
            .order_by(AuditEvent.chain, AuditEvent.seq, AuditEvent.id)
        )
        return [(e.chain, e.seq, e.action, e.prev_hash, e.hash) for e in rows]

    with session.begin_nested() as savepoint:
        for e in events:
            audit.record(
                session,
                actor=e.actor,
                action=e.action,
                now=RUN,
                subject_id=e.subject_id,
                purpose=e.purpose,
                resource_type=e.resource_type,
                resource_id=e.resource_id,
            )
        one_by_one = appended()
        savepoint.rollback()
    with session.begin_nested() as savepoint:
        audit.record_bulk(session, events=events, now=RUN)
        assert appended() == one_by_one
        assert audit.verify(session).valid
        savepoint.rollback()


def _revisions(session: Session, subject_ids: list[str]) -> dict[str, str]:
    rows = session.execute(
        select(Subject.id, Subject.file_revision).where(Subject.id.in_(subject_ids))
    )
    return {subject_id: revision for subject_id, revision in rows}


def test_the_run_replaces_the_revision_of_each_file_it_changed_and_of_no_other(
    world: World, session: Session
) -> None:
    """The run defers the per-row revision triggers (migration 0010) and replaces each
    changed file's revision once itself: every file an outcome touched gets a new revision
    (a report cached under the old one is not served again), the file whose dispute is not
    yet due keeps its own, and the triggers fire again after the run."""
    everyone = [p.subject.id for p in world.people]
    changed = [p.subject.id for k, p in enumerate(world.people) if k in (0, 1, 2, 3, 6)]
    before = _revisions(session, everyone)
    with session.begin_nested() as savepoint:
        assert disputes.run_due(session, now=RUN, batch=2) == 6
        after = _revisions(session, everyone)
        assert {s for s in everyone if after[s] != before[s]} == set(changed)
        assert session.scalars(select(RowTriggerDeferral.name)).all() == []
        # A write after the run replaces the revision row by row, as before.
        flag = session.scalars(select(ItemFlag).where(ItemFlag.subject_id == changed[0])).first()
        assert flag is not None
        flag.reason = "edited by hand"
        session.flush()
        assert _revisions(session, [changed[0]])[changed[0]] != after[changed[0]]
        savepoint.rollback()


def test_deferred_revision_triggers_skip_the_rows_and_the_block_replaces_each_once(
    world: World, session: Session
) -> None:
    subject = world.people[5].subject.id
    flag = session.scalars(select(ItemFlag).where(ItemFlag.subject_id == subject)).one()
    before = _revisions(session, [subject])[subject]
    with session.begin_nested() as savepoint:
        with principals.file_revisions_replaced_once(session, [subject]):
            flag.reason = "first edit"
            session.flush()
            # Inside the block the trigger skipped the row: the revision is unchanged.
            assert _revisions(session, [subject])[subject] == before
        assert _revisions(session, [subject])[subject] != before
        savepoint.rollback()
    with session.begin_nested() as savepoint:
        flag.reason = "second edit"
        session.flush()  # no block: the trigger replaced it at once
        assert _revisions(session, [subject])[subject] != before
        savepoint.rollback()


def test_a_deferral_inside_another_leaves_the_triggers_deferred_until_the_outer_ends(
    world: World, session: Session
) -> None:
    subject = world.people[5].subject.id
    flag = session.scalars(select(ItemFlag).where(ItemFlag.subject_id == subject)).one()
    before = _revisions(session, [subject])[subject]
    with session.begin_nested() as savepoint:
        with row_triggers.deferred(session, row_triggers.FILE_REVISIONS):
            with row_triggers.deferred(session, row_triggers.FILE_REVISIONS):
                flag.reason = "inner"
            flag.reason = "between"
            session.flush()
            assert _revisions(session, [subject])[subject] == before
        assert session.scalars(select(RowTriggerDeferral.name)).all() == []
        flag.reason = "after"
        session.flush()
        assert _revisions(session, [subject])[subject] != before
        savepoint.rollback()
