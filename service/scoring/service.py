"""Scoring use cases: publish the scorecards, score a subject's own file, simulate, receipts.

A score is computed from the file domain's current file (``file_input``: nothing deleted,
nothing obsolete) with the current model, kept as a receipt (its inputs, day and model
version, so it can be recomputed) and audited, all in the request's transaction.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy.orm import Session

from schemas.common import Page
from schemas.file import Report
from schemas.scoring import (
    ActionRead,
    Change,
    CloseAccountChange,
    FactorRead,
    ModelRead,
    ModelSummary,
    MonthsPassChange,
    NoScoreReasonRead,
    PayDownChange,
    ReasonRead,
    ReceiptInputs,
    ReceiptRead,
    ReceiptSummary,
    ScoreDisclosed,
    ScoreRange,
    ScoreRead,
    SimulationRead,
    SimulationRequest,
)
from service.audit import purposes
from service.audit import service as audit
from service.core.cache import LruCache
from service.core.errors import FieldError, InvalidInput, NotFound
from service.core.pagination import (
    decode_keyset,
    decode_typed_cursor,
    keyset_of,
    split_page,
)
from service.core.security import Principal, new_id
from service.file import service as file_service
from service.file.rules import account_on_file, inquiry_on_file, public_record_on_file
from service.scoring import queries, receipts
from service.scoring.engine import recourse
from service.scoring.engine.characteristics import is_open
from service.scoring.engine.explain import Explanation, explain_file
from service.scoring.engine.inputs import AccountInput, FileInput, InquiryInput, PublicRecordInput
from service.scoring.engine.scorecard import (
    CURRENT_VERSION,
    SCORECARDS_DIR,
    Scorecard,
    get_model,
    list_models,
    to_json,
)
from service.scoring.models import ScoreReceipt

if TYPE_CHECKING:
    from service.scoring.bulk import Chunk

#: How many actions a score response lists.
ACTIONS_SHOWN = 3
#: The most subjects whose scoring inputs and last score are kept (least recently scored out
#: first; one entry a subject in each cache).
SCORED_CACHE_MAX_SUBJECTS = 10_000

#: Where the published models are, and which one scores files unless a version is named
#: (module settings, so that a test can point them elsewhere).
MODEL_DIRECTORY: Path = SCORECARDS_DIR
CURRENT_MODEL: str = CURRENT_VERSION


def current_model() -> Scorecard:
    """The model that scores files (the current one)."""
    return get_model(CURRENT_MODEL, MODEL_DIRECTORY)


def model_version(version: str) -> Scorecard:
    return get_model(version, MODEL_DIRECTORY)


# --- the published models ------------------------------------------------------------------


def _range(model: Scorecard) -> ScoreRange:
    return ScoreRange(min=model.score_range.min, max=model.score_range.max)


def _summary(model: Scorecard) -> ModelSummary:
    return ModelSummary(
        version=model.version,
        name=model.name,
        description=model.description,
        score_range=_range(model),
        current=model.version == CURRENT_MODEL,
    )


def published_models(*, cursor: str | None, limit: int) -> Page[ModelSummary]:
    """The published models in version order, one page at a time."""
    after = decode_typed_cursor(cursor, str)
    models = [m for m in list_models(MODEL_DIRECTORY) if after is None or m.version > after]
    page, next_cursor = split_page(models, limit, lambda model: model.version)
    return Page[ModelSummary](items=[_summary(m) for m in page], next_cursor=next_cursor)


def published_model(version: str) -> ModelRead:
    """The whole scorecard ``version`` as published (the file, with each characteristic's
    maximum points and whether it is the current model)."""
    model = model_version(version)
    data: dict[str, Any] = to_json(model)
    data["current"] = model.version == CURRENT_MODEL
    data.setdefault("description", model.description)
    data.setdefault("target", model.target)
    for published, characteristic in zip(
        data["characteristics"], model.characteristics, strict=True
    ):
        published["max_points"] = characteristic.max_points
    return ModelRead.model_validate(data)


# --- the file a score reads ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScoringFile:
    """The current file as a score sees it, with each account's API id (``acc_...``) and a
    label naming it, in the order of ``file.accounts``."""

    file: FileInput
    account_ids: tuple[str, ...]
    account_labels: tuple[str, ...]


#: Each subject's file as scoring inputs, with the file revision and the day it is of (the
#: file domain's report is the same while both are).
_INPUTS_CACHE: LruCache[str, tuple[str, date, ScoringFile]] = LruCache(SCORED_CACHE_MAX_SUBJECTS)


def file_input(session: Session, *, subject_id: str, now: datetime) -> ScoringFile:
    """The subject's current file as scoring inputs: exactly the items the file domain's
    report shows (nothing deleted by its furnisher, nothing obsolete), financial fields only.
    Made again only for a new file revision or day."""
    cached = file_service.build_cached_report(session, subject_id=subject_id, now=now)
    today = now.date()
    known = _INPUTS_CACHE.get(subject_id)
    if known is not None and known[0] == cached.revision and known[1] == today:
        return known[2]
    scoring = _scoring_file(cached.report)
    _INPUTS_CACHE.put(subject_id, (cached.revision, today, scoring))
    return scoring


def _scoring_file(report: Report) -> ScoringFile:
    accounts = report.accounts
    return ScoringFile(
        file=FileInput(
            accounts=tuple(
                AccountInput(
                    account_type=a.account_type.value,
                    opened_on=a.opened_on,
                    credit_limit_cents=a.credit_limit_cents,
                    original_amount_cents=a.original_amount_cents,
                    balance_cents=a.balance_cents,
                    past_due_cents=a.past_due_cents,
                    status=a.status.value,
                    payment_history=a.payment_history,
                    date_of_first_delinquency=a.date_of_first_delinquency,
                    closed_on=a.closed_on,
                    as_of=a.as_of,
                )
                for a in accounts
            ),
            inquiries=tuple(
                InquiryInput(at=i.at.astimezone(UTC).date(), kind=i.kind.value)
                for i in report.inquiries
            ),
            public_records=tuple(
                PublicRecordInput(chapter=r.chapter, status=r.status, filed_on=r.filed_on)
                for r in report.public_records
            ),
        ),
        account_ids=tuple(a.id for a in accounts),
        account_labels=tuple(f"{a.account_ref} at {a.furnisher.name}" for a in accounts),
    )


# --- explanations as the API shows them ----------------------------------------------------


def _factors(explanation: Explanation) -> list[FactorRead]:
    return [
        FactorRead(
            characteristic=f.characteristic,
            title=f.title,
            value=f.value,
            bin=f.bin_label,
            points=f.points,
            max_points=f.max_points,
            points_below_max=f.points_below_max,
        )
        for f in explanation.factors
    ]


def _reasons(explanation: Explanation) -> list[ReasonRead]:
    return [
        ReasonRead(
            code=r.code,
            text=r.text,
            characteristic=r.characteristic,
            points_below_max=r.points_below_max,
        )
        for r in explanation.reasons
    ]


def _no_score_reasons(explanation: Explanation) -> list[NoScoreReasonRead]:
    return [NoScoreReasonRead(code=r.code, text=r.text) for r in explanation.no_score_reasons]


def _api_change(change: recourse.Change, account_ids: Sequence[str]) -> Change:
    if isinstance(change, recourse.PayDown):
        return PayDownChange(
            kind="pay_down",
            account_id=account_ids[change.account],
            balance_cents=change.balance_cents,
        )
    if isinstance(change, recourse.CloseAccount):
        return CloseAccountChange(kind="close_account", account_id=account_ids[change.account])
    return MonthsPassChange(kind="months_pass", months=change.months)


@dataclass(frozen=True, slots=True)
class _Scored:
    """A file's explanation on a day under a model and, once searched, its best actions
    (their descriptions name the accounts by ``labels``)."""

    file: FileInput
    today: date
    model: Scorecard
    explanation: Explanation
    labels: tuple[str, ...] = ()
    actions: tuple[recourse.Action, ...] | None = None

    def answers(self, file: FileInput, today: date, model: Scorecard) -> bool:
        return self.today == today and self.model is model and self.file == file


#: Each subject's last score: the explanation and the search are pure functions of the file,
#: the day and the model (and the labels), all compared before an entry is used, so an entry
#: is right in any process or it is not used; one entry a subject, so a changed file replaces
#: its superseded entry.
_SCORED_CACHE: LruCache[str, _Scored] = LruCache(SCORED_CACHE_MAX_SUBJECTS)


def _known(subject_id: str, scoring: ScoringFile, today: date, model: Scorecard) -> _Scored:
    known = _SCORED_CACHE.get(subject_id)
    if known is not None and known.answers(scoring.file, today, model):
        return known
    known = _Scored(scoring.file, today, model, explain_file(scoring.file, today, model))
    _SCORED_CACHE.put(subject_id, known)
    return known


def explained(subject_id: str, scoring: ScoringFile, today: date, model: Scorecard) -> Explanation:
    """``explain_file`` of the subject's file (the last one again when neither the file, the
    day nor the model has changed since)."""
    return _known(subject_id, scoring, today, model).explanation


def best_actions_of(
    subject_id: str, scoring: ScoringFile, today: date, model: Scorecard
) -> tuple[recourse.Action, ...]:
    """``recourse.best_actions`` of the subject's file (the last search again when neither
    the file, the day, the model nor the accounts' labels have changed since)."""
    known = _known(subject_id, scoring, today, model)
    labels = scoring.account_labels
    if known.actions is not None and known.labels == labels:
        return known.actions
    actions = recourse.best_actions(
        scoring.file, today, model, k=ACTIONS_SHOWN, account_labels=labels
    )
    _SCORED_CACHE.put(subject_id, replace(known, labels=labels, actions=actions))
    return actions


