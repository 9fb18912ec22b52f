"""Who may read a file: the subject's consents, security freeze and fraud alerts, and the
one check every lender read goes through (``authorise_pull``).

Every write is audited in its own transaction; a refused pull writes nothing.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from schemas.common import Page, Purpose, Role
from schemas.consent import (
    ConsentCreate,
    ConsentEventRecord,
    ConsentParty,
    ConsentPurposeRecord,
    ConsentRead,
    ConsentReceipt,
    ConsentScope,
    ConsentState,
    FraudAlertKind,
    FraudAlertRead,
    FreezeRead,
    LenderAlert,
)
from schemas.events import EventType
from service.audit import purposes
from service.audit import service as audit
from service.consent import queries, rules
from service.consent.models import Consent, FraudAlert, Freeze
from service.core.cache import LruCache
from service.core.errors import (
    Conflict,
    ConsentExpired,
    ConsentNotFound,
    ConsentRevoked,
    FieldError,
    FileFrozen,
    InvalidInput,
    NotFound,
    PurposeNotCovered,
    ScopeNotCovered,
)
from service.core.pagination import decode_keyset, keyset_of, split_page
from service.core.security import Principal, new_id
from service.events import service as events
from service.principals import service as principals

#: The version of the consent receipt's shape.
RECEIPT_SCHEMA_VERSION = "1.0"
#: The bureau, as the consent receipt names it (the controller of the file).
BUREAU = ConsentParty(
    id="clearfile", name="Clearfile sandbox bureau (fictional)", role="controller"
)
WITHDRAWAL_METHOD = (
    "Send DELETE /v1/me/consents/{id} with your key, or use the portal: the consent ends at "
    "once, and every later read under it is refused."
)


# --- consents --------------------------------------------------------------------------------


def _read(consent: Consent, lender_name: str, now: datetime) -> ConsentRead:
    return ConsentRead(
        id=consent.id,
        subject_id=consent.subject_id,
        lender_id=consent.lender_id,
        lender_name=lender_name,
        purpose=Purpose(consent.purpose),
        scope=[ConsentScope(s) for s in consent.scope],
        explicit_confirmation=consent.explicit_confirmation,
        granted_at=consent.granted_at,
        expires_on=consent.expires_on,
        revoked_at=consent.revoked_at,
        state=rules.consent_state(
            expires_on=consent.expires_on, revoked_at=consent.revoked_at, now=now
        ),
    )


def _grant_problems(
    session: Session, body: ConsentCreate, now: datetime
) -> tuple[Principal | None, list[FieldError]]:
    errors = []
    lender = principals.principal_in_role(session, body.lender_id, Role.lender)
    if lender is None:
        errors.append(FieldError("lender_id", f"no lender has the id {body.lender_id!r}"))
    today = now.date()
    latest = rules.latest_consent_expiry(today)
    if body.expires_on <= today:
        errors.append(
            FieldError("expires_on", f"must be after today ({today.isoformat()}, sandbox clock)")
        )
    elif body.expires_on > latest:
        errors.append(
            FieldError(
                "expires_on",
                f"must be at most {rules.MAX_CONSENT_MONTHS} months ahead: on or before "
                f"{latest.isoformat()}",
            )
        )
    if len(set(body.scope)) != len(body.scope):
        errors.append(FieldError("scope", "names the same scope twice"))
    if body.purpose in rules.EXPLICIT_CONFIRMATION_REQUIRED and not body.explicit_confirmation:
        errors.append(
            FieldError(
                "explicit_confirmation",
                f"must be true for the {body.purpose.value} purpose: the subject confirms it "
                "explicitly (FCRA 604(b)(2))",
            )
        )
    return lender, errors


def grant(
    session: Session,
    *,
    subject: Principal,
    body: ConsentCreate,
    now: datetime,
    consent_id: str | None = None,
) -> ConsentRead:
    """Record the subject's consent for one lender, purpose, scope and expiry. A fixed
    ``consent_id`` is for the fixture personas; the API always issues a new one."""
    lender, errors = _grant_problems(session, body, now)
    if errors or lender is None:
        raise InvalidInput(detail="The consent cannot be granted as asked.", errors=errors)
    consent = Consent(
        id=consent_id or new_id("cns"),
        subject_id=subject.id,
        lender_id=lender.id,
        purpose=body.purpose.value,
        scope=[s.value for s in ConsentScope if s in body.scope],
        explicit_confirmation=body.explicit_confirmation,
        granted_at=now,
        expires_on=body.expires_on,
        revoked_at=None,
    )
    queries.add(session, consent)
    audit.record(
        session,
        actor=subject,
        action="consent.granted",
        now=now,
        subject_id=subject.id,
        purpose=purposes.CONSENT,
        resource_type="consent",
        resource_id=consent.id,
    )
    _tell(session, EventType.consent_granted, consent, now)
    return _read(consent, lender.name, now)


def _tell(session: Session, type: EventType, consent: Consent, now: datetime) -> None:
    """The consent's event (events: the subject and the lender it names)."""
    events.consent_event(
        session,
        type=type,
        consent_id=consent.id,
        subject_id=consent.subject_id,
        lender_id=consent.lender_id,
        purpose=consent.purpose,
        scope=consent.scope,
        expires_on=consent.expires_on,
        now=now,
    )


