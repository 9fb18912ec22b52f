"""A lender's reads of a file under a consent, and its decisions on them.

Every read is checked by the consent domain (``authorise_pull``) on the file's own consents,
read with the file locked, before anything of the file is shown; an allowed read records its
inquiry (hard for a credit application, soft otherwise), its audit event and its events in
the same transaction as the answer; a refused read writes nothing. A
decision that is adverse sends the subject an adverse action notice (FCRA 615) in the same
transaction as the decision.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from schemas.consent import ConsentScope, LenderAlert
from schemas.file import InquiryKind
from schemas.lending import (
    DecisionCreate,
    DecisionRead,
    LenderIdentity,
    LenderReport,
    LenderScore,
    PullRequest,
)
from schemas.notices import NoticeKind, Right
from service.audit import purposes
from service.audit import service as audit
from service.consent import service as consent
from service.consent.service import Authorised
from service.core.errors import Conflict, NotFound
from service.core.security import Principal, new_id
from service.events import service as events
from service.file import service as file_service
from service.file.rules import inquiry_kind
from service.file.service import FileAsRead
from service.lending import queries
from service.lending.models import Decision
from service.lending.models import LenderScore as LenderScoreRow
from service.notices import rules as notice_rules
from service.notices import service as notices
from service.scoring import service as scoring


def _record_inquiry(
    session: Session,
    *,
    lender: Principal,
    allowed: Authorised,
    shown: FileAsRead,
    action: str,
    now: datetime,
) -> tuple[str, InquiryKind]:
    kind = InquiryKind(inquiry_kind(allowed.purpose.value))
    inquiry_id = file_service.add_inquiry(
        session,
        actor=lender,
        subject_id=allowed.subject_id,
        lender_id=lender.id,
        purpose=allowed.purpose,
        kind=kind,
        at=now,
        now=now,
        action=action,
        lender_name=lender.name,
        locked=shown,
    )
    events.inquiry_recorded(
        session,
        inquiry_id=inquiry_id,
        subject_id=allowed.subject_id,
        lender_id=lender.id,
        purpose=allowed.purpose.value,
        kind=kind.value,
        now=now,
    )
    return inquiry_id, kind


def _facts(
    allowed: Authorised, inquiry_id: str, kind: InquiryKind, alert: LenderAlert | None
) -> dict[str, Any]:
    return {
        "subject_id": allowed.subject_id,
        "consent_id": allowed.consent_id,
        "purpose": allowed.purpose,
        "inquiry_id": inquiry_id,
        "inquiry_kind": kind,
        "verify_identity": alert is not None,
        "fraud_alert": alert,
    }


@dataclass(frozen=True, slots=True)
class PulledReport:
    """A lender's report: the document without its accounts and inquiries, and their JSON
    lists (``service.core.responses.json_with_lists`` writes them in)."""

    report: LenderReport
    lists: dict[str, bytes | tuple[bytes, ...]]


def _authorised_file(
    session: Session,
    *,
    lender: Principal,
    body: PullRequest,
    scope: ConsentScope,
    now: datetime,
) -> tuple[Authorised, FileAsRead]:
    """The file the consent is about, read locked until the pull's inquiry is recorded and
    committed, and the consent's check on that read's own consents, then its freeze. A
    revocation, an expiry or a freeze is so seen by the first pull after it."""
    subject_id = consent.subject_of_consent(session, lender=lender, consent_id=body.consent_id)
    try:
        shown = file_service.read_file(session, subject_id=subject_id, now=now, lock=True)
    except NotFound:  # the subject, and so its consents, are gone (a sandbox reset)
        consent.forget_consent(lender=lender, consent_id=body.consent_id)
        raise consent.consent_not_found(body.consent_id) from None
    allowed = consent.authorise_pull(
        lender=lender,
        consent_id=body.consent_id,
        consents=shown.items.consents,
        scope=scope,
        purpose=body.purpose,
        now=now,
    )
    consent.refuse_if_frozen(allowed, shown.items.freeze)
    return allowed, shown


def pull_report(
    session: Session, *, lender: Principal, body: PullRequest, now: datetime
) -> PulledReport:
    """The report the consent lets the lender see: nothing obsolete, no soft inquiries, each
    account's compliance condition code, and the fraud alert flag. The file is read before
    this read's own inquiry is recorded."""
    allowed, shown = _authorised_file(
        session, lender=lender, body=body, scope=ConsentScope.report, now=now
    )
    view = shown.items.lender_view
    alert = consent.lender_alert(shown.items.fraud_alerts)
    inquiry_id, kind = _record_inquiry(
        session, lender=lender, allowed=allowed, shown=shown, action="report.pulled", now=now
    )
    identity = shown.identity
    report = LenderReport(
        **_facts(allowed, inquiry_id, kind, alert),
        generated_at=now,
        subject=LenderIdentity(
            given_name=identity.given_name,
            family_name=identity.family_name,
            date_of_birth=identity.date_of_birth,
            addresses=identity.addresses,
            national_id_last4=identity.national_id[-4:] if identity.national_id else None,
        ),
        accounts=[],
        inquiries=[],
        public_records=shown.items.public_records,
        statements=shown.items.statements,
    )
    return PulledReport(
        report, {"accounts": view.accounts_json, "inquiries": view.hard_inquiries_json}
    )


