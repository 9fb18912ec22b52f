"""Webhook endpoints: any principal registers its own, and reads, replays and tests them."""

from typing import Annotated

from fastapi import Path, Request, status

from schemas.common import Page
from schemas.webhooks import (
    DeliveryRead,
    EndpointCreate,
    EndpointCreated,
    EndpointRead,
    EndpointUpdate,
    Replay,
    Replayed,
    SecretRotated,
)
from service.core.config import Settings
from service.core.deps import SessionDep, domain_router
from service.core.errors import UrlNotAllowed
from service.core.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from service.core.responses import problems
from service.principals.deps import AnyRoleDep
from service.webhooks import rules, service

router = domain_router(prefix="/v1/webhooks/endpoints", tags=["webhooks"], responses=problems(403))

EndpointId = Annotated[str, Path(max_length=40, description="The endpoint id (whe_...)")]


def _networks(request: Request) -> list[rules.Network]:
    settings: Settings = request.app.state.settings
    return rules.parse_networks(settings.webhook_allowed_networks)


@router.post(
    "",
    summary="Register a webhook endpoint (its signing secret is shown only here)",
    operation_id="createWebhookEndpoint",
    status_code=status.HTTP_201_CREATED,
    response_model=EndpointCreated,
    responses=problems(422, UrlNotAllowed),
)
def create_endpoint(
    request: Request, session: SessionDep, caller: AnyRoleDep, body: EndpointCreate
) -> EndpointCreated:
    return service.create_endpoint(
        session, owner=caller.principal, body=body, networks=_networks(request), now=caller.now
    )


@router.get(
    "",
    summary="My webhook endpoints",
    operation_id="listWebhookEndpoints",
    response_model=Page[EndpointRead],
    responses=problems(422),
)
def list_endpoints(
    session: SessionDep,
    caller: AnyRoleDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[EndpointRead]:
    return service.list_endpoints(session, owner=caller.principal, cursor=cursor, limit=limit)


@router.get(
    "/{endpoint_id}",
    summary="One of my webhook endpoints",
    operation_id="getWebhookEndpoint",
    response_model=EndpointRead,
    responses=problems(404, 422),
)
def get_endpoint(session: SessionDep, caller: AnyRoleDep, endpoint_id: EndpointId) -> EndpointRead:
    return service.get_endpoint(session, owner=caller.principal, endpoint_id=endpoint_id)


@router.patch(
    "/{endpoint_id}",
    summary="Change a webhook endpoint, or enable it again",
    operation_id="updateWebhookEndpoint",
    response_model=EndpointRead,
    responses=problems(404, 422, UrlNotAllowed),
)
def update_endpoint(
    request: Request,
    session: SessionDep,
    caller: AnyRoleDep,
    endpoint_id: EndpointId,
    body: EndpointUpdate,
) -> EndpointRead:
    return service.update_endpoint(
        session,
        owner=caller.principal,
        endpoint_id=endpoint_id,
        body=body,
        networks=_networks(request),
    )


@router.delete(
    "/{endpoint_id}",
    summary="Delete a webhook endpoint and its delivery log; answers what was deleted",
    operation_id="deleteWebhookEndpoint",
    response_model=EndpointRead,
    responses=problems(404, 422),
)
def delete_endpoint(
    session: SessionDep, caller: AnyRoleDep, endpoint_id: EndpointId
) -> EndpointRead:
    return service.delete_endpoint(session, owner=caller.principal, endpoint_id=endpoint_id)


@router.get(
    "/{endpoint_id}/deliveries",
    summary="The endpoint's delivery log, newest first, with every attempt",
    operation_id="listWebhookDeliveries",
    response_model=Page[DeliveryRead],
    responses=problems(404, 422),
)
def list_deliveries(
    session: SessionDep,
    caller: AnyRoleDep,
    endpoint_id: EndpointId,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[DeliveryRead]:
    return service.list_deliveries(
        session, owner=caller.principal, endpoint_id=endpoint_id, cursor=cursor, limit=limit
    )


@router.post(
    "/{endpoint_id}/replay",
    summary="Deliver one event again, or every event since a moment",
    operation_id="replayWebhookEvents",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Replayed,
    responses=problems(404, 422),
)
def replay(
    session: SessionDep, caller: AnyRoleDep, endpoint_id: EndpointId, body: Replay
) -> Replayed:
    return service.replay(
        session, owner=caller.principal, endpoint_id=endpoint_id, body=body, now=caller.now
    )


@router.post(
    "/{endpoint_id}/rotate-secret",
    summary="A new signing secret; the previous one keeps signing for 24 hours",
    operation_id="rotateWebhookSecret",
    response_model=SecretRotated,
    responses=problems(404, 422),
)
def rotate_secret(
    session: SessionDep, caller: AnyRoleDep, endpoint_id: EndpointId
) -> SecretRotated:
    return service.rotate_secret(
        session, owner=caller.principal, endpoint_id=endpoint_id, now=caller.now
    )


@router.post(
    "/{endpoint_id}/test",
    summary="Send the endpoint a webhook.test event",
    operation_id="testWebhookEndpoint",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryRead,
    responses=problems(404, 422),
)
def send_test(session: SessionDep, caller: AnyRoleDep, endpoint_id: EndpointId) -> DeliveryRead:
    return service.send_test(
        session, owner=caller.principal, endpoint_id=endpoint_id, now=caller.now
    )