#: The watermark of ``announce_expired``: consents expired up to it have been announced.
EXPIRY_WATERMARK = "consent.expired"


def announce_expired(session: Session, *, now: datetime) -> int:
    """Tell the subject and the lender of each unrevoked consent that expired since the last
    run (a consent ends at the start of its ``expires_on``, ``rules.start_of``); how many.
    The first run only starts the watermark: nothing earlier is announced."""
    since = events.advance_watermark(session, name=EXPIRY_WATERMARK, now=now)
    if since is None or now <= since:
        return 0
    expired = queries.consents_expiring_between(session, since.date(), now.date())
    told = 0
    for consent in expired:
        ends = rules.start_of(consent.expires_on)
        if since < ends <= now:
            _tell(session, EventType.consent_expired, consent, ends)
            told += 1
    return told


def _page(rows: Sequence[tuple[Consent, str]], limit: int, now: datetime) -> Page[ConsentRead]:
    page, next_cursor = split_page(rows, limit, lambda r: keyset_of(r[0].granted_at, r[0].id))
    return Page[ConsentRead](
        items=[_read(c, name, now) for c, name in page], next_cursor=next_cursor
    )


def list_consents(
    session: Session, *, subject: Principal, now: datetime, cursor: str | None, limit: int
) -> Page[ConsentRead]:
    """The subject's consents, newest first, each with its state on the sandbox clock."""
    rows = queries.consents_of_subject(
        session, subject.id, before=decode_keyset(cursor), limit=limit + 1
    )
    _record_self_read(session, subject, now, "consents.read", "consents", subject.id)
    return _page(rows, limit, now)


def consents_for_report(session: Session, *, subject_id: str, now: datetime) -> list[ConsentRead]:
    """Every consent of the subject, newest first, for the report."""
    rows = queries.consents_of_subject(session, subject_id, before=None, limit=None)
    return [_read(c, name, now) for c, name in rows]


def _own_consent(
    session: Session, subject: Principal, consent_id: str, *, for_update: bool = False
) -> tuple[Consent, str]:
    found = queries.consent_of_subject(session, subject.id, consent_id, for_update=for_update)
    if found is None:
        raise NotFound(detail="No such consent.")
    return found


def get_consent(
    session: Session, *, subject: Principal, consent_id: str, now: datetime
) -> ConsentRead:
    consent, name = _own_consent(session, subject, consent_id)
    _record_self_read(session, subject, now, "consent.read", "consent", consent.id)
    return _read(consent, name, now)


