"""RFC 9457 problems: clear, typed, and nothing written."""

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.audit.models import AuditEvent
from service.core.errors import PROBLEM_BASE
from service.principals.models import Principal
from tests.conftest import Actor

SUBJECT = {"given_name": "Nova", "family_name": "Placeholder", "date_of_birth": "1990-01-01"}


def _counts(session: Session) -> tuple[int, int]:
    principals = session.scalar(select(func.count()).select_from(Principal)) or 0
    events = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    return principals, events


def _assert_problem(resp: object, status: int, slug: str) -> dict[str, object]:
    assert resp.status_code == status, resp.text  # type: ignore[attr-defined]
    assert resp.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body: dict[str, object] = resp.json()  # type: ignore[attr-defined]
    assert body["type"] == PROBLEM_BASE + slug
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


def test_missing_key_is_401(client: TestClient) -> None:
    resp = client.get("/v1/me/report")
    _assert_problem(resp, 401, "unauthenticated")
    assert resp.headers["www-authenticate"] == "Bearer"


def test_wrong_key_is_401(client: TestClient) -> None:
    resp = client.get("/v1/me/report", headers={"Authorization": "Bearer cf_subject_nope"})
    _assert_problem(resp, 401, "unauthenticated")


def test_wrong_role_is_403(client: TestClient, make_lender: Callable[..., Actor]) -> None:
    lender = make_lender()
    body = _assert_problem(
        client.get("/v1/me/report", headers=lender.headers), 403, "role-not-permitted"
    )
    assert "lender" in str(body["detail"])


def test_unknown_path_is_a_404_problem(client: TestClient) -> None:
    _assert_problem(client.get("/v1/nothing-here"), 404, "not-found")


@pytest.mark.parametrize(
    ("field", "value", "category"),
    [
        ("race", "x", "race or colour"),
        ("religion", "x", "religious affiliation"),
        ("gps_location", "51.5,0.1", "location or movement"),
        ("browsingHistory", ["a"], "online activity"),
        ("health", "x", "health"),
        ("marital_status", "x", "marital status"),
        ("criminal_record", "x", "criminal records"),
    ],
)
def test_prohibited_data_is_refused_by_category(
    client: TestClient,
    session: Session,
    admin_headers: dict[str, str],
    field: str,
    value: object,
    category: str,
) -> None:
    before = _counts(session)
    resp = client.post(
        "/v1/sandbox/subjects", json={**SUBJECT, field: value}, headers=admin_headers
    )
    body = _assert_problem(resp, 422, "prohibited-data-category")
    assert body["categories"] == [category]
    errors = body["errors"]
    assert isinstance(errors, list)
    assert errors[0]["field"] == field
    assert category in errors[0]["detail"]
    assert _counts(session) == before


