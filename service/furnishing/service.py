"""Furnishing use cases: accounts as furnishers report them, and their versions."""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from http import HTTPStatus
from typing import Any, NamedTuple, Protocol

from sqlalchemy.orm import Session

from schemas.common import Page
from schemas.furnishing import (
    STATUS_TEXT,
    AccountPut,
    AccountRead,
    AccountStatus,
    AccountType,
    AccountVersionRead,
    FurnisherRef,
)
from service.audit import purposes
from service.audit import service as audit
from service.core.cache import LruCache
from service.core.errors import (
    Conflict,
    FieldError,
    IdempotencyKeyReused,
    InvalidInput,
    NotFound,
    StaleUpdate,
)
from service.core.pagination import decode_typed_cursor, split_page
from service.core.security import Principal, SequentialIds, new_id
from service.events import service as events_service
from service.file.rules import account_obsolete_on
from service.furnishing import queries, rules
from service.furnishing.models import Account, AccountVersion, IdempotencyRecord
from service.principals import service as principals

#: Metro 2 compliance condition codes that mark an item as disputed (GDPR 18 restriction).
DISPUTED_CONDITION_CODES = frozenset({"XB", "XC"})

#: The HTTP status an idempotent retry replays: 201 for a creation, 200 for an update.
CREATED_STATUS = HTTPStatus.CREATED.value
UPDATED_STATUS = HTTPStatus.OK.value


def obsolete_on(account: "_AccountFields") -> date | None:
    return account_obsolete_on(
        status=account.status,
        account_type=account.account_type,
        date_of_first_delinquency=account.date_of_first_delinquency,
    )


class _AccountFields(Protocol):
    """An Account as an ORM object or as a Core row: the same attribute names."""

    id: str
    account_ref: str
    subject_id: str
    furnisher_id: str
    account_type: str
    opened_on: date
    credit_limit_cents: int | None
    original_amount_cents: int | None
    balance_cents: int
    past_due_cents: int
    status: str
    payment_history: str
    date_of_first_delinquency: date | None
    closed_on: date | None
    as_of: date
    compliance_condition_code: str | None
    version: int
    updated_at: datetime


def _account_read(
    account: _AccountFields, furnisher_name: str, versions: list[AccountVersionRead]
) -> AccountRead:
    status = AccountStatus(account.status)
    return AccountRead(
        id=account.id,
        account_ref=account.account_ref,
        subject_id=account.subject_id,
        furnisher=FurnisherRef(id=account.furnisher_id, name=furnisher_name),
        account_type=AccountType(account.account_type),
        opened_on=account.opened_on,
        credit_limit_cents=account.credit_limit_cents,
        original_amount_cents=account.original_amount_cents,
        balance_cents=account.balance_cents,
        past_due_cents=account.past_due_cents,
        status=status,
        status_text=STATUS_TEXT[status],
        payment_history=account.payment_history,
        date_of_first_delinquency=account.date_of_first_delinquency,
        closed_on=account.closed_on,
        as_of=account.as_of,
        compliance_condition_code=account.compliance_condition_code,
        disputed=account.compliance_condition_code in DISPUTED_CONDITION_CODES,
        obsolete_on=obsolete_on(account),
        version=account.version,
        updated_at=account.updated_at,
        versions=versions,
    )


def _version_read(version: Any) -> AccountVersionRead:
    return AccountVersionRead(
        version=version.version,
        at=version.at,
        actor_id=version.actor_id,
        actor_role=version.actor_role,
        actor_name=version.actor_name,
        changed=version.changed,
        fields=version.fields,
    )


def account_view(account: Account, furnisher_name: str) -> AccountRead:
    """The account as the file shows it (versions must be loaded)."""
    return _account_read(account, furnisher_name, [_version_read(v) for v in account.versions])


class AccountView(NamedTuple):
    """An account as the file shows it, and its JSON as ``model_dump_json`` gives it (made
    with the view, so that every report showing the account reuses it)."""

    account: AccountRead
    json: bytes


#: The most accounts whose views are kept (least recently read out first). One entry per
#: live account: a view carries every version of its account, so the bound is on accounts.
VIEW_CACHE_MAX_ACCOUNTS = 20_000

