"""Scoring through HTTP: the published models, each persona's score with the reasons
and recourse its story implies, simulations, receipts and the score history."""

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from schemas.scoring import MAX_SIMULATED_MONTHS
from service.scoring import service as scoring_service
from service.scoring.engine import recourse
from service.scoring.engine.scorecard import CURRENT_VERSION, SCORECARDS_DIR
from service.scoring.rules import INQUIRY_CHARACTERISTIC, MAX_KEY_FACTORS
from tests.unit.scoring_factories import TEST_MODEL_PATH

PERSONAS = (
    "ada_testwell",
    "thin_filesworth",
    "maxine_limitreach",
    "percy_pastdue",
    "colette_chargewell",
    "chester_sevenfold",
    "ivy_notmine",
    "agnes_fadeaway",
    "tessa_twentyfold",
    "hardy_pullman",
)
CARD_CO = {"Authorization": "Bearer cf_furnisher_sandbox_card_co"}
SHIPPED_MODEL = SCORECARDS_DIR / f"{CURRENT_VERSION}.json"


def key(persona: str) -> dict[str, str]:
    return {"Authorization": f"Bearer cf_subject_sandbox_{persona}"}


@pytest.fixture
def sandbox(client: TestClient, admin_headers: dict[str, str]) -> TestClient:
    """A client on a freshly reset sandbox: the personas loaded at wall time."""
    resp = client.post("/v1/sandbox/reset", headers=admin_headers)
    assert resp.status_code == 200, resp.text
    return client


@pytest.fixture
def test_model(monkeypatch: pytest.MonkeyPatch) -> str:
    """Score with the unit tests' hand-made model, whose points are easy to add up."""
    monkeypatch.setattr(scoring_service, "MODEL_DIRECTORY", TEST_MODEL_PATH.parent)
    monkeypatch.setattr(scoring_service, "CURRENT_MODEL", TEST_MODEL_PATH.stem)
    return TEST_MODEL_PATH.stem


def get_json(client: TestClient, url: str, headers: dict[str, str] | None = None) -> Any:
    resp = client.get(url, headers=headers or {})
    assert resp.status_code == 200, resp.text
    return resp.json()


def score_of(client: TestClient, persona: str) -> dict[str, Any]:
    body: dict[str, Any] = get_json(client, "/v1/me/score", key(persona))
    return body


def simulate(
    client: TestClient, persona: str, changes: list[dict[str, Any]], status: int = 200
) -> dict[str, Any]:
    resp = client.post("/v1/me/score/simulate", json={"changes": changes}, headers=key(persona))
    assert resp.status_code == status, resp.text
    body: dict[str, Any] = resp.json()
    return body


def code_of(client: TestClient, characteristic: str) -> str:
    """The reason code the current model gives a characteristic."""
    model = get_json(client, f"/v1/models/{CURRENT_VERSION}")
    return str(
        next(c for c in model["characteristics"] if c["name"] == characteristic)["reason_code"]
    )


def accounts_of(client: TestClient, persona: str) -> dict[str, dict[str, Any]]:
    report = get_json(client, "/v1/me/report", key(persona))
    return {a["account_ref"]: a for a in report["accounts"]}


def factor(body: dict[str, Any], characteristic: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        f for f in body["factors"] if f["characteristic"] == characteristic
    )
    return found


def values_of(client: TestClient, persona: str, body: dict[str, Any]) -> dict[str, Any]:
    """Every characteristic's value as the score's receipt stores it (the model's or not)."""
    receipt = get_json(client, f"/v1/me/score/receipts/{body['receipt_id']}", key(persona))
    values: dict[str, Any] = receipt["characteristics"]
    return values


def actions_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    actions: list[dict[str, Any]] = body["actions"]
    return actions


# --- the published models ------------------------------------------------------------------


def test_models_are_public_and_name_the_current_one(client: TestClient) -> None:
    body = get_json(client, "/v1/models")
    current = [m for m in body["items"] if m["current"]]
    assert [m["version"] for m in current] == [CURRENT_VERSION]
    assert current[0]["score_range"] == {"min": 300, "max": 850}
    assert body["next_cursor"] is None
    # A key is not needed, and any role's key is fine.
    assert client.get("/v1/models", headers=CARD_CO).status_code == 200