def test_unknown_field_is_a_validation_error(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    before = _counts(session)
    resp = client.post(
        "/v1/sandbox/subjects", json={**SUBJECT, "nickname": "x"}, headers=admin_headers
    )
    body = _assert_problem(resp, 422, "validation-error")
    assert body["errors"][0]["field"] == "nickname"  # type: ignore[index]
    assert _counts(session) == before


def test_every_bad_field_is_named(client: TestClient, admin_headers: dict[str, str]) -> None:
    resp = client.post(
        "/v1/sandbox/subjects",
        json={
            "given_name": "",
            "family_name": "X",
            "date_of_birth": "not-a-date",
            "national_id": "123-45-6789",
        },
        headers=admin_headers,
    )
    body = _assert_problem(resp, 422, "validation-error")
    named = {e["field"] for e in body["errors"]}  # type: ignore[attr-defined]
    assert named == {"given_name", "date_of_birth", "national_id"}


def test_real_looking_national_id_is_refused(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    resp = client.post(
        "/v1/sandbox/subjects",
        json={**SUBJECT, "national_id": "123-45-6789"},
        headers=admin_headers,
    )
    body = _assert_problem(resp, 422, "validation-error")
    assert body["errors"][0]["field"] == "national_id"  # type: ignore[index]


def test_duplicate_national_id_is_409_and_writes_nothing(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    first = client.post(
        "/v1/sandbox/subjects",
        json={**SUBJECT, "national_id": "000-99-0001"},
        headers=admin_headers,
    )
    assert first.status_code == 201
    before = _counts(session)
    resp = client.post(
        "/v1/sandbox/subjects",
        json={**SUBJECT, "national_id": "000-99-0001"},
        headers=admin_headers,
    )
    _assert_problem(resp, 409, "conflict")
    assert _counts(session) == before


def test_keys_are_stored_hashed(
    client: TestClient, session: Session, make_subject: Callable[..., Actor]
) -> None:
    from service.principals.models import ApiKey

    subject = make_subject()
    stored = session.scalars(select(ApiKey.key_hash).where(ApiKey.principal_id == subject.id))
    hashes = list(stored)
    assert len(hashes) == 1
    assert subject.api_key not in hashes[0]
    assert len(hashes[0]) == 64


def test_nul_characters_are_refused_in_bodies_and_queries(
    client: TestClient,
    session: Session,
    admin_headers: dict[str, str],
    make_auditor: Callable[..., Actor],
) -> None:
    before = _counts(session)
    resp = client.post(
        "/v1/sandbox/subjects", json={**SUBJECT, "given_name": "A\x00B"}, headers=admin_headers
    )
    body = _assert_problem(resp, 422, "validation-error")
    assert body["errors"][0]["field"] == "given_name"  # type: ignore[index]
    assert _counts(session) == before
    auditor = make_auditor()
    resp = client.get("/v1/audit/events", params={"subject_id": "sub\x00"}, headers=auditor.headers)
    body = _assert_problem(resp, 422, "validation-error")
    assert body["errors"][0]["field"] == "query.subject_id"  # type: ignore[index]


def test_unknown_query_parameter_is_refused(
    client: TestClient, make_auditor: Callable[..., Actor]
) -> None:
    auditor = make_auditor()
    resp = client.get("/v1/audit/verify", params={"fast": "yes"}, headers=auditor.headers)
    body = _assert_problem(resp, 422, "validation-error")
    assert body["errors"][0]["field"] == "query.fast"  # type: ignore[index]


def _documented_title(app: FastAPI, path: str, method: str, status: int) -> str:
    responses = app.openapi()["paths"][path][method]["responses"]
    example = responses[str(status)]["content"]["application/problem+json"]["example"]
    assert responses[str(status)]["description"] == example["title"]
    return str(example["title"])


def test_a_problem_has_the_title_its_operation_documents(
    app: FastAPI, client: TestClient, make_lender: Callable[..., Actor]
) -> None:
    no_key = client.get("/v1/me/report")
    assert no_key.json()["title"] == _documented_title(app, "/v1/me/report", "get", 401)
    wrong_role = client.get("/v1/me/report", headers=make_lender().headers)
    assert wrong_role.json()["title"] == _documented_title(app, "/v1/me/report", "get", 403)
    missing = client.get("/v1/models/no-such-model")
    assert missing.status_code == 404
    assert missing.json()["title"] == _documented_title(app, "/v1/models/{version}", "get", 404)


def test_an_unknown_path_has_the_same_title_as_any_other_404(client: TestClient) -> None:
    unknown_path = client.get("/v1/nothing-here").json()
    unknown_model = client.get("/v1/models/no-such-model").json()
    assert unknown_path["type"] == unknown_model["type"] == PROBLEM_BASE + "not-found"
    assert unknown_path["title"] == unknown_model["title"]


def test_a_body_that_is_not_json_is_a_400_problem_and_writes_nothing(
    client: TestClient, session: Session, admin_headers: dict[str, str]
) -> None:
    before = _counts(session)
    resp = client.post(
        "/v1/sandbox/subjects",
        content=b'{"given_name": "Nova",',
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    body = _assert_problem(resp, 400, "malformed-body")
    assert "not valid JSON" in str(body["detail"])
    assert _counts(session) == before
