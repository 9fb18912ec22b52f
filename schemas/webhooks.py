"""Webhook endpoints, their deliveries and attempts (Standard Webhooks signing)."""

from enum import StrEnum

from pydantic import AnyUrl, AwareDatetime, ConfigDict, Field, field_validator, model_validator

from schemas.common import IsoDateTime, RequestModel, ResponseModel
from schemas.events import EventType
from schemas.examples import WEBHOOK_DELIVERY, WEBHOOK_ENDPOINT, WEBHOOK_SECRET, examples

#: The longest endpoint URL accepted (browsers' and proxies' common limit).
MAX_URL_LENGTH = 2048


def _distinct(types: list[EventType]) -> list[EventType]:
    return list(dict.fromkeys(types))


class EndpointCreate(RequestModel):
    url: AnyUrl = Field(description="http(s) URL; its host must resolve to an allowed address")
    event_types: list[EventType] = Field(min_length=1, max_length=len(EventType))
    description: str | None = Field(default=None, max_length=200)

    @field_validator("url")
    @classmethod
    def _short(cls, url: AnyUrl) -> AnyUrl:
        if len(str(url)) > MAX_URL_LENGTH:
            raise ValueError(f"at most {MAX_URL_LENGTH} characters")
        return url

    @field_validator("event_types")
    @classmethod
    def _dedupe(cls, types: list[EventType]) -> list[EventType]:
        return _distinct(types)


class EndpointUpdate(RequestModel):
    """Change the URL, the event types, or enable a disabled endpoint again."""

    url: AnyUrl | None = None
    event_types: list[EventType] | None = Field(default=None, min_length=1)
    description: str | None = Field(default=None, max_length=200)
    enabled: bool | None = None

    @field_validator("url")
    @classmethod
    def _short(cls, url: AnyUrl | None) -> AnyUrl | None:
        if url is not None and len(str(url)) > MAX_URL_LENGTH:
            raise ValueError(f"at most {MAX_URL_LENGTH} characters")
        return url

    @field_validator("event_types")
    @classmethod
    def _dedupe(cls, types: list[EventType] | None) -> list[EventType] | None:
        return None if types is None else _distinct(types)


class EndpointRead(ResponseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(WEBHOOK_ENDPOINT))

    id: str
    url: str
    event_types: list[EventType]
    description: str | None
    enabled: bool
    disabled_reason: str | None
    disabled_at: AwareDatetime | None
    created_at: AwareDatetime
    previous_secret_expires_at: AwareDatetime | None = Field(
        description="Until then deliveries are signed with the previous secret as well"
    )


class EndpointCreated(EndpointRead):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra=examples({**WEBHOOK_ENDPOINT, "secret": WEBHOOK_SECRET}),
    )

    secret: str = Field(description="The signing secret (whsec_...), shown only here")


class SecretRotated(ResponseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra=examples(
            {
                "id": WEBHOOK_ENDPOINT["id"],
                "secret": WEBHOOK_SECRET,
                "previous_secret_expires_at": "2026-11-16T12:00:00Z",
            }
        ),
    )

    id: str
    secret: str = Field(description="The new signing secret, shown only here")
    previous_secret_expires_at: AwareDatetime


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"
    gone = "gone"


class AttemptRead(ResponseModel):
    number: int
    at: AwareDatetime = Field(description="Sandbox clock")
    status_code: int | None
    latency_ms: int
    error: str | None
    response_excerpt: str | None


class DeliveryRead(ResponseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(WEBHOOK_DELIVERY))

    id: str
    event_id: str
    event_type: EventType
    status: DeliveryStatus
    attempts: list[AttemptRead]
    next_attempt_at: AwareDatetime | None
    created_at: AwareDatetime


class Replay(RequestModel):
    """Send one event again (``event_id``), or every event of the endpoint's types since
    a moment (``since``)."""

    event_id: str | None = Field(default=None, max_length=40)
    since: IsoDateTime | None = None

    @model_validator(mode="after")
    def _one(self) -> "Replay":
        if (self.event_id is None) == (self.since is None):
            raise ValueError("give exactly one of event_id and since")
        return self


class Replayed(ResponseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples({"replayed": 3}))

    replayed: int = Field(description="How many deliveries were queued")
