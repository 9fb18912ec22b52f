"""Declared error responses, so every route's problems appear in openapi.yaml."""

from typing import Any

from schemas.common import Problem
from service.core.errors import PROBLEM_BASE

_DESCRIPTIONS = {
    401: ("unauthenticated", "No valid API key"),
    403: ("role-not-permitted", "The action is refused for this caller"),
    404: ("not-found", "No such resource for this caller"),
    409: ("conflict", "The request conflicts with the current state"),
    422: ("validation-error", "The request is not valid"),
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the given error statuses (401 is always included)."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in sorted({401, *statuses}):
        slug, description = _DESCRIPTIONS[status]
        out[status] = {
            "model": Problem,
            "description": description,
            "content": {
                "application/problem+json": {
                    "example": {
                        "type": PROBLEM_BASE + slug,
                        "title": description,
                        "status": status,
                        "detail": description + ".",
                    }
                }
            },
        }
    return out
