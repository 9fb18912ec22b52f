"""Metro 2 over HTTP: check, import (matching, money, rejections, idempotency), stored
imports, export, and hostile files answered with 4xx problems."""

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Actor
from tests.metro2_files import CARD, HEADER, metro2_file

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
URL = "/v1/furnisher/metro2"


@pytest.fixture
def people(
    set_clock: Callable[[datetime], datetime],
    make_subject: Callable[..., Actor],
    make_furnisher: Callable[..., Actor],
) -> tuple[Actor, Actor, Actor]:
    set_clock(NOW)
    subject = make_subject(
        given_name="Ada",
        family_name="Tester",
        date_of_birth="1985-04-12",
        national_id="000-12-3456",
    )
    return subject, make_furnisher(), make_furnisher()


def _card(**changes: Any) -> dict[str, Any]:
    return {**CARD, **changes}


def _import(client: TestClient, furnisher: Actor, data: bytes, **headers: str) -> Any:
    return client.post(URL, content=data, headers={**furnisher.headers, **headers})


def test_import_creates_then_an_equal_file_changes_nothing(
    client: TestClient, people: tuple[Actor, Actor, Actor]
) -> None:
    subject, furnisher, _ = people
    first = _import(client, furnisher, metro2_file([_card()]))
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["created"], body["unchanged"], body["rejected"]) == (1, 0, [])
    again = _import(client, furnisher, metro2_file([_card()])).json()
    assert (again["accepted"], again["unchanged"]) == (0, 1)
    report = client.get("/v1/me/report", headers=subject.headers).json()
    (account,) = report["accounts"]
    assert account["balance_cents"] == 45000
    assert account["credit_limit_cents"] == 500000
    assert len(account["versions"]) == 1
    stored = client.get(f"{URL}/imports/{body['import_id']}", headers=furnisher.headers)
    assert stored.json() == body


def test_a_change_is_a_new_version_and_cents_below_a_dollar_are_unchanged(
    client: TestClient, people: tuple[Actor, Actor, Actor]
) -> None:
    subject, furnisher, _ = people
    put = client.put(
        "/v1/furnisher/accounts/CARD-0001",
        json={
            "subject_id": subject.id,
            "account_type": "revolving",
            "opened_on": "2020-01-05",
            "credit_limit_cents": 500099,
            "balance_cents": 45075,
            "past_due_cents": 0,
            "status": "11",
            "payment_history": "000000000000BBBBBBBBBBBB",
            "as_of": "2026-11-01",
        },
        headers=furnisher.headers,
    )
    assert put.status_code == 201, put.text
    same = _import(client, furnisher, metro2_file([_card()])).json()
    assert same["unchanged"] == 1, same
    closed = _card(
        accountStatus="13", paymentRating="0", currentBalance=0, dateClosed=date(2026, 11, 1)
    )
    changed = _import(client, furnisher, metro2_file([closed])).json()
    assert changed["updated"] == 1, changed
    (account,) = client.get("/v1/me/report", headers=subject.headers).json()["accounts"]
    assert account["status"] == "13"
    assert account["balance_cents"] == 0
    assert account["credit_limit_cents"] == 500099
    assert account["versions"][-1]["changed"] == ["balance_cents", "status", "closed_on"]


def test_rejected_records_say_why_and_write_nothing(
    client: TestClient, people: tuple[Actor, Actor, Actor]
) -> None:
    subject, furnisher, _ = people
    records = [
        _card(consumerAccountNumber="NOBODY", socialSecurityNumber=999999),
        _card(consumerAccountNumber="WRONG-DOB", dateBirth=date(1990, 1, 1)),
        _card(consumerAccountNumber="WRONG-NAME", firstName="EVE"),
        _card(consumerAccountNumber="BAD-STATUS", accountStatus="1X"),
        _card(consumerAccountNumber="REAL-SSN", socialSecurityNumber=123456789),
        _card(consumerAccountNumber="NOT-KEPT", accountStatus="05", paymentRating="0"),
    ]
    body = _import(client, furnisher, metro2_file(records)).json()
    assert body["accepted"] == 0
    rules = {r["account_ref"]: {x["rule"] for x in r["reasons"]} for r in body["rejected"]}
    assert rules == {
        "NOBODY": {"import.match"},
        "WRONG-DOB": {"import.match"},
        "WRONG-NAME": {"import.match"},
        "BAD-STATUS": {"code.accountStatus"},
        "REAL-SSN": {"fictional.ssn"},
        "NOT-KEPT": {"import.unsupported"},
    }
    assert [r["record"] for r in body["rejected"]] == [2, 3, 4, 5, 6, 7]
    assert client.get("/v1/me/report", headers=subject.headers).json()["accounts"] == []