#: Views of accounts, keyed by account id, each stored with the whole row it was built
#: from (every column, and the furnisher's name). Any change to an account (a new version,
#: a dispute's compliance code) changes its row, so a view is used only while its row is
#: the stored one; versions are append-only and move with the row's ``version``. The new
#: view replaces the superseded one under the same id, so the cache holds one view per
#: account, never its history.
_VIEW_CACHE: LruCache[str, tuple[tuple[Any, ...], AccountView]] = LruCache(VIEW_CACHE_MAX_ACCOUNTS)


def _cached_view(row_key: tuple[Any, ...], account_id: str) -> AccountView | None:
    entry = _VIEW_CACHE.get(account_id)
    if entry is None or entry[0] != row_key:
        return None
    return entry[1]


def account_views_of_subject(session: Session, subject_id: str) -> list[AccountView]:
    """Every account of the subject as the file shows it, with all its versions.

    One query for the accounts, and one more for the versions of any account whose view is
    not cached: a fixed number whatever the number of accounts (the report's hot path)."""
    rows = queries.account_rows_of_subject(session, subject_id)
    cached = [_cached_view(tuple(row), row.id) for row in rows]
    missing = [row.id for row, view in zip(rows, cached, strict=True) if view is None]
    versions: dict[str, list[AccountVersionRead]] = defaultdict(list)
    if missing:
        for version in queries.version_rows_of_accounts(session, missing):
            versions[version.account_id].append(_version_read(version))
    views = []
    for row, view in zip(rows, cached, strict=True):
        if view is None:
            account = _account_read(row, row.furnisher_name, versions[row.id])
            view = AccountView(account, account.__pydantic_serializer__.to_json(account))
            _VIEW_CACHE.put(row.id, (tuple(row), view))
        views.append(view)
    return views


def adverse_accounts_dated_before(session: Session, cutoff: date) -> Sequence[Account]:
    return queries.adverse_accounts_dated_before(session, cutoff)


def delete_account(session: Session, account: Account) -> None:
    queries.delete_account(session, account)


# --- furnishing: create or update an account ------------------------------------------------


def snapshot(account: Account) -> dict[str, Any]:
    """The account's furnished fields as a JSON-safe dict (what a version stores)."""
    return {name: rules.json_safe(getattr(account, name)) for name in rules.FURNISHED_FIELDS}


def furnished_values(session: Session, account_id: str) -> dict[str, Any] | None:
    """The account's furnished fields as stored (a dispute's corrections start from them)."""
    account = queries.account_by_id(session, account_id)
    if account is None:
        return None
    return {name: getattr(account, name) for name in rules.FURNISHED_FIELDS}


def furnish(
    session: Session,
    *,
    furnisher: Principal,
    account_ref: str,
    data: AccountPut,
    now: datetime,
    idempotency_key: str | None = None,
) -> tuple[AccountRead, bool]:
    """Create or update the furnisher's account ``account_ref``; True when it was created.

    With an ``idempotency_key``, a retry of the same request (same account_ref and body)
    returns the first answer and writes nothing; the key with another request is
    ``IdempotencyKeyReused``. The key is kept per furnisher, in this same transaction, so it
    is stored exactly when the write is (a rejected request stores nothing).
    """
    claim: IdempotencyRecord | None = None
    if idempotency_key is not None:
        digest = rules.request_hash(account_ref, data.model_dump(mode="json"))
        replayed, claim = _replay_or_claim(
            session, furnisher=furnisher, key=idempotency_key, digest=digest, now=now
        )
        if replayed is not None:
            return replayed
    view, created = _write_account(
        session, furnisher=furnisher, account_ref=account_ref, data=data, now=now
    )
    if claim is not None:
        claim.status_code = CREATED_STATUS if created else UPDATED_STATUS
        claim.response = view.model_dump(mode="json")
        session.flush()
    return view, created