def _actions(
    subject_id: str, scoring: ScoringFile, now: datetime, model: Scorecard
) -> list[ActionRead]:
    actions = best_actions_of(subject_id, scoring, now.date(), model)
    return [
        ActionRead(
            kind=a.kind,
            description=a.description,
            score=a.score,
            points_gain=a.gain,
            pay_cents=a.pay_cents if a.kind == "pay_down" else None,
            months=a.months if a.kind == "months_pass" else None,
            changes=[_api_change(c, scoring.account_ids) for c in a.changes],
        )
        for a in actions
    ]


# --- my score ------------------------------------------------------------------------------


def _store_receipt(
    session: Session,
    *,
    subject_id: str,
    explanation: Explanation,
    file: FileInput,
    now: datetime,
    purpose: str,
    requested_by: str,
) -> ScoreReceipt:
    content = receipts.content_of(explanation)
    receipt = ScoreReceipt(
        id=new_id("rcp"),
        subject_id=subject_id,
        model_version=explanation.model_version,
        score=content.score,
        computed_at=now,
        scored_on=now.date(),
        purpose=purpose,
        requested_by=requested_by,
        inputs=receipts.inputs_json(file),
        characteristics=content.characteristics,
        factors=content.factors,
        reasons=content.reasons,
        no_score_reasons=content.no_score_reasons,
    )
    queries.add_receipt(session, receipt)
    return receipt