def revoke(session: Session, *, subject: Principal, consent_id: str, now: datetime) -> ConsentRead:
    """Withdraw a consent, effective at once (GDPR 7(3)): every later pull under it is refused
    with ``consent-revoked``. A consent is revoked once; its first revocation stands."""
    consent, name = _own_consent(session, subject, consent_id, for_update=True)
    if consent.revoked_at is not None:
        raise Conflict(
            detail=f"The consent {consent.id} was already revoked at "
            f"{consent.revoked_at.isoformat()}."
        )
    consent.revoked_at = now
    session.flush()
    audit.record(
        session,
        actor=subject,
        action="consent.revoked",
        now=now,
        subject_id=subject.id,
        purpose=purposes.CONSENT,
        resource_type="consent",
        resource_id=consent.id,
    )
    _tell(session, EventType.consent_revoked, consent, now)
    return _read(consent, name, now)


def receipt(
    session: Session, *, subject: Principal, consent_id: str, now: datetime
) -> ConsentReceipt:
    """The consent's receipt, shaped like an ISO/IEC TS 27560 consent record."""
    consent, lender_name = _own_consent(session, subject, consent_id)
    read = _read(consent, lender_name, now)
    identity = principals.identity_of(session, subject.id)
    subject_name = (
        f"{identity.given_name} {identity.family_name}" if identity is not None else subject.name
    )
    purpose = read.purpose
    basis, description = rules.PURPOSE_BASIS[purpose]
    lifecycle = [ConsentEventRecord(state=ConsentState.active, at=consent.granted_at)]
    if read.state is ConsentState.revoked and consent.revoked_at is not None:
        lifecycle.append(ConsentEventRecord(state=ConsentState.revoked, at=consent.revoked_at))
    elif read.state is ConsentState.expired:
        lifecycle.append(
            ConsentEventRecord(state=ConsentState.expired, at=rules.start_of(consent.expires_on))
        )
    _record_self_read(session, subject, now, "consent_receipt.read", "consent", consent.id)
    return ConsentReceipt(
        schema_version=RECEIPT_SCHEMA_VERSION,
        record_id=consent.id,
        receipt_issued_at=now,
        pii_principal=ConsentParty(id=subject.id, name=subject_name, role="data subject"),
        pii_controller=BUREAU,
        recipients=[ConsentParty(id=consent.lender_id, name=lender_name, role="lender")],
        purposes=[
            ConsentPurposeRecord(
                purpose=purpose,
                description=description,
                legal_basis=[basis, rules.CONSENT_BASIS],
                pii_categories=[c for s in read.scope for c in rules.SCOPE_CATEGORIES[s]],
                processing=[f"disclosure of the {s.value} to the recipient" for s in read.scope],
                explicit=consent.explicit_confirmation,
            )
        ],
        consent_given_at=consent.granted_at,
        consent_expires_at=rules.start_of(consent.expires_on),
        withdrawn_at=consent.revoked_at,
        state=read.state,
        withdrawal_method=WITHDRAWAL_METHOD.replace("{id}", consent.id),
        lifecycle=lifecycle,
    )


def consents_of_lender(
    session: Session, *, lender: Principal, now: datetime, cursor: str | None, limit: int
) -> Page[ConsentRead]:
    """The consents that name the lender, newest first, each with its state."""
    rows = queries.consents_of_lender(
        session, lender.id, before=decode_keyset(cursor), limit=limit + 1
    )
    return _page(rows, limit, now)


# --- the check of every lender read ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Authorised:
    """A pull the consent allows: the file it may read, and why."""

    consent_id: str
    subject_id: str
    purpose: Purpose


#: The most (lender, consent) pairs whose subject is kept (least recently used out).
CONSENT_SUBJECTS_MAX = 100_000