def test_a_published_model_is_the_whole_scorecard(client: TestClient) -> None:
    published = get_json(client, f"/v1/models/{CURRENT_VERSION}")
    on_disk = json.loads(SHIPPED_MODEL.read_text(encoding="utf-8"))
    assert published["version"] == on_disk["version"] == CURRENT_VERSION
    assert published["current"] is True
    assert published["scaling"] == on_disk["scaling"]
    assert published["score_range"] == on_disk["score_range"]
    assert published["fit"]["metrics"] == on_disk["fit"]["metrics"]
    assert len(published["characteristics"]) == len(on_disk["characteristics"])
    for shown, stored in zip(published["characteristics"], on_disk["characteristics"], strict=True):
        for name in ("name", "title", "definition", "window", "kind", "reason_code", "reason_text"):
            assert shown[name] == stored[name]
        assert [(b["label"], b["points"]) for b in shown["bins"]] == [
            (b["label"], b["points"]) for b in stored["bins"]
        ]
        assert shown["max_points"] == max(b["points"] for b in stored["bins"])


def test_an_unknown_model_is_a_404_problem(client: TestClient) -> None:
    resp = client.get("/v1/models/cf-1999.01")
    assert resp.status_code == 404
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["type"].endswith("/not-found")


def test_models_are_listed_by_version_a_page_at_a_time(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shutil.copy(SHIPPED_MODEL, tmp_path)
    shutil.copy(TEST_MODEL_PATH, tmp_path)
    monkeypatch.setattr(scoring_service, "MODEL_DIRECTORY", tmp_path)
    first = get_json(client, "/v1/models?limit=1")
    assert len(first["items"]) == 1
    assert first["next_cursor"]
    second = get_json(client, f"/v1/models?limit=1&cursor={first['next_cursor']}")
    assert second["next_cursor"] is None
    versions = [first["items"][0]["version"], second["items"][0]["version"]]
    assert versions == sorted([CURRENT_VERSION, TEST_MODEL_PATH.stem])
    assert client.get("/v1/models?cursor=bm90LWEtY3Vyc29y").status_code == 422


# --- scores, hand-computed under the test model ------------------------------------------


def test_the_clean_long_file_earns_every_maximum(sandbox: TestClient, test_model: str) -> None:
    # Ada, under the hand-made model: no delinquency (80 + 75 + 80), no derogatory item (80),
    # 840 of 17,000 dollars of limits used (4.9 %: 95), two open accounts with a balance
    # (70), oldest account 204 months (80), average age (204+192+144+108+72)/5 = 144 months
    # (65), no inquiry (70), no new account (65), cards and loans (65): 825, every factor at
    # its maximum, so no reason.
    body = score_of(sandbox, "ada_testwell")
    assert body["model_version"] == test_model
    assert body["score"] == 825
    assert body["reasons"] == []
    assert all(f["points"] == f["max_points"] for f in body["factors"])
    assert factor(body, "revolving_utilisation_pct")["value"] == pytest.approx(
        100 * 84000 / 1700000
    )
    assert factor(body, "average_account_age_months")["value"] == 144


def test_high_utilisation_costs_points_and_names_the_reason(
    sandbox: TestClient, test_model: str
) -> None:
    # Maxine: 17,605 of 18,000 dollars used (97.8 %: 30 of 95) and four accounts with a
    # balance (60 of 70); everything else at its maximum (oldest 96 months: 80; average
    # (96+60+36+24)/4 = 54 months: 65). 825 - 65 - 10 = 750.
    body = score_of(sandbox, "maxine_limitreach")
    assert body["score"] == 750
    assert [(r["code"], r["points_below_max"]) for r in body["reasons"]] == [
        ("U01", 65),
        ("B01", 10),
    ]
    utilisation = factor(body, "revolving_utilisation_pct")
    assert (utilisation["bin"], utilisation["points"], utilisation["max_points"]) == (
        "[75, inf)",
        30,
        95,
    )


# --- each persona's story, under the shipped model -------------------------------------------


def test_the_thin_file_gets_no_score_the_reason_and_the_way_to_one(sandbox: TestClient) -> None:
    body = score_of(sandbox, "thin_filesworth")
    assert body["score"] is None
    assert [r["code"] for r in body["no_score_reasons"]] == ["NS01"]
    assert body["factors"] == []
    assert body["reasons"] == []
    (wait,) = actions_of(body)
    assert wait["kind"] == "months_pass"
    assert wait["points_gain"] is None
    assert 1 <= wait["months"] <= 6
    assert simulate(sandbox, "thin_filesworth", wait["changes"])["score"] == wait["score"]
    shorter = [{"kind": "months_pass", "months": wait["months"] - 1}] if wait["months"] > 1 else []
    if shorter:
        assert simulate(sandbox, "thin_filesworth", shorter)["score"] is None


def test_the_clean_long_file_scores_above_lates_charge_offs_and_bankruptcy(
    sandbox: TestClient,
) -> None:
    clean = score_of(sandbox, "ada_testwell")["score"]
    for persona in ("percy_pastdue", "colette_chargewell", "chester_sevenfold"):
        assert clean > score_of(sandbox, persona)["score"], persona


def test_lates_and_derogatory_items_are_what_the_stories_say(sandbox: TestClient) -> None:
    # The values are read from the receipts: the shipped model leaves worst delinquency out
    # (its coefficient had the wrong sign next to the count of lates), but the file has it.
    percy = score_of(sandbox, "percy_pastdue")
    assert values_of(sandbox, "percy_pastdue", percy)["worst_delinquency_24m"] == 3  # 90 days
    assert factor(percy, "lates_30plus_24m")["value"] == 6  # 3-2-1, 2-1 and 1
    colette = score_of(sandbox, "colette_chargewell")
    assert factor(colette, "derogatory_count")["value"] == 2  # a charge-off, a collection
    chester = score_of(sandbox, "chester_sevenfold")
    assert factor(chester, "derogatory_count")["value"] == 3  # the bankruptcy, 2 charge-offs
    for persona, body in (("colette_chargewell", colette), ("chester_sevenfold", chester)):
        assert values_of(sandbox, persona, body)["worst_delinquency_24m"] == 7
        codes = [r["code"] for r in body["reasons"]]
        assert code_of(sandbox, "derogatory_count") in codes


def test_high_utilisation_leads_the_reasons_and_paying_down_is_the_best_action(
    sandbox: TestClient,
) -> None:
    body = score_of(sandbox, "maxine_limitreach")
    assert body["reasons"][0]["code"] == code_of(sandbox, "revolving_utilisation_pct")
    best = actions_of(body)[0]
    assert best["kind"] == "pay_down"
    assert best["points_gain"] > 0
    cards = {a["id"] for a in accounts_of(sandbox, "maxine_limitreach").values()}
    assert {c["account_id"] for c in best["changes"]} <= cards
    # The gain is exact: simulating the action's own changes gives it.
    result = simulate(sandbox, "maxine_limitreach", best["changes"])
    assert result["score"] == best["score"] == body["score"] + best["points_gain"]
    assert result["difference"] == best["points_gain"]


def test_recent_hard_inquiries_are_a_reason(sandbox: TestClient) -> None:
    body = score_of(sandbox, "hardy_pullman")
    assert factor(body, INQUIRY_CHARACTERISTIC)["value"] == 4  # not the soft ones or the old one
    assert code_of(sandbox, INQUIRY_CHARACTERISTIC) in [r["code"] for r in body["reasons"]]


def test_an_item_about_to_age_off_raises_the_score_when_time_passes(sandbox: TestClient) -> None:
    body = score_of(sandbox, "agnes_fadeaway")
    after = simulate(sandbox, "agnes_fadeaway", [{"kind": "months_pass", "months": 1}])
    assert after["baseline_score"] == body["score"]
    assert factor(after, "derogatory_count")["value"] == 0  # the collection left the file
    assert after["difference"] > 0


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_explanation_adds_up(sandbox: TestClient, persona: str) -> None:
    body = score_of(sandbox, persona)
    model = get_json(sandbox, f"/v1/models/{CURRENT_VERSION}")
    if body["score"] is None:
        return
    assert [f["characteristic"] for f in body["factors"]] == [
        c["name"] for c in model["characteristics"]
    ]
    low, high = model["score_range"]["min"], model["score_range"]["max"]
    assert body["score"] == min(max(sum(f["points"] for f in body["factors"]), low), high)
    by_code = {c["reason_code"]: c["name"] for c in model["characteristics"]}
    below = [r["points_below_max"] for r in body["reasons"]]
    for reason in body["reasons"]:
        f = factor(body, by_code[reason["code"]])
        assert reason["points_below_max"] == f["max_points"] - f["points"] > 0
    if len(below) > MAX_KEY_FACTORS:  # the 5th is inquiries, when short and not in the 4
        assert len(below) == MAX_KEY_FACTORS + 1
        assert by_code[body["reasons"][-1]["code"]] == INQUIRY_CHARACTERISTIC
        below = below[:MAX_KEY_FACTORS]
    assert below == sorted(below, reverse=True)
    for action in actions_of(body):
        assert action["points_gain"] > 0
        assert action["score"] == body["score"] + action["points_gain"]


# --- reasons that read true ----------------------------------------------------------------

#: Words that claim something adverse about a value.
CLAIMS = (
    "high",
    "too many",
    "too little",
    "recent",
    "low",
    "short",
    "young",
    "serious",
    "derogatory",
    "no mix",
)


def _written(value: float) -> str:
    """A number as a statement writes it: at most one decimal, no trailing zeros."""
    return f"{round(value, 1):,.1f}".rstrip("0").rstrip(".")


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_reason_names_the_value_and_claims_only_what_the_value_bears_out(
    sandbox: TestClient, persona: str
) -> None:
    body = score_of(sandbox, persona)
    model = get_json(sandbox, f"/v1/models/{CURRENT_VERSION}")
    population_bad_rate = model["fit"]["bad_rate_train"]
    by_code = {c["reason_code"]: c for c in model["characteristics"]}
    values = values_of(sandbox, persona, body)
    for reason in body["reasons"]:
        c = by_code[reason["code"]]
        value = values[c["name"]]
        text = reason["text"]
        assert "the most points go to" in text, text
        if isinstance(value, int | float) and value != 0:
            assert _written(value) in text, (text, value)
        f = factor(body, c["name"])
        own = next(b for b in c["bins"] if b["label"] == f["bin"])
        if any(word in text.lower() for word in CLAIMS):
            # Claimed adverse: the value's band is documented adverse, and truly riskier
            # than the population the model was fitted on.
            assert own["adverse"] is True, text
            assert own["bad_rate_train"] > population_bad_rate, text
    # The receipt, from its stored values, gives the same words (so does a notice built on it).
    receipt = get_json(sandbox, f"/v1/me/score/receipts/{body['receipt_id']}", key(persona))
    assert receipt["reasons"] == body["reasons"]


def test_low_utilisation_is_never_called_high(sandbox: TestClient) -> None:
    # Ada uses 840 of 17,000 dollars of limits (4.9 %): short of the best band, but safer
    # than the population, so the statement says what it is and where the points are.
    body = score_of(sandbox, "ada_testwell")
    utilisation = next(r for r in body["reasons"] if r["code"] == "U01")
    assert utilisation["text"] == (
        "Revolving utilisation is 4.9 %; the most points go to under 1.3 %"
    )
    assert "high" not in utilisation["text"]


def test_high_utilisation_is_called_high(sandbox: TestClient) -> None:
    body = score_of(sandbox, "maxine_limitreach")
    assert body["reasons"][0]["text"] == (
        "Balances on revolving accounts are high relative to their limits: revolving "
        "utilisation is 97.8 %; the most points go to under 1.3 %"
    )


# --- receipts and history ------------------------------------------------------------------


def test_a_receipt_of_the_previous_model_still_recomputes_under_it(
    sandbox: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Scored while cf-2026.11 was current; read back once cf-2026.12 is.
    assert CURRENT_VERSION != "cf-2026.11"
    with monkeypatch.context() as patch:
        patch.setattr(scoring_service, "CURRENT_MODEL", "cf-2026.11")
        body = score_of(sandbox, "maxine_limitreach")
    assert body["model_version"] == "cf-2026.11"
    receipt = get_json(
        sandbox, f"/v1/me/score/receipts/{body['receipt_id']}", key("maxine_limitreach")
    )
    assert receipt["model_version"] == "cf-2026.11"
    assert receipt["score"] == receipt["recomputed_score"] == body["score"]
    assert receipt["reproducible"] is True
    assert receipt["reasons"] == body["reasons"]
    # cf-2026.11 documents no bin as adverse: its statements claim nothing.
    assert not any("high" in r["text"] for r in receipt["reasons"])
    assert score_of(sandbox, "maxine_limitreach")["model_version"] == CURRENT_VERSION
    assert get_json(sandbox, "/v1/models/cf-2026.11")["version"] == "cf-2026.11"


def test_a_receipt_recomputes_to_the_same_score_from_its_own_inputs(sandbox: TestClient) -> None:
    body = score_of(sandbox, "maxine_limitreach")
    url = f"/v1/me/score/receipts/{body['receipt_id']}"
    receipt = get_json(sandbox, url, key("maxine_limitreach"))
    assert receipt["score"] == receipt["recomputed_score"] == body["score"]
    assert receipt["reproducible"] is True
    assert receipt["model_version"] == body["model_version"]
    assert receipt["factors"] == body["factors"]
    assert receipt["reasons"] == body["reasons"]
    assert receipt["purpose"] == "subject_access"
    assert len(receipt["inputs"]["accounts"]) == 4

    # The card is paid off; the new score differs, the receipt still gives the old one.
    card = get_json(sandbox, "/v1/furnisher/accounts/MAXINE-CARD-1", CARD_CO)
    fields = {
        k: card[k]
        for k in (
            "subject_id",
            "account_type",
            "opened_on",
            "credit_limit_cents",
            "past_due_cents",
            "status",
            "payment_history",
            "as_of",
        )
    }
    resp = sandbox.put(
        "/v1/furnisher/accounts/MAXINE-CARD-1", json={**fields, "balance_cents": 0}, headers=CARD_CO
    )
    assert resp.status_code == 200, resp.text
    assert score_of(sandbox, "maxine_limitreach")["score"] > body["score"]
    again = get_json(sandbox, url, key("maxine_limitreach"))
    assert again["recomputed_score"] == body["score"]
    assert again["reproducible"] is True


def test_the_thin_files_receipt_recomputes_to_no_score(sandbox: TestClient) -> None:
    body = score_of(sandbox, "thin_filesworth")
    receipt = get_json(
        sandbox, f"/v1/me/score/receipts/{body['receipt_id']}", key("thin_filesworth")
    )
    assert receipt["score"] is None
    assert receipt["recomputed_score"] is None
    assert receipt["reproducible"] is True
    assert [r["code"] for r in receipt["no_score_reasons"]] == ["NS01"]


def test_history_lists_my_receipts_newest_first(sandbox: TestClient) -> None:
    first = score_of(sandbox, "ada_testwell")["receipt_id"]
    second = score_of(sandbox, "ada_testwell")["receipt_id"]
    page = get_json(sandbox, "/v1/me/score/history?limit=1", key("ada_testwell"))
    assert [r["id"] for r in page["items"]] == [second]
    rest = get_json(
        sandbox,
        f"/v1/me/score/history?limit=1&cursor={page['next_cursor']}",
        key("ada_testwell"),
    )
    assert [r["id"] for r in rest["items"]] == [first]
    assert rest["next_cursor"] is None
    log = get_json(sandbox, "/v1/me/access-log", key("ada_testwell"))["items"]
    actions = [e["action"] for e in log]
    assert actions.count("score.computed") == 2
    assert "score_history.read" in actions
    computed = next(e for e in log if e["action"] == "score.computed")
    assert (computed["purpose"], computed["resource_id"]) == ("subject_access", second)


def test_anothers_receipt_is_404_like_an_unknown_one(sandbox: TestClient) -> None:
    theirs = score_of(sandbox, "ada_testwell")["receipt_id"]
    resp = sandbox.get(f"/v1/me/score/receipts/{theirs}", headers=key("maxine_limitreach"))
    unknown = sandbox.get("/v1/me/score/receipts/rcp_unknown", headers=key("maxine_limitreach"))
    assert resp.status_code == unknown.status_code == 404
    assert resp.json()["type"] == unknown.json()["type"]
    assert resp.json()["detail"] == unknown.json()["detail"]


def test_a_cursor_this_api_did_not_issue_is_refused(sandbox: TestClient) -> None:
    for cursor in ("garbage", "WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwgIngiXQ"):  # naive time
        resp = sandbox.get(f"/v1/me/score/history?cursor={cursor}", headers=key("ada_testwell"))
        assert resp.status_code == 422, cursor


# --- simulations ---------------------------------------------------------------------------


def test_paying_down_a_revolving_account_never_lowers_the_score(sandbox: TestClient) -> None:
    baseline = score_of(sandbox, "maxine_limitreach")["score"]
    for ref, account in accounts_of(sandbox, "maxine_limitreach").items():
        if account["account_type"] != "revolving":
            continue
        for balance in (0, account["balance_cents"] // 2, account["balance_cents"]):
            change = {"kind": "pay_down", "account_id": account["id"], "balance_cents": balance}
            result = simulate(sandbox, "maxine_limitreach", [change])
            assert result["baseline_score"] == baseline
            assert result["score"] >= baseline, (ref, balance)
            assert result["difference"] == result["score"] - baseline


def test_a_simulation_stores_no_receipt_but_is_audited(sandbox: TestClient) -> None:
    simulate(sandbox, "percy_pastdue", [{"kind": "months_pass", "months": 12}])
    history = get_json(sandbox, "/v1/me/score/history", key("percy_pastdue"))
    assert history["items"] == []
    log = get_json(sandbox, "/v1/me/access-log", key("percy_pastdue"))["items"]
    assert "score.simulated" in [e["action"] for e in log]


def test_anothers_or_an_unknown_account_is_named_in_a_422(sandbox: TestClient) -> None:
    theirs = accounts_of(sandbox, "ada_testwell")["ADA-CARD-1"]["id"]
    answers = []
    for account_id in (theirs, "acc_00000000000000000000"):
        body = simulate(
            sandbox,
            "maxine_limitreach",
            [
                {"kind": "months_pass", "months": 1},
                {"kind": "pay_down", "account_id": account_id, "balance_cents": 0},
            ],
            status=422,
        )
        assert [e["field"] for e in body["errors"]] == ["changes.1.account_id"]
        answers.append((body["type"], body["detail"]))
    assert answers[0] == answers[1]  # nothing tells another's id from an unknown one


Change = dict[str, Any]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            lambda card: [{"kind": "pay_down", "account_id": card, "balance_cents": 10**9}],
            "changes.0.balance_cents",
        ),
        (
            lambda card: [
                {"kind": "close_account", "account_id": card},
                {"kind": "close_account", "account_id": card},
            ],
            "changes.1.account_id",
        ),
        (
            lambda card: [{"kind": "months_pass", "months": MAX_SIMULATED_MONTHS + 1}],
            "changes.0.months_pass.months",
        ),
        (lambda card: [{"kind": "months_pass", "months": 0}], "changes.0.months_pass.months"),
        (lambda card: [{"kind": "wait", "months": 1}], "changes.0"),
        (
            lambda card: [{"kind": "close_account", "account_id": card, "reason": "x"}],
            "changes.0.close_account.reason",
        ),
        (lambda card: [], "changes"),
    ],
)
def test_invalid_changes_are_named(
    sandbox: TestClient, changes: Callable[[str], list[Change]], field: str
) -> None:
    card = accounts_of(sandbox, "maxine_limitreach")["MAXINE-CARD-1"]["id"]
    body = simulate(sandbox, "maxine_limitreach", changes(card), status=422)
    assert field in [e["field"] for e in body["errors"]], body


