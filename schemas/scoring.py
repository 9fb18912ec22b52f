"""Scoring schemas: the published scorecards, a subject's score, simulations and receipts."""

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from schemas.common import RequestModel, ResponseModel, StrictInt
from schemas.examples import AT, examples

#: A characteristic's value: a number, a category, or null when it is missing.
CharacteristicValue = int | float | str | None

#: The longest stretch a simulation may let pass (service.scoring.engine.recourse, a test
#: keeps the two figures equal).
MAX_SIMULATED_MONTHS = 120
#: The most changes one simulation applies.
MAX_SIMULATED_CHANGES = 20

AccountId = Annotated[str, StringConstraints(min_length=1, max_length=40)]

# --- examples (fictional, like everything here) -------------------------------------------

SCORE_RANGE: dict[str, Any] = {"min": 300, "max": 850}
FACTOR: dict[str, Any] = {
    "characteristic": "revolving_utilisation_pct",
    "title": "Revolving utilisation",
    "value": 98.1,
    "bin": "[75, inf)",
    "points": 30,
    "max_points": 95,
    "points_below_max": 65,
}
REASON: dict[str, Any] = {
    "code": "U01",
    "text": "Balances on revolving accounts are high relative to their limits",
    "characteristic": "revolving_utilisation_pct",
    "points_below_max": 65,
}
ACTION: dict[str, Any] = {
    "kind": "pay_down",
    "description": "Pay MAXINE-CARD-1 at Sandbox Card Co (fictional) down to $2,999.99 "
    "(below 30% of its limit): a payment of $6,680.01",
    "score": 655,
    "points_gain": 31,
    "pay_cents": 668001,
    "months": None,
    "changes": [
        {"kind": "pay_down", "account_id": "acc_5f0c3a9e1b2d4c6e8a7f", "balance_cents": 299999}
    ],
}
SCORE: dict[str, Any] = {
    "score": 624,
    "model_version": "cf-2026.11",
    "receipt_id": "rcp_0a1b2c3d4e5f60718293",
    "computed_at": AT,
    "scored_on": "2026-11-15",
    "score_range": SCORE_RANGE,
    "reasons": [REASON],
    "factors": [FACTOR],
    "no_score_reasons": [],
    "actions": [ACTION],
}
MODEL_SUMMARY: dict[str, Any] = {
    "version": "cf-2026.11",
    "name": "Clearfile generic risk score",
    "description": "A points scorecard fitted on a seeded synthetic population.",
    "score_range": SCORE_RANGE,
    "current": True,
}
MODEL: dict[str, Any] = {
    **MODEL_SUMMARY,
    "target": "90+ days past due or worse within 24 months",
    "scaling": {"base_score": 600, "base_odds": 30.0, "pdo": 40.0},
    "characteristics": [
        {
            "name": "revolving_utilisation_pct",
            "title": "Revolving utilisation",
            "definition": "100 x sum of balances / sum of credit limits over open revolving "
            "accounts that have a limit; missing when there is no open revolving limit",
            "window": "current",
            "kind": "numeric",
            "reason_code": "U01",
            "reason_text": "Balances on revolving accounts are high relative to their limits",
            "max_points": 95,
            "bins": [
                {"label": "missing", "missing": True, "points": 60},
                {"label": "(-inf, 10)", "upper": 10, "points": 95},
                {"label": "[10, 30)", "lower": 10, "upper": 30, "points": 80},
                {"label": "[30, inf)", "lower": 30, "points": 30},
            ],
        }
    ],
    "fit": {"method": "WoE binning + logistic regression", "metrics": {"auc": 0.8}},
}
SIMULATION_REQUEST: dict[str, Any] = {
    "changes": [
        {"kind": "pay_down", "account_id": "acc_5f0c3a9e1b2d4c6e8a7f", "balance_cents": 50000},
        {"kind": "months_pass", "months": 6},
    ]
}
SIMULATION: dict[str, Any] = {
    "score": 668,
    "baseline_score": 624,
    "difference": 44,
    "model_version": "cf-2026.11",
    "scored_on": "2027-05-15",
    "reasons": [{**REASON, "points_below_max": 15}],
    "factors": [{**FACTOR, "value": 22.4, "bin": "[10, 30)", "points": 80}],
    "no_score_reasons": [],
}
RECEIPT_SUMMARY: dict[str, Any] = {
    "id": "rcp_0a1b2c3d4e5f60718293",
    "score": 624,
    "model_version": "cf-2026.11",
    "computed_at": AT,
    "scored_on": "2026-11-15",
    "purpose": "subject_access",
    "requested_by": "sub_sandbox_maxine_limitreach",
    "reason_codes": ["U01", "I01"],
}
RECEIPT: dict[str, Any] = {
    **RECEIPT_SUMMARY,
    "score_range": SCORE_RANGE,
    "recomputed_score": 624,
    "reproducible": True,
    "characteristics": {"revolving_utilisation_pct": 98.1, "credit_mix": "revolving_only"},
    "factors": [FACTOR],
    "reasons": [REASON],
    "no_score_reasons": [],
    "inputs": {
        "accounts": [
            {
                "account_type": "revolving",
                "opened_on": "2018-11-15",
                "credit_limit_cents": 1000000,
                "original_amount_cents": None,
                "balance_cents": 968000,
                "past_due_cents": 0,
                "status": "11",
                "payment_history": "000000000000000000000000",
                "date_of_first_delinquency": None,
                "closed_on": None,
                "as_of": "2026-11-15",
            }
        ],
        "inquiries": [],
        "public_records": [],
    },
}


