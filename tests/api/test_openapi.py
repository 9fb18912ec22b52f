"""openapi.yaml is generated from the app, committed, and complete."""

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from service.openapi import render_openapi_yaml

COMMITTED = Path(__file__).resolve().parents[2] / "openapi.yaml"
METHODS = {"get", "put", "post", "delete", "patch"}


def _operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, ops in app.openapi()["paths"].items()
        for method, op in ops.items()
        if method in METHODS
    ]


def test_committed_openapi_matches_the_app(app: FastAPI) -> None:
    assert COMMITTED.exists(), "openapi.yaml is missing: run `clearfile openapi`"
    assert COMMITTED.read_text(encoding="utf-8") == render_openapi_yaml(app), (
        "openapi.yaml drifted from the app: run `clearfile openapi` and commit it"
    )


def test_every_operation_is_documented(app: FastAPI) -> None:
    seen_ids: set[str] = set()
    for method, path, op in _operations(app):
        where = f"{method.upper()} {path}"
        assert op.get("summary"), f"{where} has no summary"
        assert op.get("tags"), f"{where} has no tag"
        assert op.get("operationId"), f"{where} has no operationId"
        assert op["operationId"] not in seen_ids, f"{where} repeats an operationId"
        seen_ids.add(op["operationId"])


@pytest.mark.parametrize("status", ["401", "403"])
def test_authenticated_operations_declare_their_errors(app: FastAPI, status: str) -> None:
    for method, path, op in _operations(app):
        if path == "/healthz" or path.startswith("/v1/models"):
            continue
        responses = op["responses"]
        assert status in responses, f"{method.upper()} {path} does not declare {status}"
        content = responses[status]["content"]
        assert "application/problem+json" in content


def test_operations_with_input_declare_422(app: FastAPI) -> None:
    for method, path, op in _operations(app):
        if op.get("parameters") or op.get("requestBody"):
            assert "422" in op["responses"], f"{method.upper()} {path} does not declare 422"


def test_every_operation_has_an_example(app: FastAPI) -> None:
    schemas = app.openapi()["components"]["schemas"]

    def has_example(media: dict[str, Any]) -> bool:
        if "example" in media or "examples" in media:
            return True
        ref = media.get("schema", {}).get("$ref", "")
        target = schemas.get(ref.rsplit("/", 1)[-1], {})
        if target.get("examples") or target.get("example"):
            return True
        # A page's example is its item's example.
        items = target.get("properties", {}).get("items", {}).get("items", {})
        return "$ref" in items and has_example({"schema": items})

    for method, path, op in _operations(app):
        success = [v for k, v in op["responses"].items() if k.startswith("2")]
        medias = [m for r in success for m in r.get("content", {}).values()]
        body = op.get("requestBody", {}).get("content", {}).values()
        assert any(has_example(m) for m in [*medias, *body]), (
            f"{method.upper()} {path} has no example"
        )
