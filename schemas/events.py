"""Events: what changed, told to those who may know it (the feed and the webhooks)."""

from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, ConfigDict, Field

from schemas.common import ResponseModel
from schemas.examples import EVENT, examples


class EventType(StrEnum):
    """Every kind of event. Each is written in the transaction of the change it tells."""

    account_created = "account.created"
    account_updated = "account.updated"
    inquiry_recorded = "inquiry.recorded"
    dispute_opened = "dispute.opened"
    dispute_answered = "dispute.answered"
    dispute_resolved = "dispute.resolved"
    dispute_overdue = "dispute.overdue"
    item_suppressed = "item.suppressed"
    item_reinserted = "item.reinserted"
    consent_granted = "consent.granted"
    consent_revoked = "consent.revoked"
    consent_expired = "consent.expired"
    freeze_placed = "freeze.placed"
    freeze_lifted = "freeze.lifted"
    notice_created = "notice.created"
    clock_advanced = "clock.advanced"
    webhook_test = "webhook.test"
    webhook_endpoint_disabled = "webhook.endpoint_disabled"


class EventRead(ResponseModel):
    """One event as its recipient sees it: the ``data`` holds only what they may know."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(EVENT))

    id: str = Field(description="Stable id (evt_...); a webhook delivery's webhook-id")
    type: EventType
    at: AwareDatetime = Field(description="When the change happened (sandbox clock)")
    resource_type: str
    resource_id: str
    data: dict[str, Any]
