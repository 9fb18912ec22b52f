"""The credit file as its subject sees it: report, export, access log."""

import datetime as dt
from enum import StrEnum
from typing import Any, Literal

from pydantic import AwareDatetime, ConfigDict, Field

from schemas.audit import AccessLogEntry
from schemas.common import Purpose, ResponseModel, Role
from schemas.consent import ConsentRead, FraudAlertRead, FreezeRead
from schemas.disputes import DisputeRead, StatementRead
from schemas.examples import EXPORT, REPORT, examples
from schemas.furnishing import AccountRead

#: The version of the export document's schema (GDPR 20 portability).
EXPORT_SCHEMA_VERSION = "1.0"


class InquiryKind(StrEnum):
    hard = "hard"
    soft = "soft"


class Identity(ResponseModel):
    id: str
    given_name: str
    family_name: str
    date_of_birth: dt.date
    national_id: str | None
    addresses: list[dict[str, Any]]


class InquiryRead(ResponseModel):
    id: str
    lender_id: str
    lender_name: str
    purpose: Purpose
    kind: InquiryKind
    at: AwareDatetime
    obsolete_on: dt.date = Field(description="The day it leaves the file (24 months)")
    disputed: bool = Field(default=False, description="Under dispute now")


class PublicRecordRead(ResponseModel):
    id: str
    kind: Literal["bankruptcy"]
    chapter: Literal[7, 13]
    status: str
    filed_on: dt.date
    resolved_on: dt.date | None
    court: str
    reference: str
    obsolete_on: dt.date
    disputed: bool = Field(default=False, description="Under dispute now")


class Source(ResponseModel):
    """Someone who furnished or read data in the file."""

    id: str
    name: str
    role: Role
    supplied: list[str] = Field(description="What they supplied or did: accounts, inquiries")


class Report(ResponseModel):
    """The whole file (FCRA 609, GDPR 15): identity, items, their sources."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(REPORT))

    subject: Identity
    generated_at: AwareDatetime
    accounts: list[AccountRead]
    inquiries: list[InquiryRead]
    public_records: list[PublicRecordRead]
    statements: list[StatementRead] = Field(
        default_factory=list, description="The subject's statements of dispute"
    )
    disputes: list[DisputeRead] = Field(
        default_factory=list, description="Every dispute, newest first"
    )
    consents: list[ConsentRead] = Field(
        default_factory=list, description="Every consent, newest first, with its state"
    )
    freeze: FreezeRead | None = Field(default=None, description="Whether the file is frozen")
    fraud_alerts: list[FraudAlertRead] = Field(
        default_factory=list, description="Every fraud alert, newest first"
    )
    sources: list[Source]


class Export(ResponseModel):
    """Everything held about the subject, machine-readable (GDPR 20)."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(EXPORT))

    schema_version: str = EXPORT_SCHEMA_VERSION
    exported_at: AwareDatetime
    report: Report
    access_log: list[AccessLogEntry]
