"""Principals: authenticate a key; create subjects and organisations with a key shown once."""

import hmac
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from schemas.common import Role
from schemas.file import Identity
from service.audit import service as audit
from service.core import clock, row_triggers
from service.core.config import Settings
from service.core.errors import Conflict, FieldError, Unauthenticated
from service.core.security import (
    ADMIN,
    Principal,
    SequentialIds,
    hash_key,
    key_prefix,
    new_id,
    new_key,
    same_key,
)
from service.principals import queries
from service.principals.models import ApiKey, NationalId, Subject, new_file_revision
from service.principals.models import Principal as PrincipalRow

_ID_PREFIX = {Role.subject: "sub", Role.furnisher: "fur", Role.lender: "len", Role.auditor: "aud"}


@dataclass(frozen=True)
class Issued:
    """A created principal and its API key (the only time the key is shown)."""

    id: str
    role: Role
    name: str
    api_key: str
    created_at: datetime


def authenticate(
    session: Session, settings: Settings, key: str | None
) -> tuple[Principal, datetime]:
    """The key's principal, and the sandbox clock read in the same statement."""
    if not key:
        raise Unauthenticated(detail="Send 'Authorization: Bearer <api key>'.")
    if same_key(key, settings.admin_key):
        return ADMIN, clock.now(session)
    return authenticate_hash(session, settings, hash_key(key))


def authenticate_hash(
    session: Session, settings: Settings, key_hash: str
) -> tuple[Principal, datetime]:
    """As ``authenticate``, for a key known by its hash (a web session keeps only that)."""
    if hmac.compare_digest(key_hash, hash_key(settings.admin_key)):
        return ADMIN, clock.now(session)
    row = queries.principal_by_key_hash(session, key_hash)
    if row is None:
        raise Unauthenticated(detail="The API key is not valid.")
    principal = Principal(id=row.id, role=Role(row.role), name=row.name)
    return principal, clock.at_offset(row.clock_offset)


def _issue(
    session: Session,
    *,
    role: Role,
    name: str,
    now: datetime,
    principal_id: str | None,
    api_key: str | None,
) -> Issued:
    pid = principal_id or new_id(_ID_PREFIX[role])
    key = api_key or new_key(role)
    session.add(PrincipalRow(id=pid, role=role.value, name=name, created_at=now))
    session.flush()
    session.add(
        ApiKey(key_hash=hash_key(key), principal_id=pid, prefix=key_prefix(key), created_at=now)
    )
    return Issued(id=pid, role=role, name=name, api_key=key, created_at=now)


def create_organisation(
    session: Session,
    *,
    actor: Principal,
    role: Role,
    name: str,
    now: datetime,
    principal_id: str | None = None,
    api_key: str | None = None,
) -> Issued:
    """Create a furnisher, lender or auditor and its key."""
    issued = _issue(
        session, role=role, name=name, now=now, principal_id=principal_id, api_key=api_key
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"{role.value}.created",
        now=now,
        resource_type=role.value,
        resource_id=issued.id,
    )
    return issued


def create_subject(
    session: Session,
    *,
    actor: Principal,
    given_name: str,
    family_name: str,
    date_of_birth: date,
    national_id: str | None,
    address: dict[str, Any] | None,
    now: datetime,
    principal_id: str | None = None,
    api_key: str | None = None,
) -> tuple[Issued, Subject]:
    """Open a file for a (fictional) person and give them their key."""
    if national_id is not None and queries.national_id_holder(session, national_id):
        raise Conflict(
            detail="A subject with this national_id already has a file.",
            errors=[FieldError("national_id", "already in use")],
        )
    name = f"{given_name} {family_name}"
    issued = _issue(
        session, role=Role.subject, name=name, now=now, principal_id=principal_id, api_key=api_key
    )
    subject = Subject(
        id=issued.id,
        given_name=given_name,
        family_name=family_name,
        date_of_birth=date_of_birth,
        national_id=national_id,
        addresses=[address] if address else [],
        created_at=now,
    )
    session.add(subject)
    if national_id is not None:
        session.add(NationalId(national_id=national_id, subject_id=subject.id))
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="file.opened",
        now=now,
        subject_id=subject.id,
        resource_type="subject",
        resource_id=subject.id,
    )
    return issued, subject


