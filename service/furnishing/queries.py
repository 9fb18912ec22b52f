"""The furnishing domain's SQL."""

from collections.abc import Sequence
from datetime import date
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from service.core.bulk import CHUNK_ROWS, insert_rows, load_rows
from service.furnishing.models import Account, AccountRef, AccountVersion, IdempotencyRecord
from service.principals.models import Principal, Subject

_ACCOUNT_ROWS = (
    select(*Account.__table__.c, Principal.name.label("furnisher_name"))
    .join(Principal, Principal.id == Account.furnisher_id)
    .where(Account.subject_id == bindparam("subject_id"))
    .order_by(Account.opened_on, Account.id)
)
_VERSION_ROWS = (
    select(AccountVersion.__table__)
    .where(AccountVersion.account_id.in_(bindparam("account_ids", expanding=True)))
    .order_by(AccountVersion.account_id, AccountVersion.version)
)


def account_rows_of_subject(session: Session, subject_id: str) -> Sequence[Any]:
    """Every account of a subject as plain Core rows, with its furnisher's name.

    The statement is built once and run on the session's connection (no ORM layer): this is
    the report's hot path."""
    return session.connection().execute(_ACCOUNT_ROWS, {"subject_id": subject_id}).all()


def version_rows_of_accounts(session: Session, account_ids: list[str]) -> Sequence[Any]:
    """Every version of the given accounts, oldest first within each account."""
    return session.connection().execute(_VERSION_ROWS, {"account_ids": account_ids}).all()


#: Found by the range of ``ix_accounts_date_of_first_delinquency`` (migration 0013).
ADVERSE_DATED_BEFORE = select(Account).where(
    Account.date_of_first_delinquency <= bindparam("cutoff")
)


def adverse_accounts_dated_before(session: Session, cutoff: date) -> Sequence[Account]:
    return session.scalars(ADVERSE_DATED_BEFORE, {"cutoff": cutoff}).all()


def delete_account(session: Session, account: Account) -> None:
    """Delete the account, its versions and its reference's lookup row."""
    session.execute(
        delete(AccountVersion).where(
            AccountVersion.account_id == account.id,
            AccountVersion.subject_id == account.subject_id,
        )
    )
    session.execute(
        delete(AccountRef).where(
            AccountRef.furnisher_id == account.furnisher_id,
            AccountRef.account_ref == account.account_ref,
        )
    )
    session.delete(account)


def account_by_ref(
    session: Session, furnisher_id: str, account_ref: str, *, for_update: bool = False
) -> Account | None:
    """The furnisher's account ``account_ref`` with its versions; ``for_update`` locks the
    row (PostgreSQL) so that concurrent updates of one account queue."""
    stmt = (
        select(Account)
        .where(Account.furnisher_id == furnisher_id, Account.account_ref == account_ref)
        .options(selectinload(Account.versions))
    )
    if for_update:
        stmt = stmt.with_for_update(of=Account)
    return session.scalars(stmt).first()


def account_by_id(session: Session, account_id: str) -> Account | None:
    return session.scalars(select(Account).where(Account.id == account_id)).first()


def accounts_of_furnisher(
    session: Session, furnisher_id: str, *, after_ref: str | None, limit: int
) -> Sequence[Account]:
    """One page of the furnisher's accounts ordered by account_ref (keyset on the
    (furnisher_id, account_ref) index), with their versions."""
    stmt = select(Account).where(Account.furnisher_id == furnisher_id)
    if after_ref is not None:
        stmt = stmt.where(Account.account_ref > after_ref)
    stmt = stmt.order_by(Account.account_ref).limit(limit).options(selectinload(Account.versions))
    return session.scalars(stmt).all()


def idempotency_record(session: Session, principal_id: str, key: str) -> IdempotencyRecord | None:
    return session.get(IdempotencyRecord, (principal_id, key))


def insert_account(session: Session, account: Account) -> bool:
    """Insert a new account (and its first version) with its ``account_refs`` lookup row at
    once, in a savepoint; False when the furnisher's account_ref was taken meanwhile by a
    concurrent request (PostgreSQL: this insert waits for that transaction, then fails on
    the lookup's primary key)."""
    try:
        with session.begin_nested():
            session.add(account)
            session.add(
                AccountRef(
                    furnisher_id=account.furnisher_id,
                    account_ref=account.account_ref,
                    subject_id=account.subject_id,
                    account_id=account.id,
                )
            )
            session.flush()
    except IntegrityError:
        return False
    return True


