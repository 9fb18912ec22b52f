"""Property-based contract tests: schemathesis drives every operation of the OpenAPI schema,
``POST /v1/sandbox/reset`` included, with valid keys, with schema-valid data (which must be
accepted, or refused only as documented) and schema-breaking data (which must be rejected with
a 4xx); every response must be non-5xx and conform to the schema."""

from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.config import PositiveDataAcceptanceConfig
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import allow_header_conformance

from service.app import create_app
from service.core.config import Settings

#: The schema is read from an app built like the one under test; each test gets the real
#: app (with its transaction) through the `app` fixture.
schema = schemathesis.openapi.from_asgi(
    "/openapi.json",
    create_app(
        Settings(
            database_url="sqlite://", admin_key="unused", load_fixtures=False, webhook_worker=False
        )
    ),
)

#: Both kinds of generated data: schema-valid requests (positive) and requests that break the
#: schema (negative), each checked by its own rule below.
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])

#: Positive data: a schema-valid request is accepted, or refused only by a rule the schema
#: cannot state, with its documented problem: 401/403 (the caller's key or role), 404 (an id
#: that names nothing of the caller's), 409 (a state conflict, e.g. a clock moved back) and
#: 422 (a business rule over several fields, or a cursor this API never issued). Never a
#: 400, a 413 or a 5xx.
schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
    expected_statuses=["2xx", "401", "403", "404", "409", "422"]
)

#: Negative data must be rejected with a 4xx (schemathesis' default check). Starlette's 405
#: names only the first route's methods in Allow, so that one header check is left out.
EXCLUDED_CHECKS = [allow_header_conformance]


def _role_for(path: str) -> str:
    for prefix, role in (
        ("/v1/sandbox", "admin"),
        ("/v1/furnisher", "furnisher"),
        ("/v1/me", "subject"),
        ("/v1/lender", "lender"),
        ("/v1/audit", "auditor"),
    ):
        if path.startswith(prefix):
            return role
    return "anonymous"


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
def test_api_conforms_to_its_schema(
    case: schemathesis.Case[Any],
    app: FastAPI,
    client: object,
    headers_by_role: dict[str, dict[str, str]],
) -> None:
    headers = dict(case.headers or {})
    headers.update(headers_by_role[_role_for(case.path)])
    case.call_and_validate(app=app, headers=headers, excluded_checks=EXCLUDED_CHECKS)