def _replay_or_claim(
    session: Session, *, furnisher: Principal, key: str, digest: str, now: datetime
) -> tuple[tuple[AccountRead, bool] | None, IdempotencyRecord | None]:
    """The stored answer to replay, or the newly claimed record to fill in."""
    record = queries.idempotency_record(session, furnisher.id, key)
    if record is None:
        claim = IdempotencyRecord(
            principal_id=furnisher.id,
            key=key,
            request_hash=digest,
            status_code=0,
            response={},
            created_at=now,
        )
        if queries.claim_idempotency_key(session, claim):
            return None, claim
        record = queries.idempotency_record(session, furnisher.id, key)
        if record is None:  # pragma: no cover - the key was taken, so it exists
            raise Conflict(detail="The Idempotency-Key is in use by another request; retry.")
    if record.request_hash != digest:
        raise IdempotencyKeyReused(
            detail="This Idempotency-Key was already used with another account_ref or body. "
            "Use a new key for a new request."
        )
    replayed = AccountRead.model_validate(record.response)
    return (replayed, record.status_code == CREATED_STATUS), None


def _write_account(
    session: Session, *, furnisher: Principal, account_ref: str, data: AccountPut, now: datetime
) -> tuple[AccountRead, bool]:
    errors = [*rules.check_account_ref(account_ref), *rules.validate_account(data, now.date())]
    account = queries.account_by_ref(session, furnisher.id, account_ref, for_update=True)
    if principals.identity_of(session, data.subject_id) is None:
        errors.append(FieldError("subject_id", "no subject has this id"))
    elif account is not None and account.subject_id != data.subject_id:
        errors.append(
            FieldError(
                "subject_id",
                f"account '{account_ref}' is reported for another subject; an account never "
                "moves to another subject",
            )
        )
    if errors:
        named = ", ".join(dict.fromkeys(e.field for e in errors))
        raise InvalidInput(detail=f"The account was not accepted: {named}.", errors=errors)
    if account is None:
        return _create(
            session, furnisher=furnisher, account_ref=account_ref, data=data, now=now
        ), True
    if data.as_of < account.as_of:
        raise StaleUpdate(
            detail=f"as_of {data.as_of} is older than the account's as_of {account.as_of}; "
            "the file keeps the newer data.",
            errors=[FieldError("as_of", f"older than the stored as_of ({account.as_of})")],
        )
    return _update(session, furnisher=furnisher, account=account, data=data, now=now), False


def _furnished_values(data: AccountPut) -> dict[str, Any]:
    """The body's furnished fields as the columns store them (enums by value)."""
    values = data.model_dump(include=set(rules.FURNISHED_FIELDS))
    return {name: v.value if isinstance(v, Enum) else v for name, v in values.items()}


def _version(
    account: Account,
    *,
    furnisher: Principal,
    fields: dict[str, Any],
    changed: list[str],
    now: datetime,
) -> AccountVersion:
    return AccountVersion(
        subject_id=account.subject_id,
        version=account.version,
        fields=fields,
        changed=changed,
        actor_id=furnisher.id,
        actor_role=furnisher.role.value,
        actor_name=furnisher.name,
        at=now,
    )


def _create(
    session: Session, *, furnisher: Principal, account_ref: str, data: AccountPut, now: datetime
) -> AccountRead:
    account = Account(
        id=new_id("acc"),
        subject_id=data.subject_id,
        furnisher_id=furnisher.id,
        account_ref=account_ref,
        compliance_condition_code=None,
        version=1,
        created_at=now,
        updated_at=now,
        **_furnished_values(data),
    )
    first = _version(
        account,
        furnisher=furnisher,
        fields=snapshot(account),
        changed=list(rules.FURNISHED_FIELDS),
        now=now,
    )
    account.versions = [first]
    if not queries.insert_account(session, account):
        raise Conflict(
            detail=f"Another request created account '{account_ref}' at the same moment; "
            "retry to update it."
        )
    audit.record(
        session,
        actor=furnisher,
        action="account.created",
        now=now,
        subject_id=account.subject_id,
        purpose=purposes.FURNISHING,
        resource_type="account",
        resource_id=account.id,
    )
    _tell(account, created=True, changed=list(rules.FURNISHED_FIELDS), session=session, now=now)
    return account_view(account, furnisher.name)