def identity_and_file_revision(
    session: Session, subject_id: str, *, lock: bool = False
) -> tuple[Identity, str] | None:
    """The identity the file is kept under, and the file's current revision (a token the
    database replaces on every change to the file's items), or None for an unknown subject.
    With ``lock``, no other change of the file's items can happen until this transaction
    ends (each would replace the revision, so it waits for the lock)."""
    row = queries.subject_row(session, subject_id, lock=lock)
    return None if row is None else (Identity.model_validate(row), row.file_revision)


def file_revision(session: Session, subject_id: str) -> str | None:
    """The file's current revision, or None for an unknown subject."""
    return queries.file_revision(session, subject_id)


def lock_file_revision(session: Session, subject_id: str) -> str | None:
    """The file's current revision, with the file locked against any other change of its
    items until this transaction ends (every such change replaces the revision)."""
    return queries.file_revision(session, subject_id, lock=True)


@contextmanager
def file_revisions_replaced_once(session: Session, subject_ids: Iterable[str]) -> Iterator[None]:
    """Writes to the files of ``subject_ids`` inside the block replace each file's revision
    once, as the block ends, instead of once per row written (the triggers of migrations
    0004 to 0006, deferred by migration 0010): for a bulk path writing many rows of many
    files. Every row written inside must be about one of ``subject_ids``."""
    with row_triggers.deferred(session, row_triggers.FILE_REVISIONS):
        yield
    queries.new_file_revisions(
        session, [(subject_id, new_file_revision()) for subject_id in sorted(set(subject_ids))]
    )


def identity_of(session: Session, subject_id: str) -> Identity | None:
    """The identity the file is kept under, or None for an unknown subject."""
    found = identity_and_file_revision(session, subject_id)
    return None if found is None else found[0]


def existing_subject_ids(session: Session, subject_ids: Sequence[str]) -> set[str]:
    """Those of ``subject_ids`` that name a subject."""
    return queries.existing_subject_ids(session, subject_ids)


def identities_by_national_id(session: Session, national_ids: Sequence[str]) -> dict[str, Identity]:
    """The identities holding any of ``national_ids``, by national id."""
    return {
        row.national_id: Identity.model_validate(row)
        for row in queries.subject_rows_by_national_ids(session, national_ids)
    }


def principal_in_role(session: Session, principal_id: str, role: Role) -> Principal | None:
    """The principal ``principal_id`` if it exists and holds ``role``, else None."""
    row = queries.principal_row(session, principal_id)
    if row is None or row.role != role.value:
        return None
    return Principal(id=row.id, role=role, name=row.name)


# --- bulk paths for jobs ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewSubject:
    """A (fictional) person a job opens a file for."""

    given_name: str
    family_name: str
    date_of_birth: date


def create_organisations_bulk(
    session: Session, *, organisations: Sequence[tuple[Role, str]], now: datetime
) -> list[Principal]:
    """Create many furnishers or lenders (role, name) for a job, in the caller's transaction.

    They get no API key, so nobody can sign in as them; no audit event is written per
    organisation: the job records one event for its whole batch."""
    created = [
        Principal(id=new_id(_ID_PREFIX[role]), role=role, name=name) for role, name in organisations
    ]
    rows = [{"id": p.id, "role": p.role.value, "name": p.name, "created_at": now} for p in created]
    queries.load_principals_and_subjects(session, rows, [])
    return created


def create_subjects_bulk(
    session: Session, *, subjects: Sequence[NewSubject], now: datetime
) -> list[str]:
    """Open files for many people at once for a job, in the caller's transaction; their ids,
    in order.

    The people get no API key and no national id; no audit event is written per subject:
    the job records one event for its whole batch."""
    ids = SequentialIds(_ID_PREFIX[Role.subject])
    created: list[str] = []
    principals: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for person in subjects:
        sid = ids.next()
        created.append(sid)
        principals.append(
            {
                "id": sid,
                "role": Role.subject.value,
                "name": f"{person.given_name} {person.family_name}",
                "created_at": now,
            }
        )
        rows.append(
            {
                "id": sid,
                "given_name": person.given_name,
                "family_name": person.family_name,
                "date_of_birth": person.date_of_birth,
                "national_id": None,
                "addresses": [],
                "created_at": now,
                "file_revision": new_file_revision(),
            }
        )
    queries.load_principals_and_subjects(session, principals, rows)
    return created