def test_the_simulation_limit_is_the_recourse_limit() -> None:
    assert MAX_SIMULATED_MONTHS == recourse.MAX_SIMULATED_MONTHS


def test_doing_what_an_action_says_gives_the_score_it_promised_and_new_actions(
    sandbox: TestClient,
) -> None:
    """The score and its actions are kept per subject between requests; a change to the
    file gives a new score and a new search (and every score still writes its receipt)."""
    first = score_of(sandbox, "maxine_limitreach")
    again = score_of(sandbox, "maxine_limitreach")
    assert again["receipt_id"] != first["receipt_id"]
    assert (again["score"], actions_of(again)) == (first["score"], actions_of(first))
    chosen = next(a for a in actions_of(first) if a["kind"] == "pay_down")
    accounts = {a["id"]: a for a in accounts_of(sandbox, "maxine_limitreach").values()}
    fields = ("account_type", "opened_on", "credit_limit_cents", "status", "payment_history")
    for change in chosen["changes"]:
        account = accounts[change["account_id"]]
        body = {k: account[k] for k in fields} | {
            "subject_id": "sub_sandbox_maxine_limitreach",
            "balance_cents": change["balance_cents"],
            "past_due_cents": 0,
            "as_of": account["as_of"],
        }
        ref = account["account_ref"]
        resp = sandbox.put(f"/v1/furnisher/accounts/{ref}", json=body, headers=CARD_CO)
        assert resp.status_code == 200, resp.text
    after = score_of(sandbox, "maxine_limitreach")
    assert after["score"] == chosen["score"]
    assert actions_of(after) != actions_of(first)
    history = get_json(sandbox, "/v1/me/score/history", key("maxine_limitreach"))["items"]
    stored = {r.get("receipt_id", r.get("id")) for r in history}
    assert {first["receipt_id"], again["receipt_id"], after["receipt_id"]} <= stored