def test_a_furnishing_rule_rejects_like_the_json_api(
    client: TestClient, people: tuple[Actor, Actor, Actor]
) -> None:
    _, furnisher, _ = people
    assert _import(client, furnisher, metro2_file([_card()])).status_code == 201
    older = _card(dateAccountInformation=date(2026, 10, 1))
    body = _import(client, furnisher, metro2_file([older])).json()
    (rejection,) = body["rejected"]
    assert rejection["reasons"][0]["field"] == "dateAccountInformation"


def test_idempotency_key_replays_and_refuses_another_file(
    client: TestClient, people: tuple[Actor, Actor, Actor]
) -> None:
    _, furnisher, _ = people
    first = _import(client, furnisher, metro2_file([_card()]), **{"Idempotency-Key": "k1"})
    replay = _import(client, furnisher, metro2_file([_card()]), **{"Idempotency-Key": "k1"})
    assert replay.json() == first.json()
    other = _import(
        client, furnisher, metro2_file([_card(currentBalance=9)]), **{"Idempotency-Key": "k1"}
    )
    assert other.status_code == 409
    assert other.json()["type"].endswith("/idempotency-key-reused")


def test_export_is_valid_reimports_unchanged_and_is_the_furnishers_own(
    client: TestClient, people: tuple[Actor, Actor, Actor]
) -> None:
    _, furnisher, other = people
    assert _import(client, furnisher, metro2_file([_card()])).status_code == 201
    exported = client.get(URL, params={"as_of": "2026-11-15"}, headers=furnisher.headers)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/plain")
    check = client.post(f"{URL}/check", content=exported.content, headers=furnisher.headers)
    assert check.json()["valid"] is True, check.json()
    assert check.json()["base_records"] == 1
    again = _import(client, furnisher, exported.content).json()
    assert (again["unchanged"], again["accepted"], again["rejected"]) == (1, 0, [])
    theirs = client.get(URL, headers=other.headers)
    assert theirs.content.count(b"\n") == 2  # header and trailer: no account of another
    before = client.get(URL, params={"as_of": "2026-10-01"}, headers=furnisher.headers)
    assert before.content.count(b"\n") == 2  # the account's data is as of 2026-11-01


def test_export_carries_the_dispute_compliance_code(
    client: TestClient, people: tuple[Actor, Actor, Actor], session: Any
) -> None:
    from service.furnishing.models import Account

    _, furnisher, _ = people
    assert _import(client, furnisher, metro2_file([_card()])).status_code == 201
    account = session.query(Account).filter_by(account_ref="CARD-0001").one()
    account.compliance_condition_code = "XB"
    session.flush()
    text = client.get(URL, headers=furnisher.headers).content.decode()
    assert text.splitlines()[1][152:154] == "XB"


def test_another_furnishers_import_is_not_found(
    client: TestClient, people: tuple[Actor, Actor, Actor]
) -> None:
    _, furnisher, other = people
    made = _import(client, furnisher, metro2_file([_card()])).json()
    resp = client.get(f"{URL}/imports/{made['import_id']}", headers=other.headers)
    assert resp.status_code == 404


def test_a_file_level_error_refuses_the_whole_import(
    client: TestClient, people: tuple[Actor, Actor, Actor]
) -> None:
    subject, furnisher, _ = people
    lines = metro2_file([_card()]).decode().splitlines()
    lines[-1] = lines[-1][:11] + "000000007" + lines[-1][20:]
    resp = _import(client, furnisher, ("\n".join(lines) + "\n").encode())
    assert resp.status_code == 422
    assert resp.json()["type"].endswith("/metro2-invalid")
    assert client.get("/v1/me/report", headers=subject.headers).json()["accounts"] == []


