"""A running server resolves what falls due on the sandbox clock by itself, on a schedule."""

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.core import clock
from service.core.config import Settings
from service.core.db import make_engine, make_sessionmaker
from service.core.migrate import upgrade
from tests.factories import account_body

ADMIN = {"Authorization": "Bearer cf_admin_scheduler_test_key"}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    """A server of its own (its own SQLite file), run with its lifespan, due work every
    50 ms."""
    url = f"sqlite:///{tmp_path / 'scheduled.db'}"
    upgrade(url)
    settings = Settings(
        database_url=url,
        admin_key=ADMIN["Authorization"].removeprefix("Bearer "),
        load_fixtures=False,
        due_work_interval_seconds=0.05,
        webhook_worker=False,
    )
    with TestClient(create_app(settings)) as client:
        yield client, url


def _post(client: TestClient, path: str, body: Any, headers: dict[str, str]) -> Any:
    resp = client.post(path, json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_a_deadline_passing_on_the_ticking_clock_resolves_by_itself(
    served: tuple[TestClient, str],
) -> None:
    client, url = served
    subject = _post(
        client,
        "/v1/sandbox/subjects",
        {"given_name": "Sched", "family_name": "Uler", "date_of_birth": "1980-01-01"},
        ADMIN,
    )
    furnisher = _post(client, "/v1/sandbox/furnishers", {"name": "Fictional Sched Co"}, ADMIN)
    who = {"Authorization": f"Bearer {subject['api_key']}"}
    put = client.put(
        "/v1/furnisher/accounts/card-1",
        json=account_body(subject["id"]),
        headers={"Authorization": f"Bearer {furnisher['api_key']}"},
    )
    account = put.json()
    dispute = _post(
        client,
        "/v1/me/disputes",
        {
            "item_type": "account",
            "item_id": account["id"],
            "reason_code": "not_mine",
            "description": "Not mine.",
        },
        who,
    )
    # The clock passes the deadline as time goes by: set it behind the API's back, so that
    # nothing but the schedule can run the deadline.
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        clock.set_now(session, clock.now(session) + timedelta(days=31))
        session.commit()
    engine.dispose()
    deadline = time.monotonic() + 10
    status = "open"
    while status == "open" and time.monotonic() < deadline:
        time.sleep(0.05)
        status = client.get(f"/v1/me/disputes/{dispute['id']}", headers=who).json()["status"]
    assert status == "resolved"
    report = client.get("/v1/me/report", headers=who).json()
    assert report["accounts"] == []
