"""Sandbox operator use cases: principals, the clock and what falls due when it moves,
reset to the fixture personas."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from schemas.common import Role
from schemas.sandbox import PersonaRead, SandboxReset
from service.audit import service as audit
from service.consent import service as consent
from service.core import clock, write_behind
from service.core.collector import collector_paused
from service.core.db import bulk_cache
from service.core.errors import Conflict, FieldError, InvalidInput
from service.core.pagination import invalid_cursor
from service.core.security import Principal
from service.disputes import service as disputes
from service.events import service as events
from service.file import service as file_service
from service.principals import service as principals
from service.principals.models import Subject
from service.principals.service import Issued
from service.sandbox import queries
from service.sandbox.fixtures import load_fixtures, personas
from service.webhooks import service as webhooks


def create_subject(
    session: Session,
    *,
    actor: Principal,
    now: datetime,
    given_name: str,
    family_name: str,
    date_of_birth: date,
    national_id: str | None,
    address: dict[str, Any] | None,
) -> tuple[Issued, Subject]:
    return principals.create_subject(
        session,
        actor=actor,
        given_name=given_name,
        family_name=family_name,
        date_of_birth=date_of_birth,
        national_id=national_id,
        address=address,
        now=now,
    )


def create_organisation(
    session: Session, *, actor: Principal, now: datetime, role: Role, name: str
) -> Issued:
    return principals.create_organisation(session, actor=actor, role=role, name=name, now=now)


@dataclass(frozen=True, slots=True)
class DueWork:
    """What a run of the time rules did: disputes resolved, items aged off the files."""

    disputes_resolved: int
    items_purged: int


def run_due_work(session: Session, *, now: datetime) -> DueWork:
    """Run every time rule that has fallen due at ``now``: disputes past their deadline and
    identity-theft blocks, then obsolescence purges."""
    # A run can resolve thousands of disputes and purge thousands of items, in batches
    # whose rows are kept until written: the collector is paused for it (``collector``).
    with collector_paused():
        # Their bulk writes run behind their Python work (``write_behind``), so what they
        # read is read first, the audit chains of every subject concerned locked at once;
        # their pages stay in memory to the commit (``bulk_cache``).
        bulk_cache(session)
        with write_behind.writes_behind(session):
            due = disputes.due(session, now=now)
            obsolete = file_service.obsolete(session, now=now)
            heads = audit.lock_heads(session, {d.subject_id for d in due} | obsolete.subject_ids)
            resolved = disputes.resolve_due(session, due, now=now, heads=heads)
            purged = file_service.purge(session, obsolete, now=now, heads=heads)
        # Events and webhooks: consents that expired, then the deliveries and retries now due.
        consent.announce_expired(session, now=now)
        webhooks.run_due(session, now=now)
    return DueWork(disputes_resolved=resolved, items_purged=purged)


def preview_due_work(session: Session, *, now: datetime, advance_days: int) -> DueWork:
    """What advancing the clock by ``advance_days`` would fire: the same rules run at that
    moment inside a savepoint that is rolled back, so the answer is exact and nothing stays."""
    if advance_days > (clock.LATEST - now).days:
        return DueWork(0, 0)
    session.flush()
    savepoint = session.begin_nested()
    try:
        return run_due_work(session, now=now + timedelta(days=advance_days))
    finally:
        savepoint.rollback()


def run_due_work_now(session: Session) -> datetime:
    """Run what has fallen due at the sandbox clock's reading (the server's schedule)."""
    now = clock.now(session)
    run_due_work(session, now=now)
    return now


def _out_of_range(field: str, detail: str) -> InvalidInput:
    return InvalidInput(
        detail=f"The sandbox clock stays within {clock.EARLIEST.isoformat()} and "
        f"{clock.LATEST.isoformat()}, so that every rule can count years from it.",
        errors=[FieldError(field, detail)],
    )


def move_clock(
    session: Session, *, actor: Principal, to: datetime | None, advance_days: int | None
) -> datetime:
    """Set or advance the sandbox clock, then run what has fallen due. Time never goes back:
    the audit log and every deadline assume it moves forward."""
    before = clock.now(session)
    if to is not None:
        if not clock.in_range(to):
            raise _out_of_range("now", "the sandbox clock cannot be set to that moment")
        if to < before:
            raise Conflict(
                detail=f"The sandbox clock is at {before.isoformat()}; it cannot move back. "
                "Use POST /v1/sandbox/reset to start again.",
                errors=[FieldError("now", "earlier than the current sandbox time")],
            )
        moved = clock.set_now(session, to)
    else:
        days = advance_days or 0
        if days > (clock.LATEST - before).days:
            raise _out_of_range("advance_days", "would move the clock past its range")
        moved = clock.advance(session, days=days)
    events.clock_advanced(session, before=before, after=moved)
    audit.record(
        session,
        actor=actor,
        action="clock.moved",
        now=moved,
        resource_type="clock",
        resource_id=moved.isoformat(),
    )
    run_due_work(session, now=moved)
    return moved


def reset(session: Session, *, actor: Principal) -> SandboxReset:
    """Empty every table, put the clock back at wall time, and load the fixture personas.

    The ``sandbox.reset`` event opens the new, empty system chain, so the audit log of the
    fresh sandbox starts by saying where it came from.
    """
    queries.delete_every_row(session)
    clock.reset(session)
    now = clock.now(session)
    audit.record(session, actor=actor, action="sandbox.reset", now=now, resource_type="sandbox")
    loaded = load_fixtures(session, now=now)
    subjects = sum(1 for p in loaded if p.role is Role.subject)
    return SandboxReset(
        now=now, personas=len(loaded), subjects=subjects, organisations=len(loaded) - subjects
    )


def list_personas(
    *, role: Role | None, offset: int, limit: int
) -> tuple[list[PersonaRead], int | None]:
    """One page of the documented personas, and the offset of the next page (None at the end)."""
    if offset < 0:
        raise invalid_cursor()
    chosen = [p for p in personas() if role is None or p.role is role]
    page = chosen[offset : offset + limit]
    after = offset + len(page)
    return [PersonaRead.model_validate(p) for p in page], after if after < len(chosen) else None