HOSTILE = {
    "empty": b"",
    "truncated": metro2_file([CARD])[:700],
    "binary": bytes(range(256)) * 4,
    "mis-encoded": metro2_file([{**CARD, "surname": "TESTER"}]).replace(
        b"TESTER", "TÉSTER".encode("utf-16")
    ),
    "latin-1": metro2_file([CARD]).replace(b"TESTER", "TÉSTE".encode("latin-1") + b"R"),
    "json": b'{"header": {}}',
    "no trailer": b"\n".join(metro2_file([CARD]).splitlines()[:2]) + b"\n",
    "packed": b"\x01\x6e\x00\x00HEADER" + b" " * 356,
}


@pytest.mark.parametrize("path", [URL, f"{URL}/check"])
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_get_a_4xx_problem(
    client: TestClient, people: tuple[Actor, Actor, Actor], path: str, name: str
) -> None:
    _, furnisher, _ = people
    resp = client.post(path, content=HOSTILE[name], headers=furnisher.headers)
    assert 400 <= resp.status_code < 500, resp.text
    assert resp.headers["content-type"] == "application/problem+json"


def test_the_upload_has_its_own_limit_and_json_keeps_1_mib(
    client: TestClient, people: tuple[Actor, Actor, Actor]
) -> None:
    _, furnisher, _ = people
    big = metro2_file([{**CARD, "consumerAccountNumber": f"C{i}"} for i in range(3000)])
    assert len(big) > 1024 * 1024
    resp = client.post(f"{URL}/check", content=big, headers=furnisher.headers)
    assert resp.status_code == 200, resp.text[:500]
    assert resp.json()["valid"]
    json_body = client.put(
        "/v1/furnisher/accounts/X", content=b" " * (1024 * 1024 + 1), headers=furnisher.headers
    )
    assert json_body.status_code == 413


def test_a_file_over_the_metro2_limit_is_413(app: Any, client: TestClient, people: Any) -> None:
    _, furnisher, _ = people
    huge = str(app.state.settings.max_metro2_bytes + 1)
    resp = client.post(URL, content=b"x", headers={**furnisher.headers, "Content-Length": huge})
    assert resp.status_code == 413
    assert "CLEARFILE_MAX_METRO2_BYTES" in resp.json()["detail"]


def test_header_activity_is_reported(client: TestClient, people: Any) -> None:
    _, furnisher, _ = people
    body = _import(client, furnisher, metro2_file([_card()], header=HEADER)).json()
    assert body["as_of"] == "2026-11-01"


def _events(client: TestClient, who: Actor) -> list[dict[str, Any]]:
    resp = client.get("/v1/events", headers=who.headers)
    assert resp.status_code == 200, resp.text
    return list(resp.json()["items"])


def test_an_import_tells_each_account_change_once_to_its_subject_and_furnisher(
    client: TestClient, people: tuple[Actor, Actor, Actor]
) -> None:
    subject, furnisher, other = people
    created = _import(client, furnisher, metro2_file([_card()]))
    assert created.status_code == 201, created.text
    changed = _import(client, furnisher, metro2_file([_card(currentBalance=500)]))
    assert changed.status_code == 201, changed.text
    assert changed.json()["updated"] == 1, changed.text
    told = {who: _events(client, actor) for who, actor in (("s", subject), ("f", furnisher))}
    for events in told.values():
        assert [e["type"] for e in events] == ["account.created", "account.updated"]
        assert len({e["id"] for e in events}) == 2
        assert [e["data"]["version"] for e in events] == [1, 2]
        assert events[1]["data"]["changed"] == ["balance_cents"]
    assert told["s"][0]["data"]["furnisher_id"] == furnisher.id
    assert told["f"][0]["data"]["subject_id"] == subject.id
    assert {e["data"]["account_ref"] for e in told["s"] + told["f"]} == {"CARD-0001"}
    assert _events(client, other) == []
