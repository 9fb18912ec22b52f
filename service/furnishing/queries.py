"""The furnishing domain's SQL."""

from collections.abc import Sequence
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from service.furnishing.models import Account, AccountVersion, IdempotencyRecord
from service.principals.models import Principal


def accounts_of_subject(session: Session, subject_id: str) -> Sequence[tuple[Account, str]]:
    """Every account of a subject with its versions and its furnisher's name."""
    stmt = (
        select(Account, Principal.name)
        .join(Principal, Principal.id == Account.furnisher_id)
        .where(Account.subject_id == subject_id)
        .options(selectinload(Account.versions))
        .order_by(Account.opened_on, Account.id)
    )
    return [(a, n) for a, n in session.execute(stmt).all()]


def adverse_accounts_dated_before(session: Session, cutoff: date) -> Sequence[Account]:
    stmt = select(Account).where(Account.date_of_first_delinquency <= cutoff)
    return session.scalars(stmt).all()


def delete_account(session: Session, account: Account) -> None:
    session.execute(delete(AccountVersion).where(AccountVersion.account_id == account.id))
    session.delete(account)


def account_by_ref(session: Session, furnisher_id: str, account_ref: str) -> Account | None:
    stmt = (
        select(Account)
        .where(Account.furnisher_id == furnisher_id, Account.account_ref == account_ref)
        .options(selectinload(Account.versions))
    )
    return session.scalars(stmt).first()


def idempotency_record(session: Session, principal_id: str, key: str) -> IdempotencyRecord | None:
    return session.get(IdempotencyRecord, (principal_id, key))
