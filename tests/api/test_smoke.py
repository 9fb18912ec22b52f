from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.conftest import Actor


def test_health(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_subject_reads_empty_report_and_it_is_logged(
    client: TestClient, make_subject: Callable[..., Actor]
) -> None:
    subject = make_subject()
    resp = client.get("/v1/me/report", headers=subject.headers)
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert report["subject"]["id"] == subject.id
    assert report["accounts"] == []
    log = client.get("/v1/me/access-log", headers=subject.headers).json()
    assert [e["action"] for e in log["items"]] == ["report.read", "file.opened"]
