"""Furnishing use cases: accounts as furnishers report them, and their versions."""

from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from schemas.furnishing import (
    STATUS_TEXT,
    AccountRead,
    AccountStatus,
    AccountVersionRead,
    FurnisherRef,
)
from service.file.rules import account_obsolete_on
from service.furnishing import queries
from service.furnishing.models import Account

#: Metro 2 compliance condition codes that mark an item as disputed (GDPR 18 restriction).
DISPUTED_CONDITION_CODES = frozenset({"XB", "XC"})


def obsolete_on(account: Account) -> date | None:
    return account_obsolete_on(
        status=account.status,
        account_type=account.account_type,
        date_of_first_delinquency=account.date_of_first_delinquency,
    )


def account_view(account: Account, furnisher_name: str) -> AccountRead:
    """The account as the file shows it (versions must be loaded)."""
    status = AccountStatus(account.status)
    return AccountRead(
        id=account.id,
        account_ref=account.account_ref,
        subject_id=account.subject_id,
        furnisher=FurnisherRef(id=account.furnisher_id, name=furnisher_name),
        account_type=account.account_type,
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
        versions=[AccountVersionRead.model_validate(v) for v in account.versions],
    )


def accounts_of_subject(session: Session, subject_id: str) -> Sequence[tuple[Account, str]]:
    """Every account of the subject, with versions loaded, and its furnisher's name."""
    return queries.accounts_of_subject(session, subject_id)


def adverse_accounts_dated_before(session: Session, cutoff: date) -> Sequence[Account]:
    return queries.adverse_accounts_dated_before(session, cutoff)


def delete_account(session: Session, account: Account) -> None:
    queries.delete_account(session, account)
