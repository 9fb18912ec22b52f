"""What a score receipt stores, and how it is recomputed.

Pure: no database, no clock. A receipt (``ScoreReceipt``) keeps, as compact JSON:

``inputs``: the file the score was computed from, ``{"format": 1, "accounts": [[...]],
"inquiries": [[...]], "public_records": [[...]]}``, each record a list of the fields of
``ACCOUNT_FIELDS``, ``INQUIRY_FIELDS`` and ``PUBLIC_RECORD_FIELDS`` in that order (dates as
ISO text, money as integer cents). Lists rather than objects keep a receipt small when a whole
population is scored; ``inputs_from_json`` turns them back into a ``FileInput``.

``characteristics``: every characteristic's value by name (null = missing).

``factors``: the points of each characteristic of the model, in the model's order (the bin
is the one the value falls in); empty when there is no score.

``reasons``: the key factors in rank order, ``[reason code, points below maximum]``.

``no_score_reasons``: ``[code, text]`` of each unmet minimum scoring criterion.

Titles, reason statements and maximum points are the model version's, which never changes
once published, so a receipt shows them from the model it names: ``stored_reasons`` gives
each stored reason its statement from the model and the stored value (explain.py's
``statement``), the same words the score gave, for a receipt and for any notice built on one.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from service.scoring.engine.characteristics import Value
from service.scoring.engine.explain import Explanation, Reason, explain_file, statement
from service.scoring.engine.inputs import AccountInput, FileInput, InquiryInput, PublicRecordInput
from service.scoring.engine.scorecard import Scorecard

INPUTS_FORMAT: Final = 1
ACCOUNT_FIELDS: Final = (
    "account_type",
    "opened_on",
    "credit_limit_cents",
    "original_amount_cents",
    "balance_cents",
    "past_due_cents",
    "status",
    "payment_history",
    "date_of_first_delinquency",
    "closed_on",
    "as_of",
)
INQUIRY_FIELDS: Final = ("at", "kind")
PUBLIC_RECORD_FIELDS: Final = ("chapter", "status", "filed_on")


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _required_day(text: str) -> date:
    return date.fromisoformat(text)


def account_json(a: AccountInput) -> list[Any]:
    """An account as a receipt stores it: its fields in ``AccountInput`` order."""
    return [
        a.account_type,
        a.opened_on.isoformat(),
        a.credit_limit_cents,
        a.original_amount_cents,
        a.balance_cents,
        a.past_due_cents,
        a.status,
        a.payment_history,
        _iso(a.date_of_first_delinquency),
        _iso(a.closed_on),
        a.as_of.isoformat(),
    ]


def public_record_json(r: PublicRecordInput) -> list[Any]:
    return [r.chapter, r.status, r.filed_on.isoformat()]


def inputs_json(file: FileInput) -> dict[str, Any]:
    """The file as a receipt stores it."""
    return {
        "format": INPUTS_FORMAT,
        "accounts": [account_json(a) for a in file.accounts],
        "inquiries": [[i.at.isoformat(), i.kind] for i in file.inquiries],
        "public_records": [public_record_json(r) for r in file.public_records],
    }


def inputs_from_json(data: Mapping[str, Any]) -> FileInput:
    """The ``FileInput`` a receipt's ``inputs`` describe."""
    if data.get("format") != INPUTS_FORMAT:
        raise ValueError(f"unknown receipt inputs format {data.get('format')!r}")
    accounts = tuple(
        AccountInput(
            account_type=t,
            opened_on=_required_day(opened),
            credit_limit_cents=limit,
            original_amount_cents=original,
            balance_cents=balance,
            past_due_cents=past_due,
            status=status,
            payment_history=history,
            date_of_first_delinquency=_day(dofd),
            closed_on=_day(closed),
            as_of=_required_day(as_of),
        )
        for (
            t,
            opened,
            limit,
            original,
            balance,
            past_due,
            status,
            history,
            dofd,
            closed,
            as_of,
        ) in data["accounts"]
    )
    inquiries = tuple(
        InquiryInput(at=_required_day(at), kind=kind) for at, kind in data["inquiries"]
    )
    records = tuple(
        PublicRecordInput(chapter=chapter, status=status, filed_on=_required_day(filed))
        for chapter, status, filed in data["public_records"]
    )
    return FileInput(accounts=accounts, inquiries=inquiries, public_records=records)


def as_records(data: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """A receipt's ``inputs`` with every record as an object of named fields (for reading)."""
    return {
        "accounts": [dict(zip(ACCOUNT_FIELDS, a, strict=True)) for a in data["accounts"]],
        "inquiries": [dict(zip(INQUIRY_FIELDS, i, strict=True)) for i in data["inquiries"]],
        "public_records": [
            dict(zip(PUBLIC_RECORD_FIELDS, r, strict=True)) for r in data["public_records"]
        ],
    }


@dataclass(frozen=True, slots=True)
class ReceiptContent:
    """The JSON columns of a receipt, for one explanation."""

    score: int | None
    characteristics: dict[str, Value]
    factors: list[int]
    reasons: list[list[Any]]
    no_score_reasons: list[list[str]]


def content_of(explanation: Explanation) -> ReceiptContent:
    return ReceiptContent(
        score=explanation.score,
        characteristics=dict(explanation.characteristics),
        factors=[f.points for f in explanation.factors],
        reasons=[[r.code, r.points_below_max] for r in explanation.reasons],
        no_score_reasons=[[r.code, r.text] for r in explanation.no_score_reasons],
    )


def recompute(inputs: Mapping[str, Any], scored_on: date, model: Scorecard) -> Explanation:
    """Score a receipt's stored inputs again, for the day it was scored on."""
    return explain_file(inputs_from_json(inputs), scored_on, model)


def reason_codes(reasons: Sequence[Sequence[Any]]) -> list[str]:
    return [str(r[0]) for r in reasons]


def stored_reasons(
    model: Scorecard, characteristics: Mapping[str, Value], reasons: Sequence[Sequence[Any]]
) -> list[Reason]:
    """A receipt's stored ``reasons`` with their statements, from the model it names and the
    characteristic values it stores."""
    by_code = {c.reason_code: c for c in model.characteristics}
    out = []
    for code, below in reasons:
        c = by_code[str(code)]
        out.append(Reason(c.reason_code, statement(c, characteristics.get(c.name)), c.name, below))
    return out
