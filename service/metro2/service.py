"""Metro 2 use cases: check a file, import it as furnishings, export a furnisher's
accounts, read a stored import back."""

import hashlib
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from schemas.file import Identity
from schemas.furnishing import AccountPut
from schemas.metro2 import (
    Metro2Check,
    Metro2Problem,
    Metro2Reason,
    Metro2Rejection,
)
from schemas.metro2 import Metro2Import as Metro2ImportRead
from service.core.errors import (
    FieldError,
    IdempotencyKeyReused,
    InvalidInput,
    Metro2Invalid,
    NotFound,
)
from service.core.security import Principal, new_id
from service.furnishing import service as furnishing
from service.metro2 import mapping, queries, rules
from service.metro2.codec import read_values
from service.metro2.fields import BASE, HEADER
from service.metro2.models import Metro2Import
from service.metro2.problems import Problem
from service.metro2.reader import Record
from service.metro2.validator import Report, check
from service.metro2.writer import BaseOut, render_file
from service.principals import service as principals


def _problem(p: Problem) -> Metro2Problem:
    return Metro2Problem(
        record=p.record,
        segment=p.segment,
        field=p.field,
        positions=p.positions,
        severity=p.severity.value,
        rule=p.rule,
        message=p.message,
    )


def report_of(report: Report) -> Metro2Check:
    return Metro2Check(
        valid=report.valid,
        records=report.records,
        base_records=report.base_records,
        errors=[_problem(p) for p in report.errors],
        warnings=[_problem(p) for p in report.warnings],
    )


def check_file(data: bytes) -> Metro2Check:
    """Every problem of the file, grouped by severity; nothing is written."""
    return report_of(check(data)[1])


# --- import ----------------------------------------------------------------------------------

#: The Metro 2 field each furnishing field comes from (to place a furnishing rule's
#: rejection in the file).
FIELD_OF: dict[str, str] = {
    "account_ref": "consumerAccountNumber",
    "subject_id": "socialSecurityNumber",
    "account_type": "portfolioType",
    "opened_on": "dateOpened",
    "credit_limit_cents": "creditLimit",
    "original_amount_cents": "highestCredit",
    "balance_cents": "currentBalance",
    "past_due_cents": "amountPastDue",
    "status": "accountStatus",
    "payment_history": "paymentHistoryProfile",
    "date_of_first_delinquency": "dateFirstDelinquency",
    "closed_on": "dateClosed",
    "as_of": "dateAccountInformation",
}


def _reason(field: str | None, rule: str, message: str) -> Metro2Reason:
    f = BASE.by_name.get(field or "")
    return Metro2Reason(
        field=field, positions=None if f is None else f.positions, rule=rule, message=message
    )


def _furnishing_reason(error: FieldError) -> Metro2Reason:
    name = error.field.split(".")[-1]
    return _reason(FIELD_OF.get(name, name), "furnishing." + name, error.detail)


def _comparable(name: str) -> str:
    return _ascii(name).upper().strip()


def _match(
    values: dict[str, Any], people: dict[str, Identity]
) -> tuple[str | None, Metro2Reason | None]:
    """The subject a base segment is about, by national id and date of birth, with the
    name checked; or why none."""
    ssn = str(values["socialSecurityNumber"]).rjust(9, "0")
    if not rules.ssn_known(ssn):
        return None, _reason(
            "socialSecurityNumber",
            "import.match",
            "no national id (all 0s or 9s): a record is matched to a file by national id "
            "and date of birth",
        )
    national_id = rules.national_id_of(ssn)
    person = people.get(national_id)
    if person is None:
        return None, _reason(
            "socialSecurityNumber", "import.match", f"no file holds national id {national_id}"
        )
    if values["dateBirth"] != person.date_of_birth:
        return None, _reason(
            "dateBirth",
            "import.match",
            f"the date of birth does not match the file of national id {national_id}",
        )
    surname, first = _comparable(person.family_name), _comparable(person.given_name)
    if (
        str(values["surname"]).upper() != surname[:25]
        or str(values["firstName"]).upper() != first[:20]
    ):
        return None, _reason(
            "surname",
            "import.match",
            f"the name {values['surname']}, {values['firstName']} does not match the file of "
            f"national id {national_id}",
        )
    return person.id, None