@dataclass(frozen=True, slots=True)
class _Issued:
    model: Scorecard
    scoring: ScoringFile
    explanation: Explanation
    receipt: ScoreReceipt


def _issue(
    session: Session,
    *,
    subject_id: str,
    actor: Principal,
    action: str,
    purpose: str,
    now: datetime,
) -> _Issued:
    """Score the subject's current file with the current model, keep the receipt and audit
    the disclosure to ``actor``, in the caller's transaction."""
    model = current_model()
    scoring = file_input(session, subject_id=subject_id, now=now)
    explanation = explained(subject_id, scoring, now.date(), model)
    receipt = _store_receipt(
        session,
        subject_id=subject_id,
        explanation=explanation,
        file=scoring.file,
        now=now,
        purpose=purpose,
        requested_by=actor.id,
    )
    audit.record(
        session,
        actor=actor,
        action=action,
        now=now,
        subject_id=subject_id,
        purpose=purpose,
        resource_type="score_receipt",
        resource_id=receipt.id,
    )
    return _Issued(model, scoring, explanation, receipt)


def _disclosed(issued: _Issued, now: datetime) -> dict[str, Any]:
    """The fields of ``ScoreDisclosed``: the score, how it was made and why."""
    explanation = issued.explanation
    return {
        "score": explanation.score,
        "model_version": issued.model.version,
        "receipt_id": issued.receipt.id,
        "computed_at": now,
        "scored_on": now.date(),
        "score_range": _range(issued.model),
        "reasons": _reasons(explanation),
        "factors": _factors(explanation),
        "no_score_reasons": _no_score_reasons(explanation),
    }


def score_me(session: Session, *, subject: Principal, now: datetime) -> ScoreRead:
    """Score the subject's current file with the current model, keep the receipt, audit the
    disclosure, and explain: factors, ranked reasons, and the best actions."""
    issued = _issue(
        session,
        subject_id=subject.id,
        actor=subject,
        action="score.computed",
        purpose=purposes.SELF_ACCESS,
        now=now,
    )
    return ScoreRead(
        **_disclosed(issued, now),
        actions=_actions(subject.id, issued.scoring, now, issued.model),
    )