# --- the published models ------------------------------------------------------------------


class ScoreRange(BaseModel):
    min: int
    max: int


class ModelSummary(ResponseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(MODEL_SUMMARY))

    version: str
    name: str
    description: str
    score_range: ScoreRange
    current: bool = Field(description="Whether this model scores files now")


class ModelBin(BaseModel):
    """One bin: numeric ``[lower, upper)`` (null = infinite), the missing bin, or a set of
    categorical values; a fitted model may document more (counts, weight of evidence)."""

    model_config = ConfigDict(extra="allow")

    label: str
    points: int
    missing: bool = False
    lower: float | None = None
    upper: float | None = None
    values: list[str] | None = None


class ModelCharacteristic(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    title: str
    definition: str
    window: str
    kind: Literal["numeric", "categorical"]
    reason_code: str
    reason_text: str
    max_points: int
    bins: list[ModelBin]


class Scaling(BaseModel):
    base_score: float
    base_odds: float
    pdo: float = Field(description="Points to double the odds")


class ModelRead(BaseModel):
    """The whole published scorecard: what every characteristic means, its bins and their
    points, its reason statement, the scaling, and how the model was fitted."""

    model_config = ConfigDict(extra="allow", json_schema_extra=examples(MODEL))

    version: str
    name: str
    description: str
    current: bool
    score_range: ScoreRange
    scaling: Scaling
    target: str
    characteristics: list[ModelCharacteristic]
    fit: dict[str, Any] | None = Field(
        default=None, description="How the points were fitted, and the held-out metrics"
    )


# --- a score and its explanation -----------------------------------------------------------


class FactorRead(BaseModel):
    characteristic: str
    title: str
    value: CharacteristicValue
    bin: str = Field(description="The label of the bin the value fell in")
    points: int
    max_points: int
    points_below_max: int


class ReasonRead(BaseModel):
    code: str
    text: str
    characteristic: str
    points_below_max: int


class NoScoreReasonRead(BaseModel):
    code: str
    text: str


class PayDownChange(RequestModel):
    """Pay one of my accounts down to a (lower) balance."""

    kind: Literal["pay_down"]
    account_id: AccountId = Field(description="The account's id (acc_...) in my report")
    balance_cents: Annotated[StrictInt, Field(ge=0, le=10**13)]


class CloseAccountChange(RequestModel):
    """Close one of my open accounts today (its balance stays owed)."""

    kind: Literal["close_account"]
    account_id: AccountId = Field(description="The account's id (acc_...) in my report")


class MonthsPassChange(RequestModel):
    """Let months pass with no new applications, every account kept as it stands."""

    kind: Literal["months_pass"]
    months: Annotated[StrictInt, Field(ge=1, le=MAX_SIMULATED_MONTHS)]


Change = Annotated[
    PayDownChange | CloseAccountChange | MonthsPassChange, Field(discriminator="kind")
]


class ActionRead(BaseModel):
    """An honest action that would raise the score, with its exact effect. ``changes`` can
    be sent as they are to ``POST /v1/me/score/simulate``."""

    kind: Literal["pay_down", "months_pass"]
    description: str
    score: int = Field(description="The score the action would give")
    points_gain: int | None = Field(
        description="Points gained; null when there is no score now (the action gives one)"
    )
    pay_cents: int | None = Field(default=None, description="What the payments come to")
    months: int | None = Field(default=None, description="How many months to wait")
    changes: list[Change]


class ScoreDisclosed(BaseModel):
    """A score as disclosed: how it was made and why. ``score`` is null, with
    ``no_score_reasons``, when the file does not meet the minimum scoring criteria."""

    score: int | None
    model_version: str
    receipt_id: str = Field(description="The receipt kept of this score: GET it to recompute")
    computed_at: AwareDatetime
    scored_on: dt.date
    score_range: ScoreRange
    reasons: list[ReasonRead] = Field(
        description="Key factors by points below maximum: at most 4, a 5th for inquiries"
    )
    factors: list[FactorRead]
    no_score_reasons: list[NoScoreReasonRead]


class ScoreRead(ScoreDisclosed):
    """My score, how it was made, why, and what would raise it. ``score`` is null, with
    ``no_score_reasons``, when the file does not meet the minimum scoring criteria."""

    model_config = ConfigDict(json_schema_extra=examples(SCORE))

    actions: list[ActionRead] = Field(description="The actions that would raise it most")


class SimulationRequest(RequestModel):
    """Hypothetical changes, applied in order to my current file."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=examples(SIMULATION_REQUEST))

    changes: list[Change] = Field(min_length=1, max_length=MAX_SIMULATED_CHANGES)


class SimulationRead(BaseModel):
    """What the changes would give. Nothing is stored but the audit event."""

    model_config = ConfigDict(json_schema_extra=examples(SIMULATION))

    score: int | None
    baseline_score: int | None = Field(description="My score now, under the same model")
    difference: int | None = Field(description="score - baseline_score; null if either is")
    model_version: str
    scored_on: dt.date = Field(description="The day the changed file is scored on")
    reasons: list[ReasonRead]
    factors: list[FactorRead]
    no_score_reasons: list[NoScoreReasonRead]


# --- receipts ------------------------------------------------------------------------------


class ReceiptSummary(ResponseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(RECEIPT_SUMMARY))

    id: str
    score: int | None
    model_version: str
    computed_at: AwareDatetime
    scored_on: dt.date
    purpose: str
    requested_by: str
    reason_codes: list[str]


class ReceiptInputs(BaseModel):
    """The file the score was computed from, as it stood (financial fields only)."""

    accounts: list[dict[str, Any]]
    inquiries: list[dict[str, Any]]
    public_records: list[dict[str, Any]]


class ReceiptRead(BaseModel):
    """A score as issued, with its inputs, recomputed now from them and its model."""

    model_config = ConfigDict(json_schema_extra=examples(RECEIPT))

    id: str
    score: int | None
    model_version: str
    computed_at: AwareDatetime
    scored_on: dt.date
    purpose: str
    requested_by: str
    reason_codes: list[str]
    score_range: ScoreRange
    recomputed_score: int | None = Field(
        description="The score recomputed from the stored inputs and model version"
    )
    reproducible: bool = Field(description="Whether the recomputation gave the same result")
    characteristics: dict[str, CharacteristicValue]
    factors: list[FactorRead]
    reasons: list[ReasonRead]
    no_score_reasons: list[NoScoreReasonRead]
    inputs: ReceiptInputs
