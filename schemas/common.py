"""Shared pieces of the HTTP contract: roles, problems, pages."""

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError


class Purpose(StrEnum):
    """Permissible purposes (FCRA 604)."""

    credit_application = "credit_application"
    account_review = "account_review"
    prequalification = "prequalification"
    tenant_screening = "tenant_screening"
    insurance = "insurance"
    employment = "employment"


class Role(StrEnum):
    admin = "admin"
    subject = "subject"
    furnisher = "furnisher"
    lender = "lender"
    auditor = "auditor"


def _iso_text(value: Any) -> Any:
    """JSON carries dates and times as ISO 8601 text; a number is not a date."""
    if isinstance(value, str | dt.date):
        return value
    raise ValueError("must be an ISO 8601 string")


#: Request field types that do not coerce: FastAPI validates parsed JSON in Python mode,
#: where pydantic would otherwise take 0 for 1970-01-01, "12" for 12, or true for 1.
StrictInt = Annotated[int, Strict()]
IsoDate = Annotated[dt.date, BeforeValidator(_iso_text)]
IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_text)]


NUL_MESSAGE = "must not contain NUL (\\x00) characters"


def _has_nul(value: Any) -> bool:
    """Text may not carry NUL characters (PostgreSQL cannot store them; nothing needs them)."""
    return isinstance(value, str) and "\x00" in value


class RequestModel(BaseModel):
    """Base of every request body: unknown fields are refused, text carries no NUL."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        bad = [
            key
            for key, value in data.items()
            if _has_nul(value) or (isinstance(value, list) and any(map(_has_nul, value)))
        ]
        if bad:
            raise ValidationError.from_exception_data(
                cls.__name__,
                [
                    InitErrorDetails(
                        type=PydanticCustomError("nul_character", NUL_MESSAGE),
                        loc=(key,),
                        input=data[key],
                    )
                    for key in bad
                ],
            )
        return data


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ProblemFieldError(BaseModel):
    field: str = Field(description="Dotted path of the offending field")
    pointer: str = Field(description="JSON pointer of the offending field")
    detail: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["https://clearfile.example/problems/validation-error"])
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ProblemFieldError] | None = None


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of an ordered list; pass ``next_cursor`` as ``cursor`` for the next."""

    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Opaque cursor of the next page; null on the last page"
    )