def score_for_lender(
    session: Session, *, subject_id: str, lender: Principal, purpose: str, now: datetime
) -> ScoreDisclosed:
    """Score the subject's file for a lender's permissible ``purpose`` (its caller checked
    the consent): the receipt names the lender, so a decision can cite it, and the subject
    sees it in their score history."""
    issued = _issue(
        session,
        subject_id=subject_id,
        actor=lender,
        action="score.disclosed",
        purpose=purpose,
        now=now,
    )
    return ScoreDisclosed(**_disclosed(issued, now))


def score_after_change(
    session: Session, *, subject_id: str, actor: Principal, purpose: str, now: datetime
) -> ScoreDisclosed:
    """Score the file again after ``actor`` changed it (a dispute's result), keeping the
    receipt the subject's notice cites."""
    issued = _issue(
        session,
        subject_id=subject_id,
        actor=actor,
        action="score.recomputed",
        purpose=purpose,
        now=now,
    )
    return ScoreDisclosed(**_disclosed(issued, now))


@dataclass(frozen=True, slots=True)
class ReceiptStatement:
    """What a receipt says, as a notice states it: the score, its range and key factors."""

    receipt_id: str
    score: int | None
    model_version: str
    score_range: ScoreRange
    scored_on: date
    requested_by: str
    reasons: list[ReasonRead]
    no_score_reasons: list[NoScoreReasonRead]


def _stated_reasons(model: Scorecard, receipt: ScoreReceipt) -> list[ReasonRead]:
    """The receipt's reasons as statements of the person's own values (the same words the
    score gave; an adverse action notice states them too)."""
    return [
        ReasonRead(
            code=r.code,
            text=r.text,
            characteristic=r.characteristic,
            points_below_max=r.points_below_max,
        )
        for r in receipts.stored_reasons(model, receipt.characteristics, receipt.reasons)
    ]


def receipt_statement(
    session: Session, *, subject_id: str, receipt_id: str
) -> ReceiptStatement | None:
    """The receipt of the subject's file, as stated in a notice, or None if there is none."""
    receipt = queries.receipt_of_subject(session, subject_id, receipt_id)
    if receipt is None:
        return None
    model = model_version(receipt.model_version)
    return ReceiptStatement(
        receipt_id=receipt.id,
        score=receipt.score,
        model_version=receipt.model_version,
        score_range=_range(model),
        scored_on=receipt.scored_on,
        requested_by=receipt.requested_by,
        reasons=_stated_reasons(model, receipt),
        no_score_reasons=[
            NoScoreReasonRead(code=code, text=text) for code, text in receipt.no_score_reasons
        ],
    )


def _invalid(field: str, detail: str) -> InvalidInput:
    return InvalidInput(detail=detail, errors=[FieldError(field=field, detail=detail)])


def _changes(request: SimulationRequest, scoring: ScoringFile) -> list[recourse.Change]:
    """The requested changes on the file's account indexes. An account id that is not on
    the subject's file (another's, an unknown one, one that has left the file) gets the same
    answer, so ids cannot be probed."""
    index = {account_id: i for i, account_id in enumerate(scoring.account_ids)}
    balances = [a.balance_cents for a in scoring.file.accounts]
    still_open = [is_open(a) for a in scoring.file.accounts]
    out: list[recourse.Change] = []
    for n, change in enumerate(request.changes):
        where = f"changes.{n}"
        if isinstance(change, MonthsPassChange):
            out.append(recourse.MonthsPass(change.months))
            continue
        i = index.get(change.account_id)
        if i is None:
            raise _invalid(f"{where}.account_id", "There is no account with this id on your file.")
        if isinstance(change, PayDownChange):
            if change.balance_cents > balances[i]:
                raise _invalid(
                    f"{where}.balance_cents",
                    f"Paying down cannot raise the balance (it is {balances[i]} cents).",
                )
            balances[i] = change.balance_cents
            out.append(recourse.PayDown(i, change.balance_cents))
        else:
            if not still_open[i]:
                raise _invalid(f"{where}.account_id", "The account is already closed.")
            still_open[i] = False
            out.append(recourse.CloseAccount(i))
    return out