#: Whose file a consent is about, by (lender id, consent id): known consents only. A
#: consent's subject and lender never change, so an entry never goes stale while its
#: consent exists; whether the consent still allows a read is never taken from here, but
#: from the file's own consents (``authorise_pull``), which are those of the revision the
#: pull holds locked.
_CONSENT_SUBJECTS: LruCache[tuple[str, str], str] = LruCache(CONSENT_SUBJECTS_MAX)


def consent_not_found(consent_id: str) -> ConsentNotFound:
    """The refusal of a consent id that names no consent of the lender's."""
    return ConsentNotFound(detail=f"No consent with the id {consent_id!r} names this lender.")


def subject_of_consent(session: Session, *, lender: Principal, consent_id: str) -> str:
    """The subject whose file the consent is about, if the consent names the lender; else
    ``consent-not-found`` (404). Says nothing of the consent's state: the pull then reads
    the file, locked, and ``authorise_pull`` checks the consent on it."""
    key = (lender.id, consent_id)
    subject_id = _CONSENT_SUBJECTS.get(key)
    if subject_id is None:
        subject_id = queries.subject_of_consent(session, lender.id, consent_id)
        if subject_id is None:
            raise consent_not_found(consent_id)
        _CONSENT_SUBJECTS.put(key, subject_id)
    return subject_id


def forget_consent(*, lender: Principal, consent_id: str) -> None:
    """Drop what is kept of a consent that the file it was about no longer holds."""
    _CONSENT_SUBJECTS.discard((lender.id, consent_id))


def authorise_pull(
    *,
    lender: Principal,
    consent_id: str,
    consents: Sequence[ConsentRead],
    scope: ConsentScope,
    purpose: Purpose | None,
    now: datetime,
) -> Authorised:
    """Allow a lender's read of a file as far as the consent goes, or refuse it with the
    problem that says why: no such consent for this lender (404), revoked, expired, purpose
    or scope not covered (403, each its own type). Writes nothing.

    ``consents`` are the file's own (its items, read with the file locked, so a revocation
    or a new consent is seen by the first pull after it); the consent's state is taken on
    ``now``. The file's freeze is checked next, on the same read (``refuse_if_frozen``)."""
    row = next((c for c in consents if c.id == consent_id), None)
    if row is None or row.lender_id != lender.id:
        forget_consent(lender=lender, consent_id=consent_id)
        raise consent_not_found(consent_id)
    about = {"consent_id": row.id}
    state = rules.consent_state(expires_on=row.expires_on, revoked_at=row.revoked_at, now=now)
    if state is ConsentState.revoked and row.revoked_at is not None:
        raise ConsentRevoked(
            detail=f"The subject revoked consent {row.id} at {row.revoked_at.isoformat()}; "
            "no read may rest on it since. Ask the subject for a new consent.",
            extra={**about, "revoked_at": row.revoked_at.isoformat()},
        )
    if state is ConsentState.expired:
        raise ConsentExpired(
            detail=f"Consent {row.id} expired at the start of {row.expires_on.isoformat()}. "
            "Ask the subject for a new consent.",
            extra={**about, "expired_on": row.expires_on.isoformat()},
        )
    consented = row.purpose
    if purpose is not None and purpose is not consented:
        raise PurposeNotCovered(
            detail=f"Consent {row.id} covers {consented.value}, not {purpose.value}.",
            extra={**about, "consented_purpose": consented.value},
        )
    if scope not in row.scope:
        covered = [s.value for s in row.scope]
        raise ScopeNotCovered(
            detail=f"Consent {row.id} covers the {' and the '.join(covered)}, not the "
            f"{scope.value}.",
            extra={**about, "consented_scope": covered},
        )
    return Authorised(consent_id=row.id, subject_id=row.subject_id, purpose=consented)


