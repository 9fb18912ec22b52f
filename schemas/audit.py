"""Audit log and access log schemas."""

from pydantic import AwareDatetime, ConfigDict, Field

from schemas.common import ResponseModel, Role
from schemas.examples import ACCESS_LOG_ENTRY, AUDIT_EVENT, examples


class AccessLogEntry(ResponseModel):
    """One read or write of the subject's file, as the subject sees it."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(ACCESS_LOG_ENTRY))

    id: int
    actor_id: str
    actor_role: Role
    actor_name: str
    action: str
    purpose: str | None
    resource_type: str | None
    resource_id: str | None
    at: AwareDatetime


class AuditEventRead(AccessLogEntry):
    """An audit event as the auditor sees it: the access log entry and its place in the
    hash chain."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(AUDIT_EVENT))

    chain: str = Field(
        description=(
            "The hash chain: the subject id, or 'system'; a further stripe of a chain that "
            "concurrent appends split adds ':' and its number (e.g. 'sub_...:2'). Each "
            "stripe is a chain of its own, from seq 1"
        )
    )
    seq: int
    subject_id: str | None
    prev_hash: str
    hash: str


class VerifyResult(ResponseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra=examples(
            {"valid": True, "events_checked": 1234, "first_bad_event": None}
        ),
    )

    valid: bool
    events_checked: int
    first_bad_event: int | None = Field(
        default=None, description="Id of the first event that fails the check"
    )
    reason: str | None = None
    next_cursor: str | None = Field(
        default=None,
        description="Present when the log goes on past this call's events: pass it as "
        "`cursor` to check the next ones, which link to the last event checked here",
    )