def simulate(
    session: Session, *, subject: Principal, now: datetime, request: SimulationRequest
) -> SimulationRead:
    """What the changes would do to the subject's score. No receipt (no score is issued),
    but the read of the file is audited."""
    model = current_model()
    scoring = file_input(session, subject_id=subject.id, now=now)
    changes = _changes(request, scoring)
    try:
        result = recourse.simulate(scoring.file, now.date(), model, changes)
    except InvalidInput as exc:  # pragma: no cover - _changes checks what recourse checks
        raise _invalid("changes", exc.detail) from exc
    audit.record(
        session,
        actor=subject,
        action="score.simulated",
        now=now,
        subject_id=subject.id,
        purpose=purposes.SELF_ACCESS,
        resource_type="score_simulation",
        resource_id=subject.id,
    )
    after = result.after
    return SimulationRead(
        score=after.score,
        baseline_score=result.before.score,
        difference=result.difference,
        model_version=model.version,
        scored_on=result.today,
        reasons=_reasons(after),
        factors=_factors(after),
        no_score_reasons=_no_score_reasons(after),
    )


# --- bulk reads for jobs (score --all) --------------------------------------------------------


def count_subjects(session: Session) -> int:
    return queries.count_subjects(session)


def subject_ids_after(session: Session, after: str | None, limit: int) -> list[str]:
    """Up to ``limit`` subject ids after ``after``, in id order."""
    return queries.subject_ids_after(session, after, limit)


def account_rows_between(session: Session, first: str, last: str) -> list[tuple[Any, ...]]:
    """The accounts of the subjects with ids from ``first`` to ``last``, as compact rows."""
    return queries.account_rows_between(session, first, last)


def inquiry_rows_between(
    session: Session, first: str, last: str, *, since: date
) -> list[tuple[Any, ...]]:
    """The inquiries made on or after the UTC day ``since`` by the subjects from ``first``
    to ``last``."""
    return queries.inquiry_rows_between(session, first, last, since=since)


def public_record_rows_between(session: Session, first: str, last: str) -> list[tuple[Any, ...]]:
    """The public records of the subjects from ``first`` to ``last``."""
    return queries.public_record_rows_between(session, first, last)


def store_receipts_in_bulk(
    session: Session,
    *,
    subject_ids: Sequence[str],
    chunk: "Chunk",
    model: Scorecard,
    now: datetime,
    purpose: str,
    requested_by: str,
) -> int:
    """Score every subject of ``chunk`` (the files of ``subject_ids``, in that order) with
    ``model`` as of ``now`` and insert one receipt each, in one statement: the bulk path for
    jobs. Returns how many subjects got a score (the others were too thin to score)."""
    rows = _store_scored_chunk(
        session,
        subject_ids=subject_ids,
        chunk=chunk,
        model=model,
        now=now,
        purpose=purpose,
        requested_by=requested_by,
    )
    return sum(1 for row in rows if row[2] is not None)


def _store_scored_chunk(
    session: Session,
    *,
    subject_ids: Sequence[str],
    chunk: "Chunk",
    model: Scorecard,
    now: datetime,
    purpose: str,
    requested_by: str,
) -> list[tuple[Any, ...]]:
    """Score the chunk and insert one receipt per subject; the rows inserted
    (``queries.BATCH_COLUMNS``: id, subject_id, score, ...), in the order of ``subject_ids``."""
    from service.scoring import bulk  # numpy: only batch work needs it

    scored = bulk.score_chunk(chunk, now.date(), model)
    same = {
        "model_version": model.version,
        "computed_at": now,
        "scored_on": now.date(),
        "purpose": purpose,
        "requested_by": requested_by,
    }
    rows = bulk.receipt_rows(subject_ids, chunk, scored)
    queries.insert_encoded_receipts(session, rows, same=same)
    return rows


# --- many subjects scored again after a change (a deadline run) -----------------------------


class NewScore(NamedTuple):
    """A score issued by ``scores_after_changes``: what a notice says of it (the fields of
    ``ScoreDisclosed`` a dispute's result notice cites)."""

    score: int | None
    model_version: str
    receipt_id: str
    score_range: ScoreRange
    scored_on: date


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


class FileRows(NamedTuple):
    """The rows of many files as ``read_files`` reads them, for ``files_of``."""

    subject_ids: Sequence[str]
    off: set[tuple[str, str]]  # (item type, item id) of the items taken off the files
    accounts: list[tuple[Any, ...]]
    inquiries: list[tuple[Any, ...]]
    records: list[tuple[Any, ...]]