def _furnishing(
    values: dict[str, Any], subject_id: str, stored: dict[str, Any] | None
) -> tuple[AccountPut | None, list[Metro2Reason]]:
    """The JSON API's furnishing body for a base segment, or why there is none."""
    reasons = []
    kind = mapping.account_type_of(values["portfolioType"], values["accountType"])
    if kind is None:
        reasons.append(
            _reason("portfolioType", "import.unsupported", "Clearfile keeps no such portfolio")
        )
    status = values["accountStatus"]
    if status not in mapping.CLEARFILE_STATUSES:
        reasons.append(
            _reason(
                "accountStatus",
                "import.unsupported",
                f"status {status} is valid Metro 2, but Clearfile keeps only statuses "
                + ", ".join(sorted(mapping.CLEARFILE_STATUSES)),
            )
        )
    history = values["paymentHistoryProfile"]
    other = sorted(set(history) - mapping.CLEARFILE_HISTORY)
    if other:
        reasons.append(
            _reason(
                "paymentHistoryProfile",
                "import.unsupported",
                f"Clearfile's payment history holds 0-6 B D E G L, not {''.join(other)}",
            )
        )
    if reasons:
        return None, reasons
    before = stored or {}
    body = {
        "subject_id": subject_id,
        "account_type": kind,
        "opened_on": values["dateOpened"],
        "credit_limit_cents": mapping.cents(
            values["creditLimit"], before.get("credit_limit_cents"), optional=True
        ),
        "original_amount_cents": mapping.cents(
            values["highestCredit"], before.get("original_amount_cents"), optional=True
        ),
        "balance_cents": mapping.cents(
            values["currentBalance"], before.get("balance_cents"), optional=False
        ),
        "past_due_cents": mapping.cents(
            values["amountPastDue"], before.get("past_due_cents"), optional=False
        ),
        "status": status,
        "payment_history": history,
        "date_of_first_delinquency": values["dateFirstDelinquency"],
        "closed_on": values["dateClosed"],
        "as_of": values["dateAccountInformation"],
    }
    try:
        return AccountPut.model_validate(body), []
    except ValidationError as exc:
        return None, [
            _reason(
                FIELD_OF.get(str(e["loc"][0]), str(e["loc"][0])) if e["loc"] else None,
                "furnishing.schema",
                str(e["msg"]),
            )
            for e in exc.errors()
        ]


def _file_errors(report: Report, bases: Sequence[Record]) -> list[Problem]:
    """Errors that refuse the whole file: the header's, the trailer's and the structure's."""
    base_numbers = {b.number for b in bases}
    return [p for p in report.errors if p.record not in base_numbers or p.segment == "file"]