def refuse_if_frozen(allowed: Authorised, freeze: FreezeRead) -> None:
    """Refuse a new-credit read of a frozen file (``file-frozen``, 403); the exempt purposes
    pass (FCRA 605A(i))."""
    if freeze.frozen and freeze.placed_at is not None and rules.freeze_refuses(allowed.purpose):
        raise FileFrozen(
            detail=f"The subject's file has been frozen since {freeze.placed_at.isoformat()}. "
            f"A freeze refuses {allowed.purpose.value} reads until the subject lifts it; "
            "account review, tenant screening, insurance and employment reads are exempt "
            "(FCRA 605A(i)).",
            extra={"consent_id": allowed.consent_id, "frozen_since": freeze.placed_at.isoformat()},
        )


def consent_named(session: Session, *, lender: Principal, consent_id: str) -> Consent | None:
    """The consent if it names the lender, whatever its state (a decision may cite a score
    obtained under a consent that has since ended)."""
    return queries.consent_of_lender(session, lender.id, consent_id)


# --- security freeze ------------------------------------------------------------------------


def freeze_state(session: Session, *, subject_id: str) -> FreezeRead:
    last = queries.last_freeze(session, subject_id)
    placed_at, lifted_at = last if last is not None else (None, None)
    return FreezeRead(
        frozen=placed_at is not None and lifted_at is None,
        placed_at=placed_at if lifted_at is None else None,
        lifted_at=lifted_at,
        refuses=list(rules.FREEZE_REFUSES),
    )


def read_freeze(session: Session, *, subject: Principal, now: datetime) -> FreezeRead:
    _record_self_read(session, subject, now, "freeze.read", "freeze", subject.id)
    return freeze_state(session, subject_id=subject.id)


def place_freeze(session: Session, *, subject: Principal, now: datetime) -> tuple[FreezeRead, bool]:
    """Freeze the file, effective at once; True when placed now, False when a freeze was
    already in force (nothing is written then)."""
    current = freeze_state(session, subject_id=subject.id)
    if current.frozen:
        return current, False
    try:
        with session.begin_nested():
            queries.add(session, Freeze(id=new_id("frz"), subject_id=subject.id, placed_at=now))
    except IntegrityError:
        # A concurrent request froze the file first: the freeze the subject asked for holds.
        return freeze_state(session, subject_id=subject.id), False
    audit.record(
        session,
        actor=subject,
        action="freeze.placed",
        now=now,
        subject_id=subject.id,
        purpose=purposes.FILE_PROTECTION,
        resource_type="freeze",
        resource_id=subject.id,
    )
    events.freeze_event(session, type=EventType.freeze_placed, subject_id=subject.id, now=now)
    return freeze_state(session, subject_id=subject.id), True


def lift_freeze(session: Session, *, subject: Principal, now: datetime) -> FreezeRead:
    freeze = queries.freeze_row_in_force(session, subject.id)
    if freeze is None:
        raise Conflict(detail="The file is not frozen; there is no freeze to lift.")
    freeze.lifted_at = now
    session.flush()
    audit.record(
        session,
        actor=subject,
        action="freeze.lifted",
        now=now,
        subject_id=subject.id,
        purpose=purposes.FILE_PROTECTION,
        resource_type="freeze",
        resource_id=subject.id,
    )
    events.freeze_event(session, type=EventType.freeze_lifted, subject_id=subject.id, now=now)
    return freeze_state(session, subject_id=subject.id)


# --- fraud alerts ---------------------------------------------------------------------------


def _alert_read(alert: FraudAlert, now: datetime) -> FraudAlertRead:
    return FraudAlertRead(
        id=alert.id,
        kind=FraudAlertKind(alert.kind),
        placed_at=alert.placed_at,
        expires_on=alert.expires_on,
        removed_at=alert.removed_at,
        active=rules.fraud_alert_active(
            expires_on=alert.expires_on, removed_at=alert.removed_at, now=now
        ),
    )