def read_files(
    session: Session, *, subject_ids: Sequence[str], also_off: Collection[tuple[str, str]] = ()
) -> FileRows:
    """The rows of the files of ``subject_ids`` (any set), read with four statements for all
    of them, the items ``also_off`` ((item type, item id)) counted as taken off too, as by
    writes yet to be made; ``files_of`` makes them the batch scorer's columns (the Python
    work, which a caller can do while its writes run: ``write_behind``)."""
    off = file_service.suppressed_items(session, subject_ids=subject_ids) | set(also_off)
    return FileRows(
        subject_ids,
        off,
        queries.account_rows_of(session, subject_ids),
        queries.inquiry_rows_of(session, subject_ids),
        queries.public_record_rows_of(session, subject_ids),
    )


def current_files(session: Session, *, subject_ids: Sequence[str], today: date) -> "Chunk":
    """The current files of ``subject_ids`` (any set, in this order) as the batch scorer's
    columns (``files_of`` of ``read_files``)."""
    return files_of(read_files(session, subject_ids=subject_ids), today=today)


def files_of(read: FileRows, *, today: date) -> "Chunk":
    """The files of ``read`` (``read_files``) as the batch scorer's columns, in the order of
    their subject ids: exactly the items ``file_input`` gives for each (nothing taken off the
    file, nothing deleted by its furnisher, nothing obsolete on ``today``: the file domain's
    rules), in the same order."""
    import numpy as np  # only batch work needs it

    from service.scoring.bulk import Chunk, json_array
    from service.scoring.engine.columns import PACKED_STATUS, FileColumns

    subject_ids, off = read.subject_ids, read.off
    index = {s: i for i, s in enumerate(subject_ids)}

    def by_subject(rows: list[Any], owner_at: int) -> tuple[list[Any], Any]:
        """Rows grouped by subject in the order of ``subject_ids`` (each subject's rows
        kept in the order read), and the index of each row's subject."""
        rows.sort(key=lambda r: index[r[owner_at]])
        return rows, np.fromiter((index[r[owner_at]] for r in rows), dtype=np.intp, count=len(rows))

    # Whether an item is on the file depends on a few of its values only, which many items
    # share (a status, a type, a day): each combination is judged once.
    account_kept: dict[tuple[str, str, str | None], bool] = {}

    def account_kept_(row: tuple[Any, ...]) -> bool:
        key = (row[3][PACKED_STATUS], row[4], row[7])
        kept = account_kept.get(key)
        if kept is None:
            kept = account_kept[key] = account_on_file(
                status=key[0],
                account_type=key[1],
                date_of_first_delinquency=_day(key[2]),
                today=today,
            )
        return kept

    accounts, account_owner = by_subject(
        [r for r in read.accounts if ("account", r[0]) not in off and account_kept_(r)],
        owner_at=1,
    )
    inquiry_kept: dict[str, bool] = {}

    def inquiry_kept_(day: str) -> bool:
        kept = inquiry_kept.get(day)
        if kept is None:
            kept = inquiry_kept[day] = inquiry_on_file(
                at=datetime.fromisoformat(day).replace(tzinfo=UTC), today=today
            )
        return kept

    inquiries, inquiry_owner = by_subject(
        [r for r in read.inquiries if ("inquiry", r[0]) not in off and inquiry_kept_(r[2])],
        owner_at=1,
    )
    records, record_owner = by_subject(
        [
            r
            for r in read.records
            if ("public_record", r[0]) not in off
            and public_record_on_file(
                chapter=r[2], status=r[3], filed_on=date.fromisoformat(r[4]), today=today
            )
        ],
        owner_at=1,
    )
    files = FileColumns(
        n=len(subject_ids),
        account_owner=account_owner,
        packed=[r[3] for r in accounts],
        account_type=[r[4] for r in accounts],
        credit_limit_cents=[r[5] for r in accounts],
        balance_cents=[r[6] for r in accounts],
        closed=[r[8] is not None for r in accounts],
        inquiry_owner=inquiry_owner,
        inquiry_at=[r[2] for r in inquiries],
        inquiry_kind=[r[3] for r in inquiries],
        record_owner=record_owner,
    )
    return Chunk(
        files=files,
        account_inputs=[r[2] for r in accounts],
        record_inputs=[json_array(r[2:]) for r in records],
    )