def _tell(
    account: Account, *, created: bool, changed: list[str], session: Session, now: datetime
) -> None:
    """The event of the account's change (events: the subject and the furnisher)."""
    events_service.account_changed(
        session,
        created=created,
        account_id=account.id,
        account_ref=account.account_ref,
        subject_id=account.subject_id,
        furnisher_id=account.furnisher_id,
        version=account.version,
        changed=changed,
        now=now,
    )


def _update(
    session: Session, *, furnisher: Principal, account: Account, data: AccountPut, now: datetime
) -> AccountRead:
    """Apply a full replacement of the furnished fields. Nothing is overwritten silently:
    each change writes a version holding the whole new state, and the earlier versions
    keep every earlier state. An identical update writes nothing."""
    values = _furnished_values(data)
    changed = rules.changed_fields(
        snapshot(account), {name: rules.json_safe(v) for name, v in values.items()}
    )
    if not changed:
        return account_view(account, furnisher.name)
    for name in changed:
        setattr(account, name, values[name])
    account.version += 1
    account.updated_at = now
    account.versions.append(
        _version(account, furnisher=furnisher, fields=snapshot(account), changed=changed, now=now)
    )
    session.flush()
    audit.record(
        session,
        actor=furnisher,
        action="account.updated",
        now=now,
        subject_id=account.subject_id,
        purpose=purposes.FURNISHING,
        resource_type="account",
        resource_id=account.id,
    )
    _tell(account, created=False, changed=changed, session=session, now=now)
    return account_view(account, furnisher.name)


# --- the furnisher's reads of its own accounts ----------------------------------------------


def get_account(
    session: Session, *, furnisher: Principal, account_ref: str, now: datetime
) -> AccountRead:
    """The furnisher's own account ``account_ref``; another furnisher's is NotFound."""
    account = queries.account_by_ref(session, furnisher.id, account_ref)
    if account is None:
        raise NotFound(detail=f"You have furnished no account '{account_ref}'.")
    _record_read(session, furnisher=furnisher, account=account, now=now)
    return account_view(account, furnisher.name)


def list_accounts(
    session: Session, *, furnisher: Principal, now: datetime, cursor: str | None, limit: int
) -> Page[AccountRead]:
    """One page of the furnisher's accounts, ordered by account_ref. Each account on the
    page is a read of its subject's data, so each is recorded on that subject's chain."""
    rows = queries.accounts_of_furnisher(
        session, furnisher.id, after_ref=decode_typed_cursor(cursor, str), limit=limit + 1
    )
    page, next_cursor = split_page(rows, limit, lambda account: account.account_ref)
    for account in page:
        _record_read(session, furnisher=furnisher, account=account, now=now)
    items = [account_view(a, furnisher.name) for a in page]
    return Page[AccountRead](items=items, next_cursor=next_cursor)


def _record_read(
    session: Session, *, furnisher: Principal, account: Account, now: datetime
) -> None:
    audit.record(
        session,
        actor=furnisher,
        action="account.read",
        now=now,
        subject_id=account.subject_id,
        purpose=purposes.FURNISHING,
        resource_type="account",
        resource_id=account.id,
    )


# --- bulk path for jobs ----------------------------------------------------------------------


#: Types a version stores as they are (``rules.json_safe`` would return them unchanged).
_JSON_PLAIN = frozenset({str, int, type(None)})


@dataclass(frozen=True, slots=True)
class NewAccount:
    """An account a job furnishes: its subject, furnisher, reference and furnished fields
    (every name of ``rules.FURNISHED_FIELDS``, valued as the columns store them)."""

    subject_id: str
    furnisher: Principal
    account_ref: str
    fields: Mapping[str, Any]