def claim_idempotency_key(session: Session, record: IdempotencyRecord) -> bool:
    """Insert the key's record at once, in a savepoint; False when the key is taken. A
    concurrent request with the same key waits on the primary key until this transaction
    ends, then finds the key taken and replays what this one committed."""
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:
        return False
    return True


def insert_accounts_bulk(
    session: Session, accounts: Sequence[dict[str, Any]], versions: Sequence[dict[str, Any]]
) -> None:
    """Bulk-insert account rows with their ``account_refs`` lookup rows, then their version
    rows."""
    insert_rows(session, Account.__table__, accounts)
    insert_rows(session, AccountRef.__table__, _ref_rows(accounts))
    insert_rows(session, AccountVersion.__table__, versions)


def _ref_rows(accounts: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``account_refs`` lookup rows of new account rows."""
    return [
        {
            "furnisher_id": a["furnisher_id"],
            "account_ref": a["account_ref"],
            "subject_id": a["subject_id"],
            "account_id": a["id"],
        }
        for a in accounts
    ]


def load_accounts_bulk(
    session: Session, accounts: Sequence[dict[str, Any]], versions: Sequence[dict[str, Any]]
) -> None:
    """Load new account rows, then their version rows, the driver's fastest way (COPY on
    PostgreSQL): every column given; and their ``account_refs`` lookup rows."""
    load_rows(session, Account.__table__, accounts)
    load_rows(session, AccountRef.__table__, _ref_rows(accounts))
    load_rows(session, AccountVersion.__table__, versions)


def account_rows_by_refs(
    session: Session, furnisher_id: str, account_refs: Sequence[str]
) -> list[Any]:
    """The furnisher's accounts among ``account_refs`` as Core rows (every column)."""
    rows: list[Any] = []
    unique = sorted(set(account_refs))
    for start in range(0, len(unique), CHUNK_ROWS):
        stmt = select(Account.__table__).where(
            Account.furnisher_id == furnisher_id,
            Account.account_ref.in_(unique[start : start + CHUNK_ROWS]),
        )
        rows.extend(session.connection().execute(stmt).all())
    return rows


_ACCOUNTS = cast(Table, Account.__table__)
_UPDATE_ACCOUNT = (
    update(_ACCOUNTS)
    .where(_ACCOUNTS.c.id == bindparam("b_id"), _ACCOUNTS.c.subject_id == bindparam("b_subject_id"))
    .values(
        {
            name: bindparam(name)
            for name in (
                "account_type",
                "opened_on",
                "credit_limit_cents",
                "original_amount_cents",
                "balance_cents",
                "past_due_cents",
                "status",
                "payment_history",
                "date_of_first_delinquency",
                "closed_on",
                "as_of",
                "version",
                "updated_at",
            )
        }
    )
)


def update_accounts_bulk(
    session: Session, accounts: Sequence[dict[str, Any]], versions: Sequence[dict[str, Any]]
) -> None:
    """Update accounts (each dict: ``b_id``, ``b_subject_id``, every furnished field,
    version, updated_at), then insert their new versions."""
    for start in range(0, len(accounts), CHUNK_ROWS):
        session.connection().execute(_UPDATE_ACCOUNT, list(accounts[start : start + CHUNK_ROWS]))
    insert_rows(session, AccountVersion.__table__, versions)


def account_rows_with_subjects(session: Session, furnisher_id: str) -> Sequence[Any]:
    """Every account of the furnisher with its subject's identity, by account_ref."""
    stmt = (
        select(
            *Account.__table__.c,
            Subject.given_name,
            Subject.family_name,
            Subject.date_of_birth,
            Subject.national_id,
            Subject.addresses,
        )
        .join(Subject, Subject.id == Account.subject_id)
        .where(Account.furnisher_id == furnisher_id)
        .order_by(Account.account_ref)
    )
    return session.connection().execute(stmt).all()
