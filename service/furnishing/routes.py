"""Furnisher endpoints: report accounts, read them back. A furnisher sees only its own."""

from typing import Annotated

from fastapi import Body, Header, Path, Response, status

from schemas.common import Page
from schemas.furnishing import ACCOUNT_PUT_EXAMPLES, AccountPut, AccountRead
from service.core.deps import SessionDep, domain_router
from service.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from service.core.responses import problems
from service.furnishing import service
from service.furnishing.rules import ACCOUNT_REF_MAX_LENGTH, ACCOUNT_REF_PATTERN
from service.principals.deps import FurnisherDep

router = domain_router(prefix="/v1/furnisher", tags=["furnisher"], responses=problems(403))

AccountRefPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=ACCOUNT_REF_MAX_LENGTH,
        pattern=ACCOUNT_REF_PATTERN,
        description="Your own reference for the account, unique among your accounts",
        examples=["CARD-0001"],
    ),
]
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Makes a retry safe: the same key with the same account_ref and body "
        "returns the first answer and writes nothing; with another request it is 409.",
    ),
]


@router.put(
    "/accounts/{account_ref}",
    summary="Create or update one of your accounts (201 created, 200 updated)",
    operation_id="putFurnisherAccount",
    response_model=AccountRead,
    response_description="The account was updated (or already held exactly this data)",
    responses={
        201: {
            "model": AccountRead,
            "description": "The account was created",
            "headers": {
                "Location": {
                    "description": "The account's URL",
                    "schema": {"type": "string"},
                }
            },
        },
        **problems(409, 422),
    },
)
def put_account(
    account_ref: AccountRefPath,
    body: Annotated[AccountPut, Body(openapi_examples=ACCOUNT_PUT_EXAMPLES)],
    session: SessionDep,
    caller: FurnisherDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> AccountRead:
    account, created = service.furnish(
        session,
        furnisher=caller.principal,
        account_ref=account_ref,
        data=body,
        now=caller.now,
        idempotency_key=idempotency_key,
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
        response.headers["Location"] = f"{router.prefix}/accounts/{account_ref}"
    return account


@router.get(
    "/accounts",
    summary="List your accounts, ordered by account_ref",
    operation_id="listFurnisherAccounts",
    response_model=Page[AccountRead],
    responses=problems(422),
)
def list_accounts(
    session: SessionDep,
    caller: FurnisherDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[AccountRead]:
    return service.list_accounts(
        session, furnisher=caller.principal, now=caller.now, cursor=cursor, limit=limit
    )


@router.get(
    "/accounts/{account_ref}",
    summary="Read one of your accounts with its versions",
    operation_id="getFurnisherAccount",
    response_model=AccountRead,
    responses=problems(404, 422),
)
def get_account(
    account_ref: AccountRefPath, session: SessionDep, caller: FurnisherDep
) -> AccountRead:
    return service.get_account(
        session, furnisher=caller.principal, account_ref=account_ref, now=caller.now
    )
