"""Sandbox operator use cases: principals, the clock and what falls due when it moves."""

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from schemas.common import Role
from service.audit import service as audit
from service.core import clock
from service.core.errors import Conflict, FieldError
from service.core.security import Principal
from service.principals import service as principals
from service.principals.models import Subject
from service.principals.service import Issued


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


def run_due_work(session: Session, *, now: datetime) -> None:
    """Run every time rule that has fallen due at ``now`` (obsolescence purges, ...)."""
    from service.file import service as file_service

    file_service.purge_obsolete(session, now=now)


def move_clock(
    session: Session, *, actor: Principal, to: datetime | None, advance_days: int | None
) -> datetime:
    """Set or advance the sandbox clock, then run what has fallen due. Time never goes back:
    the audit log and every deadline assume it moves forward."""
    before = clock.now(session)
    if to is not None:
        if to < before:
            raise Conflict(
                detail=f"The sandbox clock is at {before.isoformat()}; it cannot move back. "
                "Use POST /v1/sandbox/reset to start again.",
                errors=[FieldError("now", "earlier than the current sandbox time")],
            )
        moved = clock.set_now(session, to)
    else:
        moved = clock.advance(session, days=advance_days or 0)
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
