"""RFC 9457 rendering: one handler for every error the API answers with."""

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.core.deps import refusal_first
from service.core.errors import (
    BY_STATUS,
    PROBLEM_BASE,
    DomainError,
    FieldError,
    InternalError,
    InvalidInput,
    MalformedBody,
    ProhibitedDataCategory,
)
from service.core.prohibited import prohibited_category

PROBLEM_MEDIA_TYPE = "application/problem+json"


def problem_body(
    *, slug: str, title: str, status: int, detail: str, instance: str, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    body.update(extra)
    return body


def problem_response(request: Request, error: DomainError) -> JSONResponse:
    extra = dict(error.extra)
    if error.errors:
        extra["errors"] = [e.as_dict() for e in error.errors]
    body = problem_body(
        slug=error.slug,
        title=error.title,
        status=error.status,
        detail=error.detail,
        instance=request.url.path,
        **extra,
    )
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return JSONResponse(
        body, status_code=error.status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def _field_of(loc: Sequence[Any]) -> tuple[str, str]:
    """(where, dotted field path) of a pydantic error location."""
    parts = [str(p) for p in loc]
    where = parts[0] if parts and parts[0] in {"body", "query", "path", "header"} else "body"
    if parts and parts[0] == where:
        parts = parts[1:]
    return where, ".".join(parts)


def validation_error_from(exc: RequestValidationError) -> DomainError:
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            where = err.get("loc", ())[-1:]
            reason = str(err.get("ctx", {}).get("error", "not JSON"))
            at = f" at character {where[0]}" if where and isinstance(where[0], int) else ""
            return MalformedBody(detail=f"The request body is not valid JSON: {reason}{at}.")
    field_errors: list[FieldError] = []
    prohibited: list[tuple[str, str]] = []
    for err in exc.errors():
        where, path = _field_of(err.get("loc", ()))
        name = path.rsplit(".", 1)[-1] if path else ""
        if err.get("type") == "extra_forbidden":
            category = prohibited_category(name)
            if category is not None:
                prohibited.append((path, category))
                field_errors.append(
                    FieldError(path, f"'{name}' is {category} data, which Clearfile never holds")
                )
                continue
            field_errors.append(FieldError(path, f"'{name}' is not a field of this request"))
            continue
        message = str(err.get("msg", "invalid"))
        label = path or where
        if where != "body":
            label = f"{where}.{path}" if path else where
        field_errors.append(FieldError(label, message))
    if prohibited:
        named = ", ".join(f"'{p}' ({c})" for p, c in prohibited)
        prohibited_fields = {p for p, _ in prohibited}
        return ProhibitedDataCategory(
            detail=f"Prohibited data category: {named}. Clearfile holds financial data only.",
            errors=sorted(field_errors, key=lambda e: e.field not in prohibited_fields),
            extra={"categories": sorted({c for _, c in prohibited})},
        )
    fields = ", ".join(sorted({e.field for e in field_errors}))
    return InvalidInput(detail=f"Invalid input: {fields}.", errors=field_errors)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem_response(request, await refusal_first(request) or exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        refusal = await refusal_first(request)
        return problem_response(request, refusal or validation_error_from(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = BY_STATUS.get(exc.status_code)
        body = problem_body(
            slug=kind.slug if kind else "http-error",
            title=kind.title if kind else str(exc.detail or "HTTP error"),
            status=exc.status_code,
            detail=str(exc.detail),
            instance=request.url.path,
        )
        return JSONResponse(
            body,
            status_code=exc.status_code,
            media_type=PROBLEM_MEDIA_TYPE,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        body = problem_body(
            slug=InternalError.slug,
            title=InternalError.title,
            status=InternalError.status,
            detail="An unexpected error occurred; nothing was written.",
            instance=request.url.path,
        )
        return JSONResponse(body, status_code=InternalError.status, media_type=PROBLEM_MEDIA_TYPE)