def fraud_alerts_for_report(
    session: Session, *, subject_id: str, now: datetime
) -> list[FraudAlertRead]:
    return [_alert_read(a, now) for a in queries.fraud_alerts_of_subject(session, subject_id)]


def list_fraud_alerts(
    session: Session, *, subject: Principal, now: datetime, cursor: str | None, limit: int
) -> Page[FraudAlertRead]:
    """The subject's fraud alerts, newest first, active or not."""
    rows = queries.fraud_alerts_of_subject(
        session, subject.id, before=decode_keyset(cursor), limit=limit + 1
    )
    page, next_cursor = split_page(rows, limit, lambda a: keyset_of(a.placed_at, a.id))
    _record_self_read(session, subject, now, "fraud_alerts.read", "fraud_alerts", subject.id)
    return Page[FraudAlertRead](items=[_alert_read(a, now) for a in page], next_cursor=next_cursor)


def place_fraud_alert(
    session: Session, *, subject: Principal, kind: FraudAlertKind, now: datetime
) -> FraudAlertRead:
    """Place an initial (1 year) or extended (7 years) fraud alert (FCRA 605A). A second
    alert of a kind that is already active is a conflict: it would change nothing."""
    for alert in queries.fraud_alerts_of_subject(session, subject.id):
        read = _alert_read(alert, now)
        if read.active and read.kind is kind:
            raise Conflict(
                detail=f"An {kind.value} fraud alert ({alert.id}) is already active until "
                f"{alert.expires_on.isoformat()}."
            )
    alert = FraudAlert(
        id=new_id("fra"),
        subject_id=subject.id,
        kind=kind.value,
        placed_at=now,
        expires_on=rules.fraud_alert_expires_on(kind.value, now.date()),
        removed_at=None,
    )
    queries.add(session, alert)
    audit.record(
        session,
        actor=subject,
        action="fraud_alert.placed",
        now=now,
        subject_id=subject.id,
        purpose=purposes.FILE_PROTECTION,
        resource_type="fraud_alert",
        resource_id=alert.id,
    )
    return _alert_read(alert, now)


def remove_fraud_alert(
    session: Session, *, subject: Principal, alert_id: str, now: datetime
) -> FraudAlertRead:
    """End an alert before its time, at the subject's request."""
    alert = queries.fraud_alert_of_subject(session, subject.id, alert_id)
    if alert is None:
        raise NotFound(detail="No such fraud alert.")
    if not _alert_read(alert, now).active:
        raise Conflict(detail=f"The fraud alert {alert.id} is no longer active.")
    alert.removed_at = now
    session.flush()
    audit.record(
        session,
        actor=subject,
        action="fraud_alert.removed",
        now=now,
        subject_id=subject.id,
        purpose=purposes.FILE_PROTECTION,
        resource_type="fraud_alert",
        resource_id=alert.id,
    )
    return _alert_read(alert, now)


def lender_alert(alerts: Sequence[FraudAlertRead]) -> LenderAlert | None:
    """The active fraud alert a lender's report must flag ("verify identity"): of the file's
    alerts (as the file shows them today), the active one that runs longest, or None."""
    active = [a for a in alerts if a.active]
    if not active:
        return None
    alert = max(active, key=lambda a: a.expires_on)
    return LenderAlert(
        kind=alert.kind,
        expires_on=alert.expires_on,
        text="The subject has placed a fraud alert: verify the applicant's identity before "
        "extending credit, opening an account or raising a limit (FCRA 605A(h)).",
    )


# --- shared ----------------------------------------------------------------------------------


def _record_self_read(
    session: Session,
    subject: Principal,
    now: datetime,
    action: str,
    resource_type: str,
    resource_id: str,
) -> None:
    audit.record(
        session,
        actor=subject,
        action=action,
        now=now,
        subject_id=subject.id,
        purpose=purposes.SELF_ACCESS,
        resource_type=resource_type,
        resource_id=resource_id,
    )
