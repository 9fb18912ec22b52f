"""Metro 2 schemas: the validator's report and an import's result."""

import datetime as dt
from enum import StrEnum

from pydantic import AwareDatetime, ConfigDict, Field

from schemas.common import ResponseModel


class Severity(StrEnum):
    error = "error"
    warning = "warning"


class Metro2Problem(ResponseModel):
    """One problem of a Metro 2 file."""

    record: int = Field(description="The record's number in the file; the header is 1")
    segment: str = Field(description="header, base, J1, J2, K1-K4, L1, N1, trailer or file")
    field: str | None = Field(description="The field's name in the layout (moov's JSON key)")
    positions: str | None = Field(
        description="The field's positions in the record (1-based, inclusive; BDW excluded)"
    )
    severity: Severity
    rule: str = Field(description="The rule: layout.*, code.*, cross.* or fictional.ssn")
    message: str


class Metro2Check(ResponseModel):
    """The validator's report: every problem, grouped by severity. Nothing was written."""

    valid: bool = Field(description="True when there is no error (warnings allowed)")
    records: int = Field(description="Records read: header, base segments and trailer")
    base_records: int
    errors: list[Metro2Problem]
    warnings: list[Metro2Problem]


class Metro2Reason(ResponseModel):
    """Why a record was rejected: a field (of the file, or of the furnishing it maps to)."""

    field: str | None
    positions: str | None = None
    rule: str
    message: str


class Metro2Rejection(ResponseModel):
    record: int = Field(description="The base segment's record number in the file")
    account_ref: str | None = Field(description="Its Consumer Account Number, when present")
    reasons: list[Metro2Reason]


class Metro2Import(ResponseModel):
    """What an imported file did. Each accepted record is a furnishing with its version
    and audit event; a rejected record wrote nothing."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "import_id": "m2i_5b0c6f1e2d3a4b5c6d7e",
                    "created_at": "2026-11-02T09:00:00Z",
                    "as_of": "2026-11-01",
                    "records": 3,
                    "accepted": 1,
                    "created": 0,
                    "updated": 1,
                    "unchanged": 1,
                    "rejected": [
                        {
                            "record": 4,
                            "account_ref": "CARD-0003",
                            "reasons": [
                                {
                                    "field": "socialSecurityNumber",
                                    "positions": "298-306",
                                    "rule": "import.match",
                                    "message": "no file holds national id 000-12-0003",
                                }
                            ],
                        }
                    ],
                    "warnings": 0,
                }
            ]
        },
    )

    import_id: str
    created_at: AwareDatetime
    as_of: dt.date | None = Field(description="The file header's activity date")
    records: int = Field(description="Base segments in the file")
    accepted: int = Field(description="Created or updated accounts")
    created: int
    updated: int
    unchanged: int = Field(
        description="Records equal to the stored account (amounts within a dollar of it)"
    )
    rejected: list[Metro2Rejection]
    warnings: int = Field(description="Warnings the validator gave (see the check endpoint)")
