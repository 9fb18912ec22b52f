"""Who the caller is decides first: a missing or unknown key is 401 and a role that may not
call is 403 even when the body or the query is also wrong (422), on every database. (On a
database served from worker threads the caller is read inside the route's transaction, after
FastAPI has validated the request: ``service.core.deps.InTransaction``.)"""

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.conftest import Actor

BAD_CONSENT = {"lender_id": "len_x", "purpose": "marketing", "scope": ["report"]}


def test_no_key_and_a_bad_body_is_401(client: TestClient) -> None:
    resp = client.post("/v1/me/consents", json=BAD_CONSENT)
    assert resp.status_code == 401, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")


def test_an_unknown_key_and_a_bad_body_is_401(client: TestClient) -> None:
    headers = {"Authorization": "Bearer cf_subject_not_a_key_of_anyone"}
    resp = client.post("/v1/me/consents", json=BAD_CONSENT, headers=headers)
    assert resp.status_code == 401, resp.text
    assert resp.json()["detail"] == "The API key is not valid."


def test_a_role_that_may_not_call_and_a_bad_body_is_403(
    client: TestClient, make_lender: Callable[..., Actor]
) -> None:
    lender = make_lender()
    resp = client.post("/v1/me/consents", json=BAD_CONSENT, headers=lender.headers)
    assert resp.status_code == 403, resp.text
    assert "lender role may not do this" in resp.json()["detail"]


def test_a_role_that_may_not_call_and_an_unknown_query_is_403(
    client: TestClient, make_lender: Callable[..., Actor]
) -> None:
    lender = make_lender()
    resp = client.get("/v1/me/report?nonsense=1", headers=lender.headers)
    # The unknown query is refused by an app-wide check that runs before any route's own.
    assert resp.status_code == 422, resp.text
    resp = client.get("/v1/me/notices?limit=-5", headers=lender.headers)
    assert resp.status_code == 403, resp.text


def test_the_caller_with_a_bad_body_gets_the_422(
    client: TestClient, make_subject: Callable[..., Actor]
) -> None:
    subject = make_subject()
    resp = client.post("/v1/me/consents", json=BAD_CONSENT, headers=subject.headers)
    assert resp.status_code == 422, resp.text


def test_a_route_without_a_session_of_its_own_knows_its_caller(
    client: TestClient, admin_headers: dict[str, str], make_subject: Callable[..., Actor]
) -> None:
    # GET /v1/sandbox/clock takes the caller but not the session: it is read all the same.
    assert client.get("/v1/sandbox/clock", headers=admin_headers).status_code == 200
    subject = make_subject()
    resp = client.get("/v1/sandbox/clock", headers=subject.headers)
    assert resp.status_code == 403, resp.text
