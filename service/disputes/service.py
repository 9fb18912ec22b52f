"""Due process for a contested item (FCRA 611, 605B; GDPR 16, 18).

A subject files a dispute on an item of their file (or one field of it); the item is flagged
as disputed (XB) in the same transaction, and its furnisher sees the dispute at once. The
dispute resolves exactly once: by the furnisher's answer (verified, modified with
corrections validated like any furnishing, deleted), by the deadline (30 days, 45 with added
information: unanswered, the item is suppressed), or, for identity theft, by the block
(4 business days). Each result sends the subject a notice, with the new score and its
receipt when the file changed. A suppressed item comes back only through its furnisher's
certified reinsertion, with a notice. A repeat of a resolved dispute with no new
information is frivolous, and the subject is told why.
"""

import statistics
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from schemas.common import Page
from schemas.disputes import (
    AnswerOutcome,
    DisputeAnswer,
    DisputeCreate,
    DisputeOutcome,
    DisputeRead,
    DisputeStats,
    DisputeStatus,
    FurnisherDisputeRead,
    Reinsertion,
    StatementCreate,
    StatementRead,
)
from schemas.events import EventType
from schemas.furnishing import AccountCorrections, AccountPut
from schemas.notices import NoticeKind
from schemas.scoring import ScoreDisclosed
from service.audit import purposes
from service.audit import service as audit
from service.core.errors import Conflict, FieldError, InvalidInput, NotFound
from service.core.pagination import decode_keyset, keyset_of, split_page
from service.core.security import Principal, new_id
from service.disputes import queries, rules
from service.disputes.models import Dispute
from service.events import service as events
from service.file import service as file_service
from service.file.service import RULE_ACTOR
from service.furnishing import service as furnishing
from service.notices import service as notices
from service.principals import service as principals
from service.scoring import service as scoring

#: Outcomes that take the item off the file.
_SUPPRESSING = {
    DisputeOutcome.deleted: "deleted",
    DisputeOutcome.unverified: "unverified",
    DisputeOutcome.blocked: "identity_theft",
}


# --- views -----------------------------------------------------------------------------------


