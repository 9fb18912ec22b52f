"""Shared pieces of the HTTP contract: roles, problems, pages."""

from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class Role(StrEnum):
    admin = "admin"
    subject = "subject"
    furnisher = "furnisher"
    lender = "lender"
    auditor = "auditor"


class RequestModel(BaseModel):
    """Base of every request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


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


def example(value: dict[str, Any]) -> dict[str, Any]:
    return {"examples": [value]}