def furnish_bulk(session: Session, *, accounts: Sequence[NewAccount], now: datetime) -> int:
    """Create many new accounts at once for a job, each with its first version (every field
    changed, by its furnisher), in the caller's transaction; how many.

    The job vouches that each account is new and passes the furnishing rules; no audit event
    is written per account: the job records one event for its whole batch."""
    ids = SequentialIds("acc")
    rows, versions = [], []
    changed = list(rules.FURNISHED_FIELDS)
    for new in accounts:
        aid = ids.next()
        rows.append(
            {
                **new.fields,
                "id": aid,
                "subject_id": new.subject_id,
                "furnisher_id": new.furnisher.id,
                "account_ref": new.account_ref,
                "compliance_condition_code": None,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        versions.append(
            {
                "account_id": aid,
                "subject_id": new.subject_id,
                "version": 1,
                "fields": {
                    name: v if type(v) in _JSON_PLAIN else rules.json_safe(v)
                    for name, v in new.fields.items()
                },
                "changed": changed,
                "actor_id": new.furnisher.id,
                "actor_role": new.furnisher.role.value,
                "actor_name": new.furnisher.name,
                "at": now,
            }
        )
    queries.load_accounts_bulk(session, rows, versions)
    return len(rows)


# --- many furnishings at once (a Metro 2 import) ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Furnishing:
    """One account's furnishing in a batch: the furnisher's reference and the fields, as
    the JSON API's ``PUT /v1/furnisher/accounts/{account_ref}`` takes them."""

    account_ref: str
    data: AccountPut


class Outcome(NamedTuple):
    """What became of one furnishing of a batch: ``created``, ``updated``, ``unchanged``
    or ``rejected`` (with every reason, as the JSON API's 422 or 409 would give them)."""

    kind: str
    errors: list[FieldError]
    account_id: str | None = None


def stored_fields(
    session: Session, *, furnisher: Principal, account_refs: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The furnished fields of the furnisher's accounts among ``account_refs``, by
    reference, valued as the columns store them (with ``subject_id``)."""
    return {
        row.account_ref: {
            name: getattr(row, name) for name in (*rules.FURNISHED_FIELDS, "subject_id")
        }
        for row in queries.account_rows_by_refs(session, furnisher.id, account_refs)
    }


def furnish_many(
    session: Session, *, furnisher: Principal, items: Sequence[Furnishing], now: datetime
) -> list[Outcome]:
    """Create or update many of the furnisher's accounts in the caller's transaction, one
    outcome per item, in order.

    Each item passes exactly the checks of ``furnish`` (the furnishing rules, the account
    reference, the subject, no move to another subject, no older ``as_of``); a rejected
    item writes nothing. Each accepted change writes a version and an audit event on its
    subject's chain, as ``furnish`` does, in a few statements for the whole batch."""
    today = now.date()
    refs = [item.account_ref for item in items]
    existing = {
        row.account_ref: row for row in queries.account_rows_by_refs(session, furnisher.id, refs)
    }
    known_subjects = principals.existing_subject_ids(
        session, sorted({item.data.subject_id for item in items})
    )
    outcomes: list[Outcome] = []
    new_rows: list[dict[str, Any]] = []
    new_versions: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    update_versions: list[dict[str, Any]] = []
    events: list[audit.NewEvent] = []
    told: list[events_service.AccountChange] = []
    seen: set[str] = set()
    ids = SequentialIds("acc")
    all_fields = list(rules.FURNISHED_FIELDS)
    actor = {
        "actor_id": furnisher.id,
        "actor_role": furnisher.role.value,
        "actor_name": furnisher.name,
        "at": now,
    }
    for item in items:
        data, ref = item.data, item.account_ref
        errors = [*rules.check_account_ref(ref), *rules.validate_account(data, today)]
        row = existing.get(ref)
        if data.subject_id not in known_subjects:
            errors.append(FieldError("subject_id", "no subject has this id"))
        elif row is not None and row.subject_id != data.subject_id:
            errors.append(
                FieldError(
                    "subject_id",
                    f"account '{ref}' is reported for another subject; an account never "
                    "moves to another subject",
                )
            )
        if ref in seen:
            errors.append(FieldError("account_ref", f"account '{ref}' appears twice in the batch"))
        if row is not None and not errors and data.as_of < row.as_of:
            errors.append(
                FieldError(
                    "as_of",
                    f"older than the stored as_of ({row.as_of}); the file keeps the newer data",
                )
            )
        if errors:
            outcomes.append(Outcome("rejected", errors))
            continue
        seen.add(ref)
        values = _furnished_values(data)
        fields = {name: rules.json_safe(v) for name, v in values.items()}
        if row is None:
            aid = ids.next()
            new_rows.append(
                {
                    **values,
                    "id": aid,
                    "subject_id": data.subject_id,
                    "furnisher_id": furnisher.id,
                    "account_ref": ref,
                    "compliance_condition_code": None,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            new_versions.append(
                {
                    "account_id": aid,
                    "subject_id": data.subject_id,
                    "version": 1,
                    "fields": fields,
                    "changed": all_fields,
                    **actor,
                }
            )
            events.append(
                audit.NewEvent(
                    actor=furnisher,
                    action="account.created",
                    subject_id=data.subject_id,
                    purpose=purposes.FURNISHING,
                    resource_type="account",
                    resource_id=aid,
                )
            )
            told.append((True, aid, ref, data.subject_id, furnisher.id, 1, all_fields))
            outcomes.append(Outcome("created", [], aid))
            continue
        before = {name: rules.json_safe(getattr(row, name)) for name in rules.FURNISHED_FIELDS}
        changed = rules.changed_fields(before, fields)
        if not changed:
            outcomes.append(Outcome("unchanged", [], row.id))
            continue
        version = row.version + 1
        updates.append(
            {
                **values,
                "b_id": row.id,
                "b_subject_id": row.subject_id,
                "version": version,
                "updated_at": now,
            }
        )
        update_versions.append(
            {
                "account_id": row.id,
                "subject_id": row.subject_id,
                "version": version,
                "fields": fields,
                "changed": changed,
                **actor,
            }
        )
        events.append(
            audit.NewEvent(
                actor=furnisher,
                action="account.updated",
                subject_id=row.subject_id,
                purpose=purposes.FURNISHING,
                resource_type="account",
                resource_id=row.id,
            )
        )
        told.append((False, row.id, ref, row.subject_id, furnisher.id, version, changed))
        outcomes.append(Outcome("updated", [], row.id))
    queries.insert_accounts_bulk(session, new_rows, new_versions)
    queries.update_accounts_bulk(session, updates, update_versions)
    audit.record_bulk(session, events=events, now=now)
    events_service.accounts_changed(session, told, now=now)
    return outcomes


def accounts_for_export(
    session: Session, *, furnisher: Principal, as_of: date, now: datetime
) -> list[dict[str, Any]]:
    """The furnisher's accounts as they stood on ``as_of`` (the newest version whose
    ``as_of`` is on or before it; accounts with none are left out), ordered by reference,
    each with its subject's identity and its current compliance condition code. Each is a
    read of its subject's data, recorded on that subject's chain."""
    rows = queries.account_rows_with_subjects(session, furnisher.id)
    later = [row.id for row in rows if row.as_of > as_of]
    older: dict[str, dict[str, Any]] = {}
    if later:
        for version in queries.version_rows_of_accounts(session, later):
            if date.fromisoformat(version.fields["as_of"]) <= as_of:
                older[version.account_id] = version.fields
    out: list[dict[str, Any]] = []
    for row in rows:
        record = dict(row._mapping)
        if row.as_of > as_of:
            fields = older.get(row.id)
            if fields is None:
                continue
            record.update(_stored_values(fields))
        out.append(record)
    audit.record_bulk(
        session,
        events=[
            audit.NewEvent(
                actor=furnisher,
                action="account.read",
                subject_id=r["subject_id"],
                purpose=purposes.FURNISHING,
                resource_type="account",
                resource_id=r["id"],
            )
            for r in out
        ],
        now=now,
    )
    return out


#: Furnished fields a version stores as ISO dates.
_DATE_FIELDS = frozenset({"opened_on", "date_of_first_delinquency", "closed_on", "as_of"})


def _stored_values(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A version's JSON fields valued as the columns store them."""
    return {
        name: date.fromisoformat(v) if name in _DATE_FIELDS and v is not None else v
        for name, v in fields.items()
        if name in rules.FURNISHED_FIELDS
    }