def _days_left(due_at: datetime, now: datetime) -> int:
    """Days to the deadline on the sandbox clock, a part of a day counting as a day (as a
    person counts them: filed a minute ago, 30 days left; an hour before it, 1), 0 once it is
    reached."""
    return max(0, -((now - due_at) // timedelta(days=1)))


def _read(dispute: Dispute, now: datetime) -> DisputeRead:
    left = _days_left(dispute.due_at, now) if dispute.status == DisputeStatus.open else None
    return DisputeRead(
        id=dispute.id,
        subject_id=dispute.subject_id,
        item_type=dispute.item_type,
        item_id=dispute.item_id,
        field=dispute.field,
        reason_code=dispute.reason_code,
        description=dispute.description,
        status=dispute.status,
        outcome=dispute.outcome,
        filed_at=dispute.filed_at,
        due_at=dispute.due_at,
        days_left=left,
        furnisher_id=dispute.furnisher_id,
        furnisher_notice_due_on=rules.add_business_days(
            dispute.filed_at.date(), rules.FURNISHER_NOTICE_BUSINESS_DAYS
        ),
        block_due_at=dispute.block_due_at,
        information=list(dispute.information or []),
        resolved_at=dispute.resolved_at,
        resolution=dispute.resolution,
        repeats=dispute.repeats,
    )


def _furnisher_read(dispute: Dispute) -> FurnisherDisputeRead:
    return FurnisherDisputeRead(
        id=dispute.id,
        account_id=dispute.item_id,
        account_ref=dispute.account_ref,
        field=dispute.field,
        reason_code=dispute.reason_code,
        description=dispute.description,
        information=list(dispute.information or []),
        status=dispute.status,
        outcome=dispute.outcome,
        filed_at=dispute.filed_at,
        due_at=dispute.due_at,
        block_due_at=dispute.block_due_at,
        resolved_at=dispute.resolved_at,
    )


def _audit(
    session: Session,
    *,
    actor: Principal,
    action: str,
    dispute: Dispute,
    now: datetime,
    purpose: str = purposes.DISPUTE,
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        now=now,
        subject_id=dispute.subject_id,
        purpose=purpose,
        resource_type="dispute",
        resource_id=dispute.id,
    )


def _facts(dispute: Dispute) -> events.DisputeFacts:
    return events.DisputeFacts(
        dispute_id=dispute.id,
        subject_id=dispute.subject_id,
        furnisher_id=dispute.furnisher_id,
        item_type=dispute.item_type,
        item_id=dispute.item_id,
        account_ref=dispute.account_ref,
    )


def _tell(session: Session, type: EventType, dispute: Dispute, now: datetime) -> None:
    """The dispute's event (events: the subject, and the furnisher of its own account)."""
    events.dispute_event(
        session,
        type=type,
        facts=_facts(dispute),
        status=str(dispute.status),
        outcome=None if dispute.outcome is None else str(dispute.outcome),
        now=now,
    )


def _tell_item(session: Session, type: EventType, dispute: Dispute, now: datetime) -> None:
    events.item_event(session, type=type, facts=_facts(dispute), now=now)


# --- filing ----------------------------------------------------------------------------------


def _field_problem(body: DisputeCreate) -> FieldError | None:
    if body.item_type.value == "account":
        if body.field is not None and body.field not in rules.ACCOUNT_FIELDS:
            return FieldError(
                "field", f"an account's field is one of {', '.join(rules.ACCOUNT_FIELDS)}"
            )
        return None
    if body.item_type.value == "identity":
        if body.field not in rules.IDENTITY_FIELDS:
            return FieldError(
                "field", f"an identity dispute names one of {', '.join(rules.IDENTITY_FIELDS)}"
            )
        return None
    if body.field is not None:
        return FieldError("field", f"a dispute of an {body.item_type.value} names no field")
    return None


def _frivolous_repeat(session: Session, subject_id: str, body: DisputeCreate) -> Dispute | None:
    """The resolved dispute this one repeats with no new information (FCRA 611(a)(3)): the
    same item, field and reason, and the same description, nothing added since."""
    for earlier in queries.resolved_disputes_on(
        session, subject_id, body.item_type.value, body.item_id, body.field
    ):
        if earlier.outcome != DisputeOutcome.verified:
            continue
        if earlier.reason_code == body.reason_code.value and rules.normalised(
            earlier.description
        ) == rules.normalised(body.description):
            return earlier
    return None


def file_dispute(
    session: Session, *, subject: Principal, body: DisputeCreate, now: datetime
) -> DisputeRead:
    """File a dispute; the item is flagged as disputed at once, and its furnisher sees it."""
    problem = _field_problem(body)
    if problem is not None:
        raise InvalidInput(detail="The dispute names a field it cannot.", errors=[problem])
    item = file_service.item_on_file(
        session,
        subject_id=subject.id,
        item_type=body.item_type.value,
        item_id=body.item_id,
        now=now,
    )
    if item is None:
        detail = f"no {body.item_type.value.replace('_', ' ')} with this id is on your file"
        raise InvalidInput(
            detail="The disputed item is not on your file.",
            errors=[FieldError("item_id", detail)],
        )
    open_one = queries.open_dispute_on(
        session, subject.id, item.item_type, item.item_id, body.field
    )
    if open_one is not None:
        raise Conflict(
            detail=f"This item is already under dispute ({open_one.id}, due "
            f"{open_one.due_at.isoformat()}); add information to it instead "
            f"(POST /v1/me/disputes/{open_one.id}/information)."
        )
    repeated = _frivolous_repeat(session, subject.id, body)
    identity_theft = body.reason_code.value == rules.IDENTITY_THEFT
    dispute = Dispute(
        id=new_id("dsp"),
        subject_id=subject.id,
        item_type=item.item_type,
        item_id=item.item_id,
        field=body.field,
        reason_code=body.reason_code.value,
        description=body.description,
        furnisher_id=item.furnisher_id,
        account_ref=item.account_ref,
        status=DisputeStatus.frivolous if repeated else DisputeStatus.open,
        outcome=None,
        filed_at=now,
        due_at=rules.reinvestigation_due(now, extended=False),
        block_due_at=rules.block_due(now) if identity_theft and not repeated else None,
        information=[],
        resolved_at=now if repeated else None,
        resolution=None,
        repeats=repeated.id if repeated else None,
    )
    if repeated is not None:
        dispute.resolution = (
            f"It repeats dispute {repeated.id}, resolved on {repeated.resolved_at.date()} "
            f"({repeated.outcome}), with no new information, so it was not reinvestigated "
            "(FCRA 611(a)(3)). Send new information to have the item looked at again."
            if repeated.resolved_at is not None
            else "It repeats a resolved dispute with no new information."
        )
    queries.add(session, dispute)
    _audit(session, actor=subject, action="dispute.filed", dispute=dispute, now=now)
    _tell(session, EventType.dispute_opened, dispute, now)
    if repeated is not None:
        notices.send(
            session,
            actor=RULE_ACTOR,
            subject_id=subject.id,
            kind=NoticeKind.dispute_frivolous,
            content={
                "title": "Your dispute was not reinvestigated",
                "summary": dispute.resolution,
                "dispute_id": dispute.id,
                "item_type": dispute.item_type,
                "item_id": dispute.item_id,
            },
            purpose=purposes.DISPUTE,
            now=now,
        )
        return _read(dispute, now)
    file_service.flag_disputed(
        session,
        subject_id=subject.id,
        item_type=item.item_type,
        item_id=item.item_id,
        field=body.field,
        dispute_id=dispute.id,
        now=now,
    )
    return _read(dispute, now)


def add_information(
    session: Session, *, subject: Principal, dispute_id: str, text: str, now: datetime
) -> DisputeRead:
    """Add information to an open dispute; in its first 30 days this extends the deadline
    to 45 days from filing (FCRA 611(a)(1)(B))."""
    dispute = queries.dispute_of_subject(session, subject.id, dispute_id)
    if dispute is None:
        raise NotFound(detail="No such dispute.")
    if dispute.status != DisputeStatus.open:
        raise Conflict(detail=f"The dispute {dispute.id} is {dispute.status}; file a new one.")
    dispute.information = [*(dispute.information or []), {"at": now.isoformat(), "text": text}]
    if rules.may_extend(dispute.filed_at, now):
        dispute.due_at = rules.reinvestigation_due(dispute.filed_at, extended=True)
    session.flush()
    _audit(session, actor=subject, action="dispute.information_added", dispute=dispute, now=now)
    return _read(dispute, now)


# --- reading ---------------------------------------------------------------------------------


def list_disputes(
    session: Session, *, subject: Principal, now: datetime, cursor: str | None, limit: int
) -> Page[DisputeRead]:
    rows = queries.disputes_of_subject(
        session, subject.id, before=decode_keyset(cursor), limit=limit + 1
    )
    page, next_cursor = split_page(rows, limit, lambda d: keyset_of(d.filed_at, d.id))
    audit.record(
        session,
        actor=subject,
        action="disputes.read",
        now=now,
        subject_id=subject.id,
        purpose=purposes.SELF_ACCESS,
        resource_type="disputes",
        resource_id=subject.id,
    )
    return Page[DisputeRead](items=[_read(d, now) for d in page], next_cursor=next_cursor)


def get_dispute(
    session: Session, *, subject: Principal, dispute_id: str, now: datetime
) -> DisputeRead:
    dispute = queries.dispute_of_subject(session, subject.id, dispute_id)
    if dispute is None:
        raise NotFound(detail="No such dispute.")
    _audit(
        session,
        actor=subject,
        action="dispute.read",
        dispute=dispute,
        now=now,
        purpose=purposes.SELF_ACCESS,
    )
    return _read(dispute, now)


def disputes_for_report(session: Session, *, subject_id: str, now: datetime) -> list[DisputeRead]:
    rows = queries.disputes_of_subject(session, subject_id, before=None, limit=None)
    return [_read(d, now) for d in rows]


def with_days_left(listed: list[DisputeRead], now: datetime) -> list[DisputeRead]:
    """Disputes read earlier, with the days left of the open ones counted at ``now``."""
    return [
        d.model_copy(update={"days_left": _days_left(d.due_at, now)})
        if d.status is DisputeStatus.open
        else d
        for d in listed
    ]


def furnisher_disputes(
    session: Session,
    *,
    furnisher: Principal,
    status: DisputeStatus | None,
    cursor: str | None,
    limit: int,
) -> Page[FurnisherDisputeRead]:
    """The disputes of the furnisher's own accounts, newest first."""
    rows = queries.disputes_of_furnisher(
        session,
        furnisher.id,
        status=status.value if status else None,
        before=decode_keyset(cursor),
        limit=limit + 1,
    )
    page, next_cursor = split_page(rows, limit, lambda d: keyset_of(d.filed_at, d.id))
    return Page[FurnisherDisputeRead](
        items=[_furnisher_read(d) for d in page], next_cursor=next_cursor
    )


# --- resolving: exactly one outcome ------------------------------------------------------------


def _resolve(
    session: Session,
    *,
    dispute: Dispute,
    outcome: DisputeOutcome,
    resolution: str,
    actor: Principal,
    now: datetime,
    effective_at: datetime | None = None,
) -> bool:
    """Resolve the dispute if it is still open (True), with what the outcome does to the
    file and the subject's notice; False when another outcome got there first. A deadline
    resolves it as of when it fell due (``effective_at``), whenever the run comes."""
    if not queries.close(
        session,
        dispute.id,
        {
            "status": DisputeStatus.resolved,
            "outcome": outcome,
            "resolved_at": effective_at or now,
            "resolution": resolution,
        },
    ):
        return False
    session.refresh(dispute)
    file_service.end_disputed_flags(session, dispute_ids=[dispute.id], now=now)
    suppressed = _SUPPRESSING.get(outcome) if _leaves_file(dispute) else None
    if suppressed is not None:
        file_service.suppress(
            session,
            subject_id=dispute.subject_id,
            item_type=dispute.item_type,
            item_id=dispute.item_id,
            dispute_id=dispute.id,
            reason=suppressed,
            now=now,
        )
    _tell(session, EventType.dispute_resolved, dispute, now)
    if outcome is DisputeOutcome.unverified:
        _tell(session, EventType.dispute_overdue, dispute, now)
    if suppressed is not None:
        _tell_item(session, EventType.item_suppressed, dispute, now)
    purpose = (
        purposes.IDENTITY_THEFT_BLOCK if outcome is DisputeOutcome.blocked else purposes.DISPUTE
    )
    _audit(
        session,
        actor=actor,
        action=f"dispute.{outcome.value}",
        dispute=dispute,
        now=now,
        purpose=purpose,
    )
    changed = suppressed is not None or outcome is DisputeOutcome.modified
    _send_result(session, dispute=dispute, outcome=outcome, changed=changed, actor=actor, now=now)
    return True


_RESULT_TITLES = {
    DisputeOutcome.verified: "Your dispute: the furnisher verified the item",
    DisputeOutcome.modified: "Your dispute: the item was corrected",
    DisputeOutcome.deleted: "Your dispute: the item was deleted",
    DisputeOutcome.unverified: "Your dispute: the item was not verified in time and is removed",
    DisputeOutcome.blocked: "Identity theft: the item is blocked",
}


def _result_kind(outcome: DisputeOutcome) -> NoticeKind:
    if outcome is DisputeOutcome.blocked:
        return NoticeKind.identity_theft_block
    return NoticeKind.dispute_result


def _result_content(
    *,
    dispute_id: str,
    item_type: str,
    item_id: str,
    resolution: str | None,
    outcome: DisputeOutcome,
    score: "ScoreDisclosed | scoring.NewScore | None",
) -> dict[str, Any]:
    """What the subject's result notice says: the outcome and, where the file changed, the
    new score, its range, model version and receipt."""
    content: dict[str, Any] = {
        "title": _RESULT_TITLES[outcome],
        "summary": resolution,
        "dispute_id": dispute_id,
        "item_type": item_type,
        "item_id": item_id,
        "dispute_outcome": outcome.value,
    }
    if score is not None:
        content.update(
            score=score.score,
            score_range=score.score_range,
            model_version=score.model_version,
            receipt_id=score.receipt_id,
            scored_on=score.scored_on,
        )
    return content


def _send_result(
    session: Session,
    *,
    dispute: Dispute,
    outcome: DisputeOutcome,
    changed: bool,
    actor: Principal,
    now: datetime,
) -> None:
    score = None
    if changed:
        score = scoring.score_after_change(
            session,
            subject_id=dispute.subject_id,
            actor=actor,
            purpose=purposes.DISPUTE,
            now=now,
        )
    notices.send(
        session,
        actor=actor,
        subject_id=dispute.subject_id,
        kind=_result_kind(outcome),
        content=_result_content(
            dispute_id=dispute.id,
            item_type=dispute.item_type,
            item_id=dispute.item_id,
            resolution=dispute.resolution,
            outcome=outcome,
            score=score,
        ),
        purpose=purposes.DISPUTE,
        now=now,
    )


def _corrected(session: Session, dispute: Dispute, corrections: AccountCorrections) -> AccountPut:
    """The account's furnished fields with the corrections applied: a whole furnishing,
    which ``furnish`` validates like any other (a new version, or 422 naming the field)."""
    current = furnishing.furnished_values(session, dispute.item_id)
    if current is None:
        raise NotFound(detail="The disputed account no longer exists.")
    changes = corrections.model_dump(exclude_unset=True)
    try:
        return AccountPut.model_validate({**current, **changes, "subject_id": dispute.subject_id})
    except ValidationError as exc:
        raise InvalidInput(
            detail="The corrected account is not a valid furnishing.",
            errors=[
                FieldError("corrections." + ".".join(map(str, e["loc"])), e["msg"])
                for e in exc.errors()
            ],
        ) from exc


def answer(
    session: Session,
    *,
    furnisher: Principal,
    dispute_id: str,
    body: DisputeAnswer,
    now: datetime,
) -> FurnisherDisputeRead:
    """The furnisher's answer: verified, modified (corrections, a new account version) or
    deleted. Only while the dispute is open: an answer after the deadline resolved it is a
    conflict, and the deadline's outcome stands."""
    dispute = queries.dispute_of_furnisher(session, furnisher.id, dispute_id)
    if dispute is None:
        raise NotFound(detail="No such dispute on your accounts.")
    if dispute.status != DisputeStatus.open:
        raise _already(dispute)
    if body.outcome is AnswerOutcome.modified and not body.corrections:
        raise InvalidInput(
            detail="A modified answer carries the corrections.",
            errors=[FieldError("corrections", "required when the outcome is modified")],
        )
    if body.outcome is not AnswerOutcome.modified and body.corrections:
        raise InvalidInput(
            detail="Only a modified answer carries corrections.",
            errors=[FieldError("corrections", "only with the outcome modified")],
        )
    outcome = DisputeOutcome(body.outcome.value)
    if outcome is DisputeOutcome.modified and body.corrections is not None:
        data = _corrected(session, dispute, body.corrections)
        furnishing.furnish(
            session,
            furnisher=furnisher,
            account_ref=dispute.account_ref or "",
            data=data,
            now=now,
        )
    resolution = {
        DisputeOutcome.verified: f"{furnisher.name} checked the item and says it is accurate. "
        "You may add a statement of up to 100 words (POST /v1/me/statements); lenders will "
        "see it.",
        DisputeOutcome.modified: f"{furnisher.name} corrected the item: "
        + ", ".join(sorted(body.corrections.model_dump(exclude_unset=True)))
        + "."
        if body.corrections
        else "",
        DisputeOutcome.deleted: f"{furnisher.name} deleted the item; it is no longer on your file.",
    }[outcome]
    if not _resolve(
        session, dispute=dispute, outcome=outcome, resolution=resolution, actor=furnisher, now=now
    ):
        session.refresh(dispute)
        raise _already(dispute)
    _tell(session, EventType.dispute_answered, dispute, now)
    return _furnisher_read(dispute)


def _already(dispute: Dispute) -> Conflict:
    return Conflict(
        detail=f"The dispute {dispute.id} is already {dispute.status} "
        f"({dispute.outcome or 'no outcome'}); its result stands."
    )


#: What an identity-theft block and an unanswered deadline tell the subject.
_BLOCKED_RESOLUTION = (
    "You reported this item as the result of identity theft, so it is blocked from your file "
    "and its furnisher has been told (FCRA 605B)."
)
_UNVERIFIED_RESOLUTION = (
    "The furnisher did not verify the item within the deadline, so it is removed from your "
    "file (FCRA 611(a)(5)(A)). It can come back only if its furnisher certifies it is "
    "complete and accurate, and you would be told."
)
_UNVERIFIED_IDENTITY = (
    "The bureau could not verify your {field} within the deadline. Your file is kept under "
    "it, so it cannot be removed: it is recorded as unverified in this dispute. Send a "
    "correction with new information as a new dispute."
)

#: Subjects whose due disputes one batch of a deadline run resolves together: their files
#: are read, scored and written with a fixed number of statements per batch. A batch of
#: 10,000 (about 43,000 accounts) peaks at 51 MiB of Python memory where 2,000 peak at 19
#: (tracemalloc, ``bench_disputes``), and resolved 10,000 disputes 10-25 % faster in one
#: batch than in five (alternating runs, issue 10).
DEADLINE_BATCH_SUBJECTS = 10_000


def due(session: Session, *, now: datetime) -> list[queries.DueDispute]:
    """Every open dispute whose deadline or identity-theft block has come at ``now``."""
    return queries.due_disputes(session, now)


def run_due(session: Session, *, now: datetime, batch: int | None = None) -> int:
    """Resolve every dispute whose time has come (``resolve_due`` of ``due``); how many."""
    return resolve_due(session, due(session, now=now), now=now, batch=batch)


def resolve_due(
    session: Session,
    due: Sequence[queries.DueDispute],
    *,
    now: datetime,
    batch: int | None = None,
    heads: audit.LockedHeads | None = None,
) -> int:
    """Resolve every dispute whose time has come: identity-theft blocks due (FCRA 605B) and
    unanswered disputes past their deadline (FCRA 611(a)(5)(A): unverified, suppressed).
    Returns how many were resolved.

    In batches of ``batch`` subjects (``DEADLINE_BATCH_SUBJECTS`` unless given), with the
    effects ``resolve_due_one_by_one`` has: each dispute is closed by a conditional write that
    finds it still open (and still due), so a furnisher's answer racing the deadline gives
    exactly one outcome, and only the disputes it closed are counted and acted on; their
    disputed flags end, their items are suppressed, each is audited, each subject's file is
    scored again once after its suppressions, and each dispute's result notice cites that
    score's receipt. With ``heads`` (the audit chains of the disputes' subjects, locked
    ahead), their audit events chain on from those."""
    batch = DEADLINE_BATCH_SUBJECTS if batch is None else batch
    if batch < 1:
        raise ValueError("batch must be at least 1")
    resolved = 0
    # The order of ``resolve_due_one_by_one``: blocks first, then deadlines, each by when it
    # fell due; a dispute whose block is due is blocked, whatever its deadline.
    blocks = sorted(
        (d for d in due if d.block_due_at is not None and d.block_due_at <= now),
        key=lambda d: (d.block_due_at, d.id),
    )
    blocking = {d.id for d in blocks}
    deadlines = sorted((d for d in due if d.id not in blocking), key=lambda d: (d.due_at, d.id))
    subjects = sorted({d.subject_id for d in due})
    for start in range(0, len(subjects), batch):
        chosen = set(subjects[start : start + batch])
        resolved += _resolve_due_batch(
            session,
            blocks=[d for d in blocks if d.subject_id in chosen],
            deadlines=[d for d in deadlines if d.subject_id in chosen],
            now=now,
            heads=heads,
        )
    return resolved


def _resolve_due_batch(
    session: Session,
    *,
    blocks: Sequence[queries.DueDispute],
    deadlines: Sequence[queries.DueDispute],
    now: datetime,
    heads: audit.LockedHeads | None,
) -> int:
    closed: list[tuple[queries.DueDispute, DisputeOutcome, str]] = []
    groups: list[tuple[DisputeOutcome, str, list[queries.DueDispute]]] = []
    if blocks:
        groups.append((DisputeOutcome.blocked, _BLOCKED_RESOLUTION, list(blocks)))
    # One write per resolution text: an identity field's notice names the field.
    by_text: dict[str, list[queries.DueDispute]] = {}
    for d in deadlines:
        by_text.setdefault(_unverified_resolution(d), []).append(d)
    groups += [(DisputeOutcome.unverified, text, ds) for text, ds in by_text.items()]
    # The file-revision triggers would fire for each dispute closed, flag ended and item
    # suppressed: each subject's revision is replaced once, after the batch's writes.
    subject_ids = {d.subject_id for _, _, ds in groups for d in ds}
    with principals.file_revisions_replaced_once(session, subject_ids):
        for outcome, resolution, candidates in groups:
            won = queries.close_due(
                session,
                [d.id for d in candidates],
                {"status": DisputeStatus.resolved, "outcome": outcome, "resolution": resolution},
                block=outcome is DisputeOutcome.blocked,
                now=now,
            )
            closed += [(d, outcome, resolution) for d in candidates if d.id in won]
        if not closed:
            return 0
        # Written subject by subject (each subject's disputes kept in their order): the
        # rows of one file go into the same pages of each table's subject index.
        closed.sort(key=_subject_of_closed)
        leaving = [d for d, o, _ in closed if _leaves_file(d)]
        # Each file an item left is scored again, once: its rows read now, before the
        # batch's writes, as those will leave it; the writes then run behind the scoring
        # (``write_behind``).
        files = scoring.read_files(
            session,
            subject_ids=sorted({d.subject_id for d in leaving}),
            also_off={(d.item_type, d.item_id) for d in leaving},
        )
        file_service.end_disputed_flags(session, dispute_ids=[d.id for d, _, _ in closed], now=now)
        file_service.suppress_bulk(
            session,
            flags=[
                file_service.NewFlag(d.subject_id, d.item_type, d.item_id, d.id, _SUPPRESSING[o])
                for d, o, _ in closed
                if _leaves_file(d)
            ],
            now=now,
        )
    events.disputes_resolved(
        session,
        [
            (
                events.DisputeFacts(
                    d.id, d.subject_id, d.furnisher_id, d.item_type, d.item_id, d.account_ref
                ),
                o.value,
                o is DisputeOutcome.unverified,
                _leaves_file(d),
            )
            for d, o, _ in closed
        ],
        now=now,
    )
    # The batch's audit events, appended together at its end: on each subject's chain in
    # the order the one-by-one path appends them (the resolution, the new score, the notice).
    audited = [
        audit.NewEvent(
            actor=RULE_ACTOR,
            action=f"dispute.{o.value}",
            subject_id=d.subject_id,
            purpose=purposes.IDENTITY_THEFT_BLOCK
            if o is DisputeOutcome.blocked
            else purposes.DISPUTE,
            resource_type="dispute",
            resource_id=d.id,
        )
        for d, o, _ in closed
    ]
    scores = scoring.scores_after_changes(
        session,
        files=files,
        actor=RULE_ACTOR,
        purpose=purposes.DISPUTE,
        now=now,
        audited=audited,
    )
    notices.send_bulk(
        session,
        actor=RULE_ACTOR,
        notices=[
            notices.NewNotice(
                subject_id=d.subject_id,
                kind=_result_kind(o),
                content=_result_content(
                    dispute_id=d.id,
                    item_type=d.item_type,
                    item_id=d.item_id,
                    resolution=resolution,
                    outcome=o,
                    score=scores[d.subject_id] if _leaves_file(d) else None,
                ),
            )
            for d, o, resolution in closed
        ],
        purpose=purposes.DISPUTE,
        now=now,
        audited=audited,
    )
    audit.record_bulk(session, events=audited, now=now, heads=heads)
    return len(closed)


def _subject_of_closed(closed: tuple[queries.DueDispute, DisputeOutcome, str]) -> str:
    return closed[0].subject_id


def _leaves_file(dispute: Any) -> bool:
    """Whether a suppressing outcome can take the dispute's item off the file: any item but
    an identity field, which the file is kept under."""
    return bool(dispute.item_type != "identity")


def _unverified_resolution(dispute: Any) -> str:
    if dispute.item_type == "identity":
        return _UNVERIFIED_IDENTITY.format(field=dispute.field)
    return _UNVERIFIED_RESOLUTION


def resolve_due_one_by_one(session: Session, *, now: datetime) -> int:
    """``run_due`` one dispute at a time through ``_resolve``, as an answer resolves one:
    the reference the batch path is tested against (it scores a subject's file again after
    each of its disputes)."""
    resolved = 0
    for dispute in queries.disputes_by_ids(session, queries.blocks_due_ids(session, now)):
        resolved += _resolve(
            session,
            dispute=dispute,
            outcome=DisputeOutcome.blocked,
            resolution=_BLOCKED_RESOLUTION,
            actor=RULE_ACTOR,
            now=now,
            effective_at=min(now, dispute.block_due_at or now),
        )
    for dispute in queries.disputes_by_ids(session, queries.due_ids(session, now)):
        resolved += _resolve(
            session,
            dispute=dispute,
            outcome=DisputeOutcome.unverified,
            resolution=_unverified_resolution(dispute),
            actor=RULE_ACTOR,
            now=now,
            effective_at=min(now, dispute.due_at),
        )
    return resolved


# --- after the result: reinsertion and statements ------------------------------------------


def reinsert(
    session: Session, *, furnisher: Principal, dispute_id: str, body: Reinsertion, now: datetime
) -> FurnisherDisputeRead:
    """Put back an item a dispute took off the file, on the furnisher's certification that it
    is complete and accurate; the subject is told (FCRA 611(a)(5)(B))."""
    dispute = queries.dispute_of_furnisher(session, furnisher.id, dispute_id)
    if dispute is None:
        raise NotFound(detail="No such dispute on your accounts.")
    if not body.certified:
        raise InvalidInput(
            detail="A reinsertion needs the furnisher's certification.",
            errors=[FieldError("certified", "must be true")],
        )
    if not file_service.reinsert(
        session, dispute_id=dispute.id, certification=body.certification, now=now
    ):
        raise Conflict(detail=f"The dispute {dispute.id} took nothing off the file to put back.")
    _audit(session, actor=furnisher, action="item.reinserted", dispute=dispute, now=now)
    _tell_item(session, EventType.item_reinserted, dispute, now)
    score = scoring.score_after_change(
        session, subject_id=dispute.subject_id, actor=furnisher, purpose=purposes.DISPUTE, now=now
    )
    notices.send(
        session,
        actor=furnisher,
        subject_id=dispute.subject_id,
        kind=NoticeKind.reinsertion,
        content={
            "title": "An item removed after your dispute is back on your file",
            "summary": f"{furnisher.name} certified that the item is complete and accurate, so "
            "it is back on your file (FCRA 611(a)(5)(B)). You may dispute it again, and add a "
            "statement.",
            "dispute_id": dispute.id,
            "item_type": dispute.item_type,
            "item_id": dispute.item_id,
            "score": score.score,
            "score_range": score.score_range,
            "model_version": score.model_version,
            "receipt_id": score.receipt_id,
            "scored_on": score.scored_on,
        },
        purpose=purposes.DISPUTE,
        now=now,
    )
    return _furnisher_read(dispute)


def add_statement(
    session: Session, *, subject: Principal, body: StatementCreate, now: datetime
) -> StatementRead:
    """The subject's statement (at most 100 words) about a dispute verified against them."""
    words = rules.word_count(body.text)
    if words > rules.STATEMENT_MAX_WORDS:
        raise InvalidInput(
            detail=f"A statement holds at most {rules.STATEMENT_MAX_WORDS} words.",
            errors=[FieldError("text", f"{words} words; at most {rules.STATEMENT_MAX_WORDS}")],
        )
    dispute = _statement_dispute(session, subject, body.dispute_id)
    statement = file_service.add_statement(
        session,
        subject_id=subject.id,
        dispute_id=dispute.id,
        item_type=dispute.item_type,
        item_id=dispute.item_id,
        text=body.text,
        now=now,
    )
    _audit(session, actor=subject, action="statement.added", dispute=dispute, now=now)
    return statement


def _statement_dispute(session: Session, subject: Principal, dispute_id: str | None) -> Dispute:
    if dispute_id is not None:
        dispute = queries.dispute_of_subject(session, subject.id, dispute_id)
        if dispute is None:
            raise InvalidInput(
                detail="No such dispute.", errors=[FieldError("dispute_id", "not your dispute")]
            )
        if dispute.outcome != DisputeOutcome.verified:
            raise Conflict(
                detail="A statement is for a dispute verified against you; this one is "
                f"{dispute.status} ({dispute.outcome or 'no outcome yet'})."
            )
        if file_service.has_statement(session, dispute.id):
            raise Conflict(detail=f"The dispute {dispute.id} already has your statement.")
        return dispute
    for dispute in queries.disputes_of_subject(session, subject.id, before=None, limit=None):
        if dispute.outcome == DisputeOutcome.verified and not file_service.has_statement(
            session, dispute.id
        ):
            return dispute
    raise Conflict(
        detail="A statement is for a dispute verified against you, and you have none without one."
    )


# --- the auditor's view ----------------------------------------------------------------------


def stats(session: Session, *, now: datetime) -> DisputeStats:
    open_count = frivolous = 0
    resolved: dict[str, int] = {o.value: 0 for o in DisputeOutcome}
    for status, outcome, count in queries.counts_by_status_outcome(session):
        if status == DisputeStatus.open:
            open_count += count
        elif status == DisputeStatus.frivolous:
            frivolous += count
        elif outcome is not None:
            resolved[outcome] = resolved.get(outcome, 0) + count
    spans = [
        (resolved_at - filed_at).total_seconds() / 86_400
        for filed_at, resolved_at in queries.resolution_spans(session)
    ]
    return DisputeStats(
        as_of=now,
        open=open_count,
        resolved=resolved,
        frivolous=frivolous,
        median_days_to_resolve=round(statistics.median(spans), 2) if spans else None,
        overdue=queries.count_overdue(session, now),
    )