def import_file(
    session: Session,
    *,
    furnisher: Principal,
    data: bytes,
    now: datetime,
    idempotency_key: str | None = None,
) -> Metro2ImportRead:
    """Import the file: each valid base segment becomes the furnishing the JSON API would
    make, in the caller's transaction (one per file); the import is stored and returned."""
    digest = hashlib.sha256(data).hexdigest()
    if idempotency_key is not None:
        earlier = queries.import_by_key(session, furnisher.id, idempotency_key)
        if earlier is not None:
            if earlier.request_hash != digest:
                raise IdempotencyKeyReused(
                    detail="This Idempotency-Key was already used with another file. Use a "
                    "new key for a new file."
                )
            return Metro2ImportRead.model_validate(earlier.result)
    parsed, report = check(data)
    refused = _file_errors(report, parsed.bases)
    if refused:
        raise Metro2Invalid(
            detail=f"The file was not imported: {len(refused)} error(s) in its structure, "
            "header or trailer (POST /v1/furnisher/metro2/check lists every problem).",
            errors=[
                FieldError(
                    f"record {p.record} {p.segment}"
                    + (f" {p.field} ({p.positions})" if p.field else ""),
                    p.message,
                )
                for p in refused
            ],
        )
    by_record = report.errors_by_record()
    values_of = [read_values(BASE, base.text) for base in parsed.bases]
    people = principals.identities_by_national_id(
        session,
        [
            rules.national_id_of(str(v["socialSecurityNumber"]).rjust(9, "0"))
            for v in values_of
            if isinstance(v["socialSecurityNumber"], int)
        ],
    )
    refs = [str(v["consumerAccountNumber"]) for v in values_of]
    stored = furnishing.stored_fields(session, furnisher=furnisher, account_refs=refs)
    rejected: list[Metro2Rejection] = []
    items: list[furnishing.Furnishing] = []
    item_records: list[tuple[int, str]] = []
    for base, values in zip(parsed.bases, values_of, strict=True):
        ref = str(values["consumerAccountNumber"])
        reasons = [
            Metro2Reason(field=p.field, positions=p.positions, rule=p.rule, message=p.message)
            for p in by_record.get(base.number, [])
        ]
        if not reasons:
            for segment in base.segments:
                reasons.append(
                    Metro2Reason(
                        field="segmentIdentifier",
                        positions=f"{segment.start + 1}-{segment.start + 2}",
                        rule="import.segment",
                        message=f"the {segment.layout.name} segment carries data Clearfile "
                        "does not hold (it keeps one consumer's account): send the base "
                        "segment alone",
                    )
                )
        if not reasons:
            subject_id, why = _match(values, people)
            if why is not None:
                reasons.append(why)
            else:
                assert subject_id is not None  # noqa: S101 - _match gives one or the other
                put, reasons = _furnishing(values, subject_id, stored.get(ref))
                if put is not None:
                    items.append(furnishing.Furnishing(ref, put))
                    item_records.append((base.number, ref))
        if reasons:
            rejected.append(
                Metro2Rejection(record=base.number, account_ref=ref or None, reasons=reasons)
            )
    outcomes = furnishing.furnish_many(session, furnisher=furnisher, items=items, now=now)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for (number, ref), outcome in zip(item_records, outcomes, strict=True):
        if outcome.kind == "rejected":
            rejected.append(
                Metro2Rejection(
                    record=number,
                    account_ref=ref,
                    reasons=[_furnishing_reason(e) for e in outcome.errors],
                )
            )
        else:
            counts[outcome.kind] += 1
    rejected.sort(key=lambda r: r.record)
    header = read_values(HEADER, parsed.header.text)
    activity = header["activityDate"]
    result = Metro2ImportRead(
        import_id=new_id("m2i"),
        created_at=now,
        as_of=activity if isinstance(activity, date) else None,
        records=len(parsed.bases),
        accepted=counts["created"] + counts["updated"],
        created=counts["created"],
        updated=counts["updated"],
        unchanged=counts["unchanged"],
        rejected=rejected,
        warnings=len(report.warnings),
    )
    record = Metro2Import(
        id=result.import_id,
        furnisher_id=furnisher.id,
        idempotency_key=idempotency_key,
        request_hash=digest,
        records=result.records,
        accepted=result.accepted,
        unchanged=result.unchanged,
        rejected=len(rejected),
        result=result.model_dump(mode="json"),
        created_at=now,
    )
    if not queries.insert_import(session, record):
        raise IdempotencyKeyReused(
            detail="Another request is importing with this Idempotency-Key; retry to read "
            "its result."
        )
    return result


def get_import(session: Session, *, furnisher: Principal, import_id: str) -> Metro2ImportRead:
    """The furnisher's own stored import; another's is NotFound."""
    record = queries.import_by_id(session, furnisher.id, import_id)
    if record is None:
        raise NotFound(detail=f"You have no Metro 2 import '{import_id}'.")
    return Metro2ImportRead.model_validate(record.result)


# --- export ----------------------------------------------------------------------------------


def _ascii(text: str) -> str:
    """Text in the character format's ASCII: accents dropped, anything else left out."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(c for c in plain if c.isprintable())


#: The longest account reference a base segment holds (Consumer Account Number, field 7).
ACCOUNT_NUMBER_LENGTH = BASE.by_name["consumerAccountNumber"].length


def as_of_day(text: str | None, now: datetime) -> date:
    """The export's day: ``text`` (YYYY-MM-DD), or today."""
    if text is None:
        return now.date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            detail=f"as_of {text!r} is not a date.",
            errors=[FieldError("query.as_of", "not a calendar date YYYY-MM-DD")],
        ) from None


def export_file(session: Session, *, furnisher: Principal, as_of: date, now: datetime) -> bytes:
    """The furnisher's accounts as they stood on ``as_of`` as a Metro 2 character file (one
    record a line). An account whose reference is longer than a Consumer Account Number
    holds is left out."""
    accounts = furnishing.accounts_for_export(session, furnisher=furnisher, as_of=as_of, now=now)
    bases = []
    for account in accounts:
        if len(account["account_ref"]) > ACCOUNT_NUMBER_LENGTH:
            continue
        for name in ("given_name", "family_name"):
            account[name] = _ascii(account[name])
        account["addresses"] = [
            {k: _ascii(v) if isinstance(v, str) else v for k, v in a.items()}
            for a in account.get("addresses") or []
        ]
        bases.append(BaseOut(mapping.base_values(account, furnisher.id)))
    header = mapping.header_values(name=_ascii(furnisher.name), as_of=as_of, created=now.date())
    return render_file(header, bases)
