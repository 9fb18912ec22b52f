"""Sandbox operator schemas: principals, clock, personas."""

import datetime as dt
from typing import Annotated

from pydantic import AwareDatetime, ConfigDict, Field, StringConstraints, model_validator

from schemas.common import IsoDate, IsoDateTime, RequestModel, ResponseModel, Role, StrictInt
from schemas.examples import examples

#: A fictional national id. Area number 000 is never issued by the US Social Security
#: Administration, so an id in this form can never be a real person's.
NATIONAL_ID_PATTERN = r"^000-\d{2}-\d{4}$"

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class Address(RequestModel):
    line1: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    line2: Annotated[str, StringConstraints(max_length=200)] | None = None
    city: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    region: Annotated[str, StringConstraints(max_length=100)] | None = None
    postal_code: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = "US"


class SubjectCreate(RequestModel):
    given_name: Name
    family_name: Name
    date_of_birth: IsoDate
    national_id: Annotated[str, StringConstraints(pattern=NATIONAL_ID_PATTERN)] | None = Field(
        default=None, description="Fictional id, NNN-NN-NNNN with area 000 (never a real one)"
    )
    address: Address | None = None

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "given_name": "Ada",
                    "family_name": "Testwell",
                    "date_of_birth": "1985-04-12",
                    "national_id": "000-12-3456",
                    "address": {
                        "line1": "1 Sandbox Way",
                        "city": "Exampleton",
                        "postal_code": "00001",
                        "country": "US",
                    },
                }
            ]
        },
    }


class OrganisationCreate(RequestModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {"examples": [{"name": "Example Card Co (fictional)"}]},
    }


class PrincipalIssued(ResponseModel):
    """A new principal and its API key: shown this once, stored only as a hash."""

    id: str
    role: Role
    name: str
    api_key: str
    created_at: AwareDatetime


class SubjectIssued(PrincipalIssued):
    given_name: str
    family_name: str
    date_of_birth: dt.date
    national_id: str | None


class ClockRead(ResponseModel):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra=examples({"now": "2026-11-15T12:00:00Z"})
    )

    now: AwareDatetime


class ClockSet(RequestModel):
    """Either move the clock to ``now``, or advance it by ``advance_days``."""

    now: IsoDateTime | None = None
    advance_days: StrictInt | None = Field(default=None, ge=0, le=36500)

    @model_validator(mode="after")
    def _exactly_one(self) -> "ClockSet":
        if (self.now is None) == (self.advance_days is None):
            raise ValueError("give exactly one of 'now' or 'advance_days'")
        return self

    model_config = {"extra": "forbid", "json_schema_extra": {"examples": [{"advance_days": 30}]}}


class PersonaRead(ResponseModel):
    """A fixture persona: a fictional principal with a fixed, documented sandbox key."""

    id: str = Field(description="Fixed id; stays the same across resets")
    role: Role
    name: str
    api_key: str = Field(description="Fixed sandbox key (a test-mode key, documented)")
    demonstrates: str = Field(description="What this persona's file or role demonstrates")
    national_id: str | None = Field(
        default=None, description="Fictional national id (subjects only)"
    )

    model_config = {
        "from_attributes": True,
        "json_schema_extra": {
            "examples": [
                {
                    "id": "sub_sandbox_ada_testwell",
                    "role": "subject",
                    "name": "Ada Testwell",
                    "api_key": "cf_subject_sandbox_ada_testwell",
                    "demonstrates": "A clean long file: 17 years, several account types.",
                    "national_id": "000-99-0001",
                }
            ]
        },
    }


class SandboxReset(ResponseModel):
    """The sandbox after a reset: an empty database with the fixture personas loaded."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra=examples(
            {"now": "2026-11-15T12:00:00Z", "personas": 19, "subjects": 10, "organisations": 9}
        ),
    )

    now: AwareDatetime = Field(description="The sandbox clock, back at wall time")
    personas: int = Field(description="How many personas were loaded")
    subjects: int
    organisations: int = Field(description="Furnishers, lenders and auditors")