def pull_score(
    session: Session, *, lender: Principal, body: PullRequest, now: datetime
) -> LenderScore:
    """The subject's score for the lender, with its receipt id (which a decision cites). The
    file is scored before this read's own inquiry is recorded."""
    allowed, shown = _authorised_file(
        session, lender=lender, body=body, scope=ConsentScope.score, now=now
    )
    disclosed = scoring.score_for_lender(
        session,
        subject_id=allowed.subject_id,
        lender=lender,
        purpose=allowed.purpose.value,
        now=now,
    )
    alert = consent.lender_alert(shown.items.fraud_alerts)
    inquiry_id, kind = _record_inquiry(
        session, lender=lender, allowed=allowed, shown=shown, action="score.pulled", now=now
    )
    queries.add(
        session,
        LenderScoreRow(
            receipt_id=disclosed.receipt_id,
            subject_id=allowed.subject_id,
            lender_id=lender.id,
            consent_id=allowed.consent_id,
            inquiry_id=inquiry_id,
            at=now,
        ),
    )
    return LenderScore(**disclosed.model_dump(), **_facts(allowed, inquiry_id, kind, alert))


def decide(
    session: Session, *, lender: Principal, body: DecisionCreate, now: datetime
) -> DecisionRead:
    """Record the lender's outcome on a score it obtained under the consent. A declined or
    counteroffer outcome sends the subject an adverse action notice stating that score. One
    decision per score: a second is a conflict, and the first stands."""
    named = consent.consent_named(session, lender=lender, consent_id=body.consent_id)
    if named is None:
        raise consent.consent_not_found(body.consent_id)
    obtained = queries.score_obtained(
        session, lender_id=lender.id, consent_id=named.id, receipt_id=body.receipt_id
    )
    if obtained is None:
        raise NotFound(
            detail=f"This lender obtained no score with the receipt {body.receipt_id!r} "
            f"under consent {named.id}."
        )
    earlier = queries.decision_on(session, obtained.receipt_id)
    if earlier is not None:
        raise _decided(earlier)
    decision_id = new_id("dec")
    notice_id = None
    if notice_rules.is_adverse(body.outcome):
        notice_id = _send_adverse_action_notice(
            session, lender=lender, row=obtained, decision_id=decision_id, body=body, now=now
        )
    decision = Decision(
        id=decision_id,
        subject_id=obtained.subject_id,
        lender_id=lender.id,
        consent_id=named.id,
        receipt_id=obtained.receipt_id,
        outcome=body.outcome.value,
        decided_at=now,
        notice_id=notice_id,
    )
    try:
        with session.begin_nested():
            queries.add(session, decision)
    except IntegrityError:
        # A concurrent request decided on this score first; its decision stands.
        earlier = queries.decision_on(session, obtained.receipt_id)
        raise _decided(earlier) from None
    audit.record(
        session,
        actor=lender,
        action="decision.recorded",
        now=now,
        subject_id=obtained.subject_id,
        purpose=named.purpose,
        resource_type="decision",
        resource_id=decision.id,
    )
    return DecisionRead(
        id=decision.id,
        subject_id=decision.subject_id,
        consent_id=decision.consent_id,
        receipt_id=decision.receipt_id,
        outcome=body.outcome,
        decided_at=now,
        notice_id=notice_id,
    )


def _decided(earlier: Decision | None) -> Conflict:
    what = f" ({earlier.id}: {earlier.outcome})" if earlier is not None else ""
    return Conflict(detail=f"A decision on this score was already recorded{what}.")


def _send_adverse_action_notice(
    session: Session,
    *,
    lender: Principal,
    row: LenderScoreRow,
    decision_id: str,
    body: DecisionCreate,
    now: datetime,
) -> str:
    """FCRA 615(a), Reg B 1002.9: the score used, its range, its key factors (from the
    receipt: up to 4, a 5th for inquiries), the date, the lender, the bureau's contact and
    that it did not decide, and the rights to a free report within 60 days and to dispute."""
    statement = scoring.receipt_statement(
        session, subject_id=row.subject_id, receipt_id=row.receipt_id
    )
    if statement is None:  # the receipt is a foreign key of the row: it exists
        raise NotFound(detail="No such score receipt.")
    until = notice_rules.free_report_until(now.date())
    outcome = body.outcome.value
    score_text = (
        f"a score of {statement.score} on a range of {statement.score_range.min} to "
        f"{statement.score_range.max}"
        if statement.score is not None
        else "no score (the file did not meet the minimum scoring criteria)"
    )
    notice = notices.send(
        session,
        actor=lender,
        subject_id=row.subject_id,
        kind=NoticeKind.adverse_action,
        content={
            "title": f"Adverse action: {lender.name} {outcome} your application",
            "summary": f"On {now.date().isoformat()} {lender.name} {outcome} your "
            f"application, using {score_text} from {notice_rules.BUREAU.name}.",
            "lender_id": lender.id,
            "lender_name": lender.name,
            "decision_id": decision_id,
            "outcome": body.outcome,
            "score": statement.score,
            "score_range": statement.score_range,
            "model_version": statement.model_version,
            "receipt_id": statement.receipt_id,
            "scored_on": statement.scored_on,
            "key_factors": statement.reasons,
            "no_score_reasons": statement.no_score_reasons,
            "bureau": notice_rules.BUREAU,
            "bureau_statement": notice_rules.BUREAU_STATEMENT,
            "rights": [
                Right(
                    right="free_report",
                    text="You may get a free copy of your report from the bureau if you ask "
                    f"within {notice_rules.FREE_REPORT_DAYS} days of this notice (FCRA 612(b)).",
                    until=until,
                    how="GET /v1/me/report, or contact the bureau",
                ),
                Right(
                    right="dispute",
                    text="You may dispute with the bureau the accuracy or completeness of "
                    "anything in your report (FCRA 611).",
                    how="POST /v1/me/disputes, or contact the bureau",
                ),
            ],
        },
        purpose=purposes.ADVERSE_ACTION,
        now=now,
    )
    return notice.id