def scores_after_changes(
    session: Session,
    *,
    files: FileRows,
    actor: Principal,
    purpose: str,
    now: datetime,
    audited: list[audit.NewEvent],
) -> dict[str, NewScore]:
    """``score_after_change`` for many subjects at once (a deadline run): their current files,
    read together by ``read_files`` (``files``), scored with the vectorised engine, one
    receipt each inserted in one statement; the new score of each subject. Each receipt's
    audit event (``score.recomputed``, as the one-by-one path audits it) is added to
    ``audited``, for the caller to append with the rest of its batch's (``audit.record_bulk``,
    once)."""
    model = current_model()
    rows = _store_scored_chunk(
        session,
        subject_ids=files.subject_ids,
        chunk=files_of(files, today=now.date()),
        model=model,
        now=now,
        purpose=purpose,
        requested_by=actor.id,
    )
    audited += [
        audit.NewEvent(
            actor=actor,
            action="score.recomputed",
            subject_id=subject_id,
            purpose=purpose,
            resource_type="score_receipt",
            resource_id=receipt_id,
        )
        for receipt_id, subject_id, *_ in rows
    ]
    score_range = _range(model)
    return {
        subject_id: NewScore(score, model.version, receipt_id, score_range, now.date())
        for receipt_id, subject_id, score, *_ in rows
    }


# --- receipts ------------------------------------------------------------------------------


def _summary_of(receipt: ScoreReceipt) -> ReceiptSummary:
    return ReceiptSummary(
        id=receipt.id,
        score=receipt.score,
        model_version=receipt.model_version,
        computed_at=receipt.computed_at,
        scored_on=receipt.scored_on,
        purpose=receipt.purpose,
        requested_by=receipt.requested_by,
        reason_codes=receipts.reason_codes(receipt.reasons),
    )


def history(
    session: Session, *, subject: Principal, now: datetime, cursor: str | None, limit: int
) -> Page[ReceiptSummary]:
    """The subject's receipts, newest first."""
    rows = queries.receipts_of_subject(
        session, subject.id, before=decode_keyset(cursor), limit=limit + 1
    )
    page, next_cursor = split_page(rows, limit, lambda r: keyset_of(r.computed_at, r.id))
    audit.record(
        session,
        actor=subject,
        action="score_history.read",
        now=now,
        subject_id=subject.id,
        purpose=purposes.SELF_ACCESS,
        resource_type="score_history",
        resource_id=subject.id,
    )
    return Page[ReceiptSummary](items=[_summary_of(r) for r in page], next_cursor=next_cursor)


def read_receipt(
    session: Session, *, subject: Principal, now: datetime, receipt_id: str
) -> ReceiptRead:
    """One of the subject's receipts, recomputed from its stored inputs and model version."""
    receipt = queries.receipt_of_subject(session, subject.id, receipt_id)
    if receipt is None:
        raise NotFound(detail="No such score receipt.")
    model = model_version(receipt.model_version)
    again = receipts.recompute(receipt.inputs, receipt.scored_on, model)
    stored = (receipt.score, receipt.factors, receipt.reasons, receipt.no_score_reasons)
    content = receipts.content_of(again)
    recomputed = (content.score, content.factors, content.reasons, content.no_score_reasons)
    audit.record(
        session,
        actor=subject,
        action="score_receipt.read",
        now=now,
        subject_id=subject.id,
        purpose=purposes.SELF_ACCESS,
        resource_type="score_receipt",
        resource_id=receipt.id,
    )
    factors = []
    for c, points in zip(model.characteristics, receipt.factors, strict=False):
        value = receipt.characteristics.get(c.name)
        factors.append(
            FactorRead(
                characteristic=c.name,
                title=c.title,
                value=value,
                bin=c.bin_for(value).label,
                points=points,
                max_points=c.max_points,
                points_below_max=c.max_points - points,
            )
        )
    return ReceiptRead(
        **_summary_of(receipt).model_dump(),
        score_range=_range(model),
        recomputed_score=again.score,
        reproducible=stored == recomputed,
        characteristics=receipt.characteristics,
        factors=factors,
        reasons=_stated_reasons(model, receipt),
        no_score_reasons=[
            NoScoreReasonRead(code=code, text=text) for code, text in receipt.no_score_reasons
        ],
        inputs=ReceiptInputs(**receipts.as_records(receipt.inputs)),
    )
